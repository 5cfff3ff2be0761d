"""The simulated modem's session state: settings the AT commands change, network and SIM.

Kept apart from the interpreter so the control API (pty_modem.py) and the
commands share one object under one lock. `reset_settings` is what ATZ and a power
cycle do; the SIM's contents and the network live on.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from modem.simulator.memory import MessageStore
from modem.simulator.profiles import Profile


def command_key(command: str) -> str:
    """'AT+CMGS', '+cmgs', 'ATZ', 'Z', 'AT' -> the key the interpreter dispatches on and
    the fault knobs match ('+CMGS', 'Z', 'AT')."""
    name = command.strip().upper()
    if name.startswith("AT") and len(name) > 2:
        name = name[2:]
    return name


class AtError(Exception):
    """A command's failure: kind CME/CMS with a code, or plain ERROR, or unsupported."""

    def __init__(self, kind: str, code: int | None = None):
        super().__init__(f"{kind} {code}")
        self.kind = kind
        self.code = code


_ERROR_LINE = re.compile(r"^\+(CM[ES]) ERROR:\s*(\d+)$")


def parse_error(error: str | int | AtError) -> AtError:
    """'+CMS ERROR: 500', '+CME ERROR: 100', 'ERROR', 'COMMAND NOT SUPPORT' or an int (+CMS)."""
    if isinstance(error, AtError):
        return error
    if isinstance(error, int):
        return AtError("CMS", error)
    text = str(error).strip()
    m = _ERROR_LINE.match(text)
    if m:
        return AtError(m.group(1), int(m.group(2)))
    if text == "ERROR":
        return AtError("plain")
    if text == "COMMAND NOT SUPPORT":
        return AtError("unsupported")
    raise ValueError(f"not a modem error: {error!r}; use '+CMS ERROR: <n>', '+CME ERROR: <n>' or 'ERROR'")


@dataclass
class PendingFailure:
    error: AtError
    command: str | None       # None: any command
    remaining: int
    skip: int = 0             # matching commands that still succeed first


class NetworkSide(Protocol):
    """What the SMS commands tell the network (network.Network, which pty_modem.py wires in)."""

    def record_submit(self, part: Any) -> None: ...     # a network.SentPart

    def retry_waiting(self) -> None: ...


class ModemState:
    """Everything a command can read or change, plus the fault knobs it obeys."""

    network: NetworkSide

    def __init__(self, profile: Profile, *, pin: str | None = None, smsc: str = "+447700900100",
                 first_reference: int = 1):
        self.profile = profile
        self.pin = pin
        self.sim_locked = pin is not None
        self.smsc = smsc
        self.lock = threading.RLock()
        self.store = MessageStore(profile.capacity)
        self.next_reference = first_reference % 256
        self.next_concat_reference = 1
        self.registered_stat = 1          # 27.007 <stat>: 1 home, 0 not searching, 2 searching
        self.rssi = 21
        self.failures: list[PendingFailure] = []
        # AT+CMGL with nothing to list: this error instead of OK (profile, or the
        # ModemSimulator.refuse_empty_listing knob), in these memories (None: all).
        self.empty_listing_error: AtError | None = (parse_error(profile.empty_listing_error)
                                                    if profile.empty_listing_error else None)
        self.empty_listing_memories: frozenset[str] | None = None
        # The radio and the modem's stored settings, which neither ATZ nor AT&F touch.
        self.act: int | None = profile.creg_act     # 27.007 <AcT> of the registration
        self.ims: tuple[int, int] | None = profile.ims
        self.cgsms: int | None = profile.cgsms
        self.factory_reset_since_power_up = False
        self.reset_settings()

    # -- settings -----------------------------------------------------------------------
    def reset_settings(self) -> None:
        """Factory defaults (ATZ, AT&F, power on)."""
        self.echo = True
        self.cmee = 0
        self.cfun = 1
        self.cmgf = 0
        self.cscs = "IRA"
        self.csmp = (17, 167, 0, 0)
        self.cpms = [self.profile.memories[0]] * 3
        self.cnmi = (0, 0, 0, 0, 0)
        self.creg_mode = 0
        self.cops_format = 0
        self.clip = 0
        self.crc = 0
        self.cvhu = 1

    def supports(self, name: str) -> bool:
        if name[0] not in "+^$%":
            return True                  # basic commands (E, Z, I...) every modem has
        return ("AT" + name) in self.profile.commands

    def require_sim(self, sms: bool = False) -> None:
        if self.sim_locked:
            raise AtError("CMS", 311) if sms else AtError("CME", 11)

    # -- network ------------------------------------------------------------------------
    @property
    def registered(self) -> bool:
        return self.registered_stat in (1, 5) and self.cfun == 1

    def creg_line(self, include_mode: bool) -> str:
        stat = self.registered_stat if self.cfun == 1 else 0
        head = f"+CREG: {self.creg_mode}," if include_mode else "+CREG: "
        line = f"{head}{stat}"
        if self.creg_mode == 2 and stat in (1, 5):
            line += ',"00C3","0000A13F"'
            if self.act is not None:
                line += f",{self.act}"
        return line

    def send_refusal(self) -> AtError | None:
        """Why the network or the firmware refuses a text now (profiles.py says whose quirk)."""
        profile = self.profile
        if profile.send_needs_factory_reset and not self.factory_reset_since_power_up:
            return AtError("CMS", 500)
        if self.act == 7 and self.ims is not None:
            ims_ready = self.ims[1] == 1
            over_sgs = profile.sms_over_sgs and self.cgsms != 0
            if not (ims_ready or over_sgs):
                return AtError("CMS", 500)
        return None

    def take_reference(self) -> int:
        """The TP-MR the modem gives the next submitted message (counts mod 256)."""
        with self.lock:
            ref = self.next_reference
            self.next_reference = (ref + 1) % 256
            return ref

    def take_concat_reference(self) -> int:
        with self.lock:
            ref = self.next_concat_reference
            self.next_concat_reference = ref % 255 + 1
            return ref

    # -- faults -------------------------------------------------------------------------
    def add_failures(self, n: int, error, command: str | None, after: int = 0) -> None:
        """`command`: a key as `command_key` gives it, or None for any command; the
        first `after` matching commands succeed."""
        err = parse_error(error)
        with self.lock:
            self.failures.append(PendingFailure(err, command, n, skip=after))

    def take_failure(self, name: str) -> AtError | None:
        with self.lock:
            for pending in self.failures:
                if pending.command is None or pending.command == name:
                    if pending.skip > 0:
                        pending.skip -= 1
                        continue
                    pending.remaining -= 1
                    if pending.remaining <= 0:
                        self.failures.remove(pending)
                    return pending.error
        return None
