"""The simulated modem's AT command interpreter: parsing and dispatch.

One `CommandProcessor` turns a command line ("AT+CMGF=0;+CNMI=2,1") into a `Reply`: the
information lines, the final result code, or a request for the `> ` prompt (AT+CMGS).
It never writes to the pty and never raises on bad input: anything it cannot parse is
answered like a real modem would (ERROR, +CME ERROR, or the profile's own wording).
The commands themselves are in general_commands.py and sms_commands.py, registered in
handlers.py; the session state in state.py.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator

# Verbose texts for AT+CMEE=2: the 3GPP words the device layer also shows.
from modem.device.errors import CME_WORDS, CMS_WORDS

# Importing the command modules fills the handler table.
from modem.simulator import general_commands, sms_commands  # noqa: F401
from modem.simulator.handlers import HANDLERS, Reply, split_args
from modem.simulator.state import AtError, ModemState

log = logging.getLogger(__name__)


# Extended command: a prefix (+ ^ $ %) and a name; then =?, ?, =args or nothing.
_EXTENDED = re.compile(r"([+^$%][A-Z0-9]+)(=\?|\?|=)?", re.IGNORECASE)
# Basic command: a letter (or &letter, or Sn) with an optional number.
_BASIC = re.compile(r"(&[A-Z]|S\d+|[A-Z])(\?|=\d*|\d*)", re.IGNORECASE)


class CommandProcessor:
    """Executes command lines against a ModemState."""

    def __init__(self, state: ModemState):
        self.state = state

    # -- errors --------------------------------------------------------------------
    def render_error(self, err: AtError) -> str:
        """The final result code for an error, as AT+CMEE and the profile decide."""
        if err.kind == "plain":
            return "ERROR"
        if err.kind == "unsupported":
            return self.state.profile.unknown_command_reply
        cmee = self.state.cmee
        if cmee == 0:
            return "ERROR"
        if cmee == 2:
            table = CME_WORDS if err.kind == "CME" else CMS_WORDS
            words = table.get(err.code, "unknown") if err.code is not None else "unknown"
            return f"+{err.kind} ERROR: {words}"
        return f"+{err.kind} ERROR: {err.code}"

    # -- execution -----------------------------------------------------------------
    def execute(self, line: str) -> Reply:
        """Run one command line; never raises."""
        text = line.strip()
        if not text.upper().startswith("AT"):
            return Reply(final="ERROR")
        body = text[2:]
        lines: list[str] = []
        name = "AT"
        try:
            for name, suffix, rest in self._split(body):
                outcome = self._run_one(name, suffix, rest)
                if isinstance(outcome, Reply):
                    outcome.lines = lines + outcome.lines
                    outcome.command = name
                    return outcome
                lines.extend(outcome)
        except AtError as err:
            return Reply(lines=[], final=self.render_error(err), command=name)
        except Exception:  # the serving loop must survive anything a client sends
            log.exception("simulated modem failed on %r", line)
            return Reply(final="ERROR", command=name)
        return Reply(lines=lines, command=name)

    def _split(self, body: str) -> Iterator[tuple[str, str, str]]:
        """Yield (name, suffix, rest) for each command in a (compound) line."""
        pos = 0
        if body.strip() == "":
            yield "AT", "", ""
            return
        while pos < len(body):
            ch = body[pos]
            if ch in " ;":
                pos += 1
                continue
            if ch in "+^$%":
                m = _EXTENDED.match(body, pos)
                if not m:
                    raise AtError("unsupported")
                end = self._end_of_extended(body, m.end())
                yield m.group(1).upper(), (m.group(2) or ""), body[m.end():end]
                pos = end
                continue
            m = _BASIC.match(body, pos)
            if not m or m.end() == pos:
                raise AtError("unsupported")
            yield m.group(1).upper(), "", m.group(2)
            pos = m.end()

    @staticmethod
    def _end_of_extended(body: str, pos: int) -> int:
        in_quotes = False
        while pos < len(body):
            if body[pos] == '"':
                in_quotes = not in_quotes
            elif body[pos] == ";" and not in_quotes:
                return pos
            pos += 1
        return pos

    def _run_one(self, name: str, suffix: str, rest: str) -> list[str] | Reply:
        state = self.state
        failure = state.take_failure(name)
        handler = HANDLERS.get(name)
        if handler is None or not state.supports(name):
            raise AtError("unsupported")
        if failure is not None:
            if name in ("+CMGS", "+CMGW") and suffix == "=":
                # The prompt still comes; the network refuses what is typed into it.
                return Reply(prompt=lambda body: Reply(final=self.render_error(failure)))
            raise failure
        return handler(self, suffix, split_args(rest) if suffix == "=" else [], rest)
