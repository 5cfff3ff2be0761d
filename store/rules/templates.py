"""Message templates: check them, fill them, and pick a caller's name worth using.

One job: turn a template such as "Hi {caller_name}, sorry we missed your call to
{business}. Book online: {booking_link}" into the text a caller reads. Pure.

A missing value never shows as "{booking_link}", "None" or a dangling "Book
online: ". An empty {caller_name} is removed with the space before it ("Hi
{caller_name}," -> "Hi,"); any other empty placeholder drops the whole sentence
it stands in, because such a sentence has nothing left to say. Unknown
placeholders, positional "{}" fields, format specs and stray braces are reported
by `template_problems` at config-check time, and `render` refuses them.

The caller ID name is caller-controlled and often not a name at all ("CELL
PHONE", "WIRELESS CALLER", the number itself, "BROOKLYN NY"): `person_name`
keeps it only when it looks like a person's name, so a forged name cannot put a
link or a phone number into the shop's text.
"""
from __future__ import annotations

import re
import string
from collections.abc import Mapping

PLACEHOLDERS: tuple[str, ...] = ("business", "caller_name", "callback_number", "booking_link", "opens_at")
DEFAULT_OPT_OUT_LINE = "Reply STOP to opt out."

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_LEADING_JUNK = re.compile(r"^[\s,;:\-–—.!?]+")

# Words that show a caller ID name is a carrier label, a place or a company, not a person.
_NOT_A_NAME = frozenset("""
    anonymous unknown unavailable private restricted blocked withheld caller cell phone
    wireless mobile number name toll free out area payphone pay international call
    spam scam likely telemarketer telemarketing fraud potential llc inc ltd corp co
    company plc gmbh services dept office station service
""".split())
_US_STATES = frozenset("""
    al ak az ar ca co ct de fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv
    nh nj nm ny nc nd oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy dc pr
""".split())
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?")


def template_problems(template: str, name: str = "template") -> list[str]:
    """Messages (empty when fine) about placeholders or braces `render` cannot fill."""
    try:
        fields = list(string.Formatter().parse(template or ""))
    except ValueError as exc:
        return [f"{name}: {exc}; write a literal brace as {{{{ or }}}}"]
    problems = []
    known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    for _literal, field, spec, conversion in fields:
        if field is None:
            continue
        if field not in PLACEHOLDERS:
            shown = "{" + field + "}" if field else "{}"
            problems.append(f"{name}: unknown placeholder {shown}; use one of {known}")
        elif spec or conversion:
            problems.append(f"{name}: placeholder {{{field}}} takes no format or conversion; write it plainly")
    if not (template or "").strip():
        problems.append(f"{name}: is empty; write the text the caller should get")
    return problems


def render(template: str, values: Mapping[str, str | None]) -> str:
    """Fill a template; empty values are handled as the module docstring says.

    Raises ValueError (with the config-check message) for a template that
    `template_problems` rejects."""
    problems = template_problems(template)
    if problems:
        raise ValueError("; ".join(problems))
    clean = {key: _clean_value(values.get(key)) for key in PLACEHOLDERS}
    lines = []
    for line in template.split("\n"):
        if not line.strip():
            lines.append("")
            continue
        sentences = [_render_sentence(s, clean) for s in _SENTENCE_END.split(line.strip())]
        kept = " ".join(s for s in sentences if s)
        if kept:
            lines.append(kept)
    return "\n".join(lines).strip()


def _render_sentence(sentence: str, values: Mapping[str, str]) -> str:
    """One sentence filled in, or "" when a placeholder other than caller_name is empty."""
    parts = list(string.Formatter().parse(sentence))
    if any(field and field != "caller_name" and not values[field] for _l, field, _s, _c in parts):
        return ""
    out, bare_start = "", False
    for literal, field, _spec, _conv in parts:
        if bare_start and not out:
            literal = _LEADING_JUNK.sub("", literal)   # "{caller_name}, we missed" -> "we missed"
        out += literal
        if field is None:
            continue
        if values[field]:
            out += values[field]
        else:                       # only caller_name gets here: drop it and the space before it
            out = out.rstrip()
            bare_start = bare_start or not out
    out = re.sub(r"[ \t]{2,}", " ", out).strip()
    return out[:1].upper() + out[1:] if bare_start else out


def _clean_value(value: object) -> str:
    """A placeholder value as one tidy line; None and "None" are empty."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return "" if text.lower() == "none" else text


def with_opt_out_line(body: str, line: str = DEFAULT_OPT_OUT_LINE) -> str:
    """`body` ending with the opt-out line; appended unless the body already
    tells the reader how to opt out (the line itself, or STOP in capitals)."""
    if not line or line.lower() in body.lower() or re.search(r"\bSTOP\b", body):
        return body
    return f"{body.rstrip()} {line}".strip()


def person_name(raw_name: str) -> str:
    """The caller ID name when it looks like a person's, else "" (see module docstring).

    "SMITH, JOHN" -> "John Smith"; all-capital names get title case."""
    text = " ".join((raw_name or "").replace('"', " ").split()).strip(" '")
    if "," in text:
        last, _, first = text.partition(",")
        text = f"{first.strip()} {last.strip()}".strip()
    words = text.split()
    if not words or len(words) > 4 or len(text) > 32:
        return ""
    if not all(_NAME_WORD.fullmatch(w) for w in words):
        return ""
    lowered = [w.lower().strip(".") for w in words]
    if any(w in _NOT_A_NAME for w in lowered):
        return ""
    if len(words) >= 2 and text.isupper() and lowered[-1] in _US_STATES and len(words[-1]) == 2:
        return ""                    # CNAM place labels: "BROOKLYN NY", "NEW YORK NY"
    return text.title() if text.isupper() else text


def unfilled(template: str, values: Mapping[str, str | None]) -> list[tuple[str, str]]:
    """(sentence, placeholder) for each sentence `render` leaves out because a placeholder
    other than caller_name has no value: what `config check` reports as an error, so a
    shop learns before a caller does that its text lost "Book online: {booking_link}"."""
    if template_problems(template):
        return []
    clean = {key: _clean_value(values.get(key)) for key in PLACEHOLDERS}
    out = []
    for line in template.split("\n"):
        for sentence in _SENTENCE_END.split(line.strip()):
            for _literal, field, _spec, _conv in string.Formatter().parse(sentence):
                if field and field != "caller_name" and not clean[field]:
                    out.append((sentence, field))
                    break
    return out
