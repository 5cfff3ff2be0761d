"""Quectel EC25/EG25-G on LTE: is there a way for SMS to go, and what to do when there is not.

On LTE an SMS goes either over IMS (SMS over IP, needs the modem's IMS set up and the
carrier to provision it) or over SGs (the carrier relays it to its circuit-switched
core). AT+QCFG="ims" says whether IMS is on (<value>: 0 as the carrier profile (MBN)
decides, 1 on, 2 off) and registered (<VoLTE_state>: 0 not ready, 1 ready); AT+CGSMS
says which domain the modem sends SMS in (27.007: 0 packet only, 1 circuit switched,
2 packet preferred, 3 circuit switched preferred). Sources: the-modem-distro/
pinephone_modem_sdk issue #40 ("SMS send don't work in 4G mode"; the answer: AT+CGSMS,
or IMS), #183 and #250 (`+QCFG: "ims",0,0` on a SIM without VoLTE).

What we do: with IMS not ready, a packet-only (or packet-first) SMS domain is moved to
"circuit switched preferred" (3): it keeps packet as a fallback, so it never removes a
way that worked. We never turn IMS off: that breaks incoming calls on some carriers.
When a send then fails on LTE with IMS not ready, the carrier gives this SIM no SMS over
LTE at all: the flag says so, with what to do. Pure functions over reply lines and an
`ask` callable, so the set-up and the Modem share them.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from modem.device.families import ACT_LTE

# ask(at) -> reply lines, or None when the modem refused the command.
Ask = Callable[[str], "list[str] | None"]

IMS_QUERY = 'AT+QCFG="ims"'
CGSMS_QUERY = "AT+CGSMS?"
CGSMS_PACKET_ONLY, CGSMS_CIRCUIT, CGSMS_PACKET_FIRST, CGSMS_CIRCUIT_FIRST = 0, 1, 2, 3
_DOMAIN_WORDS = {0: "packet domain only", 1: "circuit switched", 2: "packet domain preferred",
                 3: "circuit switched preferred"}
_IMS_WORDS = {0: "as the carrier profile decides", 1: "on", 2: "off"}
FIX = ('send AT+QCFG="ims",1 and restart the modem (AT+CFUN=1,1), or ask the carrier to provision SMS over '
       "LTE (IMS or SGs) for this SIM; do not turn IMS off (that breaks incoming calls on some carriers)")


@dataclass(frozen=True)
class LteSms:
    """What the modem said about SMS over LTE."""

    ims: tuple[int, int | None] | None     # (+QCFG "ims" <value>, <VoLTE_state>), None: not said
    domain: int | None                     # AT+CGSMS, None: not said
    domain_changed_from: int | None = None  # set-up moved the domain from this value

    @property
    def ims_ready(self) -> bool:
        return self.ims is not None and self.ims[1] == 1

    def ims_words(self) -> str:
        if self.ims is None:
            return "IMS state unknown"
        value, ready = self.ims
        state = "registered" if ready == 1 else "not registered"
        return f'IMS {_IMS_WORDS.get(value, str(value))} and {state} (AT+QCFG="ims" says {value},{ready})'


def read_state(ask: Ask) -> LteSms:
    ims = None
    for line in ask(IMS_QUERY) or []:
        match = re.match(r'^\+QCFG:\s*"ims"\s*,\s*(\d+)(?:\s*,\s*(\d+))?', line, re.IGNORECASE)
        if match:
            ims = (int(match.group(1)), int(match.group(2)) if match.group(2) else None)
    domain = None
    for line in ask(CGSMS_QUERY) or []:
        match = re.match(r"^\+CGSMS:\s*(\d+)", line)
        if match:
            domain = int(match.group(1))
    return LteSms(ims=ims, domain=domain)


def prefer_working_domain(ask: Ask, state: LteSms) -> tuple[LteSms, str | None]:
    """With IMS not ready, SMS must go over SGs (circuit switched): a domain that tries the
    packet side first (or only) is set to 3. Returns the state and a line for the log."""
    if state.ims_ready or state.domain not in (CGSMS_PACKET_ONLY, CGSMS_PACKET_FIRST):
        return state, None
    if ask(f"AT+CGSMS={CGSMS_CIRCUIT_FIRST}") is None:
        return state, (f"SMS domain is {_DOMAIN_WORDS[state.domain]} (AT+CGSMS={state.domain}) with "
                       f"{state.ims_words()}, and the modem refused AT+CGSMS={CGSMS_CIRCUIT_FIRST}")
    changed = LteSms(ims=state.ims, domain=CGSMS_CIRCUIT_FIRST, domain_changed_from=state.domain)
    return changed, (f"SMS domain was {_DOMAIN_WORDS[state.domain]} (AT+CGSMS={state.domain}) with "
                     f"{state.ims_words()}: set AT+CGSMS={CGSMS_CIRCUIT_FIRST} (circuit switched preferred) "
                     "so texts go over SGs")


def no_domain_warning(state: LteSms, act: int | None) -> str | None:
    """Set-up's warning: on LTE, IMS not ready and the only SMS domain the packet one."""
    if act != ACT_LTE or state.ims_ready or state.domain != CGSMS_PACKET_ONLY:
        return None
    return (f"SMS over LTE cannot work: {state.ims_words()} and the SMS domain is packet only (AT+CGSMS=0); "
            f"set AT+CGSMS=3, or {FIX}")


def send_failed_warning(state: LteSms, act: int | None, error: str) -> str | None:
    """After AT+CMGS failed with `error`: the flag when the cause is SMS over LTE."""
    if act != ACT_LTE or state.ims_ready:
        return None
    return (f"SMS over LTE not provisioned: texts fail ({error}) while registered on LTE with "
            f"{state.ims_words()}; {FIX}")
