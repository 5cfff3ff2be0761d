"""The abuse guard on caller IDs, with the real phonenumbers metadata (no mocks)."""
import pytest

from store.rules.guard import GuardSettings, check_caller, own_number_problems, strip_uri, to_e164

US = GuardSettings(country="US", own_numbers=("(212) 555-0100", "+1 212 555 0101"))
GB = GuardSettings(country="GB", own_numbers=("020 7946 0000",))
GB_DEMO = GuardSettings(country="GB", allow_fictional=True)


@pytest.mark.parametrize("raw, country, e164", [
    ("+12125550123", "US", "+12125550123"),
    ("2125550123", "US", "+12125550123"),
    ("12125550123", "US", "+12125550123"),
    ("(212) 555-0123", "US", "+12125550123"),
    ("212.555.0123", "US", "+12125550123"),
    ("212 555 0123", "US", "+12125550123"),
    ("01112125550123", "US", "+12125550123"),         # US international prefix 011, then 1
    ("0112125550123", "US", None),                    # 011 212...: Morocco +212, too short
    ("00447400123456", "US", "+447400123456"),        # 00 from a trunk, read as +
    ("tel:+1-212-555-0123", "US", "+12125550123"),
    ("sip:+12125550123@pbx.example.com;user=phone", "US", "+12125550123"),
    ("<sip:2125550123@10.0.0.5>", "US", "+12125550123"),
    ("SIPS:+12125550123@pbx", "US", "+12125550123"),
    ('"2125550123"', "US", "+12125550123"),
    ("0012125550123", "GB", "+12125550123"),          # UK international prefix 00
    ("020 7946 0123", "GB", "+442079460123"),
    ("+44 (0)20 7946 0123", "GB", "+442079460123"),
    ("0015551234567", "GB", None),                    # +1 555...: 555 is no NANP area code
    ("1-800-FLOWERS", "US", None),                    # letters are never vanity-decoded
    ("", "US", None),
])
def test_parse_to_e164(raw, country, e164):
    assert to_e164(raw, country) == e164


@pytest.mark.parametrize("raw", ["anonymous", "Anonymous", "unknown", "Restricted", "private", "PRIVATE",
                                 "unavailable", "", "  ", "<unknown>", "withheld", "sip:anonymous@anonymous.invalid"])
def test_anonymous_ids(raw):
    assert check_caller(raw, "", US).skip_reason == "anonymous"


@pytest.mark.parametrize("presentation", ["prohib", "prohib_not_screened", "prohib_passed_screen",
                                          "prohib_failed_screen", "restricted", "unavailable"])
def test_withheld_presentation_is_anonymous_even_with_a_number(presentation):
    assert check_caller("+12125550123", presentation, US).skip_reason == "anonymous"


@pytest.mark.parametrize("presentation", ["", "allowed", "allowed_not_screened", "allowed_passed_screen"])
def test_allowed_presentation_passes(presentation):
    assert check_caller("+12125550123", presentation, US).skip_reason is None


