"""The worker's side of carrier-safe sending (the rules are store/rules/pacing.py).

One job: know what the SIM sent (counted in the store: texts since the shop's local
midnight, distinct numbers in 30 days), when the gap after the last text ends, and so
which due texts wait. The counts are read again after each text-back or follow-up (what
the caps hold), every REFRESH, and whenever this worker's own texts since the last count
could have reached a cap, so several workers on one store (or a restart) never lose count.
A burst of texts the caps never hold (staff replies, STOP confirmations, alerts) is
counted here as it goes, not read again per text: both counts walk a day's or a month's
rows, a cost that grew with the burst (issue 12's throughput). With several modems
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
        # Texts this worker sent since the counts were read (each adds one to the day's count
        # and at most one number).
        self._since_count = 0

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
        if self._since_count and pacing.hold_for(self.limits, self._estimate(), now, None) is not None \
                and pacing.hold_for(self.limits, self.usage, now, None) is None:
            # Our own texts may have reached a cap: read the counts before holding anything.
            self._next_count = 0.0
            self._count(now)
        hold = pacing.hold_for(self.limits, self._estimate(), now, self.paced_from, self.modem)
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

    def sent(self, now: datetime, kind: str = pacing.PACED_KINDS[0], modem: str | None = None) -> None:
        """A text of `kind` (for `modem`, its message.modem) went: the next paced one waits a
        gap; after a text the caps hold the counts are read again, after any other it is
        counted here -- when the store counts it for this SIM as surely (the one [modem]
        counts every text; with several, a text counts for the modem it names)."""
        if not self.active:
            return
        self.paced_from = now + pacing.next_gap(self.limits, self.rng.random())
        if kind in pacing.PACED_KINDS or (self.modem and modem != self.modem):
            self._next_count = 0.0
        else:
            self._since_count += 1

    def _estimate(self) -> Usage:
        """The counts as read plus our texts since: the day's count exact, the numbers an
        upper bound (a number texted before is counted again), so a cap is never passed."""
        if not self._since_count:
            return self.usage
        return Usage(sent_today=self.usage.sent_today + self._since_count,
                     recipients=self.usage.recipients + self._since_count)

    def alert(self, now: datetime) -> str | None:
        """The alert sentence (80% or at a cap) or None."""
        if not self.active:
            return None
        self._count(now)
        # The day's count with our texts since the last read (exact); the numbers as read.
        usage = Usage(sent_today=self.usage.sent_today + self._since_count, recipients=self.usage.recipients)
        hold = pacing.hold_for(self.limits, usage, now, None, self.modem)
        held = self.store.held_count(hold, now) if hold is not None else 0
        return pacing.cap_alert(self.limits, usage, held, self.modem)

    def _count(self, now: datetime) -> None:
        day = pacing.day_start(now, self.tz)
        if day == self._counted_day and time.monotonic() < self._next_count:
            return
        self.usage = Usage(sent_today=self.store.sent_count_since(day, self.modem),
                           recipients=self.store.recipient_count_since(now - pacing.RECIPIENT_WINDOW, self.modem))
        self._counted_day, self._next_count = day, time.monotonic() + REFRESH_SECONDS
        self._since_count = 0
