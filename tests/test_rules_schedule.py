"""Business hours, first-text delay, stale and dedupe edges, follow-ups, quiet hours, DST.

DST dates: America/New_York 2026-03-08 (02:00 -> 03:00) and 2026-11-01 (02:00 -> 01:00);
Europe/London 2026-03-29 (01:00 -> 02:00) and 2026-10-25 (02:00 -> 01:00).
"""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from store.rules.schedule import (
    FollowUpStep,
    Hours,
    OpeningRange,
    QuietHours,
    after_quiet_hours,
    first_text_at,
    follow_up_times,
    in_quiet_hours,
    inside_window,
    is_open,
    is_stale,
    local_at,
    next_business_day,
    next_opening,
    opens_at_words,
    to_local,
    zone,
)

NY, LDN = "America/New_York", "Europe/London"
UTC = timezone.utc
QUIET = QuietHours()     # 21:00-08:00
# The follow-ups' timing: two hours after the first text, then the next business morning at 09:00.
STEPS = (FollowUpStep(after=timedelta(hours=2)), FollowUpStep(at=time(9, 0)))


def hours(tz, *ranges):
    """Opening hours as the rules take them: (weekday, opens, closes) with whole hours."""
    return Hours(tz, tuple(OpeningRange(d, time(a), time(b)) for d, a, b in ranges))


def shop_week(tz):
    """Mon-Fri 08:00-18:00, Sat 09:00-13:00, Sunday closed."""
    return hours(tz, *[(d, 8, 18) for d in range(5)], (5, 9, 13))


def all_week(tz):
    return hours(tz, *[(d, 8, 18) for d in range(7)])


NY_HOURS = shop_week(NY)
LDN_HOURS = shop_week(LDN)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def wall(when, tz):
    """A UTC instant as "YYYY-MM-DD HH:MM TZ" on the local clock, for readable asserts."""
    return to_local(when, tz).strftime("%Y-%m-%d %H:%M %Z")


# ---- hours ----

def test_split_days_and_closed():
    split = Hours(LDN, tuple(r for d in range(5) for r in (OpeningRange(d, time(8), time(12)),
                                                           OpeningRange(d, time(13), time(17)))))
    assert is_open(split, utc(2026, 1, 5, 9, 0)) and not is_open(split, utc(2026, 1, 5, 12, 30))
    assert not is_open(split, utc(2026, 1, 10, 10, 0))


def test_an_unknown_time_zone_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown time zone"):
        zone("Mars/Olympus")


# ---- open or closed, next opening, in words ----

@pytest.mark.parametrize("when, tz_hours, expected", [
    (utc(2026, 1, 5, 13, 0), NY_HOURS, True),      # Mon 08:00 EST: opens
    (utc(2026, 1, 5, 12, 59), NY_HOURS, False),    # Mon 07:59 EST
    (utc(2026, 1, 5, 23, 0), NY_HOURS, False),     # Mon 18:00 EST: closed at closing time
    (utc(2026, 1, 10, 17, 59), NY_HOURS, True),    # Sat 12:59 EST
    (utc(2026, 1, 11, 15, 0), NY_HOURS, False),    # Sun closed
    (utc(2026, 3, 9, 12, 0), NY_HOURS, True),      # Mon after spring-forward: 08:00 EDT
    (utc(2026, 3, 9, 11, 30), NY_HOURS, False),    # 07:30 EDT (would be 06:30 in EST)
    (utc(2026, 3, 30, 7, 0), LDN_HOURS, True),     # Mon 08:00 BST
    (utc(2026, 3, 30, 17, 0), LDN_HOURS, False),   # Mon 18:00 BST
    (utc(2026, 10, 26, 8, 0), LDN_HOURS, True),    # Mon after fall-back: 08:00 GMT
    (utc(2026, 10, 26, 7, 30), LDN_HOURS, False),
])
def test_is_open(when, tz_hours, expected):
    assert is_open(tz_hours, when) is expected


