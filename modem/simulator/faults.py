"""The simulated modem's fault knobs: a slow radio, refused commands, a lost network, a
modem that hangs or writes bytes that are not UTF-8. Tests (and the control prompt) call
them on a running ModemSimulator (pty_modem.py), which takes them in as a mixin; unplug
and replug live there, with the pty they close and reopen.
"""
from __future__ import annotations

import threading
from collections import deque

from modem.simulator.network import ANNOUNCE_DURING_NEXT_COMMAND, ANNOUNCE_NOW
from modem.simulator.profiles import Profile
from modem.simulator.state import ModemState, command_key


class FaultKnobs:
    """What ModemSimulator lets a test break; it sets these attributes up."""

    state: ModemState
    profile: Profile
    _latency: dict[str, float]
    _out_lock: threading.Lock
    _urcs: deque[bytes]
    _answering: bool

    def _emit(self, block: str, when: str) -> None:
        raise NotImplementedError

    def set_latency(self, command: str, seconds: float) -> None:
        """Answer `command` (e.g. "+CMGS") only after this many seconds, as a busy radio does."""
        self._latency[command_key(command)] = float(seconds)

    def fail_next(self, n: int, error: str | int = "+CMS ERROR: 500", command: str | None = None, *,
                  after: int = 0) -> None:
        """The next n commands (or next n of `command`) answer `error` and do nothing;
        with `after`, that many go through first (after=1 on "+CMGS": part 2 of a long
        text fails once part 1 went)."""
        self.state.add_failures(n, error, command_key(command) if command else None, after)

    def lose_network(self, stat: int = 0) -> None:
        """Drop registration (+CREG stat 0 or 2); sends fail with +CMS ERROR: 331."""
        if stat not in (0, 2, 3, 4):
            raise ValueError("stat must be 0 (not searching), 2 (searching), 3 (denied) or 4 (unknown)")
        self._set_network(stat, rssi=99)

    def restore_network(self) -> None:
        self._set_network(1, rssi=21)

    def register_on(self, technology: str | int) -> int:
        """Register on another radio: "2g" (GSM, <AcT> 0), "3g" (UTRAN, 2), "lte" (7), or an
        <AcT> number; +CREG/+COPS then say it. As a SIM7600G-H that fell back to 2G and stayed
        there, or a modem whose antenna or bands reach only a GSM cell. Returns the <AcT>."""
        names = {"2g": 0, "gsm": 0, "3g": 2, "umts": 2, "4g": 7, "lte": 7}
        key = str(technology).strip().lower()
        act = names.get(key, int(key) if key.isdigit() else None)
        if act is None or not 0 <= act <= 13:
            raise ValueError(f"register on 2g, 3g or lte (or a 27.007 <AcT> number 0-13), not {technology!r}")
        with self.state.lock:
            self.state.act = act
            if self.state.creg_mode == 2:
                self._emit(self.state.creg_line(include_mode=False), ANNOUNCE_NOW)
        return act

    def _set_network(self, stat: int, rssi: int) -> None:
        with self.state.lock:
            self.state.registered_stat = stat
            self.state.rssi = rssi
            if self.state.creg_mode:
                self._emit(self.state.creg_line(include_mode=False), ANNOUNCE_NOW)
            if self.profile.signal_urc:
                self._emit(self.profile.signal_urc.format(rssi=rssi), ANNOUNCE_NOW)

    def emit_garbage(self, data: bytes = b"\xff\xfe\x80garbage\r\n") -> None:
        """Write raw bytes (not UTF-8, say) to the client between commands."""
        with self._out_lock:
            self._urcs.append(bytes(data))

    def emit_during_next_command(self, line: str) -> None:
        """Write `line` after the next command arrives and before its reply."""
        self._emit(line, ANNOUNCE_DURING_NEXT_COMMAND)

    def stop_answering(self) -> None:
        """Hang: read and ignore everything, answer nothing, until resume()."""
        self._answering = False

    def resume(self) -> None:
        self._answering = True