@pytest.mark.parametrize("raw, settings, reason", [
    # short internal extensions
    ("201", US, "internal"),
    ("4001", GB, "internal"),
    ("123456", US, "internal"),
    # own numbers: business lines (any format), SIM, staff
    ("+12125550100", US, "own_number"),
    ("2125550101", US, "own_number"),
    ("sip:+442079460000@pbx", GB, "own_number"),
    # invalid or unparseable
    ("+15551234567", US, "invalid_number"),
    ("0015551234567", GB, "invalid_number"),          # the transcripts' caller for a UK business
    ("+447700900123", GB, "invalid_number"),          # Ofcom drama range: invalid unless allow_fictional
    ("12345678901234567", US, "invalid_number"),
    ("call me", US, "invalid_number"),
    ("+", US, "invalid_number"),
    # short codes longer than an extension (extensions capped at 4 digits here)
    ("61998", GuardSettings(country="GB", internal_max_digits=4), "short_code"),
    ("22395", GuardSettings(country="US", internal_max_digits=4), "short_code"),
    # regions outside the allowed set
    ("+447400123456", US, "blocked_region"),
    ("+447911123456", GB, "blocked_region"),          # Guernsey shares +44 but is region GG
    ("+33612345678", GB, "blocked_region"),
    ("+447624123456", GB, "blocked_region"),          # Isle of Man shares +44 but is region IM
    ("+16135550123", US, "blocked_region"),           # Canada shares +1 but is region CA
    # costly or not a phone that takes texts
    ("+19005550123", US, "premium"),
    ("09098790000", GB, "premium"),
    ("08712345678", GB, "premium"),
    ("07000000000", GB, "premium"),                   # UK 070 personal numbers
    ("+15005550123", US, "premium"),                  # US 500 personal numbers
    ("08431234567", GB, "premium"),
    ("+18005550123", US, "not_mobile"),               # toll-free
    ("+18885550123", US, "not_mobile"),
    ("08001234567", GB, "not_mobile"),
    ("02079460123", GB, "not_mobile"),                # UK landline
    ("07623456789", GB, "not_mobile"),                # pager
    ("05612345678", GB, "not_mobile"),                # VoIP
    ("03001234567", GB, "not_mobile"),                # UAN
])
def test_refused_callers(raw, settings, reason):
    assert check_caller(raw, "", settings).skip_reason == reason


def test_shared_cost_needs_a_region_that_has_it():
    # GB 084x is premium in current metadata; take a real shared-cost number
    # from another region's metadata rather than inventing one.
    import phonenumbers
    example = phonenumbers.example_number_for_type("FR", phonenumbers.PhoneNumberType.SHARED_COST)
    assert example is not None
    raw = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    assert check_caller(raw, "", GuardSettings(country="FR")).skip_reason == "shared_cost"


@pytest.mark.parametrize("raw, settings, e164, region", [
    ("+12125550123", US, "+12125550123", "US"),
    ("2125550199", US, "+12125550199", "US"),
    ("07400 123456", GB, "+447400123456", "GB"),     # phonenumbers' own GB mobile example
    ("+447700900123", GB_DEMO, "+447700900123", "GB"),    # fictional range allowed for demos
    ("07700 900999", GB_DEMO, "+447700900999", "GB"),
    ("+447400123456", GuardSettings(country="US", allowed_regions=("US", "GB")), "+447400123456", "GB"),
    ("+447911123456", GuardSettings(country="GB", allowed_regions=("GB", "GG", "JE", "IM")),
     "+447911123456", "GG"),
])
def test_accepted_callers(raw, settings, e164, region):
    result = check_caller(raw, "allowed_not_screened", settings)
    assert (result.skip_reason, result.e164, result.region) == (None, e164, region)


def test_landlines_can_be_allowed():
    settings = GuardSettings(country="GB", textable_types=frozenset({"mobile", "fixed_line"}))
    assert check_caller("02079460123", "", settings).skip_reason is None


def test_internal_length_is_configurable():
    assert check_caller("1234567", "", GuardSettings(country="US", internal_max_digits=7)).skip_reason == "internal"
    assert check_caller("1234567", "", US).skip_reason == "invalid_number"


@pytest.mark.parametrize("raw, stripped", [
    ("sip:+12125550123@pbx.example.com", "+12125550123"),
    ("tel:+1-212-555-0123;phone-context=example.com", "+1-212-555-0123"),
    ("<sip:201@pbx>", "201"),
    ("2125550123", "2125550123"),
])
def test_strip_uri(raw, stripped):
    assert strip_uri(raw) == stripped


def test_own_number_problems_name_the_bad_entry():
    problems = own_number_problems(GuardSettings(country="US", own_numbers=("+12125550100", "555-HELP")))
    assert len(problems) == 1 and "555-HELP" in problems[0] and "country code" in problems[0]
