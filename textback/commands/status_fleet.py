"""`textback status` with several modems ([[modem]] entries, one worker each, one store):
every worker and its modem, each with its own heartbeat and its own SIM's caps.

The workers listed are the modems this configuration names (in its order, "never ran"
when one has no heartbeat yet) and any other worker beating in the same store (another
shop's Pi on the same PostgreSQL). The one [modem]'s old row is left out once the
configuration names modems, unless that worker still runs.
"""
from __future__ import annotations

import textwrap
from datetime import datetime

from store.records import WorkerStatus
from textback.output import as_row

LABEL = 18          # as the one-worker status: "{label:18} value"
Row = tuple[str, str, str | None]       # label, value, colour


def unit(name: str) -> str:
    """The systemd unit that runs the worker of modem `name` ("" : the one [modem])."""
    return f"textback-worker@{name}" if name else "textback-worker"


def workers(store, config, now: datetime, state, usage) -> list[dict]:
    """Every worker to show: `state(status, now)` names its state, `usage(modem)` its caps."""
    beats: dict[str, WorkerStatus] = {s.modem_name: s for s in store.worker_statuses()}
    configured = list(config.modem_entries)
    names = [m.name for m in configured] + sorted(n for n in beats if n not in {m.name for m in configured})
    ports = {m.name: m.port for m in configured}
    found = []
    for name in names:
        status = beats.get(name)
        if name == "" and configured and state(status, now) != "running":
            continue
        found.append({"modem": name, "unit": unit(name), "state": state(status, now),
                      "port": (status.modem_port if status is not None and status.modem_port else ports.get(name)),
                      "worker": status, "sending": usage(name or None)})
    return found


def several(report: dict) -> bool:
    return len(report.get("workers", ())) > 1 or any(w["modem"] for w in report.get("workers", ()))


def worker_lines(w: dict, out, now: datetime, ago, against, memory) -> list[Row]:
    """One worker's block: its state, then its modem's and SIM's rows, indented."""
    beat = as_row(w["worker"]) if w["worker"] else {}
    name, service = w["modem"] or "(one [modem])", w["unit"]
    head = f"modem {name}"
    where = f"pid {beat.get('pid')} on {beat.get('host') or '?'}" if beat else ""
    state = w["state"]
    rows: list[Row]
    if state == "never ran":
        rows = [(head, f"never ran: sudo systemctl enable --now {service}", "red")]
    elif state == "running":
        rows = [(head, f"running ({where}, since {out.time(beat.get('started_at'))})", "green"),
                ("  last beat", ago(out, beat.get("beat_at"), now), None)]
    elif state == "stopped":
        rows = [(head, f"STOPPED cleanly {ago(out, beat.get('stopped_at'), now)} ({where})", "red"),
                ("  start", f"sudo systemctl start {service}", None)]
    else:
        rows = [(head, f"NOT RUNNING ({where})", "red"),
                ("  last beat", ago(out, beat.get("beat_at"), now), "red"),
                ("  check", f"systemctl status {service}; journalctl -u {service}", None)]
    alive = beat.get("modem_alive") and state == "running"
    port = w.get("port") or "?"
    if beat:
        signal = f"{beat['signal_dbm']} dBm" if beat.get("signal_dbm") is not None else "signal unknown"
        registration = beat.get("registration") or "unknown"
        fill, fill_colour = memory(beat)
        # A worker that is not running asks nothing: its last beat's "answering" would be stale.
        answers = ("answering" if alive else "not answering" if state == "running" else
                   "not asked (its worker is not running)")
        rows += [("  port", f"{port}: {answers}", None if alive else "red"),
                 ("  network", f"{signal}, {beat.get('operator') or 'operator unknown'}, {registration}",
                  None if registration in ("home", "roaming") else "red"),
                 ("  receive memory", fill, fill_colour)]
        if beat.get("last_error"):
            rows.append(("  last error", f"{ago(out, beat.get('last_error_at'), now)}: "
                         f"{out.human(beat['last_error'], 'text')}", "yellow"))
        rows += [("  last text sent", ago(out, beat.get("last_sent_at"), now), None),
                 ("  last reply", ago(out, beat.get("last_received_at"), now), None)]
    else:
        rows.append(("  port", port, None))
    sending = w["sending"]
    rows += [("  texts today", *against(sending["sent_today"], sending["daily_cap"], "daily cap")),
             ("  numbers, 30 days", *against(sending["recipients_30d"], sending["recipients_cap"],
                                             "distinct-number cap"))]
    return rows


def shown(label: str, value: str, width: int) -> tuple[str, str]:
    """The row's label and its value wrapped to `width` columns under itself."""
    room = max(20, width - LABEL - 1)
    lines = textwrap.wrap(value, room, break_long_words=False, break_on_hyphens=False) or [""]
    return f"{label:{LABEL}}", ("\n" + " " * (LABEL + 1)).join(lines)


def csv_items(rows: list[Row]) -> list[dict]:
    """The rows as item,value pairs: an indented row's item names its modem."""
    items, modem = [], ""
    for label, value, _ in rows:
        if label.startswith("modem "):
            modem = label[len("modem "):]
        items.append({"item": f"{modem} {label.strip()}" if label.startswith("  ") else label, "value": value})
    return items
