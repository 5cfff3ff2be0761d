"""The worker loop: spool -> plan -> send; modem events -> store; a modem that goes away comes back.

One pass (`run_once`), every `poll_interval` (0.1 s) or at once when the modem announces
something:
  1. import spooled calls, plan every new call (modem/planning.py);
  2. store each received text, act on it (modem/conversation.py), and only then delete
     the modem's copy;
  3. (re)connect the modem, with backoff, logging the loss and the return once each
     (modem/worker/connection.py);
  4. sweep the modem's memories now and then for texts whose notice never came;
  5. claim each due message under a lease, send it, record the reference
     (modem/worker/sending.py);
  6. while a purge of rows older than [store] keep is under way (hourly), one small batch
     of it (modem/worker/housekeeping.py).
Polling at 0.1 s is what makes a missed call's first text leave well under a second
after the hook wrote it; the reads it costs are an index lookup each.

Recovery: a message is claimed one at a time under a lease, so after a SIGKILL the next
start (or any worker, once the lease lapses) sends it again: at most the one message in
flight at the kill goes twice. SIGTERM (`stop`) lets the current send finish; a claimed
message not yet sent is released untouched.

Receiving (queue, sweep, join long texts, delete after commit) is modem/receiving.py;
the heartbeat row `textback status` reads is modem/worker/heartbeat.py.

Threads: the modem's notification thread calls `receiver.take` (which only queues) and
`_take_report` (which commits the status report before the device deletes it); all
other store and modem work happens on the loop's thread.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime

from modem.device.errors import ModemError, ModemLost
from modem.sms import measure as sms_text
from modem.sms.pdu import StatusReport
from modem.worker.alerts import AlertWatch, safe_look
from modem.worker.connection import ModemConnection
from modem.worker.conversation import Conversation
from modem.worker.heartbeat import Heartbeat
from modem.worker.housekeeping import Housekeeper
from modem.worker.notify import Notifier, NotifyStore
from modem.worker.pacing import Pacer
from modem.worker.planning import Planner
from modem.worker.ports import ModemPort, OpenModem, WorkerStore
from modem.worker.receiving import Receiver
from modem.worker.sending import Sender, store_problem_text
from modem.worker.settings import WorkerSettings
from modem.worker.settlements import Settlements
from modem.worker.systemd_notify import Watchdog, notify
from store import times
from store.errors import StoreError
from store.spool import ram_spool_dir

# One stable name for journald and log filters, whichever module of modem/worker/ logs.
log = logging.getLogger("modem.worker")


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """The loop. `open_modem(on_sms=..., on_status_report=...)` returns a modem (a
    modem.device.modem.Modem; ports.py says what of it the loop uses) or raises
    ModemError; `now` is the clock (tests inject one). Its roles are parts it holds:
    `connection` (the modem's life), `sender` (the send pass), `heartbeat` (the status row)."""

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
        self.receiver = Receiver(store, self.conversation, now, self.wake)
        self.housekeeper = Housekeeper(store, settings.keep, settings.purge_batch)
        self.pacer = Pacer(store, settings.limits, settings.rules.hours.tz, modem=settings.modem_name)
        self._next_sweep = 0.0
        self._watchdog = Watchdog()
        self.settlements = Settlements([settings.spool_dir or "", ram_spool_dir()])
        self._store_failures = getattr(store, "failures", (StoreError,))
        self._last_store_problem = ("", 0.0)
        self.passes = 0
        db_file = ("" if getattr(store, "is_postgresql", False)
                   else str(getattr(getattr(store, "db", None), "database", "") or ""))
        self.alerts = AlertWatch(store, settings.staff_numbers,
                                 [os.path.dirname(os.path.abspath(db_file)) if db_file else "",
                                  settings.spool_dir or ""], settings.modem_name)
        self.sender = Sender(store, settings, owner=self.owner, now=now, pacer=self.pacer,
                             receiver=self.receiver, alerts=self.alerts, settlements=self.settlements,
                             store_failures=self._store_failures, stopping=lambda: self.stop_event.is_set())
        self.heartbeat = Heartbeat(store, settings, now=now, alerts=self.alerts, receiver=self.receiver,
                                   sender=self.sender)
        self.connection = ModemConnection(settings, open_modem, on_sms=self.receiver.take,
                                          on_status_report=self._take_report, on_lost=self.heartbeat.modem_lost,
                                          on_open=self._sweep_soon)
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
        self.heartbeat.started()
        log.info("worker %s started%s%s", self.owner, self._modem_words(),
                 f"; {recovered} message(s) from a stopped worker will be sent again" if recovered else "")
        notify("READY=1")
        try:
            while not self.stop_event.is_set():
                try:
                    self.run_once()
                    self._look_for_alerts()
                    self.heartbeat.beat(self.modem)
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
            self.heartbeat.stopped()
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
        self.heartbeat.soon()           # `textback status` reads the new file: beat there at once

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
            self.sender.recover_leases()
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
                self.sender.send_due(modem)
            self.connection.ping_if_due(modem)
        except ModemLost as exc:
            self.connection.drop(exc.text)
        # Last in the pass: one small batch of an old-rows purge, after today's texts went.
        self.housekeeper.step(now)

    def _look_for_alerts(self) -> None:
        seen = self.alerts.seen
        seen.held_calls, seen.hourly_cap = self.planner.held_count(), self.settings.rules.hourly_cap
        seen.modem_lost_for = self.connection.lost_for()
        seen.failing_in_a_row = self.sender.failing_in_a_row
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

    # -- the parts' verbs, by the names the tests and the bench call -------------------------
    @property
    def modem(self) -> ModemPort | None:
        """The open modem, None while it is away."""
        return self.connection.modem

    @property
    def expired_count(self) -> int:
        return self.sender.expired_count

    def _modem_ready(self) -> ModemPort | None:
        return self.connection.ready()

    def _close_modem(self) -> None:
        self.connection.close()

    def _send_due(self, modem: ModemPort) -> int:
        return self.sender.send_due(modem)

    # Tests set these to 0 to have the next pass beat (or read the modem's health) at once.
    @property
    def _next_beat(self) -> float:
        return self.heartbeat.next_beat

    @_next_beat.setter
    def _next_beat(self, at: float) -> None:
        self.heartbeat.next_beat = at

    @property
    def _next_health(self) -> float:
        return self.heartbeat.next_health

    @_next_health.setter
    def _next_health(self, at: float) -> None:
        self.heartbeat.next_health = at

    def _sweep_soon(self) -> None:
        """The modem (re)opened: look for texts that arrived while it was away."""
        self._next_sweep = 0.0

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
