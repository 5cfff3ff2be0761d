"""Plain values the Store's verbs return: frozen dataclasses, never peewee rows or dicts.

Times are timezone-aware UTC, numbers E.164. Formatting them for people is the CLI's job
(textback/output.py turns any of these into a row for a table, JSON or CSV).
"""
from __future__ import annotations

from collections.abc import Mapping
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
    wrong_number: bool = False                  # "wrong number": not the caller we wanted
    awaiting_staff_at: datetime | None = None   # a possible opt-out waits for a person since
    opt_out_confirmed_at: datetime | None = None


@dataclass(frozen=True)
class OptOutEvidence:
    """Why a number was opted out: kept with the opt-out, shown by `textback optouts`."""

    rule: str = ""              # keyword | phrase | wrong_number | staff
    matched: str = ""           # the words the rule matched
    text: str = ""              # the whole text as received ("" for a staff block)
    wrong_number: bool = False


@dataclass(frozen=True)
class OptOutResult:
    """What honouring one opt-out did."""

    changed: bool                           # the number was not opted out (or blocked) before
    cancelled: int                          # scheduled texts cancelled
    confirmation_id: int | None = None      # the one confirmation, queued now; None: sent before


@dataclass(frozen=True)
class MessageRecord:
    """One text, either way: every column of the `message` table (a test holds them
    together), with the thread's number for the contact and the call's id."""

    id: int
    number: str                     # the other party: recipient when out, sender when in
    direction: str                  # out | in
    kind: str
    step: int
    body: str
    status: str
    due_at: datetime | None
    attempts: int
    lease_owner: str | None
    lease_expires_at: datetime | None
    modem_reference: int | None
    error: str | None
    cancel_reason: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    received_at: datetime | None
    inbound_key: str | None
    parts: int
    sent_by: str | None             # who wrote a staff text (login name or staff phone)
    contact_number: str             # whose thread it belongs to (differs from number for a forward)
    call_id: int | None
    flag: str | None = None         # inbound: opt_out | possible_opt_out, as the keyword rules read it
    modem: str | None = None        # the [[modem]] it leaves from / left from / came in on; None: any


@dataclass(frozen=True)
class ClaimedText:
    """A text leased to a worker (Store.claim_text), with what its send needs, read in the
    claim's own statement: whether the recipient opted out, whether part of it already
    went (a send cut off by a modem error: count the parts before sending the rest), and
    the call's times for a text-back's expiry."""

    message: MessageRecord
    opted_out: bool
    resumes: bool
    call_happened_at: datetime | None = None
    call_recorded_at: datetime | None = None


@dataclass(frozen=True)
class OptOutRecord:
    """One entry of a number's opt-out audit trail."""

    action: str                     # opt_out | opt_in | block | unblock
    keyword: str
    source: str                     # sms | cli
    at: datetime
    message_id: int | None
    # The evidence: the rule that matched (keyword | phrase | wrong_number | staff), its
    # words, the whole text as received, and whether it said "wrong number".
    rule: str = ""
    matched: str = ""
    text: str = ""
    wrong_number: bool = False


@dataclass(frozen=True)
class WorkerStatus:
    """The worker's last heartbeat (store/health.py)."""

    pid: int | None
    host: str
    started_at: datetime | None
    beat_at: datetime | None
    modem_port: str
    modem_alive: bool | None
    signal_dbm: int | None
    operator: str | None
    registration: str | None
    sim_used: int | None
    sim_total: int | None
    receive_memory: str | None      # the memory new texts go to (ME, SM...)
    last_error: str | None
    last_error_at: datetime | None
    last_sent_at: datetime | None
    last_received_at: datetime | None
    alerts: tuple[str, ...]         # the active alerts' sentences (store/alerts.py holds the alerts)
    stopped_at: datetime | None     # a clean stop
    beat_seconds: float | None      # the beat's own interval
    modem_name: str = ""            # whose heartbeat: the [[modem]] name, "" for the one [modem]
    modem_model: str | None = None  # which modem and set-up ("Quectel EG25, set-up ec25 (detected)")
    modem_flags: tuple[str, ...] = ()   # what cannot work with it, each with what to do


@dataclass(frozen=True)
class SentPartRecord:
    """One SMS of a text as sent and reported (store/delivery.py)."""

    seq: int                        # 1-based, in the order sent
    reference: int                  # TP-MR from +CMGS; wraps at 256
    sent_at: datetime
    status: str                     # sent | delivered | failed
    report_status: int | None       # TP-ST of its final report
    reported_at: datetime | None


@dataclass(frozen=True)
class AlertRecord:
    """Something a person must act on (store/alerts.py)."""

    key: str
    text: str
    active: bool
    raised_at: datetime
    cleared_at: datetime | None
    texted_at: datetime | None


@dataclass(frozen=True)
class Purged:
    """How many old rows one retention batch deleted (store/retention.py)."""

    calls: int
    messages: int
    audit: int
    parts: int
    rejected: int = 0               # drafts and junk cleared off the modem (store/rejected.py)
    events: int = 0                 # the event outbox (store/events.py), sent or not by now

    @property
    def total(self) -> int:
        return self.calls + self.messages + self.audit + self.parts + self.rejected + self.events


@dataclass(frozen=True)
class KeptPart:
    """One part of a long inbound text the store keeps until the whole text is recorded
    (a part delivered straight to the worker, with no copy on the modem)."""

    seq: int
    body: str
    smsc_timestamp: datetime | None


