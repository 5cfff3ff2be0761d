"""`textback test-call`: run the installed AGI hook as Asterisk would and show what it recorded.

(The `calls` listing is textback/commands/call_list_cmd.py.)"""
from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time

import click

from agi.environment import DIAL_STATUSES, QUEUE_STATUSES

HOOK = "textback-agi"
CALL_COLUMNS = ("id", "happened_at", "caller_raw", "caller_name", "business_line", "disposition",
                "queue_status", "reason", "direction", "state", "skip_reason", "source", "note")


def _store_settings(ctx: click.Context) -> tuple[str, str, str | None]:
    from textback.config import read_store_settings
    return read_store_settings((ctx.obj or {}).get("config_path"))


def _hook_command() -> list[str]:
    """The installed hook, as the dialplan names it; the module when not on PATH."""
    found = shutil.which(HOOK) or shutil.which(HOOK, path=os.path.dirname(sys.executable))
    return [found] if found else [sys.executable, "-m", "agi.hook"]


def _printable(value: str, what: str, limit: int = 64) -> str:
    if len(value) > limit or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise click.BadParameter(f"{what} must be at most {limit} printable characters, on one line")
    return value


def _play_asterisk(proc: subprocess.Popen, answers: dict[str, str | None], timeout: float) -> dict:
    """Answer the hook's commands as Asterisk would; returns what the hook set."""
    set_vars: dict[str, str] = {}
    buf = b""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            command = raw.decode("utf-8", errors="replace")
            if command in answers:
                value = answers[command]
                reply = "200 result=0\n" if value is None else f"200 result=1 ({value})\n"
            elif command.startswith("SET VARIABLE "):
                name, _, value = command[len("SET VARIABLE "):].partition(" ")
                set_vars[name] = value.strip('"')
                reply = "200 result=1\n"
            elif command.startswith(("GET VARIABLE ", "GET FULL VARIABLE ")):
                reply = "200 result=0\n"
            else:
                reply = "510 Invalid or unknown command\n"
            try:
                proc.stdin.write(reply.encode())
                proc.stdin.flush()
            except OSError:
                return set_vars
    return set_vars


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
    uniqueid = f"test-call.{time.time():.6f}.{os.getpid()}"
    args = [status]
    if queue_status:
        args.append(f"queue={queue_status.upper()}")
    if reason:
        args.append(f"reason={reason}")
    if line:
        args.append(f"line={line}")
    hook = _hook_command()
    env_lines = [("agi_request", hook[-1] if len(hook) == 1 else HOOK), ("agi_channel", "Local/test-call-00000001;2"),
                 ("agi_language", "en"), ("agi_type", "Local"), ("agi_uniqueid", uniqueid),
                 ("agi_version", "textback-test-call"), ("agi_callerid", caller), ("agi_calleridname", name),
                 ("agi_callingpres", "0"), ("agi_dnid", line or "unknown"), ("agi_rdnis", "unknown"),
                 ("agi_context", "textback-missed"), ("agi_extension", "s"), ("agi_priority", "1"),
                 ("agi_enhanced", "0.0"), ("agi_accountcode", ""), ("agi_threadid", str(os.getpid()))]
    env_lines += [(f"agi_arg_{i}", a) for i, a in enumerate(args, 1)]
    answers = {"GET VARIABLE DIALSTATUS": status or None,
               "GET VARIABLE QUEUESTATUS": queue_status.upper() if queue_status else None,
               "GET FULL VARIABLE ${CALLERID(num-pres)}": "allowed_not_screened",
               "GET FULL VARIABLE ${CHANNEL(linkedid)}": uniqueid}
    child_env = dict(os.environ)
    config_path = (ctx.obj or {}).get("config_path")
    if config_path:
        child_env["TEXTBACK_CONFIG"] = os.path.abspath(config_path)
    click.echo(f"Running {' '.join(hook + args)} as Asterisk would (caller {caller}, status {status or 'none'})")
    try:
        proc = subprocess.Popen(hook + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=child_env)
    except OSError as exc:
        raise click.ClickException(f"cannot run the hook {hook[0]}: {exc.strerror or exc}. "
                                   "Is textback installed (pip install textback)?") from None
    try:
        proc.stdin.write("".join(f"{k}: {v}\n" for k, v in env_lines).encode() + b"\n")
        proc.stdin.flush()
        set_vars = _play_asterisk(proc, answers, timeout=15.0)
    except OSError:
        set_vars = {}
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass
        proc.stdin = None  # closed: communicate() must not flush it
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    log_text = err.decode("utf-8", errors="replace").strip()
    click.echo(f"Hook exit status: {proc.returncode}; TEXTBACK_RESULT={set_vars.get('TEXTBACK_RESULT', '(not set)')}")
    click.echo(f"Hook log: {log_text or '(nothing)'}")
    result = set_vars.get("TEXTBACK_RESULT")
    if proc.returncode != 0 or result != "queued":
        raise click.ClickException("the hook did not record the call: read its log line above, "
                                   "fix what it names, and run test-call again")
    _show_recorded(ctx, log_text)


def _show_recorded(ctx: click.Context, log_text: str) -> None:
    marker = "recorded call "
    if marker not in log_text:
        click.echo("The store could not take the call in time, so it was spooled; "
                   "the worker imports it when the store is back (see `textback calls` later).")
        return
    call_id = int(log_text.split(marker, 1)[1].split()[0])
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


def _row(record) -> dict:
    """A CallRecord (or a plain dict from the store) as one flat row of CALL_COLUMNS."""
    if isinstance(record, dict):
        flat = dict(record)
    else:
        flat = record.fact.to_dict()
        flat.update(id=record.id, state=record.state, skip_reason=record.skip_reason)
    when = flat.get("happened_at")
    if hasattr(when, "isoformat"):
        flat["happened_at"] = when.isoformat()
    return {c: flat.get(c) for c in CALL_COLUMNS}
