"""How a network codes the SMS-DELIVER PDUs it hands the modem.

Ours (modem.sms.pdu's defaults) are one valid coding among several. Peers measured on
real networks and implementations (DESIGN.md, "Facts measured on real peers") send
first octet 0x10 or 0x50 (TP-MMS clear, bit 4 set), TP-PID 0x01, a class-1 DCS (0x11
GSM-7, 0x19 UCS-2), the SMSC address with type 0x81 instead of 0x91, and
concatenation reference 0 for every long text. A shape names such a coding so a test
can deliver exactly what another network would, through `ModemSimulator.inject_sms`.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeliverShape:
    """The header fields of the SMS-DELIVER PDUs one network sends."""

    name: str
    first_octet: int = 0x04                 # TP-UDHI (0x40) is added for each part of a long text
    pid: int = 0x00                         # TP-PID
    message_class: int | None = None        # None: DCS without a class (0x00 / 0x08)
    smsc_international: bool = True         # False: SMSC address type 0x81 (unknown), no "+"
    concat_reference: int | None = None     # None: counts up as ours do; 0: what some phones send always

    def smsc(self, number: str) -> str:
        return number if self.smsc_international else number.lstrip("+")


SHAPES: dict[str, DeliverShape] = {
    # What modem.sms.pdu writes by default: TP-MMS set, PID 0, no class, SMSC 0x91.
    "textback": DeliverShape(name="textback"),
    # Every difference measured on other peers at once.
    "other-network": DeliverShape(name="other-network", first_octet=0x10, pid=0x01, message_class=1,
                                  smsc_international=False, concat_reference=0),
    # One difference each, so a failure names the field that caused it.
    "mms-clear": DeliverShape(name="mms-clear", first_octet=0x10),
    "pid-01": DeliverShape(name="pid-01", pid=0x01),
    "class-1": DeliverShape(name="class-1", message_class=1),
    "smsc-unknown-type": DeliverShape(name="smsc-unknown-type", smsc_international=False),
    "reference-0": DeliverShape(name="reference-0", concat_reference=0),
}


def get_shape(shape: str | DeliverShape | None) -> DeliverShape:
    """A shape by name (or as given); ValueError lists the known names."""
    if shape is None:
        return SHAPES["textback"]
    if isinstance(shape, DeliverShape):
        return shape
    try:
        return SHAPES[shape]
    except KeyError:
        raise ValueError(f"unknown network shape {shape!r}; choose one of: {', '.join(SHAPES)}") from None
