"""Checking single settings: each parser turns one TOML value into a typed Python value.

One job: a parser takes one value as tomllib read it (text, number, list, time...) and
returns the checked Python value (timedelta, time, a tuple of opening spans, an E.164
number...) or raises BadValue saying what is allowed. It knows nothing of files,
sections or keys: textback/config_schema.py names the parser for each key and
textback/config_loading.py adds the file, section and key to the message.

Standard library only, like the schema and the loading.
"""
from __future__ import annotations

import re
import string
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from store.location import is_store_url

BAUDRATES = (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)


class BadValue(ValueError):
    """A value is wrong; the loader adds the file, section and key."""


# ---- how a value is named in messages ----

def kind_of(v: Any) -> str:
    """What a TOML value is, in the words of someone editing the file."""
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list",
            dict: "a table"}.get(type(v), type(v).__name__)


def as_toml(v: Any) -> str:
    """A value written back the way the file spells it, to quote it in a message."""
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(as_toml(x) for x in v) + "]"
    return "{...}" if isinstance(v, dict) else str(v)


# ---- plain values, and the factories that build a checked parser ----

def text(v: Any) -> str:
    if not isinstance(v, str):
        raise BadValue(f"expected text in quotes, got {kind_of(v)}")
    return v


def keyword(v: Any) -> str:
    """One keyword or short phrase a customer texts ("ALTO", "no mas"): letters and
    digits, matched in any case, with or without accents and punctuation."""
    word = text(v).strip()
    if not any(ch.isalnum() for ch in word):
        raise BadValue("expected a word with letters in it, like \"ALTO\"")
    if len(word) > 40:
        raise BadValue("a keyword is one word or a short phrase (40 characters at most)")
    return word


def flag(v: Any) -> bool:
    if not isinstance(v, bool):
        raise BadValue(f"expected true or false, got {kind_of(v)}")
    return v


def whole_number(lo: int, hi: int):
    def parse(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise BadValue(f"expected a whole number from {lo} to {hi}, got {kind_of(v)}")
        if not lo <= v <= hi:
            raise BadValue(f"expected a whole number from {lo} to {hi}")
        return v
    return parse


def choice(*options: str, fold=str.lower):
    def parse(v: Any) -> str:
        if not isinstance(v, str) or fold(v) not in options:
            raise BadValue("expected one of " + ", ".join(f'"{o}"' for o in options))
        return fold(v)
    return parse


def list_of(item):
    def parse(v: Any) -> tuple:
        if not isinstance(v, list):
            raise BadValue(f"expected a list like [\"...\"], got {kind_of(v)}")
        out = []
        for i, x in enumerate(v):
            try:
                out.append(item(x))
            except BadValue as e:
                raise BadValue(f"item {i + 1} ({as_toml(x)}): {e}") from None
        return tuple(out)
    return parse


# ---- durations, clock times and opening hours ----

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(v: Any) -> timedelta:
    """"30s", "90m", "2h", "1d", "1h30m" -> timedelta."""
    m = _DURATION.fullmatch(v.strip().lower()) if isinstance(v, str) else None
    if not m or not v.strip() or not any(m.groups()):
        raise BadValue('expected a duration like "30s", "90m", "2h" or "1h30m"')
    d, h, mi, s = (int(x or 0) for x in m.groups())
    return timedelta(days=d, hours=h, minutes=mi, seconds=s)


def format_duration(td: timedelta) -> str:
    total, out = int(td.total_seconds()), ""
    # "24h" reads better than "1d", but "400d" better than "9600h": days from two days up
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size and (unit != "d" or total >= 2 * size):
            out += f"{total // size}{unit}"
            total %= size
    return out or "0s"


def duration(lo: str, hi: str):
    low, high = parse_duration(lo), parse_duration(hi)

    def parse(v: Any) -> timedelta:
        td = parse_duration(v)
        if not low <= td <= high:
            raise BadValue(f"expected a duration from {lo} to {hi}")
        return td
    return parse


def parse_clock(v: Any) -> time:
    """"HH:MM" (24-hour) -> time. An unquoted TOML time (21:00:00) is taken too."""
    if isinstance(v, time):
        return v.replace(second=0, microsecond=0)
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", v.strip()) if isinstance(v, str) else None
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise BadValue("expected HH:MM")
    return time(int(m[1]), int(m[2]))


def hours(v: Any) -> tuple[tuple[time, time], ...]:
    """"08:00-18:00", "08:00-12:00,13:00-17:00" or "closed" -> ((open, close), ...)."""
    if not isinstance(v, str):
        raise BadValue(f'expected "08:00-18:00", "08:00-12:00,13:00-17:00" or "closed", got {kind_of(v)}')
    if v.strip().lower() == "closed":
        return ()
    spans: list[tuple[time, time]] = []
    for part in v.split(","):
        bits = part.split("-")
        start: time | None
        end: time | None
        try:
            start, end = (parse_clock(b) for b in bits) if len(bits) == 2 else (None, None)
        except BadValue:
            start = end = None
        if start is None or end is None:
            raise BadValue('expected "08:00-18:00", "08:00-12:00,13:00-17:00" or "closed"')
        if end <= start:
            raise BadValue(f"{part.strip()}: closing must be after opening (use 23:59 for midnight)")
        if spans and start < spans[-1][1]:
            raise BadValue(f"{part.strip()}: spans must be in order and not overlap")
        spans.append((start, end))
    return tuple(spans)


def format_hours(spans: tuple[tuple[time, time], ...]) -> str:
    return ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in spans) or "closed"