# ---- conversations (store/conversations.py) ----

@dataclass(frozen=True)
class Answer:
    """The latest staff answer in a thread."""

    at: datetime
    by: str                         # login name or staff phone number; "" when unknown
    id: int
    body: str


@dataclass(frozen=True)
class ConversationState:
    """One contact's conversation as the inbox lists it."""

    contact_id: int
    number: str
    state: str                      # open | answered | done
    unread: int
    answered_by: str | None
    answered_at: datetime | None
    done_by: str | None


@dataclass(frozen=True)
class SearchHit:
    """A contact (by name or number) or a message that holds the searched text."""

    contact_id: int
    number: str
    name: str
    match: str                      # name | number | message
    at: datetime
    message_id: int | None
    text: str


# ---- the staff listings (store/reports.py) ----

@dataclass(frozen=True)
class InboxEntry:
    contact_id: int
    number: str
    name: str
    state: str                      # open | answered | done (store/conversations.py)
    unread: int
    replies: int
    last_reply_at: datetime
    last_reply: str
    answered_by: str | None
    answered_at: datetime | None
    done_by: str | None
    opted_out: bool
    blocked: bool
    flag: str = ""                  # "possible opt-out" waiting for staff, or "wrong_number"


@dataclass(frozen=True)
class Reply:
    """An inbound text, for `inbox --follow`."""

    id: int
    contact_id: int
    number: str
    name: str
    kind: str
    received_at: datetime
    body: str
    flag: str = ""                  # possible_opt_out when the keyword rules doubt it


@dataclass(frozen=True)
class ThreadItem:
    """A call or a message in one contact's thread."""

    at: datetime
    item: str                       # call | message
    id: int
    direction: str
    kind: str
    body: str
    state: str
    outcome: str                    # a call: what became of it ("texted (delivered)"); a text: its state
    detail: str
    sent_by: str | None
    due_at: datetime | None         # a text's due time (a cancelled one sits where it was cancelled)


@dataclass(frozen=True)
class CallOutcome:
    """One call for `textback calls`: what the PBX said and what textback did."""

    id: int
    happened_at: datetime
    caller: str
    caller_name: str
    business_line: str
    status: str
    direction: str
    state: str
    skip_reason: str
    outcome: str
    text_sent_at: datetime | None


@dataclass(frozen=True)
class Tally:
    missed_calls: int
    texted: int
    replied: int
    reply_rate: float | None        # replied / texted, None when nothing was texted
    leads: int                      # callers (one a number, however often they called)
    recovered: int                  # of them: replied, were called back, or called again and got through
    recovery_rate: float | None


@dataclass(frozen=True)
class LineTally(Tally):
    line: str


@dataclass(frozen=True)
class DayTally(Tally):
    day: str                        # ISO date in the business's time zone


@dataclass(frozen=True)
class Totals:
    missed_calls: int
    texted: int
    replied: int
    median_seconds: float | None    # hang-up to text sent
    p90_seconds: float | None
    opt_outs: int
    expired: int                    # texts too old to send when their turn came
    skipped: Mapping[str, int]      # skip reason -> calls
    unanswered_replies: int         # customer texts in the period nobody answered yet
    staff_response_median_seconds: float | None
    reply_rate: float | None
    leads: int
    recovered: int
    recovery_rate: float | None
    wrong_number: int = 0           # numbers whose owner said "wrong number" in the period


@dataclass(frozen=True)
class Stats:
    since: datetime
    until: datetime | None          # exclusive; None: up to now
    totals: Totals
    by_line: tuple[LineTally, ...]
    by_day: tuple[DayTally, ...]
    text_delays_seconds: tuple[float, ...]   # every hang-up-to-text time, for the HTML report


@dataclass(frozen=True)
class OptOutEntry:
    """A number we must not text, for `textback optouts`."""

    contact_id: int
    number: str
    name: str
    opted_out: bool
    blocked: bool
    since: datetime
    how: str
    # The evidence of the latest opt-out or block: see OptOutRecord.
    wrong_number: bool = False
    rule: str = ""
    matched: str = ""
    text: str = ""
    message_id: int | None = None
    evidence_at: datetime | None = None


@dataclass(frozen=True)
class QueueSummary:
    scheduled: int
    due_now: int
    sending: int
    expired_last_day: int           # too old to send when their turn came (an outage)
    last_sent_at: datetime | None
    last_received_at: datetime | None


@dataclass(frozen=True)
class ExportRow:
    """One call or message as a flat row for a CRM import."""

    record: str                     # call | message
    id: int
    at: datetime
    number: str
    name: str
    business_line: str
    direction: str
    kind: str
    state: str
    detail: str
    body: str
    call_id: int | None
    sent_by: str



@dataclass(frozen=True)
class EventRecord:
    """One row of the event outbox (store/events.py); `data` is its JSON text."""

    id: int
    uid: str
    type: str
    at: datetime
    data: str


@dataclass(frozen=True)
class NotifyTargetState:
    """How far one [[notify]] target's delivery got, for `textback status`."""

    name: str
    cursor: int
    failures: int                   # tries failed in a row
    last_error: str | None
    failing_since: datetime | None
    next_try_at: datetime | None
    last_ok_at: datetime | None
    delivered: int
    dropped: int                    # given up on after retry_for
    waiting: int                    # events after the cursor (of any type)
