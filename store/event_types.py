"""The event types of the outbox (store/events.py), standard library only: the
configuration names them in [[notify]] events = [...] without importing the store."""
from __future__ import annotations

EVENT_TYPES: tuple[str, ...] = (
    "call.missed",        # a missed call was planned: what textback decided and why
    "call.logged",        # an answered call or a staff call-back: kept for the record, cancels what waits
    "text.sent",          # the modem took a text (every part)
    "text.delivered",     # the network reported every part delivered
    "text.failed",        # the network reported it undelivered, or the modem refused it for good
    "text.expired",       # too old when its turn came: not sent
    "reply.received",     # a customer's text came in
    "contact.opted_out",  # STOP (or staff, from the command line)
    "contact.opted_in",   # START
    "contact.blocked",    # staff: never text this number
    "contact.unblocked",
    "contact.settled",    # staff: a text held as a possible opt-out was not one
    "staff.answered",     # staff answered a thread (from the command line or a staff phone)
    "alert.raised",       # something a person must act on
    "alert.cleared",
)


def expand(patterns: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Event types named exactly or by family ("text.*"); () stays () (every type)."""
    out: list[str] = []
    for pattern in patterns:
        if pattern.endswith(".*"):
            out += [t for t in EVENT_TYPES if t.startswith(pattern[:-1])]
        else:
            out.append(pattern)
    return tuple(dict.fromkeys(out))


def is_known(pattern: str) -> bool:
    return bool(expand([pattern])) and all(t in EVENT_TYPES for t in expand([pattern]))
