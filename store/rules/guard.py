"""The abuse guard on caller numbers: may we text this caller ID at all?

One job: parse the raw caller ID Asterisk gave (national forms, 00/011 prefixes,
"+", spaces/dashes/dots, tel:/sip: URIs) with `phonenumbers` in the business's
country, and refuse what a forged caller ID could make the shop pay for or what
cannot take a text. Pure: the opt-out and staff-block lists live in the store and
are checked by store.rules.plan, not here.

Skip reasons, in the order they are checked:
  anonymous      no number shown ("anonymous", "Restricted", "<unknown>", empty...,
                 or presentation prohib*/restricted/unavailable)
  internal       digits only and short (an extension), [<= 6 digits]
  invalid_number unparseable, or phonenumbers says invalid
  short_code     a valid short code of the region (when longer than an extension)
  own_number     one of the business lines, the SIM's number, staff numbers
  blocked_region a region outside the allowed set [the business's own country]
  premium        premium rate, and "personal numbers" (UK 070, US 500): billed
                 like premium rate and a well-known fraud route
  shared_cost    shared-cost numbers (UK 084x)
  not_mobile     toll-free, landline, pager, VoIP, UAN (UK 03/055), voicemail
                 access, unknown type. Decision: a shop owner wants texts to reach
                 a person's phone; these numbers are switchboards or fixed lines
                 that mostly cannot receive SMS, so each text would be paid for
                 and lost. Landlines can be allowed via `textable_types`.

Fictional test numbers: phonenumbers rates Ofcom's drama range +44 7700 900xxx
invalid. With `allow_fictional=True` (demo/test set-ups only) that range counts as
a valid GB mobile; US 555-01xx numbers are valid to phonenumbers already.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType

ANONYMOUS = "anonymous"
INTERNAL = "internal"
INVALID_NUMBER = "invalid_number"
SHORT_CODE = "short_code"
OWN_NUMBER = "own_number"
BLOCKED_REGION = "blocked_region"
PREMIUM = "premium"
SHARED_COST = "shared_cost"
NOT_MOBILE = "not_mobile"

# Caller IDs that mean "no number" (compared case-insensitively, brackets removed).
ANONYMOUS_IDS: frozenset[str] = frozenset({
    "", "anonymous", "unknown", "restricted", "private", "unavailable", "withheld",
    "blocked", "no caller id", "nocallerid",
})
# CALLERID(num-pres) values that withhold the number (prefixes: prohib_not_screened...).
_WITHHELD_PRESENTATION = ("prohib", "restricted", "unavailable")

# phonenumbers type name -> skip reason when the type is not textable.
_TYPE_REASONS: dict[str, str] = {
    "premium_rate": PREMIUM,
    "personal_number": PREMIUM,
    "shared_cost": SHARED_COST,
}
DEFAULT_TEXTABLE_TYPES: frozenset[str] = frozenset({"mobile", "fixed_line_or_mobile"})
_TYPE_NAMES: dict[int, str] = {
    value: name.lower() for name, value in vars(PhoneNumberType).items()
    if name.isupper() and isinstance(value, int)
}
ALL_NUMBER_TYPES: frozenset[str] = frozenset(_TYPE_NAMES.values())

_URI = re.compile(r"^<?\s*(?:tel|sips?):", re.IGNORECASE)
_FICTIONAL_GB = re.compile(r"^\+447700900\d{3}$")


@dataclass(frozen=True)
class GuardSettings:
    """What the guard allows. `country` is the business's ISO region, e.g. "US", "GB"."""

    country: str = "US"
    allowed_regions: tuple[str, ...] = ()          # empty: only `country`
    own_numbers: tuple[str, ...] = ()              # business lines, SIM number, staff (any format)
    internal_max_digits: int = 6
    textable_types: frozenset[str] = DEFAULT_TEXTABLE_TYPES
    allow_fictional: bool = False

    def regions(self) -> frozenset[str]:
        return frozenset(r.upper() for r in (self.allowed_regions or (self.country,)))


@dataclass(frozen=True)
class GuardResult:
    """The guard's verdict: the E.164 number when it parsed, and why it is refused if it is."""

    e164: str | None
    region: str | None = None
    number_type: str | None = None
    skip_reason: str | None = None


