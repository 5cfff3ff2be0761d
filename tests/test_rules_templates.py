"""Template checks, rendering with missing values, the opt-out line, and caller names."""
import pytest

from store.rules.templates import person_name, render, template_problems, with_opt_out_line

FULL = {"business": "Acme Plumbing", "caller_name": "Maria", "callback_number": "(212) 555-0100",
        "booking_link": "https://acme.example/book", "opens_at": "tomorrow at 8:00"}
NONE = {key: None for key in FULL}


def values(**changes):
    return {**FULL, **changes}


@pytest.mark.parametrize("template, vals, expected", [
    ("Hi {caller_name}, this is {business}.", FULL, "Hi Maria, this is Acme Plumbing."),
    ("Hi {caller_name}, this is {business}.", values(caller_name=""), "Hi, this is Acme Plumbing."),
    ("Hi {caller_name}, this is {business}.", values(caller_name=None), "Hi, this is Acme Plumbing."),
    ("Thanks {caller_name}! We will call back.", values(caller_name=""), "Thanks! We will call back."),
    ("{caller_name}, we missed you.", values(caller_name=""), "We missed you."),
    ("Sorry we missed you. Book online: {booking_link}", values(booking_link=""), "Sorry we missed you."),
    ("Sorry we missed you. Book online: {booking_link}", values(booking_link="None"), "Sorry we missed you."),
    ("Sorry! We open {opens_at}. Reply here.", values(opens_at=None), "Sorry! Reply here."),
    ("Sorry!\nBook: {booking_link}\nCall {callback_number}", values(booking_link=""), "Sorry!\nCall (212) 555-0100"),
    ("Line one.\n\nLine two.", FULL, "Line one.\n\nLine two."),
    ("Use {{braces}} for {business}.", FULL, "Use {braces} for Acme Plumbing."),
    ("Hi {caller_name}. Book at {booking_link}. We open {opens_at}.", NONE, "Hi."),
    ("{booking_link}", NONE, ""),
    ("Hi {caller_name}, {business}", values(caller_name="  Maria \n Lopez "), "Hi Maria Lopez, Acme Plumbing"),
    ("Visit {booking_link}", values(booking_link="https://acme.example/a?b={c}"), "Visit https://acme.example/a?b={c}"),
])
def test_render(template, vals, expected):
    assert render(template, vals) == expected


@pytest.mark.parametrize("template", [
    "Hi {caller_name}. Book at {booking_link}. We open {opens_at}. Call {callback_number}. {business}",
])
def test_render_never_leaves_placeholders_or_none(template):
    for key in FULL:
        text = render(template, values(**{key: None}))
        assert "{" not in text and "None" not in text and "  " not in text


@pytest.mark.parametrize("template, fragment", [
    ("Hi {name}", "unknown placeholder {name}"),
    ("Hi {}", "unknown placeholder {}"),
    ("Hi {0}", "unknown placeholder {0}"),
    ("Hi {business!r}", "no format or conversion"),
    ("Hi {business:>20}", "no format or conversion"),
    ("Hi {business.upper}", "unknown placeholder {business.upper}"),
    ("Hi {business", "write a literal brace"),
    ("Hi }", "write a literal brace"),
    ("", "is empty"),
])
def test_template_problems(template, fragment):
    problems = template_problems(template, "open_template")
    assert any(fragment in p for p in problems), problems
    assert all(p.startswith("open_template") for p in problems)
    with pytest.raises(ValueError, match="open_template|template"):
        render(template, FULL)


@pytest.mark.parametrize("template", [
    "Hi {caller_name}, this is {business}. Call {callback_number}, book {booking_link}, open {opens_at}.",
    "Plain text with {{literal braces}}.",
])
def test_good_templates_have_no_problems(template):
    assert template_problems(template) == []


@pytest.mark.parametrize("body, expected", [
    ("Can we help?", "Can we help? Reply STOP to opt out."),
    ("Can we help? Reply STOP to opt out.", "Can we help? Reply STOP to opt out."),
    ("Can we help? reply stop to opt out.", "Can we help? reply stop to opt out."),
    ("Text STOP to unsubscribe.", "Text STOP to unsubscribe."),
    ("Can we help?  ", "Can we help? Reply STOP to opt out."),
])
def test_opt_out_line_appended_once(body, expected):
    assert with_opt_out_line(body) == expected


@pytest.mark.parametrize("raw, name", [
    ("Maria Lopez", "Maria Lopez"), ("MARIA LOPEZ", "Maria Lopez"), ("SMITH, JOHN", "John Smith"),
    ("Mary O'Brien", "Mary O'Brien"), ("Jean-Luc Picard", "Jean-Luc Picard"), ("J. Smith", "J. Smith"),
    ("José García", "José García"), ('"Maria"', "Maria"), ("Dr. Who", "Dr. Who"),
    ("CELL PHONE", ""), ("WIRELESS CALLER", ""), ("Anonymous", ""), ("UNKNOWN", ""), ("<unknown>", ""),
    ("2125550123", ""), ("+12125550123", ""), ("BROOKLYN NY", ""), ("NEW YORK NY", ""), ("TOLL FREE", ""),
    ("ACME PLUMBING LLC", ""), ("visit scam.com", ""), ("Win $500 now at bit.ly", ""), ("", ""),
    ("OUT OF AREA", ""), ("PRIVATE CALLER", ""), ("SPAM LIKELY", ""), ("V12345678", ""),
    ("a very long name that goes on and on", ""),
])
def test_person_name(raw, name):
    assert person_name(raw) == name
