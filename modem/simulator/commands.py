"""The simulated modem's AT command interpreter: parsing, dispatch, and the general commands.

One `CommandProcessor` turns a command line ("AT+CMGF=0;+CNMI=2,1") into a `Reply`: the
information lines, the final result code, or a request for the `> ` prompt (AT+CMGS).
It never writes to the pty and never raises on bad input: anything it cannot parse is
answered like a real modem would (ERROR, +CME ERROR, or the profile's own wording).
SMS commands live in modem/sim_sms_commands.py; the session state in modem/sim_state.py.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Callable

# Verbose texts for AT+CMEE=2: the 3GPP words the device layer also shows.
from modem.device.errors import CME_WORDS, CMS_WORDS
from modem.simulator.state import AtError, ModemState

log = logging.getLogger(__name__)


@dataclass
class Reply:
    """What the modem says to one command line."""

    lines: list[str] = field(default_factory=list)
    final: str = "OK"
    # Set when the command wants the `> ` prompt: called with the body typed after it
    # (None when the client cancelled with ESC) and returns the reply to that.
    prompt: Callable[[str | None], "Reply"] | None = None
    command: str = ""              # the (last) command name, for latency and faults


Handler = Callable[["CommandProcessor", str, list[str], str], "list[str] | Reply"]


def split_args(text: str) -> list[str]:
    """Comma-separated parameters; quotes group and are removed ('"SM","ME"' -> SM, ME)."""
    args, current, quoted, in_quotes = [], [], False, False
    for ch in text:
        if ch == '"':
            in_quotes = not in_quotes
            quoted = True
        elif ch == "," and not in_quotes:
            args.append("".join(current).strip())
            current, quoted = [], False
        else:
            current.append(ch)
    if in_quotes:
        raise AtError("CME", 50)
    args.append("".join(current).strip() if not quoted else "".join(current))
    return args


def int_arg(args: list[str], i: int, default: int | None = None, allowed=None, error=("CME", 50)) -> int:
    """Parameter i as an int; a missing one gives `default`; junk gives the error."""
    if i >= len(args) or args[i] == "":
        if default is None:
            raise AtError(*error)
        return default
    try:
        value = int(args[i])
    except ValueError:
        raise AtError(*error) from None
    if allowed is not None and value not in allowed:
        raise AtError(*error)
    return value


# Extended command: a prefix (+ ^ $ %) and a name; then =?, ?, =args or nothing.
_EXTENDED = re.compile(r"([+^$%][A-Z0-9]+)(=\?|\?|=)?", re.IGNORECASE)
# Basic command: a letter (or &letter, or Sn) with an optional number.
_BASIC = re.compile(r"(&[A-Z]|S\d+|[A-Z])(\?|=\d*|\d*)", re.IGNORECASE)


class CommandProcessor:
    """Executes command lines against a ModemState."""

    handlers: dict[str, Handler] = {}

    def __init__(self, state: ModemState):
        self.state = state

    @classmethod
    def command(cls, *names: str):
        def register(fn: Handler) -> Handler:
            for name in names:
                cls.handlers[name.upper()] = fn
            return fn
        return register

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
            return f"+{err.kind} ERROR: {table.get(err.code, 'unknown')}"
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

    def _split(self, body: str):
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
        handler = self.handlers.get(name)
        if handler is None or not state.supports(name):
            raise AtError("unsupported")
        if failure is not None:
            if name in ("+CMGS", "+CMGW") and suffix == "=":
                # The prompt still comes; the network refuses what is typed into it.
                return Reply(prompt=lambda body: Reply(final=self.render_error(failure)))
            raise failure
        return handler(self, suffix, split_args(rest) if suffix == "=" else [], rest)


command = CommandProcessor.command


# -- basic commands ------------------------------------------------------------------
@command("AT")
def _at(proc, suffix, args, raw):
    return []


@command("Z", "&F")
def _reset(proc, suffix, args, raw):
    proc.state.reset_settings()
    return []


@command("E")
def _echo(proc, suffix, args, raw):
    value = raw or "0"
    if value not in ("0", "1"):
        raise AtError("plain")
    proc.state.echo = value == "1"
    return []


@command("V")
def _verbose(proc, suffix, args, raw):
    # Numeric result codes (ATV0) are not simulated; refuse rather than pretend.
    if (raw or "0") != "1":
        raise AtError("plain")
    return []


@command("Q", "&C", "&D", "&K", "&W", "X")
def _accepted(proc, suffix, args, raw):
    return []


@command("I")
def _identify(proc, suffix, args, raw):
    p = proc.state.profile
    return list(p.ati_lines) or [p.manufacturer, p.model, f"Revision: {p.revision}"]


# -- 27.007 general commands -----------------------------------------------------------
def _identity(getter):
    def handler(proc, suffix, args, raw):
        if suffix == "=?":
            return []
        if suffix:
            raise AtError("CME", 50)
        return [getter(proc.state)]
    return handler


command("+CGMI", "+GMI")(_identity(lambda s: s.profile.manufacturer))
command("+CGMM", "+GMM")(_identity(lambda s: s.profile.model))
command("+CGMR", "+GMR")(_identity(lambda s: s.profile.revision))
command("+CGSN", "+GSN")(_identity(lambda s: s.profile.imei))


@command("+CIMI")
def _cimi(proc, suffix, args, raw):
    proc.state.require_sim()
    return _identity(lambda s: s.profile.imsi)(proc, suffix, args, raw)


@command("+CLAC")
def _clac(proc, suffix, args, raw):
    if not proc.state.profile.clac_supported:
        raise AtError("CME", 100)
    if suffix == "=?":
        return []
    return list(proc.state.profile.commands)


@command("+CFUN")
def _cfun(proc, suffix, args, raw):
    state = proc.state
    if suffix == "?":
        return [f"+CFUN: {state.cfun}"]
    if suffix == "=?":
        return ["+CFUN: (0,1,4),(0,1)"]
    if suffix == "=":
        state.cfun = int_arg(args, 0, allowed=(0, 1, 4))
        return []
    raise AtError("CME", 50)


@command("+CMEE")
def _cmee(proc, suffix, args, raw):
    state = proc.state
    if suffix == "?":
        return [f"+CMEE: {state.cmee}"]
    if suffix == "=?":
        return ["+CMEE: (0-2)"]
    if suffix == "=":
        state.cmee = int_arg(args, 0, default=0, allowed=(0, 1, 2))
        return []
    state.cmee = 0
    return []


@command("+CPIN")
def _cpin(proc, suffix, args, raw):
    state = proc.state
    if suffix == "?":
        return ["+CPIN: SIM PIN" if state.sim_locked else "+CPIN: READY"]
    if suffix == "=?":
        return []
    if suffix != "=" or not args or not args[0]:
        raise AtError("CME", 50)
    if not state.sim_locked:
        # 27.007: entering a PIN when none is asked for is "operation not allowed".
        raise AtError("CME", 3)
    if args[0] != state.pin:
        raise AtError("CME", 16)
    state.sim_locked = False
    return []


@command("+CSQ")
def _csq(proc, suffix, args, raw):
    if suffix == "=?":
        return ["+CSQ: (0-31,99),(0-7,99)"]
    return [f"+CSQ: {proc.state.rssi},99"]


@command("+CREG")
def _creg(proc, suffix, args, raw):
    state = proc.state
    if suffix == "=?":
        return ["+CREG: (0-2)"]
    if suffix == "=":
        state.creg_mode = int_arg(args, 0, default=0, allowed=(0, 1, 2))
        return []
    if suffix == "?":
        return [state.creg_line(include_mode=True)]
    raise AtError("CME", 50)


@command("+COPS")
def _cops(proc, suffix, args, raw):
    state = proc.state
    if suffix == "=?":
        return [f'+COPS: (2,"{state.profile.operator}","TestNet","00101"),,(0-4),(0-2)']
    if suffix == "=":
        mode = int_arg(args, 0, allowed=(0, 1, 2, 3, 4))
        if mode == 3:
            state.cops_format = int_arg(args, 1, default=0, allowed=(0, 1, 2))
        return []
    if suffix == "?":
        if not state.registered:
            return ["+COPS: 0"]
        name = {0: state.profile.operator, 1: "TestNet", 2: "00101"}[state.cops_format]
        act = "" if state.profile.creg_act is None else f",{state.profile.creg_act}"
        return [f'+COPS: 0,{state.cops_format},"{name}"{act}']
    raise AtError("CME", 50)


def _flag(attr: str, label: str):
    def handler(proc, suffix, args, raw):
        if suffix == "?":
            extra = ",1" if label == "+CLIP" else ""
            return [f"{label}: {int(getattr(proc.state, attr))}{extra}"]
        if suffix == "=?":
            return [f"{label}: (0,1)"]
        if suffix == "=":
            setattr(proc.state, attr, int_arg(args, 0, default=0, allowed=(0, 1)))
            return []
        raise AtError("CME", 50)
    return handler


command("+CLIP")(_flag("clip", "+CLIP"))
command("+CRC")(_flag("crc", "+CRC"))
command("+CVHU")(_flag("cvhu", "+CVHU"))


@command("+CPAS")
def _cpas(proc, suffix, args, raw):
    return ["+CPAS: 0"]


@command("+CBC")
def _cbc(proc, suffix, args, raw):
    return ["+CBC: 0,100"]


@command("+CGATT")
def _cgatt(proc, suffix, args, raw):
    if suffix == "?":
        return [f"+CGATT: {int(proc.state.registered)}"]
    return []


@command("+CNUM")
def _cnum(proc, suffix, args, raw):
    proc.state.require_sim()
    return []


# Vendor commands the profiles list: accepted, with a plausible read answer.
@command("+DDET", "+CSCLK", "^CURC", "^USSDMODE", "^DTMF", "+QINDCFG", "+QCFG")
def _vendor(proc, suffix, args, raw):
    return []


@command("^SYSINFO")
def _sysinfo(proc, suffix, args, raw):
    srv = 2 if proc.state.registered else 0
    return [f"^SYSINFO:{srv},{srv},0,3,1,,5"]


@command("+QCCID")
def _qccid(proc, suffix, args, raw):
    return ["+QCCID: 89001012012341234012"]


# The SMS commands register themselves on import.
import modem.simulator.sms_commands  # noqa: E402,F401
