"""Time to live per kind of text, checked when a text is about to be SENT.

Staleness at planning time is not enough: a call planned just before the modem went
away would otherwise be texted whenever the modem came back ("sorry we missed your
call", five hours late: Kannel and Android gateway users report exactly this). So the
worker asks `expired()` right before each send, and a text past its time is marked
`expired` instead (logged, counted), never sent.

The lives, and why:
- text_back: `stale_after` [2 h] from the call itself (hang-up time, or the time the
  call was recorded when the PBX stamped it in the future);
- follow_up: `stale_after` from the time it was due (its own moment has passed);
- staff_reply, keyword_reply, forward: no limit. A person wrote the staff reply and is
  waiting for it to go; a STOP confirmation or HELP answer is owed however late; a
  forwarded reply is the staff's only copy on their phone.
"""
from __future__ import annotations

from datetime import datetime, timedelta

TEXT_BACK, FOLLOW_UP = "text_back", "follow_up"


def expired(kind: str, *, now: datetime, stale_after: timedelta, due_at: datetime | None,
            call_at: datetime | None) -> str | None:
    """Why a text of `kind` must not be sent any more at `now`, or None while it may go.

    `call_at` is the call's hang-up time, already clamped to when it was recorded."""
    if kind == TEXT_BACK and call_at is not None:
        age = now - call_at
        if age > stale_after:
            return f"the call was {_words(age)} ago (stale_after {_words(stale_after)})"
    if kind == FOLLOW_UP and due_at is not None:
        late = now - due_at
        if late > stale_after:
            return f"it was due {_words(late)} ago (stale_after {_words(stale_after)})"
    return None


def _words(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"
