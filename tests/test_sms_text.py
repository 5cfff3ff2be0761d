"""SMS text measurement against 3GPP TS 23.038, checked by code nobody here wrote:
smspdudecoder's GSM codec (the tables and septet packing) and python-gsmmodem-new's
PDU encoder (how many PDUs the worker's library really sends)."""
from __future__ import annotations

import math

import pytest
from gsmmodem.pdu import encodeSmsSubmitPdu
from hypothesis import given, settings
from hypothesis import strategies as st
from smspdudecoder.codecs import GSM

from modem.sms import measure as sms_text
from modem.sms.gsm7 import BASIC_TABLE as GSM7_BASIC_TABLE
from modem.sms.gsm7 import EXTENSION_TABLE as GSM7_EXTENSION_TABLE
from modem.sms.measure import (
    describe,
    encoding_for,
    has_emoji,
    non_gsm_chars,
    replace_emoji,
    segments,
    septets,
    split_parts,
)

GSM_CHARS = [c for c in GSM7_BASIC_TABLE if c != "\x1b"] + list(GSM7_EXTENSION_TABLE)


def test_basic_table_matches_an_independent_implementation():
    assert GSM7_BASIC_TABLE == GSM.ALPHABET
    assert len(GSM7_BASIC_TABLE) == 128


def test_extension_table_matches_an_independent_implementation():
    assert {v: k for k, v in GSM7_EXTENSION_TABLE.items()} == GSM.ALPHABET_EXT


@pytest.mark.parametrize("position,char", [
    (0x00, "@"), (0x01, "£"), (0x09, "Ç"), (0x0A, "\n"), (0x11, "_"), (0x24, "¤"),
    (0x40, "¡"), (0x5F, "§"), (0x60, "¿"), (0x7F, "à"),
])
def test_spot_positions_from_ts_23_038(position, char):
    # Read off the standard's table by hand, where implementations are known to slip.
    assert GSM7_BASIC_TABLE[position] == char


def test_escape_is_not_a_character():
    assert encoding_for("\x1b") == "UCS-2"


@pytest.mark.parametrize("text,expected", [
    ("Hi, this is Bob's Plumbing. Call us at (212) 555-0123!", "GSM-7"),
    ("Price: 20€ {incl. tax} [yes] ~ | ^ \\", "GSM-7"),
    ("Zoë's Café", "UCS-2"),          # é is in the table, ë is not
    ("It’s late", "UCS-2"),           # a smart apostrophe is not GSM
    ("Hi — sorry", "UCS-2"),          # nor an em dash
    ("Thanks 🙂", "UCS-2"),
    ("Привет", "UCS-2"),
    ("", "GSM-7"),
])
def test_encoding_for(text, expected):
    assert encoding_for(text) == expected


def test_extension_characters_count_two_septets():
    assert septets("abc") == 3
    assert septets("€") == 2
    assert septets("{}[]~|^\\\f€") == 20


def test_septets_refuses_a_non_gsm_text_and_names_the_character():
    with pytest.raises(ValueError, match="U\\+2019"):
        septets("It’s")


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=200))
def test_septets_agree_with_smspdudecoder_packing(text):
    packed_octets = len(GSM.encode(text)) // 2
    assert packed_octets == math.ceil(septets(text) * 7 / 8)
    decoded = GSM.decode(GSM.encode(text))
    if septets(text) % 8 == 7:
        # 7 spare bits read as one more "@" (TS 23.038 6.1.2.3.1): the packing is right.
        assert decoded[-1] == "@"
        decoded = decoded[:-1]
    assert decoded == text


@pytest.mark.parametrize("text,expected", [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2),
    ("ж" * 70, 1), ("ж" * 71, 2), ("ж" * 134, 2), ("ж" * 135, 3),
    ("😀" * 35, 1), ("😀" * 36, 2),      # an emoji is two UTF-16 units
    ("", 1),
])
def test_segment_boundaries(text, expected):
    assert segments(text) == expected


def test_a_part_never_splits_an_escape_sequence():
    text = "a" * 152 + "€" + "b" * 20
    parts = split_parts(text)
    assert parts == ["a" * 152, "€" + "b" * 20]


def test_a_part_never_splits_a_surrogate_pair():
    text = "ж" * 66 + "😀" + "ж" * 10
    parts = split_parts(text)
    assert parts == ["ж" * 66, "😀" + "ж" * 10]
    assert "".join(parts) == text


# Characters python-gsmmodem-new's own table gets wrong (it has "`" where TS 23.038 has
# "§") are left out, and emoji it cannot send at all; for the rest our count must equal
# the PDUs the worker's library produces, or the shop is billed for parts it was not shown.
_LIBRARY_SAFE = [c for c in GSM_CHARS if c not in "§\f"] + list("жßяé€ñ")


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(_LIBRARY_SAFE), min_size=1, max_size=400))
def test_segments_equal_the_pdus_the_modem_library_sends(text):
    pdus = encodeSmsSubmitPdu("+12125550123", text, requestStatusReport=False)
    assert segments(text) == len(pdus)


def test_describe():
    m = describe("Thanks 🙂")
    assert (m.encoding, m.length, m.segments, m.has_emoji) == ("UCS-2", 9, 1, True)
    m = describe("Hi {ok} €5")
    assert (m.encoding, m.length, m.segments, m.has_emoji) == ("GSM-7", 13, 1, False)
    assert m.summary() == "GSM-7, 13 septets, 1 segment"


@pytest.mark.parametrize("text", ["🙂", "❤️", "👍🏽", "🇺🇸", "☎", "👨‍👩‍👧", "1️⃣"])
def test_has_emoji(text):
    assert has_emoji(text)


@pytest.mark.parametrize("text", ["Hi there :)", "Zoë", "Привет", "€ £ ¥", "→"])
def test_has_no_emoji(text):
    assert not has_emoji(text)


@pytest.mark.parametrize("text,expected", [
    ("Thanks 🙂", "Thanks :)"),
    ("See you soon 👋!", "See you soon!"),
    ("We ❤️ our customers", "We <3 our customers"),
    ("It’s “great” — really…", "It's \"great\" - really..."),
    ("🎉 Welcome  back 🎉", "Welcome back"),
    ("Nothing to do  here .", "Nothing to do  here ."),   # untouched text keeps its spacing
])
def test_replace_emoji(text, expected):
    assert replace_emoji(text) == expected


def test_replace_emoji_keeps_other_scripts_in_ucs2():
    assert replace_emoji("Привет 🙂") == "Привет :)"
    assert encoding_for(replace_emoji("Привет 🙂")) == "UCS-2"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(GSM_CHARS + list("’‘“”–—…🙂👍🎉❤\ufe0f\u200d ")), max_size=80))
def test_replace_emoji_makes_latin_typography_gsm7(text):
    assert encoding_for(replace_emoji(text)) == "GSM-7"


def test_non_gsm_chars_are_listed_once_in_order():
    assert non_gsm_chars("a’b—c’") == ["’", "—"]
    assert "RIGHT SINGLE QUOTATION MARK" in sms_text.explain_non_gsm("It’s")
