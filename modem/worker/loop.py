"""The worker loop: spool -> plan -> send; modem events -> store; a modem that goes away comes back.

One pass (`run_once`), every `poll_interval` (0.1 s) or at once when the modem announces
something:
  1. import spooled calls, plan every new call (modem/planning.py);
  2. store each received text, act on it (modem/conversation.py), and only then delete
     the modem's copy;
  3. (re)connect the modem, with backoff, logging the loss and the return once each;
  4. sweep the modem's memories now and then for texts whose notice never came;
  5. claim each due message under a lease, send it, record the reference;
  6. while a purge of rows older than [store] keep is under way (hourly), one small batch
     of it (modem/worker/housekeeping.py).
Polling at 0.1 s is what makes a missed call's first text leave well under a second
after the hook wrote it; the reads it costs are an index lookup each.

Recovery: a message is claimed one at a time under a lease, so after a SIGKILL the next
start (or any worker, once the lease lapses) sends it again: at most the one message in
flight at the kill goes twice. SIGTERM (`stop`) lets the current send finish; a claimed
message not yet sent is released untouched.

Receiving (queue, sweep, join long texts, delete after commit) is modem/receiving.py.

Threads: the modem's notification thread calls `receiver.take` (which only queues) and
`_take_report` (which commits the status report before the device deletes it); all
other store and modem work happens on the loop's thread.
"""
from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from modem.device.errors import ModemError, ModemLost
from modem.sms import measure as sms_text
from modem.sms.pdu import StatusReport
from modem.worker.alerts import AlertWatch, safe_look
from modem.worker.conversation import FORWARD_KIND, KEYWORD_REPLY_KIND, Conversation
from modem.worker.housekeeping import Housekeeper
from modem.worker.notify import Notifier, NotifyStore
from modem.worker.pacing import Pacer
from modem.worker.planning import Planner
from modem.worker.ports import ModemPort, OpenModem, WorkerStore
from modem.worker.receiving import Receiver
from modem.worker.settings import WorkerSettings
from modem.worker.settlements import Settlements
from modem.worker.systemd_notify import Watchdog, notify
from store import times
from store.errors import StoreError
from store.records import ClaimedText, MessageRecord
from store.rules.expiry import TEXT_BACK, expired
from store.spool import ram_spool_dir

# One stable name for journald and log filters, whichever module of modem/worker/ logs.
log = logging.getLogger("modem.worker")

# Wrong PIN / PUK needed: retrying would burn the SIM's last PIN tries.
_NEVER_RETRY_CODES = (11, 12, 16)
HEARTBEAT_SECONDS = 5.0
# A long text cut off after some parts went: the rest is tried again this soon.
RESUME_AFTER = timedelta(seconds=2)
HEALTH_SECONDS = 60.0


