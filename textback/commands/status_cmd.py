"""`textback status`: is the worker alive, what does the modem say, what is waiting."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

import click

from store.records import WorkerStatus
from store.rules import pacing
from textback.commands import status_fleet
from textback.commands.shop_store import load_settings, open_store, renderer
from textback.output import as_row, listing_options

# A worker that does not say how often it beats (one from before schema v3) beat every 10 s.
DEFAULT_BEAT_SECONDS = 10.0
MISSED_BEATS = 3        # three intervals without a beat and it is taken for dead


def worker_state(status: WorkerStatus | None, now: datetime) -> str:
    """running | stopped (a clean stop said so) | not running (the beat is too old) | never ran."""
    if status is None or status.beat_at is None:
        return "never ran"
    if status.stopped_at:
        return "stopped"
    interval = status.beat_seconds or DEFAULT_BEAT_SECONDS
    if (now - status.beat_at).total_seconds() > MISSED_BEATS * interval:
        return "not running"
    return "running"


def worker_alive(status: WorkerStatus | None, now: datetime) -> bool:
    return worker_state(status, now) == "running"


def newest_worker(store) -> WorkerStatus | None:
    """The worker a text just queued waits for: the one [modem]'s, or with several modems
    the one that beat last (None: no worker ever ran on this store)."""
    beats = [s for s in store.worker_statuses() if s.beat_at is not None]
    single = next((s for s in beats if not s.modem_name), None)
    return single or max(beats, key=lambda s: (s.stopped_at is None, s.beat_at), default=None)


def worker_note(status: WorkerStatus | None, now: datetime, out=None) -> str | None:
    """None while the worker runs; else one plain sentence for a command that just queued
    something (reply, test-call): the text waits until the worker is started."""
    state = worker_state(status, now)
    if state == "running":
        return None
    name = status.modem_name if status is not None else ""
    how = (f"start it with: systemctl start {status_fleet.unit(name)} (or textback worker --modem {name})" if name
           else "start it with: systemctl start textback-worker (or textback worker)")
    if state == "never ran":
        return f"the worker has never run on this store; {how}"
    beat = status.beat_at if status is not None else None
    if beat is None:
        return f"the worker has never run on this store; {how}"
    seen = out.time(beat) if out is not None else f"{beat:%Y-%m-%d %H:%M} UTC"
    return f"the worker is {state.upper()} (last seen {seen}); {how}"


def modem_worker_note(store, sim: str | None, out) -> str | None:
    """What a queued reply or call waits for: the worker of the modem it leaves from (several modems:
    another modem's worker never sends it), else the newest worker; None while it runs."""
    now = datetime.now(timezone.utc)
    if sim is None:
        return worker_note(newest_worker(store), now, out)
    status = next((s for s in store.worker_statuses() if s.modem_name == sim), None)
    if status is None or status.beat_at is None:
        return (f"the worker for modem {sim} has never run on this store; start it with: "
                f"systemctl start {status_fleet.unit(sim)} (or textback worker --modem {sim})")
    return worker_note(status, now, out)


def spool_backlog(spool_dir: str) -> int | None:
    """Calls the AGI hook spooled while the store was down; None when the directory is unreadable."""
    from store.spool import pending_spool
    try:
        return len(pending_spool(spool_dir))
    except OSError:
        return None


def active_alerts(store, worker: WorkerStatus | None, others: Sequence[WorkerStatus] = ()) -> list[dict]:
    """The alerts the workers raised and have not cleared (store/alerts.py), and any sentence
    a heartbeat carries that the alert table lacks (an older worker wrote only those)."""
    alerts = [{"key": a.key, "text": a.text, "raised_at": a.raised_at, "texted_at": a.texted_at}
              for a in store.active_alerts()]
    known = {a["text"] for a in alerts}
    for beat in ([worker] if worker else []) + list(others):
        for text in beat.alerts:
            if str(text) not in known:
                known.add(str(text))
                alerts.append({"key": "", "text": str(text), "raised_at": None, "texted_at": None})
    return alerts


def collect(store, config, now: datetime) -> dict:
    worker = store.worker_status()
    fleet = status_fleet.workers(store, config, now, worker_state,
                                 lambda modem: sending_usage(store, config, now, modem))
    report = {"checked_at": now, "worker_alive": worker_alive(worker, now), "worker_state": worker_state(worker, now),
              "worker": worker, "workers": fleet,
              "queue": store.queue_summary(now), "spool_dir": config.store.spool_dir,
              "spool_backlog": spool_backlog(config.store.spool_dir),
              "alerts": active_alerts(store, worker), "sending": sending_usage(store, config, now),
              **notify_report(store, config)}
    if status_fleet.several(report):
        # Several workers: alive only when each runs; `sending` counts every SIM together,
        # each worker's own counts are in its entry of `workers`.
        running = sum(w["state"] == "running" for w in fleet)
        report.update(worker_alive=running == len(fleet),
                      worker_state="running" if running == len(fleet) else f"{running} of {len(fleet)} running",
                      alerts=active_alerts(store, None, [w["worker"] for w in fleet if w["worker"]]))
    return report


def notify_report(store, config) -> dict:
    """The [[notify]] targets' delivery (store/events.py), only when some are configured."""
    wanted = [t.name for t in config.notify]
    if not wanted:
        return {}
    known = {t.name: t for t in store.notify_targets()}
    return {"notify": [known.get(name) or {"name": name, "never_started": True} for name in wanted]}


def sending_usage(store, config, now: datetime, modem: str | None = None) -> dict:
    """What the SIM sent against the [sending] caps (None: no cap); `modem`: that
    [[modem]]'s SIM only, each SIM having caps of its own (None: every text)."""
    sending = config.sending
    return {"sent_today": store.sent_count_since(pacing.day_start(now, config.business.timezone), modem),
            "daily_cap": sending.daily_cap or None,
            "recipients_30d": store.recipient_count_since(now - pacing.RECIPIENT_WINDOW, modem),
            "recipients_cap": sending.recipients_cap or None}


def _against(used: int, cap: int | None, what: str) -> tuple[str, str | None]:
    if cap is None:
        return f"{used} (no {what})", None
    colour = "red" if used >= cap else "yellow" if used >= cap * 0.8 else None
    held = "; text-backs wait" if used >= cap else ""
    return f"{used} of {cap} ({what}, {used / cap:.0%}{held})", colour


@click.command("status")
@listing_options
@click.pass_context
def status(ctx, fmt):
    """Worker heartbeat, modem signal/operator/registration, queue, last texts, spool, alerts.

    Exits 1 while any alert is active, so a cron job or a monitoring check can ask."""
    config = load_settings(ctx)
    out = renderer(config, fmt)
    now = datetime.now(timezone.utc)
    with open_store(config) as store:
        report = collect(store, config, now)
    if fmt == "json":
        click.echo(out.json(report))
    elif status_fleet.several(report):
        rows = _fleet_lines(report, out, now)
        if fmt == "csv":
            click.echo(out.listing(status_fleet.csv_items(rows), [_col("item"), _col("value")]))
        else:
            from textback.table import terminal_width
            width = terminal_width()
            for label, value, colour in rows:
                label, value = status_fleet.shown(label, value, width)
                click.echo(f"{label} " + (click.style(value, fg=colour) if colour else value))
    else:
        rows = _lines(report, out, now)
        if fmt == "csv":
            click.echo(out.listing([{"item": k, "value": v} for k, v, _ in rows],
                                   [_col("item"), _col("value")]))
        else:
            for label, value, colour in rows:
                click.echo(f"{label:18} " + (click.style(value, fg=colour) if colour else value))
    if report["alerts"]:
        ctx.exit(1)


def _col(key):
    from textback.output import Column
    return Column(key, key.upper())


def _ago(out, when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    return f"{out.time(when, seconds=True)} ({out.human((now - when).total_seconds(), 'seconds')} ago)"


def _receive_memory(w: dict) -> tuple[str, str | None]:
    """The memory the worker's modem files new SMS in (ME 100/100, not the empty SIM beside
    it) and how full it is: a full one keeps new replies waiting at the network."""
    used, total = w.get("sim_used"), w.get("sim_total")
    if not total or used is None:
        return "unknown", None
    share = used / total
    name = f"{w['receive_memory']} " if w.get("receive_memory") else ""
    warn = "; new replies wait at the network" if used >= total else ""
    return f"{name}{used}/{total} ({share:.0%} full{warn})", ("red" if used >= total else
                                                             "yellow" if share > 0.8 else None)


def _notify_line(t: dict, out, now: datetime) -> tuple[str, str, str | None]:
    label = f"notify {t['name']}"
    if t.get("never_started"):
        return label, "not started yet: the worker starts it (restart it after adding a target)", "yellow"
    kept = f"{t['delivered']} delivered, {t['waiting']} waiting"
    if t["dropped"]:
        kept += f", {t['dropped']} given up"
    if t["failures"]:
        return label, (f"FAILING since {out.time(t['failing_since'], seconds=True)} ({t['failures']} tries): "
                       f"{out.human(t['last_error'] or '', 'text')}; {kept}"), "red"
    return label, f"ok, last delivery {_ago(out, t['last_ok_at'], now)}; {kept}", "yellow" if t["dropped"] else None


def _fleet_lines(report: dict, out, now: datetime) -> list[tuple[str, str, str | None]]:
    """Several workers: a block for each (its modem, its SIM's caps), then what they share."""
    rows: list[tuple[str, str, str | None]] = []
    for w in report["workers"]:
        rows += status_fleet.worker_lines(w, out, now, _ago, _against, _receive_memory)
    q = as_row(report["queue"])
    rows += [("queue", f"{q['scheduled']} scheduled ({q['due_now']} due now), {q['sending']} sending",
              "yellow" if q["due_now"] and not report["worker_alive"] else None),
             ("expired", f"{q['expired_last_day']} text(s) in the last day were too old to send",
              "yellow" if q["expired_last_day"] else None)]
    return rows + _shared_lines(report, out, now)


def _shared_lines(report: dict, out, now: datetime) -> list[tuple[str, str, str | None]]:
    """The last rows, one view or the other: notify targets, the hook's spool, the alerts."""
    rows = [_notify_line(t if isinstance(t, dict) else as_row(t), out, now) for t in report.get("notify", ())]
    backlog = report["spool_backlog"]
    rows.append(("spool backlog", f"cannot read {report['spool_dir']}" if backlog is None else
                 f"{backlog} call(s) waiting in {report['spool_dir']}", "yellow" if backlog else None))
    rows += [("alert", out.human(a["text"], "text")
              + (f" (since {out.time(a['raised_at'], seconds=True)})" if a["raised_at"] else ""), "red")
             for a in report["alerts"]] or [("alerts", "none", None)]
    return rows


def _lines(report: dict, out, now: datetime) -> list[tuple[str, str, str | None]]:
    # The records as rows: the lines below read optional fields by name.
    w, q = (as_row(report["worker"]) if report["worker"] else {}), as_row(report["queue"])
    rows: list[tuple[str, str, str | None]]
    if not w:
        rows = [("worker", "never ran: start it with systemctl start textback-worker", "red")]
    elif report["worker_alive"]:
        rows = [("worker", f"alive, pid {w.get('pid')} on {w.get('host') or '?'}, since "
                 f"{out.time(w.get('started_at'))}, last beat {_ago(out, w.get('beat_at'), now)}", "green")]
    elif report["worker_state"] == "stopped":
        rows = [("worker", f"STOPPED cleanly {_ago(out, w.get('stopped_at'), now)}; texts wait until it runs: "
                 "systemctl start textback-worker", "red")]
    else:
        rows = [("worker", f"NOT RUNNING: last beat {_ago(out, w.get('beat_at'), now)}; "
                 "check: systemctl status textback-worker; journalctl -u textback-worker", "red")]
    if w:
        signal = f"{w['signal_dbm']} dBm" if w.get("signal_dbm") is not None else "unknown"
        registration = w.get("registration") or "unknown"
        fill, fill_colour = _receive_memory(w)
        rows += [("modem", f"{w.get('modem_port') or '?'}: "
                  + ("answering" if w.get("modem_alive") else "not answering"),
                  None if w.get("modem_alive") else "red"),
                 ("signal", signal, None),
                 ("operator", w.get("operator") or "unknown", None),
                 ("registration", registration, None if registration in ("home", "roaming") else "red"),
                 ("receive memory", fill, fill_colour)]
        if w.get("last_error"):
            error = f"{_ago(out, w.get('last_error_at'), now)}: {out.human(w['last_error'], 'text')}"
            rows.append(("last error", error, "yellow"))
    rows += [("queue", f"{q['scheduled']} scheduled ({q['due_now']} due now), {q['sending']} sending",
              "yellow" if q["due_now"] and not report["worker_alive"] else None),
             ("last text sent", _ago(out, q["last_sent_at"], now), None),
             ("texts today", *_against(report["sending"]["sent_today"], report["sending"]["daily_cap"],
                                       "daily cap")),
             ("numbers, 30 days", *_against(report["sending"]["recipients_30d"], report["sending"]["recipients_cap"],
                                            "distinct-number cap")),
             ("expired", f"{q['expired_last_day']} text(s) in the last day were too old to send",
              "yellow" if q["expired_last_day"] else None),
             ("last reply", _ago(out, q["last_received_at"], now), None)]
    return rows + _shared_lines(report, out, now)
