"""The Store: one object that owns the database and its models and offers the shop's verbs.

Modelled on huey's SQL storage: the loop that uses the queue (modem/worker) lives
elsewhere and never writes SQL. This class opens, migrates and closes, and each verb is
one line into the module for its subject -- store/calls.py, outbound.py, delivery.py,
inbound.py, contacts.py, conversations.py, reports.py, health.py, alerts.py, retention.py -- plain functions
over the models that share only store/rows.py and each other's public functions. Every verb returns a plain value or
a frozen record (store/records.py), never a peewee row or a dict.
"""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

import peewee as pw

from store import (
    alerts,
    calls,
    contacts,
    conversations,
    delivery,
    events,
    health,
    inbound,
    outbound,
    rejected,
    reports,
    retention,
    sending,
    times,
)
from store import stats as shop_stats
from store.database import file_identity, open_database, reconnect, replaced_how, reset_connection
from store.errors import StoreError
from store.facts import CallFact
from store.migrations import migrate
from store.models import Models, build_models
from store.plans import CallPlan
from store.records import (
    AlertRecord,
    Answer,
    CallOutcome,
    CallRecord,
    ClaimedText,
    ContactInfo,
    ConversationState,
    EventRecord,
    ExportRow,
    InboxEntry,
    KeptPart,
    MessageRecord,
    NotifyTargetState,
    OptOutEntry,
    OptOutEvidence,
    OptOutRecord,
    OptOutResult,
    Purged,
    QueueSummary,
    Reply,
    SearchHit,
    SentPartRecord,
    Stats,
    ThreadItem,
    WorkerStatus,
)
from store.rows import shown_name
from store.rules.pacing import Hold
from store.url import DEFAULT_URL

log = logging.getLogger(__name__)


