"""The send pass: claim each due text under a lease, send it, record what happened.

The worker loop (loop.py) calls `send_due` once a pass with the opened modem. Here:
claiming (a read first while nothing is due, so the AGI hook never queues behind a write
every 100 ms), the pacing bookkeeping (the gap and the caps take a text the SIM sent,
recorded or not), the expiry check at send time, a long text cut off part-way resumed
after the parts that went, and recording the send (with the next claim in the same
transaction). A text sent but not recorded is kept by Settlements and recorded later,
never sent twice.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from modem.device.errors import ModemError, ModemLost
from modem.sms import measure as sms_text
from modem.worker.alerts import AlertWatch
from modem.worker.conversation import FORWARD_KIND, KEYWORD_REPLY_KIND
from modem.worker.pacing import Pacer
from modem.worker.ports import LoopStore, ModemPort
from modem.worker.receiving import Receiver
from modem.worker.settings import WorkerSettings
from modem.worker.settlements import Settlements
from store.records import ClaimedText, MessageRecord
from store.rules.expiry import TEXT_BACK, expired

log = logging.getLogger("modem.worker")

# A long text cut off after some parts went: the rest is tried again this soon.
RESUME_AFTER = timedelta(seconds=2)


def store_problem_text(exc: BaseException) -> str:
    """The first cause, not the echo: on a full disk SQLite rolls back by itself and the
    driver's own ROLLBACK then fails with "cannot rollback - no transaction is active"."""
    while "cannot rollback" in str(exc) and exc.__context__ is not None:
        exc = exc.__context__
    return str(exc) or type(exc).__name__


