"""`textback-agi`: the per-call AGI program Asterisk runs when a call ends.

It reads the AGI environment, asks Asterisk a few fixed questions (DIALSTATUS,
QUEUESTATUS, caller presentation, linkedid), records one call (state new) and exits 0.
It decides nothing else: whether and what to text is the worker's job.

Promises to the PBX: never a traceback, always exit 0, one line per call in Asterisk's
own log (an AGI VERBOSE made only of characters textback controls; an AGI program's
stderr is Asterisk's stderr, which a backgrounded Asterisk has on /dev/null) and a
fuller line on stderr for a person running it by hand, never caller-controlled text
inside an AGI command, a bounded run time (~3 s environment + ~1 s per answer + ~2 s store), and
the call kept even when the database is down (spool file) or the caller hangs up
mid-run (SIGHUP, HANGUP line, EOF). The import set is kept small on purpose: the
interpreter start and every import are paid on every call.
"""
from __future__ import annotations

import os
import signal
import sys
import time

# Set by the SIGHUP handler; only read for the log line (Asterisk keeps answering
# commands after SIGHUP, as the recorded sessions show, so it changes nothing else).
_hangup_signal = {"seen": False}

STORE_TIMEOUT = 2.0

# What may go inside the VERBOSE line: pyst2-style quoting escapes nothing, and a caller
# name or a forged caller ID could carry quotes, newlines or AGI commands. Every value is
# cut down to these characters (ids, digits, the status word) before it is sent.
_LOG_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-._")
_LOG_VALUE_MAX = 32
LOG_VERBOSE_LEVEL = 1       # shown from `core set verbose 1`; logged by channels with `verbose`


def _log_safe(text: object) -> str:
    kept = "".join(c for c in str(text) if c in _LOG_SAFE)[:_LOG_VALUE_MAX]
    return kept or "-"


def asterisk_log_line(outcome: str, detail: str, fact) -> str:
    """The VERBOSE command for Asterisk's log: outcome word, call id, status, uniqueid and the
    caller's digits only; the caller's name never goes in."""
    words = {"recorded": f"recorded call {_log_safe(detail)}", "spooled": "spooled call (store busy or down; "
             "the worker imports it)", "lost": "NOT RECORDED call (run: textback doctor)",
             "rejected": "rejected call, nothing recorded (check the AGI line; run: textback test-call)"}
    text = "textback: " + words[outcome]
    if fact is not None:
        text += (f" status={_log_safe(fact.disposition)} queue={_log_safe(fact.queue_status)}"
                 f" uniqueid={_log_safe(fact.uniqueid)} caller={_log_safe(fact.caller_raw)}")
    return f'VERBOSE "{text}" {LOG_VERBOSE_LEVEL}'


def _on_sighup(signum, frame) -> None:
    _hangup_signal["seen"] = True


def store_settings() -> tuple[str, str, str | None]:
    """(database url, spool dir, warning) from the textback configuration; never raises."""
    try:
        from store.location import read_store_settings
    except Exception as exc:  # a broken install: the store cannot be reached either; say so in the log line
        return "", "", f"store.location unavailable ({type(exc).__name__}): reinstall textback"
    return read_store_settings()            # never raises: a broken file gives defaults and a warning


def keep_call(fact, url: str, spool_dir: str, timeout: float = STORE_TIMEOUT, *,
              leave_open: bool = False, writer=None) -> tuple[str, str]:
    """Record the call, or spool it when the store cannot take it in time.

    writer: the FastAGI server's agi.call_writer.CallWriter (group commit) instead of a
    connection of this call's own.

    Returns (outcome, detail): ("recorded", call id), ("spooled", file name) or
    ("lost", why) when even the spool could not be written.
    """
    store_problem = ""
    try:
        from store.fast_record import record_call
        if writer is not None:
            return "recorded", str(writer.record(fact, timeout))
        return "recorded", str(record_call(url, fact, timeout=timeout, leave_open=leave_open))
    except Exception as exc:  # StoreUnavailable, a bad URL, a damaged file: all go to the spool
        store_problem = str(getattr(exc, "reason", None) or exc or type(exc).__name__)
    try:
        from store.spool import write_spool
        path = write_spool(spool_dir, fact)
        return "spooled", f"{path.name} (store: {store_problem})"
    except Exception as exc:
        spool_problem = f"{exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)
    try:
        # Both on a full disk (the default layout): RAM, until the worker imports it.
        from store.spool import ram_spool_dir, write_spool
        ram = ram_spool_dir()
        path = write_spool(ram, fact)
        return "spooled", (f"{path.name} in RAM ({ram}; lost if the box reboots before the worker "
                           f"imports it) (store: {store_problem}; spool {spool_dir}: {spool_problem})")
    except Exception as exc:
        return "lost", f"store: {store_problem}; spool {spool_dir}: {spool_problem}; RAM spool: {exc}"