# ---- message templates ----

def template_placeholders(text: str) -> list[str]:
    """The {names} a template uses, in order. Raises BadValue when it cannot be rendered at all."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise BadValue("unbalanced { or }: write {{ or }} for a literal brace") from None
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise BadValue(f"{{{name}}}: placeholders are plain names like {{business}}")
        names.append(name)
    return names


def template(v: Any) -> str:
    # Whether it can be rendered at all; which {names} each key allows, config_loading.py checks.
    template_placeholders(text(v))
    return v


# ---- numbers, places and the shop's own systems ----

def e164(v: Any) -> str:
    s = re.sub(r"[\s().-]", "", text(v))
    if not re.fullmatch(r"\+[1-9]\d{6,14}", s):
        raise BadValue("expected an international number like +12125550123")
    return s


def phone_digits(v: Any) -> str:
    # Own numbers as Asterisk may present them (national or E.164); the rules parse them.
    s = re.sub(r"[\s().-]", "", text(v))
    if not re.fullmatch(r"\+?\d{2,15}", s):
        raise BadValue("expected a phone number like +12125550100")
    return s


def shown_number(v: Any) -> str:
    if text(v) and not re.fullmatch(r"[+(\d][\d\s().-]{2,24}", v.strip()):
        raise BadValue('expected a phone number as callers should see it, like "(212) 555-0100", or ""')
    return v.strip()


def region(v: Any) -> str:
    if not isinstance(v, str) or not re.fullmatch(r"[A-Za-z]{2}", v.strip()):
        raise BadValue('expected a two-letter ISO country code like "US" or "GB"')
    return v.strip().upper()


def timezone(v: Any) -> str:
    name = text(v)
    try:
        ZoneInfo(name)
    except Exception:
        raise BadValue('expected an IANA time zone like "America/New_York" or "Europe/London"') from None
    return name


def store_url(v: Any) -> str:
    if not is_store_url(text(v)):
        raise BadValue('expected "sqlite:////absolute/path.db" or "postgresql://user@host/db"')
    return v


def nonempty(v: Any) -> str:
    if not text(v).strip():
        raise BadValue("must not be empty")
    return v


def modem_name(v: Any) -> str:
    """A [[modem]] name: it names the worker (`textback worker --modem NAME`), its systemd
    unit (textback-worker@NAME) and the SIM a text left from, so plain letters only."""
    if text(v) and not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", v):
        raise BadValue('expected a short name of lower-case letters, digits, "-" or "_", like "front-desk"')
    return v


def pin(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        raise BadValue('write the PIN in quotes (a PIN may start with 0), e.g. pin = "1234"')
    if text(v) and not re.fullmatch(r"\d{4,8}", v):
        raise BadValue('expected 4 to 8 digits in quotes, or "" for a SIM without PIN')
    return v


def smsc(v: Any) -> str:
    return e164(v) if text(v) else ""


def baudrate(v: Any) -> int:
    if type(v) is not int or v not in BAUDRATES:
        raise BadValue("expected one of " + ", ".join(map(str, BAUDRATES)))
    return v


def cnmi(v: Any) -> str:
    # python-gsmmodem-new ignores +CMT (direct delivery): new texts must be stored on
    # the SIM and announced with +CMTI (mt=1), and the worker sweeps for missed ones.
    if text(v).strip().lower() == "auto":
        return "auto"       # textback tries 2,1,0,1,0 then 2,1,0,0,0 (modem/device/setup.py)
    parts = text(v).replace(" ", "").split(",")
    if not 2 <= len(parts) <= 5 or not all(p.isdigit() for p in parts):
        raise BadValue('expected AT+CNMI parameters like "2,1,0,1,0"')
    if parts[1] != "1":
        raise BadValue("the second value (mt) must be 1: store each text and announce it with +CMTI; "
                       "the modem library drops texts delivered directly (+CMT)")
    return ",".join(parts)


# ---- [[notify]] targets ----

def notify_url(v: Any) -> str:
    from urllib.parse import urlsplit  # only when a [[notify]] target is configured

    s = text(v).strip()
    parts = urlsplit(s)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadValue('expected an http(s) URL like "https://crm.example.com/hooks/textback"')
    return s


def event_type(v: Any) -> str:
    from store.event_types import EVENT_TYPES, is_known

    s = text(v).strip()
    if not is_known(s):
        raise BadValue(f'unknown event type "{s}": use one of {", ".join(EVENT_TYPES)}, or a family like "text.*"')
    return s