def store_problem_text(exc: BaseException) -> str:
    """The first cause, not the echo: on a full disk SQLite rolls back by itself and the
    driver's own ROLLBACK then fails with "cannot rollback - no transaction is active"."""
    while "cannot rollback" in str(exc) and exc.__context__ is not None:
        exc = exc.__context__
    return str(exc) or type(exc).__name__


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """The loop. `open_modem(on_sms=..., on_status_report=...)` returns a modem (a
    modem.device.modem.Modem; ports.py says what of it the loop uses) or raises
    ModemError; `now` is the clock (tests inject one)."""

    def __init__(self, store: WorkerStore, settings: WorkerSettings, open_modem: OpenModem, *,
                 now: Callable[[], datetime] = times.utcnow, owner: str | None = None,
                 open_store: Callable[[], NotifyStore] | None = None):
        self.store = store
        self.settings = settings
        self.open_modem = open_modem
        self.now = now
        self.owner = owner or default_owner()
        self.planner = Planner(store, settings.rules, settings.modem_lines)
        self.conversation = Conversation(store, settings)
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self.modem: ModemPort | None = None
        self.receiver = Receiver(store, self.conversation, now, self.wake)
        self.housekeeper = Housekeeper(store, settings.keep, settings.purge_batch)
        self.pacer = Pacer(store, settings.limits, settings.rules.hours.tz, modem=settings.modem_name)
        self._failures = 0                 # modem open attempts failed in a row
        self._next_attempt = 0.0           # monotonic time of the next open attempt
        self._lost_since: float | None = None
        self._next_sweep = 0.0
        self._next_ping = 0.0
        self._next_lease_check = 0.0
        self._watchdog = Watchdog()
        self.settlements = Settlements([settings.spool_dir or "", ram_spool_dir()])
        self._store_failures = getattr(store, "failures", (StoreError,))
        self._last_store_problem = ("", 0.0)
        self.passes = 0
        self.expired_count = 0
        self._failing_in_a_row = 0
        db_file = ("" if getattr(store, "is_postgresql", False)
                   else str(getattr(getattr(store, "db", None), "database", "") or ""))
        self.alerts = AlertWatch(store, settings.staff_numbers,
                                 [os.path.dirname(os.path.abspath(db_file)) if db_file else "",
                                  settings.spool_dir or ""], settings.modem_name)
        # The heartbeat row `textback status` reads (store/health.py).
        # Its own row among several workers' (modem_name "": the one [modem]'s row).
        self._status: dict[str, Any] = {"pid": os.getpid(), "host": socket.gethostname(),
                                        "modem_name": settings.modem_name or ""}
        self._next_beat = 0.0
        self._next_health = 0.0
        # The events out to the shop's other systems, on threads of their own (modem/worker/notify.py),
        # each with its own connection to the same store.
        self.notifier: Notifier | None = None
        if settings.notify:
            url = getattr(store, "url", "")
            if open_store is None and url:
                from store import Store

                def open_store() -> NotifyStore:
                    return Store.open(url)
            if open_store is None:
                log.warning("[[notify]] targets configured but this store cannot be opened again: no events go out")
            else:
                self.notifier = Notifier(settings.notify, open_store)

    # -- the loop -----------------------------------------------------------------------------
    def run(self, stop: threading.Event | None = None) -> None:
        """Run until `stop` (or self.stop_event) is set; then close the modem."""
        if stop is not None:
            self.stop_event = stop
        recovered = 0
        try:
            if self.settlements.load():
                log.warning("%d text(s) sent by the last worker but not recorded: recording them now",
                            len(self.settlements.pending))
            if self.settlements.settle(self.store):
                recovered = self.store.recover_expired_leases(self.now())
        except self._store_failures as exc:      # a full disk at start: the loop below retries
            self._store_problem(exc)
        self._start_notifier()
        self._status.update(started_at=self.now(), stopped_at=None, beat_seconds=HEARTBEAT_SECONDS)
        log.info("worker %s started%s%s", self.owner, self._modem_words(),
                 f"; {recovered} message(s) from a stopped worker will be sent again" if recovered else "")
        notify("READY=1")
        try:
            while not self.stop_event.is_set():
                try:
                    self.run_once()
                    self._look_for_alerts()
                    self._beat()
                    self.alerts.store_ok(self.now())
                except self._store_failures as exc:
                    self._store_problem(exc)
                    self.alerts.store_failed(str(exc), self.now())
                    self._text_staff_directly(self.alerts.unwritable_text())
                    self.stop_event.wait(1.0)
                except Exception:
                    # A bug must not stop the shop's texts; it is logged with its traceback
                    # and the loop slows down so the log is not flooded.
                    log.exception("worker pass failed; carrying on")
                    self.stop_event.wait(1.0)
                self._watchdog.pet()
                self.wake.wait(self.settings.poll_interval)
                self.wake.clear()
        finally:
            notify("STOPPING=1")
            if self.notifier is not None:
                self.notifier.stop()
            self._close_modem()
            self._say_stopped()
            log.info("worker %s stopped", self.owner)

    def _modem_words(self) -> str:
        """Which of several modems this worker drives and whose callers it texts, for its
        start line ("" for the one [modem])."""
        name = self.settings.modem_name
        if name is None:
            return ""
        lines = dict(self.settings.modem_lines).get(name, ())
        whose = ", ".join(lines) if lines else "every line no other modem lists"
        takeover = self.settings.takeover_after
        after = (f"; sends another modem's text {takeover} past its time" if takeover
                 else "; never sends another modem's texts")
        return f" for modem {name} (texts callers of {whose}{after})"

    def _start_notifier(self) -> None:
        """Each target's row first (a new target hears events from now on), then the threads."""
        if self.notifier is None:
            return
        names = [t.name for t in self.notifier.targets]
        try:
            self.store.prepare_notify_targets(names, self.now())
        except self._store_failures as exc:
            log.error("notify targets not started: the store refused their rows (%s); restart the worker", exc)
            return
        self.notifier.start()
        log.info("sending events to %s", ", ".join(f"{t.name} ({t.where})" for t in self.notifier.targets))

    def _say_stopped(self) -> None:
        """A clean stop is written at once, so `textback status` and `reply` are right at once
        rather than after the beat ages."""
        try:
            self.store.write_worker_status(beat_at=self.now(), stopped_at=self.now(), modem_alive=False,
                                           modem_name=self._status["modem_name"])
        except Exception as exc:  # noqa: BLE001 - the stop itself must finish: status then ages the beat
            log.warning("could not record the stop in the heartbeat row: %s", exc)

    def stop(self) -> None:
        self.stop_event.set()
        self.wake.set()

    def _database_replaced(self, how: str, now: datetime) -> None:
        """The file at the store's path is not the one we hold open (checked by inode every
        pass): follow the path, as the hook does, and say so."""
        log.error("database %s under the running worker: reopening the file now at that path. Calls and "
                  "texts only in the old file are not in it; if this was not a restore, restore the file "
                  "from a backup", how)
        self.store.reopen()
        self.planner.forget()
        self.pacer.forget()
        self.alerts.forget()
        self.alerts.event("database_replaced", f"the database {how} while the worker ran; the worker now "
                          "uses the new file. If nobody restored it on purpose, restore it from a backup", now)
        self._next_beat = 0.0           # `textback status` reads the new file: beat there at once

    def _store_problem(self, exc: BaseException) -> None:
        """One line per distinct problem a minute (a full disk fails every pass), then a
        clean connection for the next pass (store.reset_after_error)."""
        text = store_problem_text(exc)
        last, at = self._last_store_problem
        if text != last or time.monotonic() - at > 60:
            self._last_store_problem = (text, time.monotonic())
            log.error("store problem, retrying every second: %s", text)
        self.store.reset_after_error()

    def run_once(self) -> None:
        now = self.now()
        self.passes += 1
        changed = self.store.file_replaced() if hasattr(self.store, "file_replaced") else None
        if changed:
            self._database_replaced(changed, now)
        # Sends the store did not take first: nothing is recovered or claimed before them.
        settled = self.settlements.settle(self.store) if self.settlements.pending else True
        self.planner.import_spooled(self.settings.spool_dir)
        self.planner.import_spooled(ram_spool_dir())      # the hook's fallback when the disk was full
        self.planner.plan_new_calls(now)
        if settled:
            self._recover_leases()
        modem = self._modem_ready()
        self.receiver.drain(modem)
        if modem is None:
            self.housekeeper.step(now)
            return
        try:
            if time.monotonic() >= self._next_sweep:
                self._next_sweep = time.monotonic() + self.settings.sweep_interval.total_seconds()
                self.receiver.sweep(modem)
            if settled:
                self._send_due(modem)
            if time.monotonic() >= self._next_ping:
                self._next_ping = time.monotonic() + self.settings.health_interval
                modem.ping()
        except ModemLost as exc:
            self._drop_modem(exc.text)
        # Last in the pass: one small batch of an old-rows purge, after today's texts went.
        self.housekeeper.step(now)

    def _look_for_alerts(self) -> None:
        seen = self.alerts.seen
        seen.held_calls, seen.hourly_cap = self.planner.held_count(), self.settings.rules.hourly_cap
        seen.modem_lost_for = (time.monotonic() - self._lost_since
                               if self.modem is None and self._lost_since is not None else None)
        seen.failing_in_a_row = self._failing_in_a_row
        now = self.now()
        if self.alerts.looking_soon():
            seen.carrier_limits = self.pacer.alert(now)
        for number, text in safe_look(self.alerts, now):
            self.store.queue_message(number, "alert", text, now)

    def _text_staff_directly(self, text: str | None) -> None:
        """The one alert that cannot go through the queue: the queue cannot be written."""
        if not text or self.modem is None:
            return
        for number in self.settings.staff_numbers:
            try:
                self.modem.send(number, sms_text.as_sent(text, self.settings.emoji))
                log.warning("alert texted straight to %s: %s", number, text)
            except (ModemError, ValueError) as exc:
                log.warning("alert not texted to %s: %s", number, exc)

    def _beat(self) -> None:
        """Rewrite the heartbeat every few seconds; modem health (several AT commands)
        less often. A failed beat is only logged: it must never stop the texts."""
        if time.monotonic() < self._next_beat:
            return
        self._next_beat = time.monotonic() + HEARTBEAT_SECONDS
        modem = self.modem
        status = dict(self._status, modem_alive=modem is not None,
                      modem_port=getattr(modem, "port", "") or self.settings.modem_port)
        if modem is not None:
            # Every beat, not only with the health read: a text refused a second ago says why now.
            status["modem_flags"] = list(modem.flags)
        if modem is not None and time.monotonic() >= self._next_health:
            self._next_health = time.monotonic() + HEALTH_SECONDS
            try:
                health = modem.health()
                status.update(signal_dbm=health.signal_dbm, operator=health.operator,
                              registration=health.registration, modem_flags=list(health.flags),
                              modem_model=health.identity)
                # The memory new SMS go to (ME when the modem has it, 100 slots), not the
                # first one swept (SM, 30): a full ME with an empty SM still stops replies.
                memory = health.receive_memory or next(iter(health.storage), "")
                used, total = health.storage.get(memory, (None, None))
                status.update(sim_used=used, sim_total=total, receive_memory=memory or None)
                if total and used is not None:
                    self.alerts.seen.receive_memory = (memory, used, total)
            except ModemLost:
                pass        # the next pass notices and reconnects
            except ModemError as exc:
                log.debug("modem health not read: %s", exc.text)
        if self.receiver.last_received_at is not None:
            status["last_received_at"] = self.receiver.last_received_at
        status["alerts"] = self.alerts.texts()
        try:
            self.store.write_worker_status(beat_at=self.now(), **status)
        except StoreError as exc:
            log.warning("heartbeat not written: %s", exc)

    # -- the modem's life ---------------------------------------------------------------------
    def _modem_ready(self) -> ModemPort | None:
        modem = self.modem
        if modem is not None:
            if modem.is_alive():
                return modem
            self._drop_modem("the link died (unplugged, hung, or its reader stopped)")
        if time.monotonic() < self._next_attempt:
            return None
        try:
            modem = self.open_modem(on_sms=self.receiver.take, on_status_report=self._take_report)
        except (ModemError, OSError) as exc:
            self._open_failed(exc)
            return None
        self.modem = modem
        if self._lost_since is not None:
            log.warning("modem back on %s after %.0f s", getattr(modem, "port", "?"),
                        time.monotonic() - self._lost_since)
        else:
            log.debug("modem ready on %s", getattr(modem, "port", "?"))
        self._failures, self._lost_since = 0, None
        self._next_sweep = 0.0             # look for texts that arrived while it was away
        self._next_ping = time.monotonic() + self.settings.health_interval
        return modem

    def _open_failed(self, exc: Exception) -> None:
        text = getattr(exc, "text", None) or str(exc)
        if getattr(exc, "code", None) in _NEVER_RETRY_CODES:
            self._next_attempt = math.inf
            log.error("modem refused the SIM PIN (%s); not retrying, so the SIM keeps its last tries. "
                      "Fix [modem] pin in the configuration and restart the worker.", text)
            return
        delays = self.settings.reconnect_delays
        delay = delays[min(self._failures, len(delays) - 1)]
        self._failures += 1
        self._next_attempt = time.monotonic() + delay
        if self._failures == 1:
            if self._lost_since is None:
                self._lost_since = time.monotonic()
            log.warning("modem not available: %s; trying again (backing off up to %g s)", text, delays[-1])
        else:
            log.debug("modem still not available (try %d): %s; next in %g s", self._failures, text, delay)

    def _drop_modem(self, why: str) -> None:
        if self.modem is None:
            return
        log.warning("modem lost on %s: %s; reconnecting", getattr(self.modem, "port", "?"), why)
        self._status.update(last_error=f"modem lost: {why}", last_error_at=self.now())
        self._next_beat = 0.0
        self._close_modem()
        self._lost_since = time.monotonic()
        self._failures = 0
        self._next_attempt = time.monotonic() + self.settings.reconnect_delays[0]

    def _close_modem(self) -> None:
        modem, self.modem = self.modem, None
        if modem is not None:
            try:
                modem.close()
            except Exception:  # the port is gone already; nothing left to release
                log.debug("closing the modem failed", exc_info=True)

    def _recover_leases(self) -> None:
        if time.monotonic() >= self._next_lease_check:
            self._next_lease_check = time.monotonic() + max(self.settings.lease_seconds / 2, 0.5)
            self.store.recover_expired_leases(self.now())

    # -- sending ------------------------------------------------------------------------------
    def _send_due(self, modem: ModemPort) -> int:
        sent = 0
        claim: ClaimedText | None = None
        while not self.stop_event.is_set():
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
            if self.stop_event.is_set():
                self.store.release(claim.message.id, self.owner)
                break
            # The next text is claimed in the same transaction as this one's sent record (one
            # commit per text), unless a text came in: a STOP is taken before a claim reads
            # the opt-outs.
            tried, claim = self._send_one(modem, claim, claim_next=not self.receiver.pending())
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

    def _send_one(self, modem: ModemPort, claim: ClaimedText,
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
            self._failing_in_a_row += 1
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
        except self._store_failures as exc:
            # Sent, not recorded: kept (memory + journal file) and recorded on a later
            # pass, never sent again (modem/worker/settlements.py).
            self.settlements.keep(message.id, list(references), self.owner, self.now(), first_seq,
                                  modem=self.settings.modem_name)
            log.warning("text %s to %s was sent but the store did not take it (%s): recording it again "
                        "every pass; it is not sent again", message.id, message.number, store_problem_text(exc))
            raise
        self._failing_in_a_row = 0
        self._status["last_sent_at"] = now
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

    # -- status reports (modem notification thread) ---------------------------------------------
    def _take_report(self, report: StatusReport) -> None:
        if report.pending:
            return
        number = report.recipient if report.recipient.startswith("+") else f"+{report.recipient}"
        at = report.discharged_at or self.now()
        # Matched on our own clock (the part was sent before now); `at` is the SMS centre's,
        # which may run behind ours.
        found = self.store.mark_delivered(report.reference, number, report.delivered, at,
                                          reported_at=self.now(), status=report.status)
        if found is None and number != report.recipient:
            found = self.store.mark_delivered(report.reference, report.recipient, report.delivered, at,
                                              reported_at=self.now(), status=report.status)
        if found is not None:
            text = self.store.message(found)
            log.info("text %s to %s: part with reference %d %s; the text is %s", found, number,
                     report.reference, "delivered" if report.delivered else
                     f"NOT delivered (status {report.status:#x})", text.status if text else "?")

    # -- receiving ------------------------------------------------------------------------------
