"""Building a new Modem after the old one was lost.

FAULT no-reconnect: python-gsmmodem-new cannot recover a port that went away; after
an unplug its writes just wait out their timeouts. We drop the old object and open the
configured port path again: after a replug a udev symlink (/dev/textback-modem) may
point at another ttyUSB, so the path is opened anew, never a remembered device.
"""
from __future__ import annotations

import logging
import threading

from modem.device import Modem, ModemSettings
from modem.device_values import ModemError, ModemLost

log = logging.getLogger(__name__)


def reconnect(old: Modem | ModemSettings, *, attempts: int | None = None, first_delay: float = 1.0,
              max_delay: float = 60.0, stop: threading.Event | None = None) -> Modem:
    """Close `old` (a Modem, or just its settings) and open a new one like it, waiting
    first_delay, then twice as long after each failure up to max_delay.

    attempts=None keeps trying until `stop` is set. Raises the last error once the
    attempts are used up, or ModemLost when `stop` is set while waiting. A set-up error
    that retrying cannot fix (a wrong PIN) is raised at once: retrying would burn the
    SIM's remaining PIN tries.
    """
    if isinstance(old, Modem):
        settings = old.settings
        try:
            old.close()
        except Exception:  # the old port is gone already; nothing to release
            log.debug("closing the lost modem failed", exc_info=True)
    else:
        settings = old
    stop = stop or threading.Event()
    delay, tried = first_delay, 0
    while True:
        tried += 1
        try:
            modem = Modem.from_settings(settings)
        except ModemError as exc:
            if exc.code in (11, 12, 16):  # PIN needed, PUK needed, PIN refused
                raise
            if attempts is not None and tried >= attempts:
                raise
            log.warning("modem on %s not back yet (try %d): %s; next try in %g s",
                        settings.port, tried, exc.text, delay)
        else:
            log.info("modem on %s is back after %d tr%s", settings.port, tried, "y" if tried == 1 else "ies")
            return modem
        if stop.wait(delay):
            raise ModemLost(f"gave up reconnecting to {settings.port}: asked to stop")
        delay = min(delay * 2, max_delay)
