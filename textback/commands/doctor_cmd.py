"""`textback doctor`: a checklist of the whole install, each item with a mark and its fix."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from modem.device.hilink import hilink_sticks
from store.records import WorkerStatus
from textback import config as cfg
from textback.commands.doctor_access import asterisk_access, port_free
from textback.commands.doctor_probes import (
    FAIL,
    OK,
    SKIP,
    WARN,
    Check,
    agi_installed,
    database_reachable,
    database_writable,
    dialplan_included,
    probe_modem,
)
from textback.commands.shop_store import database_path
from textback.commands.status_cmd import active_alerts, worker_alive
from textback.install.accounts import Accounts
from textback.install.asterisk_setup import detect
from textback.output import as_row, listing_options

MARKS = {OK: ("ok", "green"), FAIL: ("FAIL", "red"), WARN: ("warn", "yellow"), SKIP: ("skip", "bright_black")}


def check_config(ctx) -> tuple[cfg.Config, Check]:
    path = (ctx.find_root().obj or {}).get("config_path")
    try:
        conf = cfg.load_config(path)
    except cfg.ConfigError as exc:
        return cfg.Config(), Check("configuration valid", FAIL, str(exc),
                                   "fix the line it names (textback config check); the checks below use defaults")
    return conf, Check("configuration valid", OK, conf.source)


def config_ready(conf: cfg.Config) -> Check:
    """A valid file can still hold the example's name and numbers, or a text that would lose a
    sentence: `config check` refuses those, so doctor must not call the configuration fine."""
    from textback.commands.config_cmd import identity_errors, template_value_errors

    name = "configuration ready to text callers"
    fix = f"edit {conf.source} as each error says, then: textback config check"
    placeholders, incomplete = identity_errors(conf), template_value_errors(conf)
    if placeholders:        # texting callers the example's name and number: never
        return Check(name, FAIL, "; ".join(placeholders + incomplete), fix)
    if incomplete:          # a sentence left out of a text: the texts still go, shorter
        return Check(name, WARN, "; ".join(incomplete), fix)
    return Check(name, OK, "no example values left, every text complete")


def heartbeat(db: Path | None, url: str) -> tuple[WorkerStatus | None, list[dict]]:
    """The worker's last heartbeat and its active alerts, read without creating anything."""
    if db is not None and not db.exists():
        return None, []
    from store import Store, StoreError
    try:
        with Store.open(url, busy_timeout=2.0) as store:
            status = store.worker_status()
            return status, (active_alerts(store, status) if status else [])
    except StoreError:
        return None, []


@click.command("doctor")
@click.option("--agi-bin", default="/var/lib/asterisk/agi-bin", show_default=True, type=click.Path(file_okay=False),
              help="Asterisk's AGI directory (astagidir).")
@click.option("--asterisk-etc", default="/etc/asterisk", show_default=True, type=click.Path(file_okay=False),
              help="Asterisk's configuration directory.")
@click.option("--asterisk-user", default="asterisk", show_default=True, help="The user Asterisk runs as.")
@click.option("--worker-user", default="textback", show_default=True, help="The user the worker runs as.")
@click.option("--modem-timeout", default=2.0, show_default=True, type=click.FloatRange(0.1, 30),
              help="Seconds to wait for each AT answer.")
@listing_options
@click.pass_context
def doctor(ctx, agi_bin, asterisk_etc, asterisk_user, worker_user, modem_timeout, fmt):
    """Check config, database, Asterisk hook, modem, SIM, network and worker; say how to fix each."""
    conf, first = check_config(ctx)
    checks = [first]
    if first.mark == OK:
        checks.append(config_ready(conf))
    try:
        path = database_path(conf.store.url)
    except Exception as exc:  # noqa: BLE001 - a bad URL is reported as a failed check, not a crash
        path, checks = None, checks + [Check("database", FAIL, str(exc), "fix [store] url")]
    else:
        if path is None:
            checks.append(database_reachable(conf.store.url))      # a server store (PostgreSQL)
    db = Path(path) if path else None
    if db is not None:
        checks.append(database_writable(db, (asterisk_user, worker_user)))
        # How Asterisk really runs (a run group drops supplementary groups), not /etc/group:
        checks.append(asterisk_access(detect("/"), Accounts("/"), db.parent, Path(conf.store.spool_dir), db))
    checks += [agi_installed(Path(agi_bin)), dialplan_included(Path(asterisk_etc))]
    status, alerts = heartbeat(db, conf.store.url)
    alive = worker_alive(status, datetime.now(timezone.utc))
    beat = as_row(status) if status else {}     # the heartbeat as a row: optional fields by name
    # Said once, before the port checks: "no device /dev/textback-modem" alone would hide why.
    checks += [Check("modem has an AT port", FAIL, stick.problem()) for stick in hilink_sticks()]
    if alive:
        # The worker holds the port: asking it ourselves would steal the worker's replies.
        registration = beat.get("registration") or "unknown"
        checks += [Check("modem answers AT", OK if beat.get("modem_alive") else FAIL,
                         f"{beat.get('modem_port')} (reported by the running worker)",
                         "" if beat.get("modem_alive") else "journalctl -u textback-worker says why"),
                   Check("registered on the network", OK if registration in ("home", "roaming") else FAIL,
                         registration, "" if registration in ("home", "roaming") else
                         "check the antenna and that the SIM is active"),
                   Check("SIM ready / SMSC set", SKIP, "not asked: the worker holds the port",
                         "stop the worker and run doctor again to check them")]
    else:
        checks.append(port_free(conf.modem.port))
        checks += probe_modem(conf.modem.port, conf.modem.baudrate, modem_timeout)
    if alive:
        checks.append(Check("worker service running", OK,
                            f"pid {beat.get('pid')}, last beat {beat['beat_at']:%H:%M:%S} UTC"))
    else:
        detail = ("no heartbeat ever" if not beat else
                  f"stopped cleanly at {beat['stopped_at']:%Y-%m-%d %H:%M:%S} UTC" if beat.get("stopped_at") else
                  f"last heartbeat {beat['beat_at']:%Y-%m-%d %H:%M:%S} UTC")
        checks.append(Check("worker service running", FAIL, detail,
                            "systemctl enable --now textback-worker; journalctl -u textback-worker"))
    if beat:
        checks.append(Check("no active alerts", FAIL if alerts else OK,
                            "; ".join(a["text"] for a in alerts) if alerts else "none",
                            "each alert says what to do; the worker clears it when the trouble is gone"
                            if alerts else ""))
    _report(checks, fmt)
    if any(c.mark == FAIL for c in checks):
        ctx.exit(1)


def _report(checks: list[Check], fmt: str) -> None:
    if fmt == "json":
        import json
        click.echo(json.dumps([c.__dict__ for c in checks], ensure_ascii=False, indent=2))
        return
    if fmt in ("csv", "excel"):
        from zoneinfo import ZoneInfo

        from textback.output import Column, Renderer
        columns = [Column(k, k.upper()) for k in ("name", "mark", "detail", "fix")]
        click.echo(Renderer(ZoneInfo("UTC"), "US", fmt).listing([c.__dict__ for c in checks], columns))
        return
    for c in checks:
        mark, colour = MARKS[c.mark]
        click.echo(f"[{click.style(f'{mark:>4}', fg=colour)}] {c.name}: {c.detail}")
        if c.fix and c.mark != OK:
            click.echo(f"       fix: {c.fix}")
    failed = sum(c.mark == FAIL for c in checks)
    click.echo("All checks passed." if not failed else f"{failed} check(s) failed: fix them from the top.")
