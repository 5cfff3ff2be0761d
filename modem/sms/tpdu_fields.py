"""The small fields every SMS PDU is built from (3GPP TS 23.040 §9.1.2, §9.2.3):
hex input, a bounds-checked reader, addresses in semi-octets or GSM-7, the SMSC
field, the 7-octet timestamps, TP-DCS and the User Data Header.  modem.sms.pdu
assembles whole PDUs from these.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from modem.sms import gsm7

# Semi-octet digits of 23.040 §9.1.2.3; F is the filler of an odd-length number.
_DIGITS = "0123456789*#abc"
_TOA_INTERNATIONAL = 0x91  # TON international, NPI ISDN/E.164
_TOA_UNKNOWN = 0x81  # TON unknown, NPI ISDN: a number as dialled
_TOA_ALPHANUMERIC = 0xD0  # TON alphanumeric (GSM-7 packed), NPI unknown
# a-c are valid semi-octets but would swallow names like "abc": numbers we send use 0-9 * #.
_NUMBER = re.compile(r"\+?[0-9*#]{1,20}")


GSM7, UCS2, EIGHT_BIT = "GSM-7", "UCS-2", "8-bit"


class PduError(ValueError):
    """A PDU (or an argument to encode one) that does not follow 3GPP TS 23.040."""


def parse_hex(pdu_hex: str) -> bytes:
    if not isinstance(pdu_hex, str):
        raise PduError(f"a PDU is a hex string, not {type(pdu_hex).__name__}")
    text = pdu_hex.strip()
    if not text:
        raise PduError("the PDU is empty")
    if len(text) % 2:
        raise PduError(f"the PDU has an odd number of hex digits ({len(text)}); it was cut or garbled")
    try:
        return bytes.fromhex(text)
    except ValueError:
        bad = next(ch for ch in text if ch not in "0123456789abcdefABCDEF")
        raise PduError(f"the PDU holds {bad!r}, which is not a hex digit") from None


class Reader:
    """Reads octets from a PDU; running out is a PduError naming the field."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int, what: str) -> bytes:
        if n > self.remaining:
            raise PduError(f"the PDU ends inside {what}: it needs {n} octets, {self.remaining} are left")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def octet(self, what: str) -> int:
        return self.take(1, what)[0]

    def end(self, what: str) -> None:
        if self.remaining:
            raise PduError(f"{self.remaining} unexpected octets follow the {what}; "
                           "the length fields do not match the PDU")


# ---------------------------------------------------------------- semi-octets

def encode_semi_octets(digits: str) -> bytes:
    """'12125550123' -> 21 21 55 05 21 F3: digit pairs swapped, F-filled."""
    nibbles = [_DIGITS.index(d) for d in digits]
    if len(nibbles) % 2:
        nibbles.append(0xF)
    return bytes(nibbles[i] | (nibbles[i + 1] << 4) for i in range(0, len(nibbles), 2))


def decode_semi_octets(data: bytes, count: int, what: str) -> str:
    out: list[str] = []
    for octet in data:
        for nibble in (octet & 0x0F, octet >> 4):
            if len(out) == count:
                break
            if nibble == 0xF:
                raise PduError(f"{what} has a filler digit F inside the number")
            out.append(_DIGITS[nibble])
    return "".join(out)


# ---------------------------------------------------------------- addresses

def _is_number(address: str) -> bool:
    return bool(_NUMBER.fullmatch(address))