@pytest.mark.parametrize("now, hours, tz, opens, words", [
    (utc(2026, 1, 5, 23, 30), NY_HOURS, NY, "2026-01-06 08:00 EST", "tomorrow at 8:00"),     # Mon 18:30
    (utc(2026, 1, 6, 10, 0), NY_HOURS, NY, "2026-01-06 08:00 EST", "today at 8:00"),         # Tue 05:00
    (utc(2026, 1, 10, 19, 0), NY_HOURS, NY, "2026-01-12 08:00 EST", "Monday at 8:00"),       # Sat 14:00
    (utc(2026, 3, 7, 20, 0), NY_HOURS, NY, "2026-03-09 08:00 EDT", "Monday at 8:00"),        # across DST
    (utc(2026, 3, 28, 14, 0), LDN_HOURS, LDN, "2026-03-30 08:00 BST", "Monday at 8:00"),
    (utc(2026, 10, 24, 14, 0), LDN_HOURS, LDN, "2026-10-26 08:00 GMT", "Monday at 8:00"),
    (utc(2026, 10, 31, 17, 0), NY_HOURS, NY, "2026-11-02 08:00 EST", "Monday at 8:00"),
])
def test_next_opening_in_words(now, hours, tz, opens, words):
    opening = next_opening(hours, now)
    assert wall(opening, tz) == opens
    assert opens_at_words(opening, now, tz) == words


def test_opens_at_twelve_hour_and_far_away():
    hours = Hours(NY, (OpeningRange(5, time(13, 30), time(16)),))
    now = utc(2026, 1, 10, 19, 0)   # Sat 14:00, open: next opening is a week on
    opening = next_opening(hours, now)
    assert opens_at_words(opening, now, NY, twelve_hour=True) == "Saturday 17 January at 1:30 PM"
    assert next_opening(Hours(NY), now) is None


# ---- local wall times across DST ----

@pytest.mark.parametrize("day, at, tz, expected_utc", [
    (date(2026, 3, 7), time(9), NY, utc(2026, 3, 7, 14, 0)),
    (date(2026, 3, 8), time(9), NY, utc(2026, 3, 8, 13, 0)),
    (date(2026, 3, 8), time(2, 30), NY, utc(2026, 3, 8, 7, 30)),       # gap -> 03:30 EDT
    (date(2026, 11, 1), time(1, 30), NY, utc(2026, 11, 1, 5, 30)),     # twice -> first (EDT)
    (date(2026, 11, 1), time(9), NY, utc(2026, 11, 1, 14, 0)),
    (date(2026, 3, 29), time(1, 30), LDN, utc(2026, 3, 29, 1, 30)),    # gap -> 02:30 BST
    (date(2026, 3, 29), time(9), LDN, utc(2026, 3, 29, 8, 0)),
    (date(2026, 10, 25), time(1, 30), LDN, utc(2026, 10, 25, 0, 30)),  # twice -> first (BST)
    (date(2026, 10, 25), time(9), LDN, utc(2026, 10, 25, 9, 0)),
])
def test_local_at(day, at, tz, expected_utc):
    assert local_at(day, at, tz) == expected_utc


def test_spring_gap_time_reads_as_after_the_gap():
    assert wall(local_at(date(2026, 3, 8), time(2, 30), NY), NY) == "2026-03-08 03:30 EDT"
    assert wall(local_at(date(2026, 3, 29), time(1, 30), LDN), LDN) == "2026-03-29 02:30 BST"


# ---- quiet hours ----

@pytest.mark.parametrize("quiet, local_clock, inside", [
    (QUIET, time(20, 59), False), (QUIET, time(21, 0), True), (QUIET, time(23, 59), True),
    (QUIET, time(0, 0), True), (QUIET, time(7, 59), True), (QUIET, time(8, 0), False),
    (QuietHours(time(12), time(13)), time(12, 30), True),    # a window that does not wrap
    (QuietHours(time(12), time(13)), time(13, 0), False),
    (QuietHours(time(0), time(0)), time(3, 0), False),       # off
])
def test_in_quiet_hours_wraps_midnight(quiet, local_clock, inside):
    when = local_at(date(2026, 1, 7), local_clock, NY)
    assert in_quiet_hours(quiet, when, NY) is inside


@pytest.mark.parametrize("when, tz, moved_to", [
    (utc(2026, 1, 8, 3, 0), NY, "2026-01-08 08:00 EST"),      # 22:00 -> next morning
    (utc(2026, 1, 8, 10, 0), NY, "2026-01-08 08:00 EST"),     # 05:00 -> same morning
    (utc(2026, 1, 8, 14, 0), NY, "2026-01-08 09:00 EST"),     # not quiet: unchanged
    (utc(2026, 3, 8, 3, 0), NY, "2026-03-08 08:00 EDT"),      # Sat 22:00 EST -> Sun 08:00 EDT
    (utc(2026, 11, 1, 2, 0), NY, "2026-11-01 08:00 EST"),     # Sat 22:00 EDT -> Sun 08:00 EST
    (utc(2026, 3, 28, 22, 0), LDN, "2026-03-29 08:00 BST"),
    (utc(2026, 10, 24, 21, 30), LDN, "2026-10-25 08:00 GMT"),
])
def test_after_quiet_hours_across_dst(when, tz, moved_to):
    assert wall(after_quiet_hours(QUIET, when, tz), tz) == moved_to