def run_session(channel, argv: list[str], *, source: str, url: str, spool_dir: str,
                log, warning: str | None = None, leave_open: bool = False, writer=None) -> str:
    """One AGI session from environment to result; shared by the hook and FastAGI.

    Returns the outcome word (recorded, spooled, lost, rejected). Logs exactly one line.
    """
    from agi.environment import VARIABLE_COMMANDS, agi_arguments, build_call_fact

    started = time.monotonic()
    env = channel.read_env()
    variables: dict[str, str | None] = {}
    if env:
        for name, command in VARIABLE_COMMANDS:
            if channel.closed:
                break
            code, value = channel.command(command)
            variables[name] = value if code == 200 else None
    problems = list(dict.fromkeys(channel.problems))  # once each, in order
    if warning:
        problems.append(warning)
    if not env:
        fact, why = None, "no AGI environment received"
    else:
        fact, why = build_call_fact(env, agi_arguments(env, argv), variables, source=source,
                                    problems=problems)
    hung_up = " after hang-up" if (channel.hangup_seen or _hangup_signal["seen"]) else ""
    if fact is None:
        channel.command(asterisk_log_line("rejected", "", None))
        channel.set_result("rejected")
        log.warning("rejected: %s (%s); nothing recorded. Check the AGI() line in the dialplan "
                    "(see asterisk/README.md)", why, "; ".join(problems) or "no other detail")
        return "rejected"
    outcome, detail = keep_call(fact, url, spool_dir, leave_open=leave_open, writer=writer)
    channel.command(asterisk_log_line(outcome, detail, fact))
    channel.set_result("queued" if outcome in ("recorded", "spooled") else "failed")
    summary = (f"uniqueid={fact.uniqueid} caller={ascii(fact.caller_raw)} "
               f"status={fact.disposition or '-'} queue={fact.queue_status or '-'} "
               f"reason={fact.reason or '-'} line={ascii(fact.business_line)} dir={fact.direction}")
    took = f"{time.monotonic() - started:.3f}s"
    if outcome == "recorded":
        log.info("recorded call %s %s%s in %s%s", detail, summary, hung_up, took,
                 f" note={ascii(fact.note)}" if fact.note else "")
    elif outcome == "spooled":
        log.warning("spooled %s %s%s in %s; the worker imports it when the store is back",
                    detail, summary, hung_up, took)
    else:
        import json
        # Last resort: the whole call goes into Asterisk's log so a person can re-enter it.
        log.error("NOT RECORDED (%s): fix the store/spool permissions; call=%s", detail,
                  json.dumps(fact.to_dict(), ensure_ascii=True))
    return outcome


class _StderrLog:
    """The hook's one log line, on stderr where Asterisk shows it. Not `logging`: its
    import alone costs about a sixth of the hook's own time, paid on every call."""

    # A stderr pipe nobody reads (Asterisk in the foreground, stuck on a terminal) would
    # block the write, and the hook with it, while the call waits: wait this long for
    # room, then drop the line (the VERBOSE line in Asterisk's log still says it all).
    WRITE_WAIT = 0.5

    def _line(self, message: str, *args) -> None:
        import select
        data = ("textback-agi: " + (message % args if args else message) + "\n").encode("utf-8", "replace")
        try:
            sys.stderr.flush()
            fd = sys.stderr.fileno()
            while data:
                _, room, _ = select.select([], [fd], [], self.WRITE_WAIT)
                if not room:
                    return
                # At most one page: a pipe select calls writable takes that much without blocking.
                data = data[os.write(fd, data[:4096]):]
        except (OSError, ValueError, AttributeError):
            pass

    info = warning = error = _line


def main(argv: list[str] | None = None, *, exiting: bool = False) -> int:
    """The hook's whole run. Always returns 0. `exiting`: the caller ends the process with
    os._exit right after (the textback-agi script), so the database connection is left
    open for the process's end (store.fast_record.record_call, leave_open)."""
    # First thing: SIGHUP's default action would kill us before the call is written.
    try:
        signal.signal(signal.SIGHUP, _on_sighup)
    except (ValueError, OSError):
        pass
    try:
        from agi.protocol import AGIChannel

        log = _StderrLog()
        url, spool_dir, warning = store_settings()
        channel = AGIChannel(sys.stdin.fileno(), sys.stdout.fileno(), reply_timeout=1.0)
        run_session(channel, list(sys.argv[1:] if argv is None else argv), source="agi",
                    url=url, spool_dir=spool_dir, log=log, warning=warning, leave_open=exiting)
    except BaseException as exc:  # never a traceback to Asterisk, never a non-zero exit
        try:
            sys.stderr.write(f"textback-agi: internal error ({type(exc).__name__}: {exc}); "
                             "this call may not be recorded - run `textback test-call` to check the setup\n")
        except Exception:
            pass
    return 0


def run_and_exit() -> None:
    """The textback-agi script: main(), then straight out with os._exit(0) once stdout and
    stderr are flushed (the call is committed and synced by then; see main's `exiting`)."""
    import os

    code = main(exiting=True)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # Asterisk closed the pipe: nothing left to tell it
            pass
    os._exit(code)


if __name__ == "__main__":
    run_and_exit()
