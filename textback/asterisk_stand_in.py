"""Asterisk's side of one AGI session, played against the installed `textback-agi` hook.

One job: run the hook as a subprocess exactly as Asterisk runs it — the AGI environment
on its stdin, an answer to each of its commands — so `textback test-call` and
`textback demo` exercise the real chain without a PBX.
"""
from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass

from agi.environment import VARIABLE_COMMANDS

HOOK = "textback-agi"


class HookNotRunnable(Exception):
    """The hook program could not be started; the message says what to do."""


@dataclass(frozen=True)
class PretendCall:
    """One call as the dialplan would hand it to the hook."""

    caller: str                         # CALLERID(num) as the trunk gives it
    uniqueid: str
    name: str = ""                      # CALLERID(name)
    status: str = "NOANSWER"            # DIALSTATUS; "" when there was no Dial (after hours)
    queue_status: str = ""
    reason: str = ""                    # after-hours, voicemail
    line: str = ""                      # the DID the caller dialled
    presentation: str = "allowed_not_screened"   # CALLERID(num-pres); "prohib" for a withheld number
    ring: int | None = None             # ${DIALEDTIME}: seconds it rang (ring=); None leaves it out

    def arguments(self) -> list[str]:
        """The AGI arguments, in the form asterisk/extensions_textback.conf uses."""
        args = [self.status]
        if self.queue_status:
            args.append(f"queue={self.queue_status}")
        if self.reason:
            args.append(f"reason={self.reason}")
        if self.line:
            args.append(f"line={self.line}")
        if self.ring is not None:
            args.append(f"ring={self.ring}")
        return args

    def environment(self, request: str) -> bytes:
        """The lines Asterisk writes before the first command, ending with the blank line."""
        env = [("agi_request", request), ("agi_channel", "PJSIP/trunk-00000001"), ("agi_language", "en"),
               ("agi_type", "PJSIP"), ("agi_uniqueid", self.uniqueid), ("agi_version", "textback-pretend"),
               ("agi_callerid", self.caller), ("agi_calleridname", self.name or "unknown"),
               ("agi_callingpres", "35" if self.presentation.startswith("prohib") else "0"),
               ("agi_callingani2", "0"), ("agi_callington", "0"), ("agi_callingtns", "0"),
               ("agi_dnid", self.line or "unknown"), ("agi_rdnis", "unknown"), ("agi_context", "textback-missed"),
               ("agi_extension", "s"), ("agi_priority", "1"), ("agi_enhanced", "0.0"), ("agi_accountcode", ""),
               ("agi_threadid", str(os.getpid()))]
        env += [(f"agi_arg_{i}", a) for i, a in enumerate(self.arguments(), 1)]
        return "".join(f"{k}: {v}\n" for k, v in env).encode() + b"\n"

    def answers(self) -> dict[str, str | None]:
        """What the channel holds, as the hook asks for it (None: the variable is unset)."""
        values = {"DIALSTATUS": self.status or None, "QUEUESTATUS": self.queue_status or None,
                  "CALLERID(num-pres)": self.presentation, "CHANNEL(linkedid)": self.uniqueid}
        return {command: values[name] for name, command in VARIABLE_COMMANDS}


@dataclass(frozen=True)
class HookRun:
    returncode: int | None
    result: str | None          # what the hook set in TEXTBACK_RESULT: queued, failed, rejected
    log: str                    # its log line(s) on stderr
    seconds: float

    @property
    def call_id(self) -> int | None:
        """The store's id of the call, when the hook recorded it directly (not spooled)."""
        found = re.search(r"recorded call (\d+)", self.log)
        return int(found.group(1)) if found else None


def hook_command() -> list[str]:
    """The installed hook, as the dialplan names it; the module when it is not on PATH."""
    found = shutil.which(HOOK) or shutil.which(HOOK, path=os.path.dirname(sys.executable))
    return [found] if found else [sys.executable, "-m", "agi.hook"]


def run_hook(call: PretendCall, *, config_path: str | None = None, timeout: float = 15.0) -> HookRun:
    """Run the hook for `call` and answer it as Asterisk would; never raises for what the
    hook does (its exit status and log say it), only HookNotRunnable when it cannot start."""
    hook = hook_command()
    child_env = dict(os.environ)
    if config_path:
        child_env["TEXTBACK_CONFIG"] = os.path.abspath(config_path)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(hook + call.arguments(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=child_env)
    except OSError as exc:
        raise HookNotRunnable(f"cannot run the hook {hook[0]}: {exc.strerror or exc}; "
                              "is textback installed (pip install textback)?") from None
    stdin = proc.stdin
    assert stdin is not None    # stdin=PIPE above
    try:
        stdin.write(call.environment(hook[-1] if len(hook) == 1 else HOOK))
        stdin.flush()
        set_vars = _answer(proc, call.answers(), timeout)
    except OSError:             # the hook exited without reading: its log says why
        set_vars = {}
    finally:
        try:
            stdin.close()
        except OSError:
            pass
        proc.stdin = None       # closed: communicate() must not flush it
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return HookRun(proc.returncode, set_vars.get("TEXTBACK_RESULT"),
                   err.decode("utf-8", errors="replace").strip(), time.monotonic() - started)


def _answer(proc: subprocess.Popen, answers: dict[str, str | None], timeout: float) -> dict[str, str]:
    """Answer the hook's commands as Asterisk does; returns the variables it set."""
    set_vars: dict[str, str] = {}
    buf = b""
    deadline = time.monotonic() + timeout
    assert proc.stdin is not None and proc.stdout is not None     # both pipes (run_hook opens them)
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
                reply = "200 result=0\n"            # Asterisk's answer for an unset variable
            else:
                reply = "510 Invalid or unknown command\n"
            proc.stdin.write(reply.encode())
            proc.stdin.flush()
    return set_vars