class Store:
    """Open with `Store.open(url)`; use as a context manager or call close()."""

    max_attempts = outbound.MAX_ATTEMPTS     # tries before a text is failed for good

    def __init__(self, database: pw.Database, models: Models, url: str = ""):
        self.db = database
        self.models = models
        self.url = url
        self.is_postgresql = isinstance(database, pw.PostgresqlDatabase)
        self._identity = file_identity(database, None)

    @classmethod
    def open(cls, url: str = DEFAULT_URL, *, busy_timeout: float = 10.0) -> Store:
        db = open_database(url, busy_timeout=busy_timeout)
        models = build_models(db)
        try:
            migrate(models)
        except BaseException:
            db.close()
            raise
        return cls(db, models, url)

    # What a failed verb can raise: our own errors and the driver's (a full disk surfaces
    # as sqlite3's "database or disk is full", then "cannot rollback").
    failures: tuple[type[BaseException], ...] = (StoreError, pw.PeeweeException, sqlite3.Error)

    def reset_after_error(self) -> None:
        """After a failed write, start clean (store/database.py says why). Never raises."""
        reset_connection(self.db, self.is_postgresql)

    def file_replaced(self) -> str | None:
        """How the file at our path changed since we opened it (removed, or another file
        moved there), or None while it is the one we hold (store/database.py)."""
        return replaced_how(self.db, self._identity, file_identity(self.db, self._identity))

    def reopen(self) -> None:
        """Open the file now at our path (creating and migrating it if it is gone or new)."""
        reconnect(self.db)
        migrate(self.models)
        self._identity = file_identity(self.db, None)

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls (store/calls.py) -----------------------------------------------------------------
    def record_call(self, fact: CallFact) -> int:
        """Record one call; the same uniqueid twice is one row (returns its id)."""
        return calls.record_call(self.models, fact)

    def call(self, call_id: int) -> CallRecord | None:
        return calls.call(self.models, call_id)

    def new_calls(self, limit: int = 100, exclude: set[int] | frozenset[int] = frozenset()) -> list[CallRecord]:
        """Calls the worker has not planned yet, oldest first; `exclude`: ids it is holding."""
        return calls.new_calls(self.models, limit, exclude)

    def plan_call(self, call_id: int, plan: CallPlan, now: datetime | None = None, *,
                  modem: str | None = None) -> str:
        """Apply the rules' decision in one transaction; return the call's new state.

        A plan with messages -> `planned` and the messages scheduled. A plan
        with a skip_reason -> `skipped`. A plan with neither -> `logged` (kept
        for the record only, e.g. an ANSWER that just cancels what is pending).
        As a last guard, a number that is opted out or blocked *now* is skipped
        whatever the plan says: STOP must win a race with the planner.
        `modem`: the [[modem]] the texts must leave from (the dialled line's; None: any).
        A call another worker planned first is left as it is: "already planned" (or
        "already skipped"...), nothing queued twice.
        """
        return calls.plan_call(self.models, call_id, plan, now or times.utcnow(), modem)

    def last_text_back_at(self, number: str, modems: tuple[str, ...] = ()) -> datetime | None:
        """When the last text_back to `number` was created (any status but cancelled);
        `modems`: only those leaving from these SIMs (one shop's box on a shared store)."""
        return calls.last_text_back_at(self.models, number, modems)

    def texts_for_cap(self, since: datetime, modems: tuple[str, ...] = ()) -> int:
        """What the hourly cap counts: texts handed to the modem since `since`, plus first
        texts already planned and still waiting to go — so a burst of calls planned in one
        pass cannot slip past the cap before any of them is sent. `modems`: only these SIMs'."""
        return calls.texts_for_cap(self.models, since, modems)

    def has_new_calls(self) -> bool:
        """Whether any call waits to be planned (one row of the call_new index)."""
        return calls.has_new_calls(self.models)

    # -- outbound texts (store/outbound.py) -----------------------------------------------------
    def queue_message(self, number: str, kind: str, body: str, due_at: datetime,
                      call_id: int | None = None, contact_number: str | None = None,
                      sent_by: str | None = None, modem: str | None = None) -> int:
        """Schedule one text to `number`; it joins `contact_number`'s thread (default: number's).
        `sent_by`: who wrote a staff text (login name, or the staff phone's number). A staff
        answer takes the conversation out of the inbox (store/conversations.py).
        `modem`: the [[modem]] it must leave from; without one, a staff answer or keyword
        reply leaves from the SIM the customer last wrote to (store/routing.py), the rest
        from any."""
        return outbound.queue_message(self.models, number, kind, body, due_at, call_id, contact_number, sent_by,
                                      modem)

    def claim_due(self, owner: str, lease_seconds: float, now: datetime | None = None, *,
                  hold: Hold | None = None, modem: str | None = None,
                  takeover_after: timedelta | None = None) -> MessageRecord | None:
        """Lease the next due message to `owner`, or None. Never hands one message out twice.
        `hold`: the kinds that wait for the carrier limits (store/rules/pacing.py); the rest pass them.
        `modem`: the claimer's [[modem]]; it gets only texts for it or for any modem, and
        another modem's once they are `takeover_after` past their time (store/routing.py).

        SQLite: the transaction is BEGIN IMMEDIATE, so claimers queue on the
        write lock. PostgreSQL: FOR UPDATE SKIP LOCKED, so claimers pass each other.
        """
        return outbound.claim_due(self.models, owner, lease_seconds, now or times.utcnow(), hold, modem,
                                  takeover_after)

    def claim_text(self, owner: str, lease_seconds: float, now: datetime | None = None, *,
                   hold: Hold | None = None, modem: str | None = None,
                   takeover_after: timedelta | None = None) -> ClaimedText | None:
        """claim_due for the worker: the leased text with what its send needs, read in the
        claim itself (the recipient's opt-out, whether part of it went, its call's times)."""
        return outbound.claim_text(self.models, owner, lease_seconds, now or times.utcnow(), hold, modem,
                                   takeover_after)

    def next_due_at(self, hold: Hold | None = None, *, modem: str | None = None,
                    takeover_after: timedelta | None = None) -> datetime | None:
        """When the earliest scheduled message `hold` lets through (and claim_due would give
        `modem`) falls due (may be in the past), or None."""
        return outbound.next_due_at(self.models, hold, modem, takeover_after)

    # -- carrier limits (store/sending.py) ------------------------------------------------------
    def sent_count_since(self, since: datetime, modem: str | None = None) -> int:
        """Texts the modem took since `since` (every kind: the carrier counts them all);
        `modem`: only those that left from that [[modem]]'s SIM (None: from any)."""
        return sending.sent_count_since(self.models, since, modem)

    def recipient_count_since(self, since: datetime, modem: str | None = None) -> int:
        """Distinct numbers the modem texted since `since` (`modem`: from that SIM only)."""
        return sending.recipient_count_since(self.models, since, modem)

    def held_count(self, hold: Hold, now: datetime) -> int:
        """Due texts `hold` keeps waiting."""
        return sending.held_count(self.models, hold, now)

    def mark_sent(self, message_id: int, reference: int | Sequence[int], owner: str,
                  now: datetime | None = None, *, first_seq: int = 1, modem: str | None = None,
                  claimed: MessageRecord | None = None) -> None:
        """The modem took the text: `reference` is the message reference of each part
        from part `first_seq` on (one int for a one-part text; first_seq > 1 when a send
        cut off by a modem error resumed after the parts store.record_sent_parts kept).
        `modem`: the [[modem]] it left from, recorded on the text (None: the one [modem]).
        `claimed`: the record the claim returned, so a text still as the claim left it is
        recorded without reading it back.

        Recorded even if the lease lapsed meanwhile (the text *was* sent; marking
        it prevents a second send), with a warning when another owner held it.
        """
        references = [reference] if isinstance(reference, int) else list(reference)
        outbound.mark_sent(self.models, message_id, references, owner, now or times.utcnow(), first_seq, modem,
                           claimed)

    def mark_sent_and_claim(self, message_id: int, reference: int | Sequence[int], owner: str,
                            now: datetime | None = None, *, first_seq: int = 1, modem: str | None = None,
                            claimed: MessageRecord | None = None, lease_seconds: float,
                            hold: Hold | None = None,
                            takeover_after: timedelta | None = None) -> ClaimedText | None:
        """mark_sent, then claim_text for the same owner (and modem), in one transaction (one
        commit per text in a burst): the send is recorded, or neither is done. Returns the
        next text leased, or None when none is due."""
        references = [reference] if isinstance(reference, int) else list(reference)
        return outbound.mark_sent_and_claim(self.models, message_id, references, owner, now or times.utcnow(),
                                            first_seq, modem, claimed, lease_seconds, hold, takeover_after)

    def retry_later(self, message_id: int, error: str, now: datetime | None = None, *,
                    delay: timedelta | None = None) -> str:
        """A modem error: back to scheduled after a backoff (or `delay`), or failed after
        max_attempts.

        Returns the new status. `error` is the modem's own text, kept for staff.
        """
        return outbound.retry_later(self.models, message_id, error, now or times.utcnow(), self.max_attempts,
                                    delay)

    def mark_failed(self, message_id: int, error: str) -> None:
        outbound.mark_failed(self.models, message_id, error)

    def expire_message(self, message_id: int, why: str) -> int:
        """Not sent: too old when its turn came (store/rules/expiry.py). A first text that
        expires takes its call's follow-ups with it (they would follow up on nothing).
        Returns how many texts were settled (0 when it was no longer pending)."""
        return outbound.expire_message(self.models, message_id, why)

    def release(self, message_id: int, owner: str) -> bool:
        """Give a leased message back untried (clean SIGTERM): scheduled again.

        The attempt the claim counted is given back, so stopping the worker never
        uses up a message's tries. False if `owner` no longer holds the lease.
        """
        return outbound.release(self.models, message_id, owner)

    def recover_expired_leases(self, now: datetime | None = None) -> int:
        """Put messages whose worker died mid-lease back to scheduled; return how many.

        The attempt stays counted: the modem may have taken the text before the crash.
        """
        return outbound.recover_expired_leases(self.models, now or times.utcnow())

    def cancel_pending(self, number: str, reason: str, kinds: Sequence[str] | None = None,
                       keep: Sequence[str] = ()) -> int:
        """Cancel the scheduled texts *to* `number` (optionally only some kinds, or all but
        the `keep` kinds); return how many."""
        return outbound.cancel_pending(self.models, number, reason, kinds, keep)

    def cancel_message(self, message_id: int, reason: str) -> bool:
        """Cancel one text that is scheduled or leased (e.g. its number opted out after the
        claim); False when it is already past that."""
        return outbound.cancel_message(self.models, message_id, reason)

    def last_forward_to(self, staff_number: str) -> str | None:
        """The customer whose reply was last forwarded (and sent) to this staff phone: a staff
        answer without "#<thread>" goes to them, also after the worker restarted."""
        return outbound.last_forward_to(self.models, staff_number)

    def message(self, message_id: int) -> MessageRecord | None:
        return outbound.message(self.models, message_id)

    def thread(self, number: str) -> list[MessageRecord]:
        """All messages in `number`'s thread, oldest first."""
        return outbound.thread(self.models, number)

    # -- the parts a text went out in, and their reports (store/delivery.py) --------------------
    def record_sent_parts(self, message_id: int, references: Sequence[int], first_seq: int = 1,
                          now: datetime | None = None, *, modem: str | None = None) -> None:
        """The modem took parts first_seq, first_seq+1, ... of a text (with these
        references) but not the rest: kept so the rest is sent later, never these again.
        `modem`: the [[modem]] that sent them; the text is tied to it, so the rest follows
        from the same SIM."""
        delivery.record_sent_parts(self.models, message_id, references, first_seq, now or times.utcnow(), modem)

    def sent_part_count(self, message_id: int) -> int:
        """How many parts of the text went out, counted from part 1 without a gap: a
        resumed send starts after them."""
        return delivery.sent_part_count(self.models, message_id)

    def sent_parts(self, message_id: int) -> list[SentPartRecord]:
        """The parts of one text as sent and reported, in order (for `textback thread`, tests)."""
        return delivery.sent_parts(self.models, message_id)

    def mark_delivered(self, reference: int, number: str, ok: bool, at: datetime, *,
                       reported_at: datetime | None = None, status: int | None = None) -> int | None:
        """Apply one status report (`ok`: delivered, else failed; `at`: its discharge time,
        `status`: its TP-ST) to the part it is about, then settle that part's text.

        reported_at is when the report came, on the caller's clock (default `at`): the
        part must have been sent before it, within REPORT_WINDOW. Returns the text's
        message id, or None when no part matches (logged).
        """
        return delivery.mark_delivered(self.models, reference, number, ok, at, reported_at, status)

    # -- inbound texts (store/inbound.py) -------------------------------------------------------
    def record_inbound(self, sender: str, body: str, received_at: datetime, key: str | None = None,
                       kind: str = "reply", parts: int = 1,
                       joined_from: tuple[int, int] | None = None, late: bool = False,
                       flag: str | None = None, now: datetime | None = None,
                       modem: str | None = None) -> tuple[int, bool]:
        """Store a received text (`parts`: how many SMS it came in); with the same `key`
        twice it is stored once. joined_from (reference, total): the text was joined from
        those parts, and any the store kept (keep_inbound_part) are dropped in the same
        transaction. late: found long after it was sent (an old SIM): filed with status
        "late" and read, so it is in the thread's history but not new in the inbox.
        flag possible_opt_out: the automated texts to the sender pause until staff settle
        it (textback block / done), in the same transaction. modem: the [[modem]] whose SIM
        received it (None: the one [modem]).

        Returns (message_id, created). Delete the SIM copy only after this returns.
        """
        return inbound.record_inbound(self.models, sender, body, received_at, key, kind, parts, joined_from, late,
                                      flag, now, modem)

    def receive_opt_out(self, sender: str, body: str, received_at: datetime, key: str | None,
                        parts: int = 1, *, joined_from: tuple[int, int] | None = None, late: bool = False,
                        evidence: OptOutEvidence, confirmation: str = "",
                        now: datetime | None = None, modem: str | None = None) -> tuple[int, OptOutResult | None]:
        """Store a received opt-out text, honour it with its evidence and queue its one
        confirmation, in one transaction (a SIM re-read is all or nothing). Returns
        (message id, result); result None when the text was stored before (same key).
        modem: the [[modem]] that received it; the confirmation leaves from it."""
        return inbound.receive_opt_out(self.models, sender, body, received_at, key, parts, joined_from, late,
                                       evidence, confirmation, now or times.utcnow(), modem)

    def keep_inbound_part(self, sender: str, reference: int, total: int, seq: int, body: str,
                          smsc_timestamp: datetime | None) -> None:
        """Commit one part of a long text that has no other copy (delivered directly, +CMT);
        a part kept twice is kept once. record_inbound(joined_from=...) drops it."""
        inbound.keep_inbound_part(self.models, sender, reference, total, seq, body, smsc_timestamp)

    def kept_inbound_parts(self, sender: str, reference: int, total: int) -> list[KeptPart]:
        """The parts of one long text the store keeps, in sequence order."""
        return inbound.kept_inbound_parts(self.models, sender, reference, total)

    def add_inbound_part(self, sender: str, reference: int, total: int, seq: int, body: str,
                         smsc_timestamp: datetime | None, *, received_at: datetime | None = None,
                         kind: str = "reply") -> tuple[int, str] | None:
        """Keep one part of a concatenated SMS; when the last part arrives, return the
        whole text as recorded: (message id, text). (The worker does not use this: it
        joins parts itself, see store/inbound.py.)

        The part is committed on its own first (so the SIM copy may be deleted
        after this returns). When all parts are in, the assembled message is
        recorded as an inbound message and the parts deleted, in one
        transaction. A part seen twice is a no-op; a whole message assembled a
        second time (the SIM re-read after a crash) is recognised by its key
        and gives None, so it is handled once.
        """
        return inbound.add_inbound_part(self.models, sender, reference, total, seq, body, smsc_timestamp,
                                        received_at, kind)

    # -- contacts (store/contacts.py) -----------------------------------------------------------
    def contact(self, number: str) -> ContactInfo | None:
        return contacts.contact(self.models, number)

    def contact_name(self, contact: ContactInfo) -> str:
        """The contact's name, else the caller ID name of their latest call that had one."""
        return shown_name(self.models, contact.number, contact.name)

    def is_opted_out(self, number: str) -> bool:
        return contacts.is_opted_out(self.models, number)

    def is_blocked(self, number: str) -> bool:
        return contacts.is_blocked(self.models, number)

    def opt_out(self, number: str, keyword: str = "", message_id: int | None = None, source: str = "sms") -> int:
        """Honour a STOP at once: flag the contact and cancel its scheduled texts.

        Returns how many scheduled messages were cancelled. The confirmation
        text is queued by the caller *after* this, so it is not cancelled.
        """
        return contacts.opt_out(self.models, number, keyword, message_id, source)

    def honour_opt_out(self, number: str, *, keyword: str = "", message_id: int | None = None,
                       source: str = "sms", evidence: OptOutEvidence | None = None,
                       confirmation: str = "", now: datetime | None = None) -> OptOutResult:
        """Opt `number` out with its evidence, cancel what is scheduled for it (never a
        pending confirmation), and queue `confirmation` unless it had its one already."""
        return contacts.honour_opt_out(self.models, number, keyword, message_id, source,
                                       evidence or OptOutEvidence(), confirmation, now or times.utcnow())

    def staff_block(self, number: str, *, source: str = "cli", confirmation: str = "",
                    now: datetime | None = None) -> OptOutResult:
        """Staff `textback block`: never text this number, evidence rule "staff", a possible
        opt-out settled, `confirmation` queued once (not if it had one, and none after)."""
        return contacts.staff_block(self.models, number, source, confirmation, now or times.utcnow())

    def is_awaiting_staff(self, number: str) -> bool:
        """A possible opt-out from `number` waits for staff: no automated text goes to it."""
        return contacts.is_awaiting_staff(self.models, number)

    def flag_possible_opt_out(self, message_id: int, now: datetime | None = None) -> int:
        """Flag a recorded reply as a possible opt-out and pause the automated texts to its
        sender; returns how many were cancelled."""
        return contacts.flag_possible_opt_out(self.models, message_id, now or times.utcnow())

    def settle_possible_opt_out(self, number: str, source: str = "cli") -> bool:
        """Staff read it and it is not an opt-out (`textback done` does this); False when
        nothing was waiting."""
        return contacts.settle_possible_opt_out(self.models, number, source)

    def opt_in(self, number: str, keyword: str = "", message_id: int | None = None, source: str = "sms") -> None:
        contacts.opt_in(self.models, number, keyword, message_id, source)

    def block(self, number: str, source: str = "cli") -> int:
        """Staff `textback block`: never text this number; cancels what is scheduled."""
        return contacts.block(self.models, number, source)

    def unblock(self, number: str, source: str = "cli") -> None:
        contacts.unblock(self.models, number, source)

    def opt_out_events(self, number: str) -> list[OptOutRecord]:
        """The audit trail for one number, oldest first."""
        return contacts.opt_out_events(self.models, number)

    # -- conversations (store/conversations.py) -------------------------------------------------
    def last_answer(self, contact_id: int) -> Answer | None:
        """The latest staff answer (not cancelled) in a contact's thread."""
        return conversations.last_answer(self.models, contact_id)

    def mark_done(self, number: str, by: str, now: datetime | None = None) -> bool:
        """`textback done`: the conversation leaves the inbox without an answer. False when
        `number` is unknown."""
        done = conversations.mark_done(self.models, number, by, now or times.utcnow())
        if done:
            # A possible opt-out, read by a person: not an opt-out.
            contacts.settle_possible_opt_out(self.models, number, "cli")
        return done

    def mark_undone(self, number: str, now: datetime | None = None) -> bool:
        """`textback undone`: the latest reply waits again, until someone answers or marks it done."""
        return conversations.mark_undone(self.models, number, now or times.utcnow())

    def conversation_of(self, number: str) -> ConversationState | None:
        """One contact's conversation as the inbox lists it, or None when they never replied."""
        return conversations.conversation_of(self.models, number)

    def recent_answer(self, number: str, now: datetime | None = None,
                      within: timedelta = conversations.RECENT_ANSWER) -> Answer | None:
        """The latest staff answer to `number`'s conversation if it is younger than `within`."""
        return conversations.recent_answer(self.models, number, now or times.utcnow(), within)

    def search(self, text: str, limit: int = 50, exclude: Sequence[str] = ()) -> list[SearchHit]:
        """Contacts whose name (their own or a caller ID name) or number holds `text`, then
        messages that hold it, newest first. Case is ignored (SQLite's LIKE ignores it for
        ASCII letters only: "ZOË" finds "Zoë" only through the letters it shares)."""
        return conversations.search(self.models, text, limit, exclude)

    # -- the staff's listings (store/reports.py) ------------------------------------------------
    def inbox(self, include_read: bool = False, limit: int = 200,
              exclude: Sequence[str] = ()) -> list[InboxEntry]:
        """Conversations waiting for an answer, newest reply first; with `include_read`,
        answered and done ones after them. `exclude`: staff phones, never customers."""
        return reports.inbox(self.models, include_read, limit, exclude)

    def replies_after(self, message_id: int) -> list[Reply]:
        """Inbound messages stored after `message_id`, oldest first (for `inbox --follow`)."""
        return reports.replies_after(self.models, message_id)

    def last_message_id(self) -> int:
        return reports.last_message_id(self.models)

    def contact_number_by_id(self, contact_id: int) -> str | None:
        return reports.contact_number_by_id(self.models, contact_id)

    def thread_items(self, number: str) -> list[ThreadItem]:
        """The calls and messages of one contact, oldest first, each with its state."""
        return reports.thread_items(self.models, number)

    def call_report(self, since: datetime | None = None, skipped_only: bool = False,
                    limit: int | None = None) -> list[CallOutcome]:
        """Each call (newest first) and what became of it: texted, or skipped and why."""
        return reports.call_report(self.models, since, skipped_only, limit)

    def stats(self, since: datetime, tz: tzinfo, until: datetime | None = None) -> Stats:
        """Does text-back pay: missed calls, texted, replies, leads recovered, speed of the
        text and of staff, opt-outs; by line and by day. `until` (exclusive) ends the period."""
        return shop_stats.stats(self.models, since, tz, until)

    def opted_out_contacts(self) -> list[OptOutEntry]:
        """Numbers we must not text (opted out or blocked by staff), newest change first."""
        return reports.opted_out_contacts(self.models)

    def queue_summary(self, now: datetime | None = None) -> QueueSummary:
        """How many texts wait, are due now, are being sent; and the last sent/received times."""
        return reports.queue_summary(self.models, now or times.utcnow())

    def export_rows(self, since: datetime | None = None) -> list[ExportRow]:
        """Every call and message (oldest first) as flat rows for a CRM import."""
        return reports.export_rows(self.models, since)

    # -- the worker's heartbeat and alerts (store/health.py) ------------------------------------
    def write_worker_status(self, **fields: Any) -> None:
        """Update the heartbeat row with `fields` (beat_at defaults to now): the row of the
        worker whose `modem_name` the fields give ("" or none given: the one [modem]'s).

        Fields not given keep their last value, so the worker can send only what
        it learnt on this beat. `alerts` is a list of short sentences (it replaces
        the previous list): the active alerts' texts, written by this verb only
        (the alerts themselves live in the alert table, store/alerts.py). An
        unknown field is a bug in the caller.
        """
        health.write_worker_status(self.models, fields)

    def worker_status(self, modem_name: str = "") -> WorkerStatus | None:
        """The last heartbeat of the worker driving `modem_name` ("": the one [modem]),
        or None if it never ran."""
        return health.worker_status(self.models, modem_name)

    def worker_statuses(self) -> list[WorkerStatus]:
        """Every worker's last heartbeat (one per modem), the one [modem]'s first, then by name."""
        return health.worker_statuses(self.models)

    # -- alerts (store/alerts.py) ---------------------------------------------------------------
    def raise_alert(self, key: str, text: str, now: datetime | None = None) -> bool:
        """Raise (or refresh) the alert `key`; True when it was not active before."""
        return alerts.raise_alert(self.models, key, text, now or times.utcnow())

    def clear_alert(self, key: str, now: datetime | None = None) -> bool:
        """The trouble is gone; True when the alert was active."""
        return alerts.clear_alert(self.models, key, now or times.utcnow())

    def active_alerts(self) -> list[AlertRecord]:
        return alerts.active_alerts(self.models)

    def due_to_text(self, now: datetime | None = None, every: timedelta = alerts.TEXT_EVERY) -> list[AlertRecord]:
        """Active alerts the staff phones have not been told about in the last `every`."""
        return alerts.due_to_text(self.models, now or times.utcnow(), every)

    def mark_alert_texted(self, key: str, now: datetime | None = None) -> None:
        alerts.mark_alert_texted(self.models, key, now or times.utcnow())

    # -- the event outbox and its [[notify]] targets (store/events.py) --------------------------
    def prepare_notify_targets(self, names: Sequence[str], now: datetime | None = None) -> None:
        """A row per target; a new target hears the events from now on."""
        events.prepare_targets(self.models, names, now or times.utcnow())

    def pending_events(self, target: str, types: Sequence[str] = (), limit: int = 50) -> list[EventRecord]:
        """The target's next events (of `types`, all when empty), oldest first."""
        return events.pending_events(self.models, target, types, limit)

    def event_delivered(self, target: str, event_id: int, now: datetime | None = None, *,
                        dropped: bool = False) -> None:
        """The target took the event (or it was given up on, `dropped`): its cursor moves past it."""
        events.target_delivered(self.models, target, event_id, now or times.utcnow(), dropped)

    def event_failed(self, target: str, error: str, next_try_at: datetime, now: datetime | None = None) -> int:
        """One try failed; returns the failures in a row."""
        return events.target_failed(self.models, target, error, now or times.utcnow(), next_try_at)

    def notify_targets(self) -> list[NotifyTargetState]:
        return events.target_states(self.models)

    def events_after(self, after_id: int = 0, limit: int = 1000) -> list[EventRecord]:
        """The outbox in order (tests, debugging)."""
        return events.events_after(self.models, after_id, limit)

    # -- what the worker cleared off the modem (store/rejected.py) ------------------------------
    def record_rejected_sms(self, memory: str, slot: int, stat: int | None, reason: str, pdu: str,
                            found_at: datetime, detail: str = "") -> bool:
        """Keep one cleared message; False when this very copy (memory, slot, PDU) is
        recorded already (a sweep saw it again before its delete went through)."""
        return rejected.record_rejected_sms(self.models, memory, slot, stat, reason, pdu, found_at, detail)

    def rejected_sms_counts(self, since: datetime | None = None) -> dict[str, int]:
        """How many messages were cleared off the modem, by reason."""
        return rejected.rejected_sms_counts(self.models, since)

    # -- retention (store/retention.py) ---------------------------------------------------------
    def purge_before(self, cutoff: datetime, batch: int = retention.PURGE_BATCH) -> Purged:
        """Delete up to `batch` rows of each kind older than `cutoff`, oldest first, each
        table in its own short transaction. A batch that comes back short means that
        table is done for this cutoff."""
        return retention.purge_before(self.models, cutoff, batch)

    def refresh_statistics(self) -> None:
        """Fresh planner statistics (bounded ANALYZE) after the store changed a lot."""
        retention.refresh_statistics(self.models)
