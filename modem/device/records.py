"""What the device layer hands out: a received SMS as the modem holds it, the modem's health.

Plain frozen values: nothing here touches the serial port or the modem library, so the
worker and its tests can build them freely. (A status report is modem.sms.pdu's
StatusReport, with the slot the modem keeps it in.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class StoredSms:
    """One received SMS part as the modem holds it in memory `memory` at `index`.

    memory/index are None for a message the modem handed over directly (+CMT) and
    never stored. When the PDU cannot be decoded, `error` says why and sender/text are
    empty: a garbled message is reported, never raised, so it cannot block the others.
    concat is (reference, total, sequence) for one part of a long text; the worker's
    receiving side joins them. A UCS-2 text split by the phone inside an emoji leaves half a
    surrogate pair at the edge of each part: join parts with modem.sms.pdu.join_texts().
    """

    memory: str | None
    index: int | None
    sender: str
    text: str
    smsc_timestamp: datetime | None
    concat: tuple[int, int, int] | None
    pdu: str
    status: int | None = None          # 27.005 <stat>: 0 received unread, 1 received read
    encoding: str | None = None        # GSM-7, UCS-2 or 8-bit
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def draft(self) -> bool:
        """Written on this SIM, not received: 27.005 <stat> 2 (STO UNSENT, a draft) or 3
        (STO SENT, a copy of a sent text), as a SIM that lived in a phone holds them."""
        return self.status in (2, 3)


@dataclass(frozen=True)
class ModemHealth:
    """What `textback status` and the worker's log show about the modem."""

    port: str
    alive: bool
    manufacturer: str | None = None
    model: str | None = None
    signal_dbm: int | None = None      # None: unknown / no signal (CSQ 99)
    registered: bool = False
    registration: str = "unknown"      # home, roaming, searching, denied, not registered, unknown
    operator: str | None = None
    storage: dict[str, tuple[int, int]] = field(default_factory=dict)  # memory -> (used, total)
    receive_memory: str | None = None  # where new SMS go (AT+CPMS <mem3>); its fill is in storage
    problem: str | None = None         # why a field could not be read, for the log
    family: str = "generic"            # whose set-up was used (modem/device/families.py)
    chosen_by: str = "detected"        # how: "detected" from what the modem said, or "[modem] model"
    access_technology: int | None = None   # 27.007 <AcT> (7 LTE, 0/1/3 2G...), None unsaid
    flags: tuple[str, ...] = ()        # what cannot work (2G only, SMS over LTE), with what to do

    @property
    def identity(self) -> str:
        """'Quectel EG25, set-up ec25 (detected)': what the modem is and whose set-up it got."""
        named = " ".join(part for part in (self.manufacturer, self.model) if part) or "a modem that gave no name"
        return f"{named}, set-up {self.family} ({self.chosen_by})"