def encode_address(address: str) -> bytes:
    """TP-OA/TP-DA/TP-RA: a number ('+' = international) or an alphanumeric name
    of up to 11 GSM-7 characters ('AcmeBank')."""
    if not isinstance(address, str) or not address:
        raise PduError(f"an address must be a non-empty string, got {address!r}")
    if _is_number(address):
        digits = address.lstrip("+")
        toa = _TOA_INTERNATIONAL if address.startswith("+") else _TOA_UNKNOWN
        return bytes([len(digits), toa]) + encode_semi_octets(digits)
    if address.startswith("+") or address.isdigit():
        raise PduError(f"{address!r} is not a number of at most 20 digits (E.164 as +12125550123)")
    try:
        septets = gsm7.to_septets(address)
    except ValueError as exc:
        raise PduError(f"alphanumeric address {address!r}: {exc}") from None
    if len(septets) > 11:
        raise PduError(f"alphanumeric address {address!r} is longer than 11 GSM-7 characters")
    packed = gsm7.pack(septets)
    # The length counts semi-octets actually used, not characters (23.040 §9.1.2.5).
    return bytes([(len(septets) * 7 + 3) // 4, _TOA_ALPHANUMERIC]) + packed


def decode_address(r: Reader, what: str) -> str:
    length = r.octet(f"{what} length")
    if length > 20:
        raise PduError(f"{what} claims {length} digits; an address holds at most 20")
    toa = r.octet(f"{what} type")
    data = r.take((length + 1) // 2, what)
    if (toa >> 4) & 0x07 == 0x5:  # TON alphanumeric
        return gsm7.from_septets(gsm7.unpack(data, length * 4 // 7))
    digits = decode_semi_octets(data, length, what)
    return ("+" if (toa >> 4) & 0x07 == 0x1 else "") + digits


def encode_smsc(smsc: str | None) -> bytes:
    """The SMSC field before the TPDU; None gives '00' (use the SIM's default)."""
    if smsc is None:
        return b"\x00"
    if not _is_number(smsc):
        raise PduError(f"SMSC {smsc!r} is not a phone number (as +12125550100)")
    digits = smsc.lstrip("+")
    body = bytes([_TOA_INTERNATIONAL if smsc.startswith("+") else _TOA_UNKNOWN]) + encode_semi_octets(digits)
    return bytes([len(body)]) + body


def decode_smsc(r: Reader) -> str | None:
    # Unlike TP addresses, this length counts octets, type octet included (24.011).
    length = r.octet("SMSC length")
    if length == 0:
        return None
    if length > 11:
        raise PduError(f"SMSC field claims {length} octets; it holds at most 11")
    body = r.take(length, "SMSC address")
    toa, digits = body[0], body[1:]
    count = len(digits) * 2 - (1 if digits and digits[-1] >> 4 == 0xF else 0)
    number = decode_semi_octets(digits, count, "SMSC address")
    return ("+" if (toa >> 4) & 0x07 == 0x1 else "") + number


# ---------------------------------------------------------------- timestamps

def encode_timestamp(moment: datetime) -> bytes:
    """TP-SCTS/TP-DT: YY MM DD hh mm ss and the zone in quarter hours, swapped BCD."""
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise PduError(f"timestamp must be a timezone-aware datetime, got {moment!r}")
    if not 2000 <= moment.year <= 2099:
        raise PduError(f"timestamp year {moment.year} is outside 2000..2099")
    offset = moment.utcoffset()
    assert offset is not None   # checked above
    minutes = int(offset.total_seconds() // 60)
    if minutes % 15 or abs(minutes) > 79 * 15:
        raise PduError(f"time zone offset {offset} is not a whole number of quarter hours within ±19:45")
    fields = [moment.year % 100, moment.month, moment.day, moment.hour, moment.minute, moment.second]
    out = bytes((v % 10) << 4 | (v // 10) for v in fields)
    quarters = abs(minutes) // 15
    zone = (quarters % 10) << 4 | (quarters // 10) | (0x08 if minutes < 0 else 0)
    return out + bytes([zone])


def decode_timestamp(r: Reader, what: str) -> datetime:
    data = r.take(7, what)
    values = []
    for octet in data[:6]:
        lo, hi = octet & 0x0F, octet >> 4
        if lo > 9 or hi > 9:
            raise PduError(f"{what} holds {octet:02X}, which is not a swapped BCD pair")
        values.append(lo * 10 + hi)
    zone = data[6]
    if zone >> 4 > 9:
        raise PduError(f"{what} time zone {zone:02X} is not BCD")
    quarters = (zone & 0x07) * 10 + (zone >> 4)
    sign = -1 if zone & 0x08 else 1
    try:
        tz = timezone(timedelta(minutes=sign * 15 * quarters))
        return datetime(2000 + values[0], values[1], values[2], values[3], values[4], values[5], tzinfo=tz)
    except ValueError as exc:
        raise PduError(f"{what} is not a real date and time: {exc}") from None


# ---------------------------------------------------------------- data coding and UDH

def decode_dcs(dcs: int) -> str:
    """TP-DCS -> alphabet name (23.038 §4)."""
    group = dcs >> 4
    if group <= 0x7:  # general data coding (00xx) and automatic deletion (01xx)
        if dcs & 0x20:
            raise PduError(f"TP-DCS {dcs:02X} announces compressed text, which is not supported")
        alphabet = (dcs >> 2) & 0x3
    elif group in (0xC, 0xD):  # message waiting, discard / store: GSM-7
        alphabet = 0
    elif group == 0xE:  # message waiting, store, UCS-2
        alphabet = 2
    elif group == 0xF:  # data coding / message class
        alphabet = 1 if dcs & 0x04 else 0
    else:  # 23.038: reserved codings are read as the default alphabet
        alphabet = 0
    return {0: GSM7, 1: EIGHT_BIT, 2: UCS2, 3: GSM7}[alphabet]


def decode_udh(udh: bytes) -> tuple[tuple[tuple[int, bytes], ...], tuple[int, int, int] | None]:
    """The UDH (after its length octet) -> all (IEI, data) elements, and the
    concatenation (reference, total, sequence) if a valid IE 00 or 08 is present."""
    elements: list[tuple[int, bytes]] = []
    concat = None
    i = 0
    while i < len(udh):
        if i + 2 > len(udh):
            raise PduError("User Data Header ends inside an information element")
        iei, length = udh[i], udh[i + 1]
        data = udh[i + 2:i + 2 + length]
        if len(data) != length:
            raise PduError(f"UDH element {iei:02X} claims {length} octets, only {len(data)} present")
        elements.append((iei, bytes(data)))
        i += 2 + length
        if iei == 0x00 and length == 3:
            ref, total, seq = data
        elif iei == 0x08 and length == 4:
            ref, total, seq = (data[0] << 8) | data[1], data[2], data[3]
        else:
            continue
        # 23.040 §9.2.3.24.1: a zero total or a sequence past it makes the element void.
        if total and 1 <= seq <= total:
            concat = (ref, total, seq)
    return tuple(elements), concat


def encode_concat_udh(concat: tuple[int, int, int] | None) -> bytes:
    """The User Data Header for one part: IE 00 (8-bit reference) or 08 (16-bit)."""
    if concat is None:
        return b""
    ref, total, seq = concat
    if not (0 <= ref <= 0xFFFF and 1 <= total <= 255 and 1 <= seq <= total):
        raise PduError(f"bad concatenation {concat}: need reference 0..65535, 1 <= seq <= total <= 255")
    if ref <= 0xFF:
        return bytes([5, 0x00, 3, ref, total, seq])
    return bytes([6, 0x08, 4, ref >> 8, ref & 0xFF, total, seq])
