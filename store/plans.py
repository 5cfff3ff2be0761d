"""What the rules decide for one recorded call: plain values the store applies in one
transaction (store/calls.py). Kept apart from store.facts so the AGI hook, which only
builds a CallFact, never imports dataclasses."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PlannedMessage:
    """One outbound text the rules want sent for a call."""

    kind: str            # text_back | follow_up
    body: str
    due_at: datetime     # aware UTC
    step: int = 0        # 0 = the first text, 1.. = follow-ups in order


@dataclass(frozen=True)
class CallPlan:
    """What the rules decided for one recorded call; the store applies it in one transaction."""

    caller_number: str | None            # E.164 when the caller ID parsed as a real number
    skip_reason: str | None = None       # None when the call is texted; else anonymous, opted_out, duplicate, ...
    messages: tuple[PlannedMessage, ...] = ()
    cancel_pending: str | None = None    # a reason ("answered", "called_back") to cancel this number's scheduled texts
    region: str | None = None            # phonenumbers region code of the caller, for the record
