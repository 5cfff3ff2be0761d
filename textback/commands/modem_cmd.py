"""`textback modem test`: the technician's live self-test once the SIM is in.

The steps themselves are in modem_selftest.py; this module picks the modem and the phone
to text, refuses to open a port the worker or another program holds (two programs talking
AT on one port lose each other's answers), and prints each step as it ends.
"""
from __future__ import annotations

import json
import os
import socket
import time
from datetime import datetime, timezone

import click

from textback import config as cfg
from textback.commands.shop_store import database_path, load_settings
from textback.output import format_number, format_seconds

MARKS = {"PASS": "green", "FAIL": "red", "skip": "bright_black"}


def worker_unit(modem_name: str) -> str:
    """The worker's systemd unit: textback-worker, or textback-worker@NAME per [[modem]]."""
    return f"textback-worker@{modem_name}" if modem_name else "textback-worker"


@click.group("modem")
def modem() -> None:
    """The modem itself: a live self-test once the SIM is in (textback modem test)."""


@modem.command("test")
@click.option("--to", "to", metavar="NUMBER",
              help="The phone to text and wait for an answer from [default: the first of [staff] numbers].")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=120, show_default=True,
              help="Seconds to wait for the delivery report, and again for the reply.")
@click.option("--modem", "modem_name", metavar="NAME", default=None,
              help="The [[modem]] to test, when the configuration names several.")
@click.option("--json", "as_json", is_flag=True,
              help="The steps as JSON once done (the request to answer the text goes to stderr).")
@click.pass_context
def test(ctx: click.Context, to: str | None, timeout: float, modem_name: str | None, as_json: bool) -> None:
    """Open the modem, check the SIM, signal, network and SMS centre, text a phone, wait for the
    delivery report and for the person's reply; each step with PASS/FAIL, its time and the fix.
    Exit status 0 only if every step passes. Stop the worker first (the test needs its port).

    Nothing received is lost: the reply, and any text that arrives during the test, stays on
    the modem for the worker, which files it when it starts."""
    import logging

    device_log = logging.getLogger("modem")
    quiet = logging.getLogger().level != logging.DEBUG
    before = device_log.level
    if quiet:
        # Each step says what the device layer would log (ready, flags); -v shows its log too.
        device_log.setLevel(logging.ERROR)
    try:
        _test(ctx, to, timeout, modem_name, as_json)
    finally:
        device_log.setLevel(before)


def _test(ctx: click.Context, to: str | None, timeout: float, modem_name: str | None, as_json: bool) -> None:
    from modem.device.setup import ModemSettings
    from textback.commands.modem_selftest import FAIL, PASS, SKIP, SelfTest, Step
    from textback.worker_settings import worker_settings

    conf = load_settings(ctx)
    entries = conf.modems()
    if modem_name is None and len(entries) > 1:
        names = ", ".join(m.name for m in entries)
        raise click.UsageError(f"{conf.source} has {len(entries)} modems ({names}): say which to test, "
                               f"e.g. textback modem test --modem {entries[0].name}")
    try:
        settings = worker_settings(conf, modem_name=modem_name)
    except cfg.ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    port = settings.modem_port
    target, why = _target(conf, to)
    # GSM-7 and one part whatever the shop's name: the test is of the modem, not of long texts.
    text = "textback modem test: reply to this text with anything to finish the test."
    out = click.echo if not as_json else (lambda line: click.echo(line, err=True))
    out(f"textback modem test on {port}: texting {target.shown} ({why})")

    def report(step: Step) -> None:
        if as_json:
            return
        mark = click.style(f"{step.result:>4}", fg=MARKS[step.result])
        seconds = format_seconds(step.seconds) if step.result != SKIP else "-"
        click.echo(f"[{mark}] {step.name:<15} {seconds:>5}  {step.detail}")
        if step.fix and step.result == FAIL:
            click.echo(f"       fix: {step.fix}")

    begun = time.monotonic()
    selftest = SelfTest(ModemSettings(port=port, **settings.modem_options), target, timeout, text,
                        report=report, say=lambda line: out(f"       {line}"))
    refusal, worker_ran = _port_refusal(conf, port, settings.modem_name or "")
    ok = selftest.run(Step("port", FAIL, 0.0, refusal[0], refusal[1]) if refusal else None)
    total = time.monotonic() - begun
    steps = selftest.steps
    passed = sum(s.result == PASS for s in steps)
    skipped = [s.name for s in steps if s.result == SKIP]
    if ok:
        summary = f"All {passed} steps passed in {format_seconds(total)}"
        summary += f" ({', '.join(skipped)} skipped)." if skipped else "."
    else:
        failed = [s.name for s in steps if s.result == FAIL]
        which = (f"the {failed[0]} step" if len(failed) == 1
                 else f"the {', '.join(failed[:-1])} and {failed[-1]} steps")
        fix = "fix it as its line says" if len(failed) == 1 else "fix them as their lines say"
        summary = (f"FAIL at {which} after {format_seconds(total)} ({passed} passed, "
                   f"{len(skipped)} not tried): {fix} and run the test again.")
    notes = []
    if selftest.left_on_modem:
        notes.append(f"{selftest.left_on_modem} text(s) that came in during the test (the reply included) stay on "
                     "the modem: the worker files them when it starts.")
    if selftest.reports_left:
        notes.append(f"{selftest.reports_left} status report(s) for earlier texts stay on the modem for the worker.")
    if worker_ran and not refusal:
        notes.append(f"Start the worker again: sudo systemctl start {worker_unit(settings.modem_name or '')}")
    if as_json:
        click.echo(json.dumps({"port": port, "to": target.number, "passed": ok, "seconds": round(total, 3),
                               "steps": [s.__dict__ for s in steps], "left_on_modem": selftest.left_on_modem},
                              ensure_ascii=False, indent=2))
        for line in (summary, *notes):
            click.echo(line, err=True)
    else:
        for line in (summary, *notes):
            click.echo(line)
    if not ok:
        ctx.exit(1)


