"""A pseudo-terminal standing in for a USB modem's serial port, with an optional stable link.

The simulator keeps the slave end open itself, so the master never reads EIO between
clients and the raw settings stay put; a client (pyserial, gammu, smsd) opens the
slave path, or the link, exactly as it would open /dev/ttyUSB2.
"""
from __future__ import annotations

import errno
import os
import tty
from pathlib import Path


class PtyError(Exception):
    """The pty or its link could not be made; the message says what to do."""


class PtyPort:
    """One pty pair: `master` is the modem's side, `path` the client's."""

    def __init__(self, link: str | None = None):
        self.link = Path(link) if link else None
        self.master, self._slave = os.openpty()
        self.path = os.ttyname(self._slave)
        # Raw on both ends: no \r -> \n translation, no line-discipline echo, no signals
        # from Ctrl-Z (the end of every PDU).
        tty.setraw(self._slave)
        tty.setraw(self.master)
        os.set_blocking(self.master, False)
        if self.link is not None:
            try:
                self._point_link()
            except OSError:
                self.close()
                raise

    def _point_link(self) -> None:
        link = self.link
        assert link is not None     # only called when a link was asked for
        if link.exists() and not link.is_symlink():
            raise PtyError(f"{link} exists and is not a symlink; choose another --link path or remove it")
        if not link.parent.is_dir():
            raise PtyError(f"the directory {link.parent} does not exist; create it or choose another --link path")
        tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
        try:
            os.symlink(self.path, tmp)
            os.replace(tmp, link)   # atomic: a client never sees the link missing on replug
        except OSError as exc:
            raise PtyError(f"cannot create the link {link}: {exc.strerror}; check the directory is writable") from None

    def close(self) -> None:
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError as exc:
                if exc.errno != errno.EBADF:
                    raise
        if self.link is not None and self.link.is_symlink() and os.readlink(self.link) == self.path:
            self.link.unlink()
