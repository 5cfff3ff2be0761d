"""The worker's side of carrier-safe sending (the rules are store/rules/pacing.py).

One job: know what the SIM sent (counted in the store: texts since the shop's local
midnight, distinct numbers in 30 days), when the gap after the last text ends, and so
which due texts wait. The counts are read again after each send and every REFRESH,
so several workers on one store (or a restart) never lose count. With several modems
([[modem]] entries, one worker each) each SIM has its own caps: a worker counts the texts
that left from its modem only, and holds only its own.
"""
from __future__ import annotations

import logging
import random
import time
from datetime import datetime

from modem.worker.ports import LoopStore
from store.rules import pacing
from store.rules.pacing import CarrierLimits, Hold, Usage

log = logging.getLogger("modem.worker")

REFRESH_SECONDS = 30.0


class Pacer:
    def __init__(self, store: LoopStore, limits: CarrierLimits, tz: str, rng: random.Random | None = None,
                 modem: str | None = None):
        self.store = store
        self.limits = limits
        self.tz = tz
        self.modem = modem              # the [[modem]] whose SIM this counts; None: the one [modem]
        self.rng = rng or random.Random()
        self.usage = Usage()
        self.paced_from: datetime | None = None
        self._counted_day: datetime | None = None
        self._next_count = 0.0
        self._said = ""

    @property
    def active(self) -> bool:
        return self.limits != pacing.NO_LIMITS

    def forget(self) -> None:
        """Count again from the store (the database was replaced)."""
        self._next_count = 0.0

    def hold(self, now: datetime) -> Hold | None:
        """What waits now (None: all due texts may go)."""
        if not self.active:
            return None
        self._count(now)
        hold = pacing.hold_for(self.limits, self.usage, now, self.paced_from, self.modem)
        why = hold.why if hold is not None and hold.why != "gap" else ""
        if why != self._said:
            self._said = why
            whose = f"modem {self.modem}: " if self.modem else ""
            if why == "daily_cap":
                log.warning("%sdaily cap of %d texts reached: text-backs and follow-ups wait for the shop's next "
                            "day; staff replies and STOP confirmations still go", whose, self.limits.daily_cap)
            elif why == "recipients_cap":
                log.warning("%scap of %d distinct numbers in 30 days reached: text-backs to new numbers wait; "
                            "staff replies and STOP confirmations still go", whose, self.limits.recipients_cap)
            else:
                log.info("%scarrier limits allow text-backs again", whose)
        return hold

    def sent(self, now: datetime) -> None:
        """A text went: the next paced one waits a gap, and the counts are read again."""
        if not self.active:
            return
        self.paced_from = now + pacing.next_gap(self.limits, self.rng.random())
        self._next_count = 0.0

    def alert(self, now: datetime) -> str | None:
        """The alert sentence (80% or at a cap) or None."""
        if not self.active:
            return None
        self._count(now)
        hold = pacing.hold_for(self.limits, self.usage, now, None, self.modem)
        held = self.store.held_count(hold, now) if hold is not None else 0
        return pacing.cap_alert(self.limits, self.usage, held, self.modem)

    def _count(self, now: datetime) -> None:
        day = pacing.day_start(now, self.tz)
        if day == self._counted_day and time.monotonic() < self._next_count:
            return
        self.usage = Usage(sent_today=self.store.sent_count_since(day, self.modem),
                           recipients=self.store.recipient_count_since(now - pacing.RECIPIENT_WINDOW, self.modem))
        self._counted_day, self._next_count = day, time.monotonic() + REFRESH_SECONDS
