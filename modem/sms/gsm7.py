"""The GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1) and septet packing.

The one home of the alphabet: the PDU coder sends with it and `config check`
counts with it (modem/sms_text.py), so they cannot disagree. Also septet packing
(with the fill bits a User Data Header needs) and the receiving rules of 23.038 for
escapes that map to nothing.

Functions here raise plain ValueError with a readable message; modem.sms.pdu turns
those into PduError.  Standard library only.
"""
from __future__ import annotations

ESCAPE = 0x1B

# TS 23.038 6.2.1, the default alphabet in septet order 0x00..0x7F. Position 0x1B is the
# escape to the extension table, not a character.
BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# TS 23.038 6.2.1.1, the default extension table: ESC + this septet, so each costs two.
EXTENSION_TABLE = {
    "\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F,
    "[": 0x3C, "~": 0x3D, "]": 0x3E, "|": 0x40, "€": 0x65,
}

# BASIC[s] is the character for septet s; EXTENSION[s] the one for ESC s (or None).
BASIC: tuple[str | None, ...] = tuple(None if s == ESCAPE else ch for s, ch in enumerate(BASIC_TABLE))
_BY_SEPTET = {s: ch for ch, s in EXTENSION_TABLE.items()}
EXTENSION: tuple[str | None, ...] = tuple(_BY_SEPTET.get(s) for s in range(128))

# char -> its septets; ESC itself is a shift code, never a character to send.
_ENCODE: dict[str, tuple[int, ...]] = {}
for _s, _ch in enumerate(EXTENSION):
    if _ch is not None:
        _ENCODE[_ch] = (ESCAPE, _s)
for _s, _ch in enumerate(BASIC):
    if _ch is not None:
        _ENCODE[_ch] = (_s,)  # basic wins should a character sit in both tables
del _s, _ch


def is_gsm7(text: str) -> bool:
    """True when every character of text has a GSM-7 code (basic or extension)."""
    return all(ch in _ENCODE for ch in text)


def char_septets(ch: str) -> tuple[int, ...]:
    """The septets for one character: one for the basic table, two (ESC, code) for
    the extension table.  ValueError if the character has no GSM-7 code."""
    try:
        return _ENCODE[ch]
    except KeyError:
        raise ValueError(f"character {ch!r} (U+{ord(ch):04X}) is not in the GSM 7-bit alphabet; "
                         "send the text as UCS-2") from None


def to_septets(text: str) -> list[int]:
    """text -> septet values (0..127), escapes included."""
    out: list[int] = []
    for ch in text:
        out.extend(char_septets(ch))
    return out


def from_septets(septets: list[int] | bytes) -> str:
    """Septet values -> text.  Never fails: received text must not be lost.

    Per 23.038 §6.2.1.1, an ESC followed by a code the extension table lacks is
    shown as the basic-table character; ESC ESC (reserved for a further table)
    and an ESC at the very end are shown as a space.
    """
    out: list[str] = []
    i, n = 0, len(septets)
    while i < n:
        s = septets[i] & 0x7F
        if s != ESCAPE:
            out.append(BASIC[s])  # type: ignore[arg-type]  # every non-ESC septet maps
            i += 1
            continue
        if i + 1 >= n:
            out.append(" ")
            break
        nxt = septets[i + 1] & 0x7F
        if nxt == ESCAPE:
            out.append(" ")
        else:
            out.append(EXTENSION[nxt] or BASIC[nxt])  # type: ignore[arg-type]
        i += 2
    return "".join(out)


def pack(septets: list[int], fill_bits: int = 0) -> bytes:
    """Pack septets LSB first into octets (23.038 §6.1.2.1.1).

    fill_bits zero bits go first, so that text after a User Data Header starts on
    a septet boundary (23.040 §9.2.3.24)."""
    value = 0
    for i, s in enumerate(septets):
        if not 0 <= s <= 0x7F:
            raise ValueError(f"septet {s} is out of range 0..127")
        value |= s << (fill_bits + 7 * i)
    nbits = fill_bits + 7 * len(septets)
    return value.to_bytes((nbits + 7) // 8, "little")


def packed_length(septet_count: int, fill_bits: int = 0) -> int:
    """How many octets septet_count septets take after fill_bits fill bits."""
    return (fill_bits + 7 * septet_count + 7) // 8


def unpack(data: bytes, count: int, fill_bits: int = 0) -> list[int]:
    """The first count septets of data, skipping fill_bits leading bits.
    ValueError if data is too short to hold them."""
    needed = packed_length(count, fill_bits)
    if len(data) < needed:
        raise ValueError(f"{count} septets need {needed} octets, only {len(data)} present")
    value = int.from_bytes(data[:needed], "little") >> fill_bits
    return [(value >> (7 * i)) & 0x7F for i in range(count)]
