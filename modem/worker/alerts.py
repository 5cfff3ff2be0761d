"""The worker's alerts: it looks at its own state every few seconds, raises what is
wrong in the store (store/alerts.py) and clears what is right again, and texts each
active alert to the staff phones at most once an hour.

Two sorts:
- conditions, true or false at each look (the hourly cap holds calls, the receive
  memory is above 80%, the disk is nearly full, the modem has been gone more than
  5 minutes, texts fail in a row): cleared as soon as the condition is false;
- events, which happened once (the database file was replaced under the worker, the
  worker could not write the database for a while): kept for an hour, then cleared.

With several modems (one worker each, one store, maybe several boxes) each worker's
conditions are its own: keyed "carrier_limits:service", their text naming the modem,
raised and cleared by that modem's worker only. Shared keys would let one worker clear
another's alert (its SIM's caps, its box's disk, its calls held by the hourly cap) while
the trouble lasts, and the first would not raise it again.

The worker that cannot write cannot raise an alert in the store either: that one is
kept in memory, and texted straight through the modem (not through the queue, which
is the thing that is broken) once an hour while it lasts.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from modem.worker.ports import AlertStore
from store.errors import StoreError

log = logging.getLogger("modem.worker")

LOOK_SECONDS = 2.0
EVENT_HOLD = timedelta(hours=1)
MODEM_GONE_SECONDS = 300.0
FAILING_IN_A_ROW = 3
RECEIVE_MEMORY_FULL = 0.8
UNWRITABLE_SECONDS = 30.0
DIRECT_TEXT_EVERY = 3600.0
# Nearly full: less than 5% of the filesystem free (but never asking for more than
# 512 MB: 5% of a big disk is plenty), or less than 8 MB whatever its size. A store needs
# room to grow its write-ahead log; the hook's spool needs a few kB per call.
DISK_LOW_FRACTION = 0.05
DISK_LOW_CEILING = 512 * 1024 * 1024
DISK_LOW_BYTES = 8 * 1024 * 1024

CONDITIONS = ("hourly_cap", "carrier_limits", "receive_memory", "disk_full", "modem_gone", "texts_failing")
EVENTS = ("database_replaced", "store_unwritable")
PER_MODEM = CONDITIONS


@dataclass
class Observations:
    """What the loop tells the watch between looks (all optional)."""

    held_calls: int = 0
    hourly_cap: int | None = None
    receive_memory: tuple[str, int, int] | None = None   # (memory name, used, total)
    modem_lost_for: float | None = None                   # seconds, None while the modem answers
    failing_in_a_row: int = 0
    last_failure: str = ""
    carrier_limits: str | None = None                     # store/rules/pacing.py's sentence


class AlertWatch:
    def __init__(self, store: AlertStore, staff_numbers: tuple[str, ...], watched_paths: list[str],
                 modem_name: str | None = None):
        self.store = store
        self.modem_name = modem_name        # the [[modem]] this worker drives; None: the one [modem]
        self.staff_numbers = staff_numbers
        self.watched_paths = [p for p in watched_paths if p]
        self.seen = Observations()
        self.active: dict[str, str] = {}          # key -> text, as the store has them
        self.event_at: dict[str, datetime] = {}
        self._next_look = 0.0
        self._loaded = False
        self._unwritable_since: float | None = None
        self._unwritable_why = ""
        self._unwritable_from: datetime | None = None
        self._direct_texted_at = -DIRECT_TEXT_EVERY

    def forget(self) -> None:
        """The database was replaced: read the active alerts again from the new file."""
        self.active.clear()
        self.event_at.clear()
        self._loaded = False
        self._next_look = 0.0

    # -- events the loop reports -------------------------------------------------------------
    def event(self, key: str, text: str, now: datetime) -> None:
        """Something happened once (kept active for EVENT_HOLD)."""
        self.event_at[key] = now
        self._raise(key, text, now)

    def store_failed(self, why: str, now: datetime) -> None:
        if self._unwritable_since is None:
            self._unwritable_since, self._unwritable_from = time.monotonic(), now
        self._unwritable_why = why

    def store_ok(self, now: datetime) -> None:
        """A pass went through: if the store had been unwritable long enough to alert,
        record that it was (an event), now that it can be recorded."""
        since, self._unwritable_since = self._unwritable_since, None
        if since is not None and time.monotonic() - since >= UNWRITABLE_SECONDS:
            self.event("store_unwritable", f"the worker could not write the database from "
                       f"{self._unwritable_from:%H:%M:%S} UTC for {time.monotonic() - since:.0f} s "
                       f"({self._unwritable_why}); it is writing again. Check the disk and "
                       "`journalctl -u textback-worker`", now)

    def unwritable_text(self) -> str | None:
        """The alert to text straight through the modem while the store cannot be written."""
        if self._unwritable_since is None or time.monotonic() - self._unwritable_since < UNWRITABLE_SECONDS:
            return None
        if time.monotonic() - self._direct_texted_at < DIRECT_TEXT_EVERY:
            return None
        self._direct_texted_at = time.monotonic()
        return (f"textback alert: the worker cannot write its database ({self._unwritable_why[:80]}); "
                "calls wait in the spool. Check the disk.")

    # -- the look ----------------------------------------------------------------------------
    def looking_soon(self) -> bool:
        """The next look() looks (not every pass): costly observations are made only then."""
        return time.monotonic() >= self._next_look

    def look(self, now: datetime) -> list[tuple[str, str]]:
        """Raise and clear; return the (staff number, text) alerts to queue now. Raises
        StoreError like any store verb (the loop's handler takes it)."""
        if time.monotonic() < self._next_look:
            return []
        self._next_look = time.monotonic() + LOOK_SECONDS
        if not self._loaded:
            for alert in self.store.active_alerts():
                base, _, name = alert.key.partition(":")
                if self.modem_name and base in PER_MODEM and not name:
                    self._clear(alert.key, now)     # from the one [modem], before [[modem]] entries
                    continue
                if name and name != self.modem_name:
                    continue            # another modem's worker raised it, and clears it
                self.active[alert.key] = alert.text
                if alert.key in EVENTS:
                    self.event_at.setdefault(alert.key, alert.raised_at)
            self._loaded = True
        wanted = {self.key(k): self._named(k, text) for k, text in self._conditions().items()}
        for key in map(self.key, CONDITIONS):
            if key in wanted:
                self._raise(key, wanted[key], now)
            elif key in self.active:
                self._clear(key, now)
        for key, at in list(self.event_at.items()):
            if now - at > EVENT_HOLD:
                del self.event_at[key]
                self._clear(key, now)
        outgoing = []
        for alert in self.store.due_to_text(now):
            outgoing += [(number, f"textback alert: {alert.text}") for number in self.staff_numbers]
            self.store.mark_alert_texted(alert.key, now)
        return outgoing

    def key(self, condition: str) -> str:
        """The alert's key in the store: a modem's own alerts carry its name."""
        return f"{condition}:{self.modem_name}" if self.modem_name and condition in PER_MODEM else condition

    def _named(self, condition: str, text: str) -> str:
        if not self.modem_name or condition not in PER_MODEM or condition == "carrier_limits":
            return text                 # the carrier limits' sentence names its modem itself
        return f"modem {self.modem_name}: {text}"

    def texts(self) -> list[str]:
        """The active alerts' sentences, for the heartbeat row."""
        return list(self.active.values())

    def _conditions(self) -> dict[str, str]:
        seen, wanted = self.seen, {}
        if seen.held_calls and seen.hourly_cap is not None:
            wanted["hourly_cap"] = (f"hourly cap of {seen.hourly_cap} texts reached: {seen.held_calls} call(s) held "
                                    "(texted when the cap allows, or skipped when stale). So many calls at once "
                                    "may be forged caller IDs: look at `textback calls`")
        if seen.carrier_limits:
            wanted["carrier_limits"] = seen.carrier_limits
        if seen.receive_memory is not None:
            memory, used, total = seen.receive_memory
            if total and used / total > RECEIVE_MEMORY_FULL:
                wanted["receive_memory"] = (f"the modem's receive memory {memory} is {used}/{total} full: "
                                            "new replies may wait at the network; the worker clears what it has "
                                            "stored, check `textback status`")
        for path in self.watched_paths:
            low = _disk_low(path)
            if low:
                wanted["disk_full"] = low
                break
        if seen.modem_lost_for is not None and seen.modem_lost_for > MODEM_GONE_SECONDS:
            wanted["modem_gone"] = (f"the modem has not answered for {seen.modem_lost_for / 60:.0f} min: no texts go "
                                    "out. Check its USB cable and power; `textback doctor` says more")
        if seen.failing_in_a_row >= FAILING_IN_A_ROW:
            wanted["texts_failing"] = (f"{seen.failing_in_a_row} texts in a row failed (last: "
                                       f"{seen.last_failure[:80]}): check the SIM's credit and signal")
        return wanted

    def _raise(self, key: str, text: str, now: datetime) -> None:
        if self.active.get(key) == text:
            return
        fresh = self.store.raise_alert(key, text, now)
        if fresh:
            log.warning("ALERT raised: %s", text)
        self.active[key] = text

    def _clear(self, key: str, now: datetime) -> None:
        self.store.clear_alert(key, now)
        self.active.pop(key, None)
        log.info("alert cleared: %s", key)


def _disk_low(path: str) -> str | None:
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    free, size = st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize
    if size and free < max(DISK_LOW_BYTES, min(size * DISK_LOW_FRACTION, DISK_LOW_CEILING)):
        return (f"the disk holding {path} is nearly full ({free // 1024} kB free of {size // 1024} kB): "
                "free some space (calls are kept in the spool meanwhile)")
    return None


def safe_look(watch: AlertWatch, now: datetime) -> list[tuple[str, str]]:
    try:
        return watch.look(now)
    except StoreError as exc:
        log.debug("alerts not looked at: %s", exc)
        return []
