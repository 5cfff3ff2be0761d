"""The seams of the worker: what it needs of the store and of the modem, as Protocols.

The worker side (Worker, Planner, Receiver, Conversation, Reassembly) is written against
these, not against store.Store or modem.device.modem.Modem, so each part says exactly
what it uses and a test can hand it anything that has those verbs. store.Store and
Modem satisfy them structurally: mypy checks it where the CLI builds the worker, and
tests/test_worker_ports.py that every verb named here exists on them.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from modem.device.records import ModemHealth, StoredSms
from modem.sms.pdu import StatusReport
from store.facts import CallFact, CallPlan
from store.records import (
    AlertRecord,
    Answer,
    CallRecord,
    ClaimedText,
    ContactInfo,
    KeptPart,
    MessageRecord,
    OptOutEvidence,
    OptOutResult,
    Purged,
)
from store.rules.pacing import Hold


# -- the modem ----------------------------------------------------------------------------
@runtime_checkable
class ModemPort(Protocol):
    """An opened modem (modem.device.modem.Modem)."""

    port: str

    def is_alive(self) -> bool: ...

    def ping(self) -> None: ...

    def close(self) -> None: ...

    def send(self, number: str, text: str, *, concat_reference: int | None = None,
             first_part: int = 1) -> list[int]: ...

    def list_stored(self) -> list[StoredSms]: ...

    def read_stored(self, memory: str, index: int) -> StoredSms | StatusReport | None: ...

    def delete_stored(self, memory: str, index: int) -> None: ...

    def health(self) -> ModemHealth: ...

    @property
    def flags(self) -> tuple[str, ...]: ...     # what cannot work, known without asking the modem


class OpenModem(Protocol):
    """Opens the configured modem with the worker's two callbacks; raises ModemError
    (or OSError) when it cannot."""

    def __call__(self, *, on_sms: Callable[[StoredSms], None],
                 on_status_report: Callable[[StatusReport], None]) -> ModemPort: ...


# -- the store ----------------------------------------------------------------------------
class PartKeeper(Protocol):
    """Where a long text's parts without a copy on the modem wait (store/inbound.py)."""

    def keep_inbound_part(self, sender: str, reference: int, total: int, seq: int, body: str,
                          smsc_timestamp: datetime | None) -> None: ...

    def kept_inbound_parts(self, sender: str, reference: int, total: int) -> Sequence[KeptPart]: ...


class ReceivingStore(PartKeeper, Protocol):
    """What the receiving side writes besides the parts: what it clears off the modem."""

    def record_rejected_sms(self, memory: str, slot: int, stat: int | None, reason: str, pdu: str,
                            found_at: datetime, detail: str = "") -> bool: ...


class ConversationStore(Protocol):
    """What handling one inbound text reads and writes."""

    def record_inbound(self, sender: str, body: str, received_at: datetime, key: str | None = None,
                       kind: str = "reply", parts: int = 1,
                       joined_from: tuple[int, int] | None = None, late: bool = False,
                       flag: str | None = None, now: datetime | None = None,
                       modem: str | None = None) -> tuple[int, bool]: ...

    def receive_opt_out(self, sender: str, body: str, received_at: datetime, key: str | None,
                        parts: int = 1, *, joined_from: tuple[int, int] | None = None, late: bool = False,
                        evidence: OptOutEvidence, confirmation: str = "",
                        now: datetime | None = None, modem: str | None = None) -> tuple[int, OptOutResult | None]: ...

    def is_opted_out(self, number: str) -> bool: ...

    def is_blocked(self, number: str) -> bool: ...

    def opt_out(self, number: str, keyword: str = "", message_id: int | None = None,
                source: str = "sms") -> int: ...

    def opt_in(self, number: str, keyword: str = "", message_id: int | None = None,
               source: str = "sms") -> None: ...

    def cancel_pending(self, number: str, reason: str,
                       kinds: tuple[str, ...] | list[str] | None = None) -> int: ...

    def queue_message(self, number: str, kind: str, body: str, due_at: datetime,
                      call_id: int | None = None, contact_number: str | None = None,
                      sent_by: str | None = None, modem: str | None = None) -> int: ...

    def message(self, message_id: int) -> MessageRecord | None: ...

    def last_forward_to(self, staff_number: str) -> str | None: ...

    def recent_answer(self, number: str, now: datetime | None = None,
                      within: timedelta = ...) -> Answer | None: ...