def _target(conf: cfg.Config, to: str | None):
    """The phone to text (--to, else the first staff number) and how the header names it."""
    import phonenumbers

    from textback.commands.modem_selftest import Target

    country = conf.business.country
    if to is None:
        if not conf.staff.numbers:
            raise click.UsageError("no phone to text: give one with --to +12125550123, or set [staff] numbers")
        number, why = conf.staff.numbers[0], "the first of [staff] numbers"
    else:
        try:
            parsed = phonenumbers.parse(to, country)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is None or not phonenumbers.is_possible_number(parsed):
            raise click.BadParameter(f"{to!r} is not a phone number: write it like +12125550123", param_hint="--to")
        number, why = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), "--to"

    def same(sender: str) -> bool:
        # The network may write the sender nationally (2125550123) or without the +.
        try:
            parsed = phonenumbers.parse(sender if sender.startswith("+") or len(sender) < 11 else f"+{sender}",
                                        country)
        except phonenumbers.NumberParseException:
            return False
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number

    return Target(number=number, shown=format_number(number, country), same=same), why


def _port_refusal(conf: cfg.Config, port: str, modem_name: str) -> tuple[tuple[str, str] | None, bool]:
    """((what, what to do) when the port must not be opened, or None; whether a worker ever
    beat for this modem). The worker's heartbeat, a program holding the port, a HiLink stick."""
    from modem.device.hilink import hilink_sticks
    from textback.commands.doctor_access import port_free
    from textback.commands.status_cmd import worker_alive

    stop_worker = f"stop the worker first: sudo systemctl stop {worker_unit(modem_name)}"
    statuses = _heartbeats(conf)
    mine = [s for s in statuses if (s.modem_name or "") == modem_name or s.modem_port == port]
    now = datetime.now(timezone.utc)
    here = socket.gethostname()
    for status in mine:
        if worker_alive(status, now) and status.host == here:
            beat = f"{status.beat_at:%H:%M:%S} UTC" if status.beat_at else "?"
            return (f"the worker is running (pid {status.pid}, last beat {beat}) and holds the modem",
                    stop_worker), True
    if not os.path.exists(port):
        sticks = hilink_sticks()
        if sticks:
            return ("; ".join(stick.problem() for stick in sticks), ""), bool(mine)
        return None, bool(mine)     # the Modem's own error says it best: no device, what to check
    held = port_free(port)
    if held.mark in ("FAIL", "warn"):
        worker = held.mark == "warn"        # only textback processes: a worker (or a second test)
        return (held.detail, stop_worker if worker else held.fix), bool(mine)
    return None, bool(mine)


def _heartbeats(conf: cfg.Config) -> list:
    """Every worker's last heartbeat on this store; [] when there is no store (yet)."""
    from store import Store, StoreError

    try:
        path = database_path(conf.store.url)
        if path is not None and not os.path.exists(path):
            return []
        with Store.open(conf.store.url, busy_timeout=2.0) as store:
            return store.worker_statuses()
    except StoreError:
        return []
    except Exception:  # noqa: BLE001 - a bad [store] url: the test does not need the store, say nothing
        return []
