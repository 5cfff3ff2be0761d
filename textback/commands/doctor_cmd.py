"""`textback doctor`: a checklist of the whole install, each item with a mark and its fix."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from modem.device.hilink import hilink_sticks
from store.records import WorkerStatus
from textback import config as cfg
from textback.commands.doctor_access import asterisk_access
from textback.commands.doctor_modems import modem_checks
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
)
from textback.commands.shop_store import database_path
from textback.commands.status_cmd import active_alerts
from textback.install.accounts import Accounts
from textback.install.asterisk_setup import detect
from textback.output import listing_options

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


def heartbeats(db: Path | None, url: str) -> tuple[dict[str, WorkerStatus], list[dict]]:
    """Every worker's last heartbeat by its modem name ("": the one [modem]) and the
    active alerts, read without creating anything."""
    if db is not None and not db.exists():
        return {}, []
    from store import Store, StoreError
    try:
        with Store.open(url, busy_timeout=2.0) as store:
            beats = store.worker_statuses()
            return ({s.modem_name: s for s in beats},
                    active_alerts(store, None, beats) if beats else [])
    except StoreError:
        return {}, []


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
    statuses, alerts = heartbeats(db, conf.store.url)
    # Said once, before the port checks: "no device /dev/textback-modem" alone would hide why.
    checks += [Check("modem has an AT port", FAIL, stick.problem()) for stick in hilink_sticks()]
    now = datetime.now(timezone.utc)
    for modem in conf.modems():
        checks += modem_checks(modem, statuses.get(modem.name if conf.modem_entries else ""), now,
                               modem_timeout, several=bool(conf.modem_entries))
    beat = any(statuses.values())
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
