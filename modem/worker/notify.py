"""The notifier: the event outbox (store/events.py) delivered to each [[notify]] target,
off the texting path.

One thread per target, each with its own store connection, so a slow or dead target
never delays a text nor another target. Each thread hands its target the events after
its cursor, in order, one at a time (modem/worker/notify_send.py); the cursor moves in
the store only after the target took the event, so after a crash (even SIGKILL between
the change and the send) the event goes when the worker is back: at least once, and a
receiver deduplicates on the event's id. A failed try waits retry_first, doubling up to
retry_max; an event still refused retry_for after it happened is given up on (logged,
counted in `textback status`). alert_after failures in a row raise an alert (texted to
staff like any other), cleared when the target takes an event again.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from modem.worker.notify_send import DeliveryFailed, NotifyTarget, deliver
from store import times
from store.event_types import expand
from store.events import event_json
from store.records import EventRecord

log = logging.getLogger("modem.worker")

POLL_SECONDS = 0.2
BATCH = 20


class NotifyStore(Protocol):
    failures: tuple[type[BaseException], ...]

    def pending_events(self, target: str, types: Sequence[str] = (), limit: int = 50) -> list[EventRecord]: ...

    def event_delivered(self, target: str, event_id: int, now: datetime | None = None, *,
                        dropped: bool = False) -> None: ...

    def event_failed(self, target: str, error: str, next_try_at: datetime, now: datetime | None = None) -> int: ...

    def raise_alert(self, key: str, text: str, now: datetime | None = None) -> bool: ...

    def clear_alert(self, key: str, now: datetime | None = None) -> bool: ...

    def reset_after_error(self) -> None: ...

    def close(self) -> None: ...


def alert_key(target: NotifyTarget) -> str:
    return f"notify_{target.name}"


class TargetSender:
    """One target's loop (run on its own thread by Notifier)."""

    def __init__(self, target: NotifyTarget, store: NotifyStore, stop: threading.Event):
        self.target = target
        self.store = store
        self.stop = stop
        self.types = expand(target.events)
        self.failures = 0
        self.next_try = 0.0                 # monotonic
        self.alerted = False

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                busy = self.step()
            except self.store.failures as exc:
                log.warning("notify %s: the store is not answering (%s); trying again", self.target.name, exc)
                self.store.reset_after_error()
                busy = False
                self.stop.wait(1.0)
            except Exception:           # a bug must not end the deliveries; logged with its traceback
                log.exception("notify %s: delivery pass failed; carrying on", self.target.name)
                busy = False
                self.stop.wait(1.0)
            if not busy:
                self.stop.wait(min(POLL_SECONDS, max(0.0, self.next_try - time.monotonic())) or POLL_SECONDS)

    def step(self) -> bool:
        """Deliver what is due; True when there may be more to do at once."""
        if time.monotonic() < self.next_try:
            return False
        events = self.store.pending_events(self.target.name, self.types, BATCH)
        for event in events:
            if self.stop.is_set():
                return False
            if not self._one(event):
                return False
        return len(events) == BATCH

    def _one(self, event: EventRecord) -> bool:
        target = self.target
        try:
            deliver(target, event_json(event), event.uid, event.type)
        except DeliveryFailed as exc:
            now = times.utcnow()
            if now - event.at > target.retry_for:
                log.error("notify %s: gave up on event %s (%s of %s) after %s: %s", target.name, event.uid,
                          event.type, f"{event.at:%Y-%m-%d %H:%M:%S}", target.retry_for, exc.text)
                self.store.event_delivered(target.name, event.id, now, dropped=True)
                return True
            delay = min(target.retry_first * 2 ** self.failures, target.retry_max)
            self.failures = self.store.event_failed(target.name, exc.text, now + timedelta(seconds=delay), now)
            self.next_try = time.monotonic() + delay
            if self.failures == 1:
                log.warning("notify %s: %s; trying again in %g s (events wait in the store)", target.name,
                            exc.text, delay)
            if self.failures >= target.alert_after and not self.alerted:
                self.alerted = True
                self.store.raise_alert(alert_key(target), (
                    f"events are not reaching {target.name} ({self.failures} tries in a row failed; last: "
                    f"{exc.text[:120]}). They are kept and sent when it answers; check {target.where}"), now)
            return False
        self.store.event_delivered(target.name, event.id)
        if self.failures:
            log.info("notify %s: delivering again after %d failed tries", target.name, self.failures)
            self.failures = 0
        if self.alerted:
            self.alerted = False
            self.store.clear_alert(alert_key(target))
        return True


class Notifier:
    """Starts one TargetSender thread per target, each with a store from `open_store`."""

    def __init__(self, targets: Sequence[NotifyTarget], open_store: Callable[[], NotifyStore]):
        self.targets = tuple(targets)
        self.open_store = open_store
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for target in self.targets:
            thread = threading.Thread(target=self._run, args=(target,), name=f"notify-{target.name}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def _run(self, target: NotifyTarget) -> None:
        while not self.stop_event.is_set():
            try:
                store = self.open_store()
                break
            except Exception as exc:  # noqa: BLE001 - the store is down at start: the loop waits for it
                log.warning("notify %s: cannot open the store (%s); trying again", target.name, exc)
                self.stop_event.wait(2.0)
        else:
            return
        try:
            TargetSender(target, store, self.stop_event).run()
        finally:
            store.close()

    def stop(self, wait: float = 5.0) -> None:
        """Stop after the try in flight (a target's timeout bounds it); daemon threads never
        hold the worker's exit beyond `wait`."""
        self.stop_event.set()
        deadline = time.monotonic() + wait
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
