"""systemd's notify protocol (READY, WATCHDOG, STATUS, STOPPING) over its datagram socket.

Standard library only: the protocol is one datagram per message to the path in
$NOTIFY_SOCKET, so python-systemd is not worth a dependency. Outside systemd (tests,
a technician running `textback worker` by hand) every call is a no-op.
"""
from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger(__name__)


def notify(message: str) -> bool:
    """Send one notification ("READY=1", "WATCHDOG=1", "STATUS=..."); False outside systemd."""
    path = os.environ.get("NOTIFY_SOCKET", "")
    if not path:
        return False
    if path.startswith("@"):          # an abstract socket name
        path = "\0" + path[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(path)
            sock.sendall(message.encode("utf-8", "replace"))
        return True
    except OSError as exc:
        log.debug("systemd notify %r failed: %s", message, exc)
        return False


class Watchdog:
    """Pets systemd's watchdog from the loop, at most twice per WatchdogSec: a loop that
    hangs (not only one that dies) gets the service restarted."""

    def __init__(self):
        usec = os.environ.get("WATCHDOG_USEC", "")
        pid = os.environ.get("WATCHDOG_PID", "")
        enabled = usec.isdigit() and (not pid or pid == str(os.getpid()))
        self.interval = int(usec) / 2_000_000 if enabled else None
        self._last = 0.0

    def pet(self) -> None:
        if self.interval is None:
            return
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            notify("WATCHDOG=1")
