"""When texts go: business hours, the first-text delay, follow-ups and quiet hours.

One job: time arithmetic in the business's own time zone. Pure: every function
takes `now`/`when` (aware datetimes) and returns aware UTC datetimes; nothing
reads the clock.

Across DST: elapsed delays (+30 s, +2 h) are added in UTC, so "+2 h" is two real
hours; wall-clock times (open at 08:00, follow-up at 09:00, quiet hours end at
08:00) are built on the local calendar day, so 09:00 stays 09:00 local on both
sides of a change. A wall time inside the spring-forward gap (02:30 on
2026-03-08 in New York) does not exist: it moves forward by the gap (03:30 EDT).
A wall time that happens twice at fall-back takes the first (summer-time) one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class OpeningRange:
    """Open on `weekday` (0 = Monday) from `opens` until just before `closes`, local time."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class Hours:
    """A business's weekly opening hours in its IANA time zone (e.g. "America/New_York")."""

    tz: str
    ranges: tuple[OpeningRange, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.tz)

    def open_weekdays(self) -> frozenset[int]:
        return frozenset(r.weekday for r in self.ranges)


@dataclass(frozen=True)
class QuietHours:
    """No follow-up goes out from `start` until `end`, local; a window may wrap midnight.
    start == end means no quiet hours. ([quiet_hours] in textback.toml is this.)"""

    start: time = time(21, 0)
    end: time = time(8, 0)

    def contains(self, clock: time) -> bool:
        """True when a local wall-clock time falls inside the window."""
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end      # wraps midnight


@dataclass(frozen=True)
class FollowUpStep:
    """One follow-up, relative to the message before it: either `after` that long, or
    `at` a wall time on the next business day (the first day with opening hours after
    the previous message's local date); `template` is its text (store/rules/templates.py).
    ([[followups.steps]] in textback.toml is this.)"""

    after: timedelta | None = None
    at: time | None = None
    template: str = ""

    def __post_init__(self) -> None:
        if (self.after is None) == (self.at is None):
            raise ValueError('give exactly one of after = "2h" (a delay) or at = "09:00" (a time)')
        if self.after is not None and self.after <= timedelta(0):
            raise ValueError(f"a follow-up delay must be positive, got {self.after}")


# ---- time zones ----

def zone(tz: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name, or a ValueError that says what to write."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {tz!r}: use an IANA name such as "
                         f"'America/New_York' or 'Europe/London'") from None


# ---- wall-clock <-> UTC ----

def local_at(day: date, at: time, tz: str, fold: int = 0) -> datetime:
    """The UTC instant when the wall clock in `tz` shows `at` on `day`.

    Spring-gap times move forward by the gap; fall-back repeats take the first
    (fold=1: the second)."""
    naive = datetime.combine(day, at.replace(tzinfo=None))
    return naive.replace(tzinfo=zone(tz), fold=fold).astimezone(timezone.utc)


def to_local(when: datetime, tz: str) -> datetime:
    return when.astimezone(zone(tz))


# ---- business hours ----

def is_open(hours: Hours, when: datetime) -> bool:
    """True when `when` falls inside one of the day's opening ranges (local time)."""
    local = to_local(when, hours.tz)
    clock = local.time().replace(tzinfo=None)
    return any(r.weekday == local.weekday() and r.opens <= clock < r.closes for r in hours.ranges)


def next_opening(hours: Hours, when: datetime) -> datetime | None:
    """The first opening time strictly after `when` (UTC), or None if never open."""
    start = to_local(when, hours.tz).date()
    for offset in range(8):
        day = start + timedelta(days=offset)
        for r in hours.ranges:
            if r.weekday == day.weekday():
                opening = local_at(day, r.opens, hours.tz)
                if opening > when:
                    return opening
    return None


def opens_at_words(opening: datetime, now: datetime, tz: str, twelve_hour: bool = False) -> str:
    """Say an opening time the way a person would, seen from `now`:
    "today at 14:00", "tomorrow at 8:00", "Monday at 9:00" (or "8:00 AM")."""
    local, today = to_local(opening, tz), to_local(now, tz).date()
    if twelve_hour:
        clock = f"{(local.hour % 12) or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
    else:
        clock = f"{local.hour}:{local.minute:02d}"
    days = (local.date() - today).days
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    if days < 7:
        return f"{DAY_NAMES[local.weekday()]} at {clock}"
    return f"{DAY_NAMES[local.weekday()]} {local.day} {local.strftime('%B')} at {clock}"


def next_business_day(hours: Hours, after: date) -> date:
    """The first day after `after` with opening hours (the next day if never open)."""
    open_days = hours.open_weekdays()
    for offset in range(1, 8):
        day = after + timedelta(days=offset)
        if day.weekday() in open_days:
            return day
    return after + timedelta(days=1)


# ---- quiet hours ----

def in_quiet_hours(quiet: QuietHours, when: datetime, tz: str) -> bool:
    """True when `when` falls inside the quiet window (local time)."""
    return quiet.contains(to_local(when, tz).time().replace(tzinfo=None))


def after_quiet_hours(quiet: QuietHours, when: datetime, tz: str) -> datetime:
    """`when` itself if it is outside quiet hours, else the moment quiet hours end."""
    if not in_quiet_hours(quiet, when, tz):
        return when
    local = to_local(when, tz)
    end_day = local.date()
    if quiet.start > quiet.end and local.time().replace(tzinfo=None) >= quiet.start:
        end_day += timedelta(days=1)                       # evening part of a wrapping window
    end = local_at(end_day, quiet.end, tz)
    # Inside a fall-back repeated hour the first reading of the end can lie
    # before `when`; the second reading is the end of *this* quiet spell.
    return end if end > when else local_at(end_day, quiet.end, tz, fold=1)


# ---- the texts of one call ----

def first_text_at(happened_at: datetime, now: datetime, delay: timedelta) -> datetime:
    """Hang-up time + delay, but never in the past when the worker is late, and never
    more than `delay` from now: a call stamped ahead of the worker's clock (the clock
    stepped back after the hook wrote it, or the PBX's clock runs fast) counts as now."""
    return max(min(happened_at, now) + delay, now).astimezone(timezone.utc)


def is_stale(happened_at: datetime, now: datetime, limit: timedelta) -> bool:
    """A call older than `limit` when the worker sees it is not texted (exactly `limit` still is)."""
    return now - happened_at > limit


def inside_window(last: datetime | None, when: datetime, window: timedelta) -> bool:
    """True when `last` is less than `window` before `when` (exactly `window` is outside)."""
    return last is not None and when - last < window


def follow_up_times(first_at: datetime, steps: tuple[FollowUpStep, ...], max_messages: int,
                    hours: Hours, quiet: QuietHours) -> tuple[datetime, ...]:
    """Due times (UTC) of the follow-ups after a first text at `first_at`.

    At most `max_messages` texts in all, counting the first; each step counts from
    the message before it; a time inside quiet hours moves to their end."""
    times: list[datetime] = []
    previous = first_at
    for step in steps[:max(0, max_messages - 1)]:
        if step.after is not None:
            due = previous + step.after
        else:                               # FollowUpStep holds exactly one of after / at
            day = next_business_day(hours, to_local(previous, hours.tz).date())
            due = local_at(day, step.at or time(0), hours.tz)
        due = after_quiet_hours(quiet, due, hours.tz).astimezone(timezone.utc)
        times.append(due)
        previous = due
    return tuple(times)
