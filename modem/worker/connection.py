"""The modem's life as the worker sees it: open it, notice it gone, reconnect with backoff.

The loss and the return are logged once each (with how long it was away); the attempts
between are debug lines. A wrong PIN / PUK is never retried: that would burn the SIM's
last tries. The link is pinged every [modem] health interval so a hung modem is noticed
even when nothing is sent.
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from modem.device.errors import ModemError
from modem.device.records import StoredSms
from modem.sms.pdu import StatusReport
from modem.worker.ports import ModemPort, OpenModem
from modem.worker.settings import WorkerSettings

log = logging.getLogger("modem.worker")

# Wrong PIN / PUK needed: retrying would burn the SIM's last PIN tries.
_NEVER_RETRY_CODES = (11, 12, 16)


class ModemConnection:
    """Holds the open modem (`modem`, None while it is away). `on_lost(why)` is told each
    loss; `on_open()` each (re)open, so the loop can look for texts that came meanwhile."""

    def __init__(self, settings: WorkerSettings, open_modem: OpenModem, *,
                 on_sms: Callable[[StoredSms], None], on_status_report: Callable[[StatusReport], None],
                 on_lost: Callable[[str], None], on_open: Callable[[], None]):
        self.settings = settings
        self.open_modem = open_modem
        self.on_sms = on_sms
        self.on_status_report = on_status_report
        self.on_lost = on_lost
        self.on_open = on_open
        self.modem: ModemPort | None = None
        self._failures = 0                 # modem open attempts failed in a row
        self._next_attempt = 0.0           # monotonic time of the next open attempt
        self._lost_since: float | None = None
        self._next_ping = 0.0

    def lost_for(self) -> float | None:
        """Seconds the modem has been away, None while it answers."""
        if self.modem is None and self._lost_since is not None:
            return time.monotonic() - self._lost_since
        return None

    def ready(self) -> ModemPort | None:
        """The open modem, opened again if it is due; None while it is away."""
        modem = self.modem
        if modem is not None:
            if modem.is_alive():
                return modem
            self.drop("the link died (unplugged, hung, or its reader stopped)")
        if time.monotonic() < self._next_attempt:
            return None
        try:
            modem = self.open_modem(on_sms=self.on_sms, on_status_report=self.on_status_report)
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
        self.on_open()
        self._next_ping = time.monotonic() + self.settings.health_interval
        return modem

    def ping_if_due(self, modem: ModemPort) -> None:
        """Raises ModemLost when the modem does not answer."""
        if time.monotonic() >= self._next_ping:
            self._next_ping = time.monotonic() + self.settings.health_interval
            modem.ping()

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

    def drop(self, why: str) -> None:
        if self.modem is None:
            return
        log.warning("modem lost on %s: %s; reconnecting", getattr(self.modem, "port", "?"), why)
        self.on_lost(why)
        self.close()
        self._lost_since = time.monotonic()
        self._failures = 0
        self._next_attempt = time.monotonic() + self.settings.reconnect_delays[0]

    def close(self) -> None:
        modem, self.modem = self.modem, None
        if modem is not None:
            try:
                modem.close()
            except Exception:  # the port is gone already; nothing left to release
                log.debug("closing the modem failed", exc_info=True)
