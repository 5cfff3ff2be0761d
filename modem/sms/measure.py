"""How a text will travel as SMS: which alphabet, how long, how many parts.

Measured against 3GPP TS 23.038 (GSM 03.38): a text that fits the GSM 7-bit default
alphabet goes as GSM-7 (160 septets in one SMS, 153 per part once it needs a
concatenation header); any other character forces the whole text to UCS-2 (70 UTF-16
code units in one SMS, 67 per part). Every part is billed, so the shop sees the count
before a template goes live (`textback config check`).

Standard library only: config check and the worker both use it, and it must not drag
the modem library in. The alphabet itself is modem/gsm7.py's, the same one the PDU
coder sends with.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from modem.sms import gsm7

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# Limits per TS 23.040: a user data field holds 140 octets; a concatenation header
# (UDH, 6 octets) leaves 134, i.e. 153 septets or 67 UCS-2 units per part.
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class TextMeasure:
    """What `describe` reports about one text."""

    encoding: str        # "GSM-7" or "UCS-2"
    length: int          # septets for GSM-7, UTF-16 code units for UCS-2: what the limits count
    segments: int        # SMS parts needed (each one is billed)
    has_emoji: bool      # emoji force UCS-2, and the modem library cannot send some of them raw

    def summary(self) -> str:
        unit = "septets" if self.encoding == GSM7 else "UCS-2 units"
        parts = "1 segment" if self.segments == 1 else f"{self.segments} segments"
        return f"{self.encoding}, {self.length} {unit}, {parts}"


def _gsm_cost(char: str) -> int:
    return len(gsm7.char_septets(char))      # an extension character is ESC + one: two


def _ucs2_cost(char: str) -> int:
    # A character above U+FFFF travels as a UTF-16 surrogate pair: two units.
    return 2 if ord(char) > 0xFFFF else 1


is_gsm7 = gsm7.is_gsm7


def encoding_for(text: str) -> str:
    """"GSM-7" when every character is in the default alphabet or its extension, else "UCS-2"."""
    return GSM7 if is_gsm7(text) else UCS2


def non_gsm_chars(text: str) -> list[str]:
    """The distinct characters that force `text` to UCS-2, in order of first appearance."""
    seen: list[str] = []
    for c in text:
        if not is_gsm7(c) and c not in seen:
            seen.append(c)
    return seen


def septets(text: str) -> int:
    """GSM-7 length: extension characters count two. Raises ValueError for a non-GSM text."""
    bad = non_gsm_chars(text)
    if bad:
        raise ValueError(f"not GSM-7: {', '.join(_name(c) for c in bad)}")
    return sum(_gsm_cost(c) for c in text)


def ucs2_units(text: str) -> int:
    """UCS-2/UTF-16 length: an emoji above U+FFFF counts two."""
    return sum(_ucs2_cost(c) for c in text)


def length(text: str) -> int:
    """The length the SMS limits count: septets for GSM-7, UTF-16 units for UCS-2."""
    return septets(text) if is_gsm7(text) else ucs2_units(text)


def split_parts(text: str, encoding: str | None = None) -> list[str]:
    """Cut `text` into the parts a concatenated SMS would carry, in `encoding` (default:
    GSM-7 when the text allows it). The one splitter: the modem sends these parts, the
    simulator delivers them, and `config check` counts them.

    A part never ends between an escape and its extension character, nor between the
    two halves of a surrogate pair (handsets would show garbage), so a part may be a
    little short of the limit. An empty text is one empty SMS. ValueError for GSM-7
    asked of a text that has other characters.
    """
    encoding = encoding or encoding_for(text)
    if encoding == GSM7:
        cost, single, per_part = _gsm_cost, GSM7_SINGLE, GSM7_PART
    else:
        cost, single, per_part = _ucs2_cost, UCS2_SINGLE, UCS2_PART
    if sum(cost(c) for c in text) <= single:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for c in text:
        if used + cost(c) > per_part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(c)
        used += cost(c)
    parts.append("".join(current))
    return parts


def segments(text: str) -> int:
    """How many SMS parts `text` needs (at least 1: even an empty text is one SMS)."""
    return len(split_parts(text))


# Emoji: the blocks Unicode assigns to pictographs, plus the joiners and modifiers
# that glue them into one visible symbol. Stdlib has no emoji property, so ranges it is.
_EMOJI_RANGES = (
    (0x1F000, 0x1FAFF),   # mahjong .. symbols and pictographs extended-A (incl. flags, skin tones)
    (0x2600, 0x27BF),     # miscellaneous symbols, dingbats (☀ ☎ ✂ ✅ ❤)
    (0x2B00, 0x2BFF),     # arrows and stars often shown as emoji (⭐ ⬆)
    (0x2300, 0x23FF),     # technical: ⌚ ⏰ ⏳
    (0xFE00, 0xFE0F),     # variation selectors (️ asks for emoji presentation)
    (0xE0020, 0xE007F),   # tag characters (subdivision flags)
)
_EMOJI_GLUE = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"}   # ZWJ, VS16, VS15, keycap


def _is_emoji(c: str) -> bool:
    cp = ord(c)
    return c in _EMOJI_GLUE or any(lo <= cp <= hi for lo, hi in _EMOJI_RANGES)


def has_emoji(text: str) -> bool:
    return any(_is_emoji(c) for c in text)


# Typographic characters a word processor or phone keyboard slips into a template:
# each forces the whole text into UCS-2 (half the room per SMS) for no visible gain.
_GSM_EQUIVALENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "-", "\u00b7": "-",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ", "\u200b": "",
}
# A few emoji keep their meaning as plain text; the rest are dropped.
_EMOJI_STAND_INS = {
    "\U0001F642": ":)", "\U0001F600": ":)", "\U0001F603": ":)", "\U0001F604": ":)", "\U0001F60A": ":)",
    "\U0001F609": ";)", "\U0001F641": ":(", "\u2639": ":(", "\U0001F622": ":(",
    "\u2764": "<3", "\U0001F495": "<3", "\U0001F44D": "(thumbs up)", "\u2705": "(done)",
    "\u260E": "(phone)", "\U0001F4DE": "(phone)", "\U0001F4F1": "(phone)",
}


def replace_emoji(text: str) -> str:
    """Make `text` GSM-7 where only emoji and typography stand in the way.

    Emoji with a plain reading become it (":)", "<3"), other emoji are dropped;
    smart quotes, dashes, ellipses and odd spaces become their GSM-7 equivalents.
    Letters are left alone: a Cyrillic or Chinese text stays UCS-2 as it must.
    """
    out: list[str] = []
    dropped = False
    for c in text:
        if c in _EMOJI_STAND_INS:
            out.append(_EMOJI_STAND_INS[c])
        elif _is_emoji(c):
            dropped = True
        else:
            out.append(_GSM_EQUIVALENTS.get(c, c))
    cleaned = "".join(out)
    if dropped:
        # A dropped emoji can leave "Hi  there", "thanks !" or a trailing space; tidy
        # only then, so a text we did not touch keeps its spacing exactly.
        cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
        cleaned = re.sub(r" +([.,!?])", r"\1", cleaned)
        cleaned = re.sub(r"[ \t]+$", "", cleaned, flags=re.MULTILINE).lstrip(" ")
    return cleaned


def as_sent(text: str, emoji: str = "keep") -> str:
    """The text the modem gets under the shop's [textback] emoji setting ("keep" or
    "replace"); a text that would be left empty by the replacing goes as written."""
    return (replace_emoji(text) or text) if emoji == "replace" else text


def describe(text: str) -> TextMeasure:
    enc = encoding_for(text)
    return TextMeasure(encoding=enc, length=length(text), segments=segments(text), has_emoji=has_emoji(text))


def _name(c: str) -> str:
    """A character as a person can find it in their template: the glyph and its code point."""
    try:
        label = unicodedata.name(c)
    except ValueError:
        label = "unnamed"
    shown = c if c.isprintable() else repr(c)[1:-1]
    return f"{shown} (U+{ord(c):04X} {label})"


def explain_non_gsm(text: str) -> str:
    """A one-line reason a text is UCS-2, e.g. '’ (U+2019 RIGHT SINGLE QUOTATION MARK)'."""
    return ", ".join(_name(c) for c in non_gsm_chars(text))
