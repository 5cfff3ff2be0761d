"""SMS PDUs as a GSM modem sends and receives them in PDU mode (3GPP TS 23.040).

Written from the standard, independently of python-gsmmodem-new's own codec: the
modem simulator speaks through this module and that library is the client under
test, so sharing code would let their faults cancel out.

Hex strings go in and come out upper-case, as modems print them.  Every decoder
raises PduError (a ValueError) with a readable message for garbled input, never
IndexError or the like; encoders raise PduError for arguments they cannot encode.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from modem.sms import gsm7
from modem.sms import measure as sms_text
from modem.sms.tpdu_fields import (
    EIGHT_BIT,
    GSM7,
    UCS2,
    PduError,
    Reader,
    decode_address,
    decode_dcs,
    decode_smsc,
    decode_timestamp,
    decode_udh,
    encode_address,
    encode_concat_udh,
    encode_smsc,
    encode_timestamp,
    parse_hex,
)

__all__ = [
    "EIGHT_BIT",
    "GSM7",
    "UCS2",
    "Deliver",
    "PduError",
    "StatusReport",
    "Submit",
    "decode_deliver",
    "decode_status_report",
    "decode_submit",
    "deliver_parts",
    "encode_deliver",
    "encode_status_report",
    "encode_submit",
    "join_texts",
    "tpdu_length",
]

_DCS = {GSM7: 0x00, EIGHT_BIT: 0x04, UCS2: 0x08}
_HEX = re.compile(r"[0-9A-Fa-f]*")

# One concatenation UDH with an 8-bit reference: UDHL, IEI 00, IEDL 03, ref, total, seq.
_CONCAT_UDH_OCTETS = 6


@dataclass(frozen=True)
class Submit:
    """An SMS-SUBMIT: what a client hands the modem after AT+CMGS=<tpdu_length>."""
    smsc: str | None
    message_reference: int
    destination: str
    text: str  # 8-bit payloads come as upper-case hex
    encoding: str  # "GSM-7", "UCS-2" or "8-bit"
    concat: tuple[int, int, int] | None  # (reference, total, sequence) from UDH IE 00/08
    status_report_requested: bool
    validity_period: str | None  # TP-VP as raw upper-case hex; None when absent
    tpdu_length: int
    reject_duplicates: bool = False
    protocol_identifier: int = 0
    header_elements: tuple[tuple[int, bytes], ...] = ()


@dataclass(frozen=True)
class Deliver:
    """An SMS-DELIVER: a message the network handed to the modem."""
    smsc: str | None
    sender: str  # "+12125550123", a national number, or an alphanumeric name
    text: str
    encoding: str
    concat: tuple[int, int, int] | None
    timestamp: datetime  # TP-SCTS, timezone-aware
    tpdu_length: int
    protocol_identifier: int = 0
    header_elements: tuple[tuple[int, bytes], ...] = ()


@dataclass(frozen=True)
class StatusReport:
    """An SMS-STATUS-REPORT: the network's word on a message we sent.

    decode_status_report() fills the fields of the PDU; the device layer adds where
    the modem holds the report (memory/index: None for one delivered directly as +CDS),
    so the worker can delete it once the store has recorded it.
    """
    smsc: str | None
    message_reference: int
    recipient: str
    submitted_at: datetime  # TP-SCTS of the original message
    discharged_at: datetime  # TP-DT: delivery, or the last attempt
    status: int  # TP-ST (23.040 §9.2.3.15)
    tpdu_length: int
    pdu: str = ""                      # the hex it was decoded from, SMSC prefix included
    memory: str | None = None          # where the modem stored it (+CDSI), None for +CDS
    index: int | None = None

    @property
    def reference(self) -> int:
        """The message reference +CMGS gave the part (TP-MR): what the store matches."""
        return self.message_reference

    @property
    def delivered(self) -> bool:
        """0x00-0x1F: the transaction is complete (received, or forwarded/replaced)."""
        return self.status < 0x20

    @property
    def pending(self) -> bool:
        """0x20-0x3F: a temporary error, the service centre is still trying."""
        return 0x20 <= self.status < 0x40

    @property
    def failed(self) -> bool:
        """0x40 and up: a permanent error, or a temporary one the centre gave up on."""
        return self.status >= 0x40


# ---------------------------------------------------------------- user data

def _choose_encoding(text: str | bytes, encoding: str | None) -> str:
    if encoding is None:
        if isinstance(text, bytes):
            return EIGHT_BIT
        return GSM7 if gsm7.is_gsm7(text) else UCS2
    if encoding not in _DCS:
        raise PduError(f"unknown encoding {encoding!r}: use one of {', '.join(_DCS)}")
    return encoding


def _payload(text: str | bytes, encoding: str) -> list[int] | bytes:
    """Septets (GSM-7) or octets (UCS-2, 8-bit) of the message body."""
    if encoding == EIGHT_BIT:
        if isinstance(text, bytes):
            return text
        if len(text) % 2 or not _HEX.fullmatch(text):
            raise PduError("8-bit text must be bytes or an even-length hex string")
        return bytes.fromhex(text)
    if isinstance(text, bytes):
        raise PduError(f"{encoding} text must be str, not bytes")
    if encoding == GSM7:
        try:
            return gsm7.to_septets(text)
        except ValueError as exc:
            raise PduError(str(exc)) from None
    # UTF-16 is UCS-2 plus surrogate pairs, which is what phones send for emoji.
    try:
        return text.encode("utf-16-be")
    except UnicodeEncodeError:
        raise PduError("text holds a lone surrogate; it cannot be sent as UCS-2") from None


def _user_data(text: str | bytes, encoding: str, concat: tuple[int, int, int] | None) -> bytes:
    """TP-UDL followed by TP-UD (with the UDH, if any)."""
    udh = encode_concat_udh(concat)
    body = _payload(text, encoding)
    if encoding == GSM7:
        fill = (7 - len(udh) * 8 % 7) % 7
        udl = (len(udh) * 8 + fill) // 7 + len(body)
        if udl > 160:
            raise PduError(f"text needs {udl} septets, one PDU holds 160; use deliver_parts")
        return bytes([udl]) + udh + gsm7.pack(body, fill)  # type: ignore[arg-type]
    udl = len(udh) + len(body)
    if udl > 140:
        raise PduError(f"text needs {udl} octets, one PDU holds 140; use deliver_parts")
    return bytes([udl]) + udh + bytes(body)


def _read_user_data(r: Reader, udhi: bool, encoding: str
                    ) -> tuple[str, tuple[int, int, int] | None, tuple[tuple[int, bytes], ...]]:
    udl = r.octet("TP-UDL")
    if encoding == GSM7:
        if udl > 160:
            raise PduError(f"TP-UDL {udl} is over 160 septets")
        raw = r.take(gsm7.packed_length(udl), "user data")
    else:
        if udl > 140:
            raise PduError(f"TP-UDL {udl} is over 140 octets")
        raw = r.take(udl, "user data")
    elements: tuple[tuple[int, bytes], ...] = ()
    concat: tuple[int, int, int] | None = None
    body_at = 0
    if udhi:
        if not raw:
            raise PduError("TP-UDHI is set but the user data is empty")
        udhl = raw[0]
        if 1 + udhl > len(raw):
            raise PduError(f"UDH length {udhl} runs past the user data")
        elements, concat = decode_udh(raw[1:1 + udhl])
        body_at = 1 + udhl
    if encoding == GSM7:
        header_bits = body_at * 8
        skip = (header_bits + 6) // 7  # header plus fill, in septets
        if skip > udl:
            raise PduError(f"TP-UDL {udl} septets is shorter than the {skip}-septet header")
        septets = gsm7.unpack(raw, udl)[skip:]
        text = gsm7.from_septets(septets)
    elif encoding == UCS2:
        body = raw[body_at:]
        if len(body) % 2:
            raise PduError(f"UCS-2 text has an odd number of octets ({len(body)})")
        # surrogatepass: a pair split across two parts must survive until the parts
        # are joined; decoding it here would lose the character.
        text = body.decode("utf-16-be", "surrogatepass")
    else:
        text = raw[body_at:].hex().upper()
    r.end("user data")
    return text, concat, elements


# ---------------------------------------------------------------- decoders

def tpdu_length(pdu_hex: str) -> int:
    """Octets after the SMSC field: the <length> of AT+CMGS and of +CMGR/+CMGL."""
    data = parse_hex(pdu_hex)
    smsc_len = data[0]
    if 1 + smsc_len > len(data):
        raise PduError(f"SMSC field claims {smsc_len} octets but the PDU has {len(data) - 1} after it")
    return len(data) - 1 - smsc_len


def _start(pdu_hex: str, has_smsc: bool, kind: str, mti: int) -> tuple[Reader, str | None, int, int]:
    data = parse_hex(pdu_hex)
    r = Reader(data)
    smsc = decode_smsc(r) if has_smsc else None
    length = r.remaining
    first = r.octet("first octet")
    if first & 0x03 != mti:
        names = {0: "SMS-DELIVER", 1: "SMS-SUBMIT", 2: "SMS-STATUS-REPORT", 3: "a reserved type"}
        raise PduError(f"expected {kind} but TP-MTI says {names[first & 0x03]} (first octet {first:02X})")
    return r, smsc, length, first


def decode_submit(pdu_hex: str, has_smsc: bool = True) -> Submit:
    """Decode an SMS-SUBMIT; has_smsc=False when the PDU starts at the first octet."""
    r, smsc, length, first = _start(pdu_hex, has_smsc, "SMS-SUBMIT", 0x01)
    reference = r.octet("TP-MR")
    destination = decode_address(r, "TP-DA")
    pid = r.octet("TP-PID")
    encoding = decode_dcs(r.octet("TP-DCS"))
    vpf = (first >> 3) & 0x03
    vp = r.take({0: 0, 2: 1, 1: 7, 3: 7}[vpf], "TP-VP").hex().upper() or None
    text, concat, elements = _read_user_data(r, bool(first & 0x40), encoding)
    return Submit(smsc=smsc, message_reference=reference, destination=destination, text=text,
                  encoding=encoding, concat=concat, status_report_requested=bool(first & 0x20),
                  validity_period=vp, tpdu_length=length, reject_duplicates=bool(first & 0x04),
                  protocol_identifier=pid, header_elements=elements)


def decode_deliver(pdu_hex: str) -> Deliver:
    """Decode an SMS-DELIVER with its SMSC prefix, as +CMGR/+CMGL/+CMT show it."""
    r, smsc, length, first = _start(pdu_hex, True, "SMS-DELIVER", 0x00)
    sender = decode_address(r, "TP-OA")
    pid = r.octet("TP-PID")
    encoding = decode_dcs(r.octet("TP-DCS"))
    timestamp = decode_timestamp(r, "TP-SCTS")
    text, concat, elements = _read_user_data(r, bool(first & 0x40), encoding)
    return Deliver(smsc=smsc, sender=sender, text=text, encoding=encoding, concat=concat,
                   timestamp=timestamp, tpdu_length=length, protocol_identifier=pid,
                   header_elements=elements)


def decode_status_report(pdu_hex: str) -> StatusReport:
    """Decode an SMS-STATUS-REPORT with its SMSC prefix, as +CDS/+CMGR show it.
    Optional fields after TP-ST (TP-PI and what it announces) are ignored."""
    r, smsc, length, _first = _start(pdu_hex, True, "SMS-STATUS-REPORT", 0x02)
    reference = r.octet("TP-MR")
    recipient = decode_address(r, "TP-RA")
    submitted = decode_timestamp(r, "TP-SCTS")
    discharged = decode_timestamp(r, "TP-DT")
    status = r.octet("TP-ST")
    return StatusReport(smsc=smsc, message_reference=reference, recipient=recipient,
                        submitted_at=submitted, discharged_at=discharged, status=status,
                        tpdu_length=length, pdu=pdu_hex.strip())


def join_texts(texts: list[str]) -> str:
    """The whole text of a concatenated message from its parts' texts, in sequence
    order.  A sender may cut a surrogate pair between two UCS-2 parts; each part then
    decodes to a lone surrogate (kept by the decoder), and here the halves pair up
    again.  A half whose partner never arrived becomes U+FFFD, so the result can
    always be stored as UTF-8."""
    joined = "".join(texts)
    return joined.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "replace")


# ---------------------------------------------------------------- encoders

def _check_octet(value: int, what: str) -> int:
    if not isinstance(value, int) or not 0 <= value <= 255:
        raise PduError(f"{what} must be an integer 0..255, got {value!r}")
    return value


def encode_submit(destination: str, text: str | bytes, *, reference: int,
                  request_status_report: bool, encoding: str | None = None,
                  concat: tuple[int, int, int] | None = None, smsc: str | None = None,
                  validity_period: int | None = None) -> str:
    """An SMS-SUBMIT as a client sends it after AT+CMGS (SMSC "00" = the SIM's default).
    validity_period is the raw relative TP-VP octet (e.g. 0xA7 = 24 hours)."""
    enc = _choose_encoding(text, encoding)
    first = 0x01 | (0x20 if request_status_report else 0) | (0x40 if concat else 0)
    vp = b""
    if validity_period is not None:
        first |= 0x10
        vp = bytes([_check_octet(validity_period, "validity_period")])
    tpdu = (bytes([first, _check_octet(reference, "reference")]) + encode_address(destination)
            + bytes([0x00, _DCS[enc]]) + vp + _user_data(text, enc, concat))
    return (encode_smsc(smsc) + tpdu).hex().upper()


def encode_deliver(sender: str, text: str | bytes, timestamp: datetime, *,
                   encoding: str | None = None, concat: tuple[int, int, int] | None = None,
                   smsc: str = "+12125550100", first_octet: int = 0x04, pid: int = 0x00,
                   message_class: int | None = None) -> str:
    """An SMS-DELIVER with SMSC prefix, as +CMGR/+CMGL/+CMT show it.

    first_octet: TP-MTI 0 with the flags a network sets (0x04 = TP-MMS "no more
    messages waiting", what ours set; others send 0x10 or 0x00); TP-UDHI is added for a
    part. pid: TP-PID. message_class 0-3 codes the DCS with a class (23.038 §4:
    GSM-7 class 1 = 0x11, UCS-2 class 1 = 0x19). An SMSC without "+" is coded with
    type 0x81 (unknown), as some networks do.
    """
    enc = _choose_encoding(text, encoding)
    if first_octet & 0x03:
        raise PduError(f"first octet {first_octet:02X} is not an SMS-DELIVER (TP-MTI must be 0)")
    first = _check_octet(first_octet, "first_octet") | (0x40 if concat else 0)
    dcs = _DCS[enc]
    if message_class is not None:
        if message_class not in (0, 1, 2, 3):
            raise PduError(f"message class must be 0..3, got {message_class!r}")
        dcs |= 0x10 | message_class
    tpdu = (bytes([first]) + encode_address(sender) + bytes([_check_octet(pid, "pid"), dcs])
            + encode_timestamp(timestamp) + _user_data(text, enc, concat))
    return (encode_smsc(smsc) + tpdu).hex().upper()


def _pieces(text: str | bytes, enc: str) -> list:
    """The text of each SMS: one piece when it fits, else the concatenated parts
    (GSM-7: 153 septets, UCS-2: 67 units, 8-bit: 134 octets a part), never cut inside
    an escape sequence or a surrogate pair (modem/sms_text.py splits the texts)."""
    if enc == EIGHT_BIT:
        data = _payload(text, enc)
        if len(data) <= 140:
            return [data]
        limit = 140 - _CONCAT_UDH_OCTETS
        return [data[i:i + limit] for i in range(0, len(data), limit)]
    try:
        pieces = sms_text.split_parts(text, enc)  # type: ignore[arg-type]
    except ValueError as exc:
        raise PduError(str(exc)) from None
    if len(pieces) > 255:
        raise PduError(f"text needs {len(pieces)} parts; a concatenated SMS has at most 255")
    return pieces


def _concat(pieces: list, reference: int):
    """(piece, concat header values or None) for each SMS of a message."""
    if len(pieces) == 1:
        return [(pieces[0], None)]
    return [(piece, (reference, len(pieces), seq)) for seq, piece in enumerate(pieces, start=1)]


def deliver_parts(sender: str, text: str | bytes, timestamp: datetime, *, reference: int,
                  encoding: str | None = None, smsc: str = "+12125550100", first_octet: int = 0x04,
                  pid: int = 0x00, message_class: int | None = None) -> list[str]:
    """text as one SMS-DELIVER if it fits, else as concatenated parts with an 8-bit
    reference UDH (a reference above 255 gives the 16-bit IE 08); the other keywords as
    encode_deliver takes them."""
    enc = _choose_encoding(text, encoding)
    if not isinstance(reference, int) or not 0 <= reference <= 0xFFFF:
        raise PduError(f"reference must be an integer 0..65535, got {reference!r}")
    return [encode_deliver(sender, piece, timestamp, encoding=enc, smsc=smsc, concat=concat,
                           first_octet=first_octet, pid=pid, message_class=message_class)
            for piece, concat in _concat(_pieces(text, enc), reference)]


def submit_parts(destination: str, text: str | bytes, *, reference: int, request_status_report: bool,
                 encoding: str | None = None) -> list[str]:
    """text as one SMS-SUBMIT if it fits, else as concatenated parts with the 8-bit
    concatenation reference `reference` (TP-MR is left to the modem)."""
    enc = _choose_encoding(text, encoding)
    _check_octet(reference, "reference")
    return [encode_submit(destination, piece, reference=0, request_status_report=request_status_report,
                          encoding=enc, concat=concat)
            for piece, concat in _concat(_pieces(text, enc), reference)]


def encode_status_report(reference: int, recipient: str, status: int, submitted_at: datetime,
                         discharged_at: datetime, smsc: str = "+12125550100") -> str:
    """An SMS-STATUS-REPORT (status 0 = delivered, 0x20+ temporary, 0x40+ permanent failure)."""
    # 0x06: TP-MTI status report, TP-MMS no more messages; TP-SRQ 0 = reply to a SUBMIT.
    tpdu = (bytes([0x06, _check_octet(reference, "reference")]) + encode_address(recipient)
            + encode_timestamp(submitted_at) + encode_timestamp(discharged_at)
            + bytes([_check_octet(status, "status")]))
    return (encode_smsc(smsc) + tpdu).hex().upper()