class PlanningStore(Protocol):
    """What planning new calls reads and writes."""

    def record_call(self, fact: CallFact) -> int: ...

    def has_new_calls(self) -> bool: ...

    def new_calls(self, limit: int = 100,
                  exclude: set[int] | frozenset[int] = frozenset()) -> list[CallRecord]: ...

    def plan_call(self, call_id: int, plan: CallPlan, now: datetime | None = None, *,
                  modem: str | None = None) -> str: ...

    def contact(self, number: str) -> ContactInfo | None: ...

    def last_text_back_at(self, number: str, modems: tuple[str, ...] = ()) -> datetime | None: ...

    def texts_for_cap(self, since: datetime, modems: tuple[str, ...] = ()) -> int: ...


class LoopStore(Protocol):
    """What the loop itself uses: sending, delivery reports, the heartbeat, and the
    store's own life (a file replaced under it, a failed write)."""

    def reopen(self) -> None: ...

    def reset_after_error(self) -> None: ...

    def prepare_notify_targets(self, names: Sequence[str], now: datetime | None = None) -> None: ...

    def recover_expired_leases(self, now: datetime | None = None) -> int: ...

    def next_due_at(self, hold: Hold | None = None, *, modem: str | None = None,
                    takeover_after: timedelta | None = None) -> datetime | None: ...

    def claim_text(self, owner: str, lease_seconds: float,
                   now: datetime | None = None, *, hold: Hold | None = None, modem: str | None = None,
                   takeover_after: timedelta | None = None) -> ClaimedText | None: ...

    # The carrier limits (store/sending.py).
    def sent_count_since(self, since: datetime, modem: str | None = None) -> int: ...

    def recipient_count_since(self, since: datetime, modem: str | None = None) -> int: ...

    def held_count(self, hold: Hold, now: datetime) -> int: ...

    def release(self, message_id: int, owner: str) -> bool: ...

    def expire_message(self, message_id: int, why: str) -> int: ...

    def cancel_message(self, message_id: int, reason: str) -> bool: ...

    def sent_part_count(self, message_id: int) -> int: ...

    def record_sent_parts(self, message_id: int, references: Sequence[int], first_seq: int = 1,
                          now: datetime | None = None, *, modem: str | None = None) -> None: ...

    def mark_sent(self, message_id: int, reference: int | Sequence[int], owner: str,
                  now: datetime | None = None, *, first_seq: int = 1, modem: str | None = None,
                  claimed: MessageRecord | None = None) -> None: ...

    def mark_sent_and_claim(self, message_id: int, reference: int | Sequence[int], owner: str,
                            now: datetime | None = None, *, first_seq: int = 1, modem: str | None = None,
                            claimed: MessageRecord | None = None, lease_seconds: float,
                            hold: Hold | None = None,
                            takeover_after: timedelta | None = None) -> ClaimedText | None: ...

    def mark_failed(self, message_id: int, error: str) -> None: ...

    def retry_later(self, message_id: int, error: str, now: datetime | None = None, *,
                    delay: timedelta | None = None) -> str: ...

    def queue_message(self, number: str, kind: str, body: str, due_at: datetime,
                      call_id: int | None = None, contact_number: str | None = None,
                      sent_by: str | None = None, modem: str | None = None) -> int: ...

    def message(self, message_id: int) -> MessageRecord | None: ...

    def mark_delivered(self, reference: int, number: str, ok: bool, at: datetime, *,
                       reported_at: datetime | None = None, status: int | None = None) -> int | None: ...

    def write_worker_status(self, **fields: Any) -> None: ...


class AlertStore(Protocol):
    """The alerts the worker raises, clears and texts to staff (alerts.py)."""

    def raise_alert(self, key: str, text: str, now: datetime | None = None) -> bool: ...

    def clear_alert(self, key: str, now: datetime | None = None) -> bool: ...

    def active_alerts(self) -> Sequence[AlertRecord]: ...

    def due_to_text(self, now: datetime | None = None,
                    every: timedelta = ...) -> Sequence[AlertRecord]: ...

    def mark_alert_texted(self, key: str, now: datetime | None = None) -> None: ...


class HousekeepingStore(Protocol):
    """Old rows purged a batch at a time (housekeeping.py)."""

    def purge_before(self, cutoff: datetime, batch: int = ...) -> Purged: ...

    def refresh_statistics(self) -> None: ...


@runtime_checkable
class WorkerStore(LoopStore, PlanningStore, ConversationStore, ReceivingStore, AlertStore,
                  HousekeepingStore, Protocol):
    """Everything the worker loop and its parts use of the store (store.Store)."""
