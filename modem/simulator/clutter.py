"""What else a receive memory holds on a SIM that has lived in a phone: drafts and junk.

A SIM moved from a handset (or a modem another program used) keeps saved drafts (27.005
<stat> 2 "STO UNSENT"), copies of sent texts (3 "STO SENT") and, now and then, a
received PDU nobody can read (cut short by a power loss, or coded with a scheme no
decoder knows). They use slots like any message: enough of them and the memory is full,
so a new reply waits at the network for a free slot (modem/simulator/network.py).
"""
from __future__ import annotations

from modem.simulator.memory import REC_READ, STO_SENT, STO_UNSENT, StoredMessage
from modem.sms import pdu

DRAFT, SENT_COPY, UNREADABLE = "draft", "sent", "unreadable"
KINDS = (DRAFT, SENT_COPY, UNREADABLE)

# A received PDU that stops inside its user data: the SMSC field, an SMS-DELIVER header
# that is whole, then TP-UDL 20 with three octets of text. Every decoder must refuse it.
CUT_SHORT_PDU = "07911326040000F0040B911121550521F30000" + "52105121000000" + "14" + "C8329B"


def clutter_message(kind: str, number: str = "+12125550199", text: str = "Call you back later") -> StoredMessage:
    """One slot's worth of `kind` (draft, sent or unreadable)."""
    if kind in (DRAFT, SENT_COPY):
        hex_pdu = pdu.encode_submit(number, text, reference=0, request_status_report=False)
        return StoredMessage(pdu=hex_pdu, stat=STO_UNSENT if kind == DRAFT else STO_SENT,
                             tpdu_length=pdu.tpdu_length(hex_pdu), kind="submit", number=number, text=text)
    if kind == UNREADABLE:
        return StoredMessage(pdu=CUT_SHORT_PDU, stat=REC_READ, tpdu_length=pdu.tpdu_length(CUT_SHORT_PDU),
                             kind="deliver")
    raise ValueError(f"unknown kind of stored message {kind!r}; use one of {', '.join(KINDS)}")
