"""--since / --until as an owner types them: "30d", "2026-11-01", "2026-11-01 09:00",
today, yesterday, this-week, last-week, this-month, last-month, this-year.

Days and months are the shop's (its time zone): "this-month" starts at local midnight on
the 1st. A named period also ends ("last-month" is all of last month) unless --until
says otherwise; a date given to --until includes that whole day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

import click

from textback import config as cfg

NAMED = ("today", "yesterday", "this-week", "last-week", "this-month", "last-month", "this-year")
HELP = ('a duration ("30d", "12h"), a date ("2026-11-01"), a date and time ("2026-11-01 09:00"), '
        "or one of " + ", ".join(NAMED))


@dataclass(frozen=True)
class Period:
    since: datetime | None
    until: datetime | None          # exclusive
    label: str


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


def _named(name: str, today: date) -> tuple[date, date | None]:
    """(first day, first day after) of a named period; None: it runs to now."""
    if name == "today":
        return today, None
    if name == "yesterday":
        return today - timedelta(days=1), today
    if name == "this-week":
        return today - timedelta(days=today.weekday()), None
    if name == "last-week":
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=7), monday
    if name == "this-month":
        return today.replace(day=1), None
    if name == "last-month":
        first = today.replace(day=1)
        return (first - timedelta(days=1)).replace(day=1), first
    return today.replace(month=1, day=1), None          # this-year


def moment(text: str, tz: tzinfo, now: datetime, *, option: str, end: bool = False) -> tuple[datetime, datetime | None]:
    """(the moment, the end a named period implies) for one option value."""
    word = text.strip().lower()
    today = now.astimezone(tz).date()
    if word in NAMED:
        first, after = _named(word, today)
        if end:     # --until this-month: up to the end of the period
            return (_midnight(after, tz) if after else now), None
        return _midnight(first, tz), (_midnight(after, tz) if after else None)
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d":
            day = parsed.date() + (timedelta(days=1) if end else timedelta(0))
            return _midnight(day, tz), None
        return parsed.replace(tzinfo=tz).astimezone(timezone.utc), None
    try:
        span = cfg.parse_duration(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: give {HELP}", param_hint=option) from None
    return now - span, None


def parse_period(since: str | None, until: str | None, tz: tzinfo, now: datetime | None = None) -> Period:
    now = now or datetime.now(timezone.utc)
    start, implied = (moment(since, tz, now, option="--since") if since else (None, None))
    end = moment(until, tz, now, option="--until", end=True)[0] if until else implied
    if start is not None and end is not None and end <= start:
        raise click.BadParameter(f"--until ({until or 'the end of ' + str(since)}) is not after --since ({since})",
                                 param_hint="--until")
    label = since or "everything"
    if until:
        label += f" to {until}"
    return Period(start, end, label)
