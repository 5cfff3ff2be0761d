"""`textback test-call`: run the installed AGI hook as Asterisk would and show what it recorded.

(The `calls` listing is textback/commands/call_list_cmd.py.)"""
from __future__ import annotations

import os
import time

import click

from agi.environment import DIAL_STATUSES, QUEUE_STATUSES
from textback.asterisk_stand_in import HookNotRunnable, PretendCall, hook_command, run_hook

CALL_COLUMNS = ("id", "happened_at", "caller_raw", "caller_name", "business_line", "disposition",
                "queue_status", "reason", "direction", "state", "skip_reason", "source", "note")


def _store_settings(ctx: click.Context) -> tuple[str, str, str | None]:
    from textback.config import read_store_settings
    return read_store_settings((ctx.obj or {}).get("config_path"))


def _printable(value: str, what: str, limit: int = 64) -> str:
    if len(value) > limit or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise click.BadParameter(f"{what} must be at most {limit} printable characters, on one line")
    return value


@click.command("test-call")
@click.option("--from", "caller", required=True, metavar="NUMBER",
              help="Caller ID number, as the trunk would give it (e.g. +12125550123).")
@click.option("--status", default="NOANSWER", show_default=True,
              type=click.Choice(sorted(DIAL_STATUSES | {"NONE"}), case_sensitive=False),
              help="DIALSTATUS to pretend (NONE: no Dial, as after hours).")
@click.option("--queue-status", type=click.Choice(sorted(QUEUE_STATUSES), case_sensitive=False),
              help="QUEUESTATUS to pretend (queue calls).")
@click.option("--reason", type=click.Choice(["after-hours", "voicemail"]), help="Reason the dialplan passes.")
@click.option("--line", default="", help="Business line (DID) the caller dialled.")
@click.option("--name", default="", help="Caller ID name.")
@click.pass_context
def test_call(ctx, caller, status, queue_status, reason, line, name):
    """Run the installed AGI hook exactly as Asterisk would, without placing a call."""
    caller = _printable(caller.strip(), "--from")
    if not caller:
        raise click.BadParameter("--from needs a number, e.g. +12125550123")
    name = _printable(name, "--name", 80)
    line = _printable(line.strip(), "--line")
    status = "" if status.upper() == "NONE" else status.upper()
    call = PretendCall(caller=caller, name=name, status=status, uniqueid=f"test-call.{time.time():.6f}.{os.getpid()}",
                       queue_status=(queue_status or "").upper(), reason=reason or "", line=line)
    click.echo(f"Running {' '.join(hook_command() + call.arguments())} as Asterisk would "
               f"(caller {caller}, status {status or 'none'})")
    try:
        run = run_hook(call, config_path=(ctx.obj or {}).get("config_path"))
    except HookNotRunnable as exc:
        raise click.ClickException(str(exc)) from None
    log_text = run.log
    click.echo(f"Hook exit status: {run.returncode}; TEXTBACK_RESULT={run.result or '(not set)'}")
    click.echo(f"Hook log: {log_text or '(nothing)'}")
    if run.returncode != 0 or run.result != "queued":
        raise click.ClickException("the hook did not record the call: read its log line above, "
                                   "fix what it names, and run test-call again")
    _show_recorded(ctx, run.call_id)


def _show_recorded(ctx: click.Context, call_id: int | None) -> None:
    if call_id is None:
        click.echo("The store could not take the call in time, so it was spooled; "
                   "the worker imports it when the store is back (see `textback calls` later).")
        return
    from store import Store, StoreError
    url, _, _ = _store_settings(ctx)
    try:
        with Store.open(url) as store:
            record = store.call(call_id)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    if record is None:
        raise click.ClickException(f"the hook says call {call_id} was recorded, but {url} has no such call: "
                                   "do the hook and this command use the same configuration?")
    click.echo(f"Recorded call {call_id}:")
    for key, value in _row(record).items():
        if value not in ("", None):
            click.echo(f"  {key:14} {value}")
    sim, unserved = _modem_of(ctx, record.fact.business_line)
    if unserved:
        dialled = record.fact.business_line
        click.echo(f"No modem of this configuration texts for {f'line {dialled}' if dialled else 'a call with no line'}"
                   f": the call stays unplanned. Give --line one of {', '.join(unserved)}, or add the line to a "
                   "[[modem]]'s lines.")
        return
    from textback.commands.status_cmd import modem_worker_note
    try:
        with Store.open(url) as store:
            note = modem_worker_note(store, sim, None)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    if note is None:
        click.echo("The worker is running: it plans the call and sends its text "
                   "(see it with: textback calls).")
    else:
        click.echo(f"No text yet: {note}. The call waits in the store and is texted when the worker runs.")


def _modem_of(ctx: click.Context, line: str) -> tuple[str | None, list[str]]:
    """(the [[modem]] that texts callers of `line`: None for the one [modem]; the lines the
    modems do text for, when none of them serves `line`: that call is never planned)."""
    from store.rules.routing import modem_for_line
    from textback import config as cfg
    from textback.worker_settings import rules_settings
    try:
        conf = cfg.load_config((ctx.obj or {}).get("config_path"))
    except cfg.ConfigError:
        return None, []         # the hook took the call with it; the worker will say what is wrong
    entries = tuple((m.name, m.lines) for m in conf.modem_entries)
    if not entries:
        return None, []
    sim = modem_for_line(line, entries, rules_settings(conf).guard)
    return sim, ([] if sim else [ln for _, lines in entries for ln in lines])


def _row(record) -> dict:
    """A CallRecord as one flat row of CALL_COLUMNS."""
    flat = record.fact.to_dict()
    flat.update(id=record.id, state=record.state, skip_reason=record.skip_reason)
    when = flat.get("happened_at")
    if hasattr(when, "isoformat"):
        flat["happened_at"] = when.isoformat()
    return {c: flat.get(c) for c in CALL_COLUMNS}
