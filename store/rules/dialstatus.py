"""Which calls get a text: read a call's DIALSTATUS / QUEUESTATUS / dialplan reason.

One job: turn the statuses Asterisk left on a call into one of three outcomes --
text the caller, skip the call (with a reason), or cancel what is still scheduled
for that number because someone already spoke to them. Pure: plain values in,
a small frozen value out.

Decisions worth knowing (each has a test):
- ANSWER always wins: an answered call is never texted, whatever else is set,
  and it cancels the number's pending texts (cancel "answered").
- A staff call-back (direction "out", or the dialplan reason "outbound") is never
  texted; when it was answered it cancels pending texts (cancel "called_back").
  An unanswered call-back cancels nothing: the customer still has not been reached.
- An empty DIALSTATUS with an empty QUEUESTATUS and no reason is skipped as
  "no_status". That is what a queue call answered by an agent looks like in a
  hangup handler (Queue() leaves no status when it bridges), and what a call that
  never reached a Dial looks like; texting those would text people who were served.
- A queue that timed out with an empty DIALSTATUS is texted (the queue status alone
  is enough).
- A status we do not text on (e.g. DIALSTATUS INVALIDARGS, QUEUESTATUS CONTINUE)
  is skipped as "not_missed".
"""
from __future__ import annotations

from dataclasses import dataclass

from store.facts import MISSED_DIAL_STATUSES, MISSED_QUEUE_STATUSES, MISSED_REASONS

DEFAULT_TEXT_ON_DIAL: frozenset[str] = frozenset(MISSED_DIAL_STATUSES)
DEFAULT_TEXT_ON_QUEUE: frozenset[str] = frozenset(MISSED_QUEUE_STATUSES)
DEFAULT_TEXT_ON_REASON: frozenset[str] = frozenset(MISSED_REASONS)

# Skip reasons this module can give (the call's state becomes "skipped:<reason>").
ANSWERED = "answered"
OUTBOUND = "outbound"
NO_STATUS = "no_status"
NOT_MISSED = "not_missed"


@dataclass(frozen=True)
class StatusSettings:
    """Which statuses mean "missed, text them". Upper-case for Asterisk statuses,
    lower-case for the dialplan's own reasons (compared case-insensitively)."""

    text_on_dial: frozenset[str] = DEFAULT_TEXT_ON_DIAL
    text_on_queue: frozenset[str] = DEFAULT_TEXT_ON_QUEUE
    text_on_reason: frozenset[str] = DEFAULT_TEXT_ON_REASON


@dataclass(frozen=True)
class StatusDecision:
    """The outcome for one call: text it, or skip it (and maybe cancel pending texts)."""

    text: bool
    skip_reason: str | None = None
    cancel_pending: str | None = None   # "answered" | "called_back" | None


def decide_status(disposition: str, queue_status: str = "", reason: str = "",
                  direction: str = "in", settings: StatusSettings = StatusSettings()) -> StatusDecision:
    """Decide from a call's statuses whether it is a missed call worth a text."""
    dial = (disposition or "").strip().upper()
    queue = (queue_status or "").strip().upper()
    why = (reason or "").strip().lower()
    outbound = (direction or "in").strip().lower() == "out" or why == "outbound"

    if outbound:
        return StatusDecision(False, OUTBOUND, "called_back" if dial == "ANSWER" else None)
    if dial == "ANSWER":
        return StatusDecision(False, ANSWERED, "answered")
    if (dial in _upper(settings.text_on_dial) or queue in _upper(settings.text_on_queue)
            or why in _lower(settings.text_on_reason)):
        return StatusDecision(True)
    if not (dial or queue or why):
        return StatusDecision(False, NO_STATUS)
    return StatusDecision(False, NOT_MISSED)


def _upper(values: frozenset[str]) -> frozenset[str]:
    return frozenset(v.strip().upper() for v in values)


def _lower(values: frozenset[str]) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in values)
