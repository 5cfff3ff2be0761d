"""Shared pieces for the simulator tests: a raw AT client on the pty and polling helpers.

No mocks: every test talks to a ModemSimulator through a real pty with pyserial, or
through python-gsmmodem-new, gammu or smsd exactly as they would talk to /dev/ttyUSB2.
"""
from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import serial

PROFILES = ("generic", "sim800", "huawei", "ec25")
US = "+12125550123"
US2 = "+12125550145"
UK = "+447700900123"


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.02, what: str = "condition"):
    """Poll until predicate() is truthy; return its value or fail the test with the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        time.sleep(interval)


@contextmanager
def port_held_by(program: str, port: str | Path, where: Path) -> Iterator[subprocess.Popen]:
    """A process named `program` (a copy of sleep in `where`) holding `port` open, as
    ModemManager or a hung worker holds a modem's port; killed on leaving."""
    fake = where / program
    shutil.copy("/bin/sleep", fake)
    fake.chmod(0o755)
    with open(port, "rb") as opened:
        holder = subprocess.Popen([str(fake), "30"], stdin=opened)
    try:
        time.sleep(0.2)             # until it has the port open
        yield holder
    finally:
        holder.kill()
        holder.wait()


class AtClient:
    """A minimal terminal: sends a line, reads until a final result code or prompt."""

    FINALS = ("OK", "ERROR", "+CME ERROR", "+CMS ERROR", "COMMAND NOT SUPPORT")

    def __init__(self, device: str):
        self.port = serial.Serial(device, 115200, timeout=0.05)
        self.port.reset_input_buffer()
        self._pending = b""

    def close(self) -> None:
        self.port.close()

    def raw(self, data: bytes) -> None:
        self.port.write(data)

    def read_until_final(self, timeout: float = 3.0, prompt: bool = False) -> bytes:
        """Bytes up to and including the first final result code (or the `> ` prompt);
        anything after it (an unsolicited code) is kept for the next read."""
        buf, self._pending = self._pending, b""
        deadline = time.monotonic() + timeout
        while True:
            if prompt and buf.endswith(b"> "):
                return buf
            pos = 0
            while (end := buf.find(b"\r\n", pos)) != -1:
                line = buf[pos:end].decode("latin-1")
                if any(line.startswith(f) for f in self.FINALS):
                    self._pending = buf[end + 2:]
                    return buf[:end + 2]
                pos = end + 2
            if time.monotonic() > deadline:
                raise AssertionError(f"no final result code within {timeout}s; got {buf!r}")
            buf += self.port.read(max(1, self.port.in_waiting))

    def cmd(self, line: str, timeout: float = 3.0) -> list[str]:
        """Send `line`, return the non-empty response lines (echo included if on)."""
        self.port.write(line.encode() + b"\r")
        out = self.read_until_final(timeout)
        return [l for l in out.decode("latin-1").split("\r\n") if l]

    def send_body(self, line: str, body: str, end: bytes = b"\x1a", timeout: float = 3.0) -> list[str]:
        """A prompt command (AT+CMGS...): the line, wait for '> ', the body, then Ctrl-Z or ESC."""
        self.port.write(line.encode() + b"\r")
        self.read_until_final(timeout, prompt=True)
        self.port.write(body.encode() + end)
        out = self.read_until_final(timeout)
        return [l for l in out.decode("latin-1").split("\r\n") if l]

    def read_available(self, wait: float = 0.2) -> bytes:
        time.sleep(wait)
        data, self._pending = self._pending + self.port.read(65536), b""
        return data
