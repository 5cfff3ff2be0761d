"""The simulated modem's table of AT command handlers, and what a handler gets and gives.

Both command modules (general_commands.py, sms_commands.py) fill the table with the
`command` decorator; the interpreter (interpreter.py) looks names up in it. Neither
command module imports the interpreter: a handler gets it as a `Session` (the state
and how errors are rendered).
"""
from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Protocol

from modem.simulator.state import AtError, ModemState


class Session(Protocol):
    """What a handler sees of the interpreter running it."""

    state: ModemState

    def render_error(self, err: AtError) -> str: ...


@dataclass
class Reply:
    """What the modem says to one command line."""

    lines: list[str] = field(default_factory=list)
    final: str = "OK"
    # Set when the command wants the `> ` prompt: called with the body typed after it
    # (None when the client cancelled with ESC) and returns the reply to that.
    prompt: Callable[[str | None], Reply] | None = None
    command: str = ""              # the (last) command name, for latency and faults


# handler(session, suffix ("", "?", "=?" or "="), parsed args, the raw text after the name)
Handler = Callable[[Session, str, list[str], str], "list[str] | Reply"]

# Command name as the interpreter keys it (state.command_key: "+CMGS", "Z", "AT") -> handler.
HANDLERS: dict[str, Handler] = {}


def command(*names: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of each AT command in `names`."""
    def register(fn: Handler) -> Handler:
        for name in names:
            HANDLERS[name.upper()] = fn
        return fn
    return register


def split_args(text: str) -> list[str]:
    """Comma-separated parameters; quotes group and are removed ('"SM","ME"' -> SM, ME)."""
    args: list[str] = []
    current: list[str] = []
    quoted, in_quotes = False, False
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


def int_arg(args: list[str], i: int, default: int | None = None, allowed: Container[int] | None = None,
            error: tuple[str, int] = ("CME", 50)) -> int:
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