# ---- first text, stale, dedupe window ----

def test_first_text_after_delay_but_never_in_the_past():
    hung_up = utc(2026, 1, 7, 15, 0)
    assert first_text_at(hung_up, hung_up + timedelta(seconds=5), timedelta(seconds=30)) == hung_up + timedelta(seconds=30)
    late = hung_up + timedelta(minutes=10)
    assert first_text_at(hung_up, late, timedelta(seconds=30)) == late


def test_first_text_of_a_call_stamped_ahead_of_the_clock_waits_only_the_delay():
    # The clock stepped back an hour after the hook wrote the call (issue 11, case 7).
    now = utc(2026, 1, 7, 15, 0)
    ahead = now + timedelta(hours=1)
    assert first_text_at(ahead, now, timedelta(seconds=30)) == now + timedelta(seconds=30)
    assert first_text_at(ahead, now, timedelta(0)) == now


@pytest.mark.parametrize("age, stale", [
    (timedelta(0), False), (timedelta(hours=1, minutes=59, seconds=59), False),
    (timedelta(hours=2), False), (timedelta(hours=2, seconds=1), True), (timedelta(days=3), True),
])
def test_stale_edges(age, stale):
    hung_up = utc(2026, 1, 7, 15, 0)
    assert is_stale(hung_up, hung_up + age, timedelta(hours=2)) is stale


@pytest.mark.parametrize("since_last, inside", [
    (None, False), (timedelta(0), True), (timedelta(hours=23, minutes=59, seconds=59), True),
    (timedelta(hours=24), False), (timedelta(hours=24, seconds=1), False), (timedelta(seconds=-30), True),
])
def test_dedupe_window_edges(since_last, inside):
    call = utc(2026, 1, 7, 15, 0)
    last = None if since_last is None else call - since_last
    assert inside_window(last, call, timedelta(hours=24)) is inside


# ---- follow-ups ----

def test_follow_up_step_needs_one_kind():
    with pytest.raises(ValueError, match="exactly one"):
        FollowUpStep()
    with pytest.raises(ValueError, match="exactly one"):
        FollowUpStep(after=timedelta(hours=1), at=time(9))
    with pytest.raises(ValueError, match="positive"):
        FollowUpStep(after=timedelta(0))


@pytest.mark.parametrize("first_utc, hours, tz, expected", [
    # Wed 10:00 EST: +2 h -> 12:00, then Thu 09:00
    (utc(2026, 1, 7, 15, 0), NY_HOURS, NY, ["2026-01-07 12:00 EST", "2026-01-08 09:00 EST"]),
    # Wed 20:00 EST: +2 h = 22:00 is quiet -> Thu 08:00, then Fri 09:00
    (utc(2026, 1, 8, 1, 0), NY_HOURS, NY, ["2026-01-08 08:00 EST", "2026-01-09 09:00 EST"]),
    # Fri 17:00: +2 h = 19:00, then next business morning is Sat 09:00
    (utc(2026, 1, 9, 22, 0), NY_HOURS, NY, ["2026-01-09 19:00 EST", "2026-01-10 09:00 EST"]),
    # Sat 17:00 EST before spring-forward: 19:00 EST, then Mon 09:00 EDT (Sun closed)
    (utc(2026, 3, 7, 22, 0), NY_HOURS, NY, ["2026-03-07 19:00 EST", "2026-03-09 09:00 EDT"]),
    # open every day: Sat 17:00 EST -> 19:00 EST -> Sun 09:00 EDT, the change day itself
    (utc(2026, 3, 7, 22, 0), all_week(NY), NY, ["2026-03-07 19:00 EST", "2026-03-08 09:00 EDT"]),
    # Sun 01:00 EST on the change day: +2 h real time = 04:00 EDT, quiet -> 08:00 EDT
    (utc(2026, 3, 8, 6, 0), all_week(NY), NY, ["2026-03-08 08:00 EDT", "2026-03-09 09:00 EDT"]),
    # fall-back: Sat 17:00 EDT -> 19:00 EDT -> Sun 09:00 EST
    (utc(2026, 10, 31, 21, 0), all_week(NY), NY, ["2026-10-31 19:00 EDT", "2026-11-01 09:00 EST"]),
    # Sun 00:30 EDT: +2 h real = 01:30 EST (the second 01:30), quiet -> 08:00 EST
    (utc(2026, 11, 1, 4, 30), all_week(NY), NY, ["2026-11-01 08:00 EST", "2026-11-02 09:00 EST"]),
    # London spring-forward and fall-back
    (utc(2026, 3, 28, 17, 0), all_week(LDN), LDN, ["2026-03-28 19:00 GMT", "2026-03-29 09:00 BST"]),
    (utc(2026, 10, 24, 16, 0), all_week(LDN), LDN, ["2026-10-24 19:00 BST", "2026-10-25 09:00 GMT"]),
    # Sat 12:00 London, default hours (Sun closed): Mon 09:00 BST after the change
    (utc(2026, 3, 28, 12, 0), LDN_HOURS, LDN, ["2026-03-28 14:00 GMT", "2026-03-30 09:00 BST"]),
])
def test_follow_up_times(first_utc, hours, tz, expected):
    times = follow_up_times(first_utc, STEPS, 3, hours, QUIET)
    assert [wall(t, tz) for t in times] == expected
    assert all(not in_quiet_hours(QUIET, t, tz) for t in times)
    assert all(t.tzinfo == UTC for t in times)