def strip_uri(raw: str) -> str:
    """`sip:+12125550123@pbx;user=phone` -> `+12125550123`; plain numbers unchanged."""
    text = (raw or "").strip().strip('"').strip()
    if _URI.match(text):
        text = _URI.sub("", text, count=1).rstrip(">").strip()
        text = text.split("@", 1)[0].split(";", 1)[0]
    return text.strip()


def is_anonymous(raw: str, presentation: str = "") -> bool:
    """True when the caller withheld the number or Asterisk has none to give."""
    pres = (presentation or "").strip().lower()
    if pres.startswith(_WITHHELD_PRESENTATION):
        return True
    return strip_uri(raw).strip("<>").strip().lower() in ANONYMOUS_IDS


def parse_number(raw: str, country: str, allow_fictional: bool = False) -> phonenumbers.PhoneNumber | None:
    """Parse a caller ID in the business's country; None when it is not a valid number.

    Tries the region's own rules first (national form, the region's own
    international prefix such as 011 in the US or 00 in the UK), then reads a
    leading "00" as "+" for regions whose prefix is not 00: many SIP trunks send
    00 regardless, and no national number in those regions starts with 00.
    """
    text = strip_uri(raw)
    if not text or re.search(r"[A-Za-z]", text):
        return None    # letters: a name or junk, never vanity-decoded into a number
    candidates = [text]
    digits = re.sub(r"\D", "", text)
    if not text.startswith("+") and digits.startswith("00"):
        candidates.append("+" + digits[2:])
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, country.upper())
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number) or (allow_fictional and _is_fictional(number)):
            return number
    return None


def to_e164(raw: str, country: str, allow_fictional: bool = False) -> str | None:
    """E.164 form of a caller ID, or None when it does not parse as a valid number."""
    number = parse_number(raw, country, allow_fictional)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else None


def check_caller(raw: str, presentation: str = "", settings: GuardSettings = GuardSettings()) -> GuardResult:
    """Run every guard on one caller ID; `skip_reason` is None when we may text it."""
    if is_anonymous(raw, presentation):
        return GuardResult(None, skip_reason=ANONYMOUS)
    text = strip_uri(raw)
    if re.fullmatch(r"\d+", text) and len(text) <= settings.internal_max_digits:
        return GuardResult(None, skip_reason=INTERNAL)
    number = parse_number(text, settings.country, settings.allow_fictional)
    if number is None:
        return GuardResult(None, skip_reason=_short_or_invalid(text, settings.country))
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    region, kind = _region_and_type(number, settings.allow_fictional)
    if e164 in own_numbers_e164(settings):
        reason = OWN_NUMBER
    elif region not in settings.regions():
        reason = BLOCKED_REGION
    elif kind not in settings.textable_types:
        reason = _TYPE_REASONS.get(kind, NOT_MOBILE)
    else:
        reason = None
    return GuardResult(e164, region, kind, reason)


def own_numbers_e164(settings: GuardSettings) -> frozenset[str]:
    """The shop's own numbers in E.164; entries that do not parse are ignored here
    (the config check reports them with `own_number_problems`)."""
    parsed = (to_e164(n, settings.country, settings.allow_fictional) for n in settings.own_numbers)
    return frozenset(n for n in parsed if n)


def own_number_problems(settings: GuardSettings) -> list[str]:
    """Config-check messages for own numbers that are not valid numbers."""
    return [f"own number {n!r} is not a valid number for {settings.country}: write it in full, "
            f"e.g. with its country code (+1..., +44...)"
            for n in settings.own_numbers if to_e164(n, settings.country, settings.allow_fictional) is None]


def _short_or_invalid(text: str, country: str) -> str:
    try:
        number = phonenumbers.parse(text, country.upper())
    except phonenumbers.NumberParseException:
        return INVALID_NUMBER
    if not text.startswith("+") and phonenumbers.is_valid_short_number_for_region(number, country.upper()):
        return SHORT_CODE
    return INVALID_NUMBER


def _region_and_type(number: phonenumbers.PhoneNumber, allow_fictional: bool) -> tuple[str | None, str]:
    if allow_fictional and _is_fictional(number):
        return "GB", "mobile"
    return phonenumbers.region_code_for_number(number), _TYPE_NAMES[phonenumbers.number_type(number)]


def _is_fictional(number: phonenumbers.PhoneNumber) -> bool:
    return bool(_FICTIONAL_GB.match(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)))
