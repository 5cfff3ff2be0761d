"""The worker's housekeeping: keep the store bounded and its statistics fresh.

One job: once an hour, purge what is older than `[store] keep` (store/retention.py), one
small batch per worker pass, so a purge of years never stands between a missed call and
its text: each pass still plans, receives and sends as before. When a round finishes,
SQLite's planner statistics are refreshed (bounded ANALYZE), at most once a day.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict
from datetime import datetime, timedelta

from modem.worker.ports import HousekeepingStore

log = logging.getLogger("modem.worker")

ROUND_SECONDS = 3600.0
STATISTICS_SECONDS = 86400.0


class Housekeeper:
    def __init__(self, store: HousekeepingStore, keep: timedelta | None, batch: int):
        self.store = store
        self.keep = keep
        self.batch = batch
        self._next_round = 0.0          # monotonic; the first round starts with the worker
        self._next_statistics = 0.0
        self._round: dict[str, int] | None = None   # rows deleted so far while a round runs

    @property
    def purging(self) -> bool:
        return self._round is not None

    def step(self, now: datetime) -> None:
        """One pass's share: a batch of the purge when one is under way or due."""
        if self.keep is None:
            return
        if self._round is None:
            if time.monotonic() < self._next_round:
                return
            self._round = {}
        try:
            purged = self.store.purge_before(now - self.keep, self.batch)
        except Exception as exc:  # noqa: BLE001 - a locked or damaged store: the texts matter more; next round
            log.warning("purge of rows older than %d days paused until the next round: %s",
                        self.keep.days, getattr(exc, "text", None) or exc)
            self._finish()
            return
        counts = asdict(purged)
        for name, count in counts.items():
            self._round[name] = self._round.get(name, 0) + count
        if max(counts.values()) < self.batch:  # every table came back short: done
            self._finish()

    def _finish(self) -> None:
        done, self._round = self._round or {}, None
        self._next_round = time.monotonic() + ROUND_SECONDS
        if any(done.values()):
            log.info("purged %d call(s), %d text(s), %d opt-out audit row(s) older than %d days "
                     "(opt-outs themselves are kept)", done["calls"], done["messages"], done["audit"],
                     self.keep.days if self.keep else 0)
        if time.monotonic() >= self._next_statistics:
            self._next_statistics = time.monotonic() + STATISTICS_SECONDS
            try:
                self.store.refresh_statistics()
            except Exception as exc:  # noqa: BLE001 - only a speed-up; tried again tomorrow
                log.warning("planner statistics not refreshed: %s", exc)
