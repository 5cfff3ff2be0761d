"""The owner's questions, as plain rules over times: which missed calls became a
conversation (a recovered lead), and how fast staff answered a customer's text.

Pure: no database; store/reports.py reads the rows and hands the times in.
"""
from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

# A caller reached within this long after the missed call counts as recovered; later,
# it is a new enquiry rather than the missed call's doing.
RECOVERY_WINDOW = timedelta(days=7)


def recovered(missed_at: datetime, contact_times: Iterable[datetime],
              window: timedelta = RECOVERY_WINDOW) -> bool:
    """A missed call is a recovered lead when the caller was reached after it: they
    replied to the text, staff called them back and got through, or they called again
    and got through (`contact_times`: when each of those happened)."""
    return any(missed_at < at <= missed_at + window for at in contact_times)


def response_delays(replies: Mapping[str, list[datetime]], answers: Mapping[str, list[datetime]]) -> list[float]:
    """Seconds from a customer's text to the staff answer that followed it, per
    conversation: texts sent before the answer count once, from the first of them
    (the customer waited since then); a text nobody answered yet has no delay."""
    delays = []
    for key, texts in replies.items():
        events = sorted([(at, "reply") for at in texts] + [(at, "answer") for at in answers.get(key, ())])
        waiting: datetime | None = None
        for at, what in events:
            if what == "reply" and waiting is None:
                waiting = at
            elif what == "answer" and waiting is not None:
                delays.append(max(0.0, (at - waiting).total_seconds()))
                waiting = None
    return delays


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None
