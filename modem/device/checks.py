"""What cannot work with this modem as things stand, kept between set-up, sends and health.

Two things a shop cannot see from a texting worker: an LTE modem that registered on 2G
only (2G networks are switching off; families.py), and a Quectel on LTE whose carrier
gives the SIM no SMS over LTE (lte_sms.py). Each is a flag: a sentence naming what is
wrong and what to do, logged once when it appears and once when it clears, and shown by
`textback doctor` from the worker's heartbeat.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from modem.device import lte_sms
from modem.device.errors import ModemError
from modem.device.families import FAMILIES, Family, only_2g_warning
from modem.device.setup import ModemSetup, access_technology

log = logging.getLogger("modem.device.modem")


class ModemChecks:
    """The modem's family, its radio, and the flags they give; one per Modem."""

    def __init__(self, port: str) -> None:
        self.port = port
        self.family: Family = FAMILIES["generic"]
        self.chosen_by = "detected"
        self.access_technology: int | None = None
        self._setup_flags: tuple[str, ...] = ()
        self._send_flag: str | None = None      # SMS over LTE not provisioned (a send failed)
        self._said: tuple[str, ...] = ()        # the flags last logged

    def keep(self, setup: ModemSetup) -> None:
        self.family, self.chosen_by = FAMILIES[setup.family], setup.chosen_by
        self.access_technology = setup.access_technology
        # Set-up has logged its own; the 2G one is worked out afresh from the radio.
        self._setup_flags = tuple(f for f in setup.flags if f != only_2g_warning(self.family, setup.access_technology))
        self._said = setup.flags

    @property
    def flags(self) -> tuple[str, ...]:
        """What cannot work, each a sentence with what to do (no AT command asked)."""
        two_g = only_2g_warning(self.family, self.access_technology)
        found = (*self._setup_flags, *((two_g,) if two_g else ()), *((self._send_flag,) if self._send_flag else ()))
        return tuple(dict.fromkeys(found))

    def registered_on(self, act: int | None) -> None:
        """The radio AT+COPS? named while registered (None: it did not say)."""
        self.access_technology = act
        self.say_changes()

    def say_changes(self) -> None:
        """One log line when a flag appears, one when it clears."""
        now = self.flags
        for flag in now:
            if flag not in self._said:
                log.warning("modem on %s: %s", self.port, flag)
        for flag in self._said:
            if flag not in now:
                log.info("modem on %s: no longer %s", self.port, flag.split(":", 1)[0])
        self._said = now

    def send_failed(self, exc: ModemError, ask: Callable[[str], list[str] | None]) -> ModemError:
        """A text the modem refused (+CMS ERROR). For a Quectel on LTE with IMS not ready
        that is SMS over LTE not provisioned: IMS may have registered since set-up (it takes
        some seconds after the network), so ask again; then raise the flag and say it in the
        error the worker logs. Any other refusal comes back as it was."""
        if exc.kind != "CMS" or not self.family.lte_sms_check:
            return exc
        state = lte_sms.read_state(ask)
        act = access_technology(ask("AT+COPS?") or [])
        if act is not None:
            self.access_technology = act
        flag = lte_sms.send_failed_warning(state, self.access_technology, exc.text)
        if flag is None:
            return exc
        self._send_flag = flag
        self.say_changes()
        return ModemError(exc.code, f"{exc.text}: {flag.split(': ', 1)[0]}; {lte_sms.FIX}", kind=exc.kind,
                          command=exc.command, sent_references=exc.sent_references)