@pytest.mark.parametrize("max_messages, count", [(0, 0), (1, 0), (2, 1), (3, 2), (5, 2)])
def test_at_most_max_messages_counting_the_first(max_messages, count):
    assert len(follow_up_times(utc(2026, 1, 7, 15, 0), STEPS, max_messages, NY_HOURS, QUIET)) == count


def test_follow_up_time_inside_late_quiet_end_still_outside_quiet():
    # quiet until 10:00: a 09:00 follow-up moves to 10:00
    quiet = QuietHours(time(21), time(10))
    times = follow_up_times(utc(2026, 1, 7, 15, 0), STEPS, 3, NY_HOURS, quiet)
    assert wall(times[1], NY) == "2026-01-08 10:00 EST"


def test_next_business_day_never_open_falls_back_to_tomorrow():
    assert next_business_day(Hours(NY), date(2026, 1, 7)) == date(2026, 1, 8)
    assert next_business_day(NY_HOURS, date(2026, 1, 9)) == date(2026, 1, 10)   # Fri -> Sat
    assert next_business_day(NY_HOURS, date(2026, 1, 10)) == date(2026, 1, 12)  # Sat -> Mon


def test_quiet_end_inside_the_repeated_hour_is_never_before_the_due_time():
    # quiet 00:30-01:30 on the NY fall-back night; 01:00 EST (the second 01:00) is quiet
    quiet = QuietHours(time(0, 30), time(1, 30))
    when = utc(2026, 11, 1, 6, 0)
    assert wall(when, NY) == "2026-11-01 01:00 EST" and in_quiet_hours(quiet, when, NY)
    moved = after_quiet_hours(quiet, when, NY)
    assert moved > when and wall(moved, NY) == "2026-11-01 01:30 EST"


# ---- properties over many times, zones and windows (hypothesis) ----

from hypothesis import given, settings as hyp_settings, strategies as st  # noqa: E402, I001

CLOCKS = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))
MOMENTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31),
                       timezones=st.just(UTC))


@hyp_settings(max_examples=300, deadline=None)
@given(first=MOMENTS, tz=st.sampled_from([NY, LDN]), start=CLOCKS, end=CLOCKS,
       every_day=st.booleans(), delay_minutes=st.integers(1, 24 * 60), at=CLOCKS)
def test_follow_ups_always_later_and_never_quiet(first, tz, start, end, every_day, delay_minutes, at):
    hours = all_week(tz) if every_day else shop_week(tz)
    quiet = QuietHours(start, end)
    steps = (FollowUpStep(after=timedelta(minutes=delay_minutes)), FollowUpStep(at=at),
             FollowUpStep(after=timedelta(minutes=delay_minutes)))
    times = follow_up_times(first, steps, 4, hours, quiet)
    assert len(times) == 3
    previous = first
    for due in times:
        assert due > previous
        assert not in_quiet_hours(quiet, due, tz)
        previous = due
