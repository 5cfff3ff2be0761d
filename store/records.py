"""Plain values the Store's listing verbs return (no peewee rows leave store/)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.facts import CallFact


@dataclass(frozen=True)
class CallRecord:
    """A recorded call: the fact as the PBX gave it, and what became of it."""

    id: int
    fact: CallFact
    state: str                      # new | planned | skipped | logged
    caller_number: str | None
    region: str | None
    skip_reason: str | None
    recorded_at: datetime
    planned_at: datetime | None


@dataclass(frozen=True)
class ContactInfo:
    number: str
    name: str
    opted_out: bool
    opted_out_at: datetime | None
    blocked: bool
    created_at: datetime


@dataclass(frozen=True)
class OutboundMessage:
    """A claimed outbound text: everything the worker needs to send it."""

    id: int
    number: str                     # where it goes
    contact_number: str             # whose thread it belongs to (differs for a forward)
    kind: str
    step: int
    body: str
    call_id: int | None
    status: str
    due_at: datetime | None
    attempts: int
    lease_owner: str | None
    lease_expires_at: datetime | None


@dataclass(frozen=True)
class KeptPart:
    """One part of a long inbound text the store keeps until the whole text is recorded
    (a part delivered straight to the worker, with no copy on the modem)."""

    seq: int
    body: str
    smsc_timestamp: datetime | None
