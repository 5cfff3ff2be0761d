"""The heartbeat row `textback status` reads (store/health.py), rewritten every few seconds.

Each worker has its own row (modem_name "": the one [modem]'s). Modem health (several AT
commands: signal, operator, registration, memory use) is read less often than the beat.
A failed beat is only logged: it must never stop the texts.
"""
from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from modem.device.errors import ModemError, ModemLost
from modem.worker.alerts import AlertWatch
from modem.worker.ports import LoopStore, ModemPort
from modem.worker.receiving import Receiver
from modem.worker.sending import Sender
from modem.worker.settings import WorkerSettings
from store.errors import StoreError

log = logging.getLogger("modem.worker")

HEARTBEAT_SECONDS = 5.0
HEALTH_SECONDS = 60.0


class Heartbeat:
    """What the worker last did and how its modem is, for `textback status` and `reply`."""

    def __init__(self, store: LoopStore, settings: WorkerSettings, *, now: Callable[[], datetime],
                 alerts: AlertWatch, receiver: Receiver, sender: Sender):
        self.store = store
        self.settings = settings
        self.now = now
        self.alerts = alerts
        self.receiver = receiver
        self.sender = sender
        self.status: dict[str, Any] = {"pid": os.getpid(), "host": socket.gethostname(),
                                       "modem_name": settings.modem_name or ""}
        self.next_beat = 0.0            # monotonic time of the next beat
        self.next_health = 0.0          # ... and of the next health read

    def started(self) -> None:
        self.status.update(started_at=self.now(), stopped_at=None, beat_seconds=HEARTBEAT_SECONDS)

    def soon(self) -> None:
        """Beat on the next pass, not in up to HEARTBEAT_SECONDS."""
        self.next_beat = 0.0

    def modem_lost(self, why: str) -> None:
        self.status.update(last_error=f"modem lost: {why}", last_error_at=self.now())
        self.soon()

    def beat(self, modem: ModemPort | None) -> None:
        """Rewrite the heartbeat every few seconds; modem health (several AT commands)
        less often. A failed beat is only logged: it must never stop the texts."""
        if time.monotonic() < self.next_beat:
            return
        self.next_beat = time.monotonic() + HEARTBEAT_SECONDS
        status = dict(self.status, modem_alive=modem is not None,
                      modem_port=getattr(modem, "port", "") or self.settings.modem_port)
        if modem is not None:
            # Every beat, not only with the health read: a text refused a second ago says why now.
            status["modem_flags"] = list(modem.flags)
        if modem is not None and time.monotonic() >= self.next_health:
            self.next_health = time.monotonic() + HEALTH_SECONDS
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
        if self.sender.last_sent_at is not None:
            status["last_sent_at"] = self.sender.last_sent_at
        if self.receiver.last_received_at is not None:
            status["last_received_at"] = self.receiver.last_received_at
        status["alerts"] = self.alerts.texts()
        try:
            self.store.write_worker_status(beat_at=self.now(), **status)
        except StoreError as exc:
            log.warning("heartbeat not written: %s", exc)

    def stopped(self) -> None:
        """A clean stop is written at once, so `textback status` and `reply` are right at once
        rather than after the beat ages."""
        try:
            self.store.write_worker_status(beat_at=self.now(), stopped_at=self.now(), modem_alive=False,
                                           modem_name=self.status["modem_name"])
        except Exception as exc:  # noqa: BLE001 - the stop itself must finish: status then ages the beat
            log.warning("could not record the stop in the heartbeat row: %s", exc)