class Sender:
    """Sends what is due on one modem for one worker (`owner` holds the leases).
    `stopping` says the worker was asked to stop: a claimed text not yet sent is released."""

    def __init__(self, store: LoopStore, settings: WorkerSettings, *, owner: str,
                 now: Callable[[], datetime], pacer: Pacer, receiver: Receiver, alerts: AlertWatch,
                 settlements: Settlements, store_failures: tuple[type[BaseException], ...],
                 stopping: Callable[[], bool]):
        self.store = store
        self.settings = settings
        self.owner = owner
        self.now = now
        self.pacer = pacer
        self.receiver = receiver
        self.alerts = alerts                # told the last modem failure
        self.settlements = settlements
        self.store_failures = store_failures
        self.stopping = stopping
        self.expired_count = 0
        self.failing_in_a_row = 0           # texts the modem refused since the last one went
        self.last_sent_at: datetime | None = None
        self._next_lease_check = 0.0

    def recover_leases(self) -> None:
        """Texts claimed by a worker that died go back to the queue once their lease lapses."""
        if time.monotonic() >= self._next_lease_check:
            self._next_lease_check = time.monotonic() + max(self.settings.lease_seconds / 2, 0.5)
            self.store.recover_expired_leases(self.now())

    def send_due(self, modem: ModemPort) -> int:
        sent = 0
        claim: ClaimedText | None = None
        while not self.stopping():
            if claim is None:
                now = self.now()
                # Text-backs and follow-ups wait for the gap and the caps; the rest go.
                hold = self.pacer.hold(now)
                # Only a read while nothing is due: the claim is a write transaction, and the
                # AGI hook must not queue behind one every 100 ms.
                # Several modems: only this modem's texts and those for any (store/routing.py).
                sim, takeover = self.settings.modem_name, self.settings.takeover_after
                if not sent:
                    due = self.store.next_due_at(hold, modem=sim, takeover_after=takeover)
                    if due is None or due > now:
                        break
                claim = self.store.claim_text(self.owner, self.settings.lease_seconds, now, hold=hold, modem=sim,
                                              takeover_after=takeover)
                if claim is None:
                    break
            if self.stopping():
                self.store.release(claim.message.id, self.owner)
                break
            # The next text is claimed in the same transaction as this one's sent record (one
            # commit per text), unless a text came in: a STOP is taken before a claim reads
            # the opt-outs.
            tried, claim = self.send_one(modem, claim, claim_next=not self.receiver.pending())
            sent += 1
            if self.receiver.pending():
                if claim is not None:
                    # It came in while that claim read the opt-outs: claim again after it.
                    self.store.release(claim.message.id, self.owner)
                    claim = None
                self.receiver.drain(modem)     # a STOP must not wait behind a long queue
            elif tried and claim is None:
                break                          # nothing more is due: the next pass looks again
        return sent

    def _expired(self, claim: ClaimedText) -> bool:
        """Checked at send time (store/rules/expiry.py): a text whose moment has passed
        (the modem was away, the worker was down) is marked expired, not sent late."""
        message = claim.message
        call_at = None
        if message.kind == TEXT_BACK and claim.call_happened_at is not None and claim.call_recorded_at is not None:
            # A call stamped ahead of our clock counts from when it was recorded.
            call_at = min(claim.call_happened_at, claim.call_recorded_at)
        why = expired(message.kind, now=self.now(), stale_after=self.settings.rules.stale_after,
                      due_at=message.due_at, call_at=call_at)
        if why is None:
            return False
        if claim.resumes and self.store.sent_part_count(message.id):
            # Its first parts went before a modem error: the caller holds half a text, and
            # the rest, late, is better than half for ever.
            log.info("text %s to %s is past its time but part of it went; sending the rest", message.id,
                     message.number)
            return False
        settled = self.store.expire_message(message.id, why)
        self.expired_count += 1
        log.warning("text %s (%s) to %s expired, not sent: %s%s", message.id, message.kind, message.number, why,
                    f"; {settled - 1} follow-up(s) cancelled with it" if settled > 1 else "")
        return True

    def send_one(self, modem: ModemPort, claim: ClaimedText,
                 claim_next: bool = False) -> tuple[bool, ClaimedText | None]:
        """Send one claimed text and record what happened. With `claim_next`, a text sent is
        recorded together with the claim of the next one: (True, that claim or None when
        none is due); otherwise (False, None)."""
        message = claim.message
        if self._expired(claim):
            return False, None
        if message.kind not in (KEYWORD_REPLY_KIND, FORWARD_KIND) and claim.opted_out:
            # The number opted out after the text was queued (read in the claim, under its
            # lock): honour it.
            self.store.cancel_message(message.id, "opted_out")
            log.info("text %s to %s not sent: opted out", message.id, message.number)
            return False, None
        text = sms_text.as_sent(message.body, self.settings.emoji)
        # A long text a modem error cut off resumes after the parts that went (kept in the
        # store), with the same concatenation reference, so the phone joins them into one
        # text: parts that went are never sent again, and the caller never keeps half a
        # text marked sent. The reference comes from the message id for that reason.
        done = self.store.sent_part_count(message.id) if claim.resumes else 0
        try:
            references = modem.send(message.number, text, concat_reference=message.id % 256,
                                    first_part=done + 1)
        except ValueError as exc:
            # A number or text that can never be sent: fail it now, never retry.
            self.store.mark_failed(message.id, str(exc))
            log.error("text %s to %s failed: %s", message.id, message.number, exc)
            return False, None
        except ModemLost as exc:
            self._keep_parts(message, exc, done)
            if not self.store.release(message.id, self.owner):
                log.warning("text %s: lease lost while the modem went away", message.id)
            raise
        except ModemError as exc:
            self._keep_parts(message, exc, done)
            self.failing_in_a_row += 1
            self.alerts.seen.last_failure = exc.text
            if exc.transient:
                # The caller's phone shows half a text until the rest comes, and the network
                # took a part a moment ago: try the rest soon, not after the usual backoff
                # (an attempt that sends nothing gets the backoff again).
                soon = RESUME_AFTER if exc.sent_references else None
                status = self.store.retry_later(message.id, exc.text, self.now(), delay=soon)
            else:
                self.store.mark_failed(message.id, exc.text + (f"; {done + len(exc.sent_references)} part(s) "
                                                               "went before it" if done or exc.sent_references
                                                               else ""))
                status = "failed"
            log.warning("text %s to %s: modem said %s; now %s", message.id, message.number, exc.text, status)
            return False, None
        return claim_next, self._sent(message, references, first_seq=done + 1, claimed=message,
                                      claim_next=claim_next)

    def _keep_parts(self, message: MessageRecord, exc: ModemError, done: int) -> None:
        """Parts of a long text went out before the modem error: record them, so the
        retry sends only the rest."""
        if not exc.sent_references:
            return
        self.store.record_sent_parts(message.id, list(exc.sent_references), first_seq=done + 1, now=self.now(),
                                     modem=self.settings.modem_name)
        first, last = done + 1, done + len(exc.sent_references)
        log.warning("text %s to %s: part(s) %d-%d went out before the modem error; the rest will follow",
                    message.id, message.number, first, last)

    def _sent(self, message: MessageRecord, references: Sequence[int], first_seq: int = 1,
              claimed: MessageRecord | None = None, claim_next: bool = False) -> ClaimedText | None:
        """Record the send (every part's reference: each part gets its own status report,
        store/delivery.py); with `claim_next`, claim the next due text in the same
        transaction and return it."""
        now = self.now()
        # The SIM sent it, recorded or not: the gap and the counts take it now, and the
        # next claim's hold follows from them.
        self.pacer.sent(now, message.kind, self.settings.modem_name)     # the SIM the store counts it for
        next_claim = None
        try:
            if claim_next:
                next_claim = self.store.mark_sent_and_claim(
                    message.id, list(references), self.owner, now, first_seq=first_seq,
                    modem=self.settings.modem_name, claimed=claimed, lease_seconds=self.settings.lease_seconds,
                    hold=self.pacer.hold(now), takeover_after=self.settings.takeover_after)
            else:
                self.store.mark_sent(message.id, list(references), self.owner, now, first_seq=first_seq,
                                     modem=self.settings.modem_name, claimed=claimed)
        except self.store_failures as exc:
            # Sent, not recorded: kept (memory + journal file) and recorded on a later
            # pass, never sent again (modem/worker/settlements.py).
            self.settlements.keep(message.id, list(references), self.owner, self.now(), first_seq,
                                  modem=self.settings.modem_name)
            log.warning("text %s to %s was sent but the store did not take it (%s): recording it again "
                        "every pass; it is not sent again", message.id, message.number, store_problem_text(exc))
            raise
        self.failing_in_a_row = 0
        self.last_sent_at = now
        resumed = f"; resumed at part {first_seq}" if first_seq > 1 else ""
        log.info("text sent: %s %s to %s (reference %s%s)", message.kind, message.id, message.number,
                 ",".join(map(str, references)) or "-", resumed)
        mine = self.settings.modem_name
        if message.modem is not None and mine is not None and message.modem != mine:
            # [sending] takeover_after: its own modem let it wait that long past its time.
            log.warning("text %s to %s was for modem %s, which has not sent it for %s: sent from modem %s "
                        "instead (its number, not %s's)", message.id, message.number, message.modem,
                        self.settings.takeover_after, mine, message.modem)
        return next_claim
