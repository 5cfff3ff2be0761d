"""The AGI wire protocol, just the part textback needs: read the environment, send a
fixed command, read its answer.

Why not pyst2's `AGI` class: it dumps the whole environment to stderr on every call,
reads lines without any bound (a 10 MB line is read whole), decodes strictly (one
non-UTF-8 byte raises), turns a `HANGUP` line or EOF into a bare ValueError, and
installs its SIGHUP handler in the constructor (main thread only, so it cannot serve
FastAGI threads). This module works on bytes over a file descriptor (a pipe for the
hook, a socket for FastAGI), bounds every line and every wait, and never raises on
what Asterisk (or an impostor) sends: it reports what happened instead.

Standard library only, and cheap to import: the hook pays for it on every call.
"""
from __future__ import annotations

import os
import select
import time

MAX_LINE = 8192          # an AGI env line is < 200 bytes; anything longer is cut and noted
MAX_ENV_LINES = 256      # Asterisk sends ~25; more means we are not talking to Asterisk
ENV_TIMEOUT = 3.0        # seconds to wait for the whole environment
REPLY_TIMEOUT = 2.0      # seconds to wait for one command's answer


class AGIChannel:
    """One AGI session over a readable fd and a writable fd (the same fd for a socket).

    Attributes after use: `env` (dict of agi_* keys), `problems` (short notes about
    anything malformed), `hangup_seen` (a HANGUP line arrived), `closed` (EOF, a broken
    pipe or a timeout: no more commands will be sent).
    """

    def __init__(self, read_fd: int, write_fd: int, *, env_timeout: float = ENV_TIMEOUT,
                 reply_timeout: float = REPLY_TIMEOUT):
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.env_timeout = env_timeout
        self.reply_timeout = reply_timeout
        self.env: dict[str, str] = {}
        self.problems: list[str] = []
        self.hangup_seen = False
        self.closed = False
        self._buf = b""
        self._eof = False
        self._env_read = False

    # -- reading -----------------------------------------------------------------
    def _fill(self, deadline: float) -> bool:
        """Read more bytes into the buffer; False on EOF, timeout or error."""
        if self._eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            ready, _, _ = select.select([self.read_fd], [], [], remaining)
            if not ready:
                return False
            chunk = os.read(self.read_fd, 65536)
        except (OSError, ValueError):
            self._eof = True
            return False
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    def _read_line(self, deadline: float) -> bytes | None:
        """One line without its newline, cut to MAX_LINE; None on EOF/timeout.

        An overlong line is consumed to its end without being kept, so a hostile
        10 MB line costs time but not memory.
        """
        overlong = False
        kept = b""
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                line, self._buf = self._buf[:nl], self._buf[nl + 1:]
                if overlong:
                    # keep the cut start of the line: b"" here would read as the blank
                    # line that ends the environment
                    self.problems.append("overlong line cut")
                    return kept.rstrip(b"\r")
                if len(line) > MAX_LINE:
                    self.problems.append("overlong line cut")
                    line = line[:MAX_LINE]
                return line.rstrip(b"\r")
            if len(self._buf) > MAX_LINE:
                if not overlong:
                    kept = self._buf[:MAX_LINE]
                overlong = True
                self._buf = b""
            if not self._fill(deadline):
                if overlong:
                    self.problems.append("overlong line cut at end of input")
                    return kept.rstrip(b"\r")
                if self._buf:
                    # a last line without its newline (EOF halfway): keep what came
                    line, self._buf = self._buf[:MAX_LINE], b""
                    return line
                return None

    @staticmethod
    def _text(raw: bytes) -> tuple[str, bool]:
        try:
            return raw.decode("utf-8"), False
        except UnicodeDecodeError:
            return raw.decode("utf-8", errors="replace"), True

    def read_env(self) -> dict[str, str]:
        """Read `agi_key: value` lines up to the blank line; returns self.env.

        Values keep their inner text exactly (a caller name may hold colons and
        quotes); only the one space after the colon and the line end are dropped.
        """
        if self._env_read:
            return self.env
        self._env_read = True
        deadline = time.monotonic() + self.env_timeout
        for _ in range(MAX_ENV_LINES):
            raw = self._read_line(deadline)
            if raw is None:
                self.problems.append("environment ended without its blank line")
                self.closed = True
                return self.env
            if raw == b"":
                return self.env
            line, bad = self._text(raw)
            if bad:
                self.problems.append("non-UTF-8 bytes in environment")
            key, sep, value = line.partition(":")
            key = key.strip()
            if not sep or not key.startswith("agi_") or not key.replace("_", "").isalnum():
                self.problems.append("malformed environment line ignored")
                continue
            if value.startswith(" "):
                value = value[1:]
            self.env[key] = value
        self.problems.append("environment too long; rest ignored")
        self.closed = True
        return self.env

    # -- commands ----------------------------------------------------------------
    def command(self, text: str) -> tuple[int, str | None]:
        """Send one command (a fixed string: never caller-controlled text) and read its
        answer. Returns (code, value): (200, "BUSY") for `200 result=1 (BUSY)`,
        (200, None) for an unset variable (`200 result=0`), (510, None) for an unknown
        command, (0, None) when the channel is gone (EOF, broken pipe, timeout).
        """
        if self.closed:
            return 0, None
        try:
            data = (text + "\n").encode("ascii")
            while data:
                written = os.write(self.write_fd, data)
                data = data[written:]
        except OSError:
            self.closed = True
            self.problems.append("channel closed before a command")
            return 0, None
        deadline = time.monotonic() + self.reply_timeout
        while True:
            raw = self._read_line(deadline)
            if raw is None:
                self.closed = True
                self.problems.append("no answer from Asterisk")
                return 0, None
            line, _ = self._text(raw)
            if line.strip() == "HANGUP":
                # FastAGI's form of SIGHUP: the caller hung up; Asterisk still answers.
                self.hangup_seen = True
                continue
            return self._parse(line, deadline)

    def _parse(self, line: str, deadline: float) -> tuple[int, str | None]:
        code_text = line[:3]
        if not code_text.isdigit():
            self.problems.append("unreadable answer")
            return 0, None
        code = int(code_text)
        if code == 520 and line[3:4] == "-":
            # multi-line usage text: read to its `520 End of proper usage.`
            while True:
                more = self._read_line(deadline)
                if more is None or more.startswith(b"520 "):
                    break
            return 520, None
        if code != 200:
            return code, None
        rest = line[4:]
        if not rest.startswith("result=") or rest.startswith("result=0"):
            return 200, None
        opening = rest.find("(")
        closing = rest.rfind(")")
        if opening < 0 or closing < opening:
            return 200, ""
        return 200, rest[opening + 1:closing]

    def set_result(self, word: str) -> None:
        """Tell the dialplan what happened, in TEXTBACK_RESULT (a fixed word of ours)."""
        self.command(f'SET VARIABLE TEXTBACK_RESULT "{word}"')
