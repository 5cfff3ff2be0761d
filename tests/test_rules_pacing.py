"""The carrier-limit rules (store/rules/pacing.py), pure."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store.rules import pacing
from store.rules.pacing import CarrierLimits, Hold, Usage

NOW = datetime(2026, 1, 7, 15, 0, tzinfo=UTC)
LIMITS = CarrierLimits(min_gap=timedelta(seconds=5), gap_jitter=timedelta(seconds=5), daily_cap=100,
                       recipients_cap=200)


def test_nothing_waits_below_the_caps_and_after_the_gap():
    assert pacing.hold_for(LIMITS, Usage(10, 10), NOW, NOW - timedelta(seconds=1)) is None
    assert pacing.hold_for(LIMITS, Usage(10, 10), NOW, None) is None


def test_the_gap_and_the_caps_hold_text_backs_and_follow_ups_only():
    assert pacing.hold_for(LIMITS, Usage(10, 10), NOW, NOW + timedelta(seconds=1)) == Hold(pacing.PACED_KINDS, "gap")
    assert pacing.hold_for(LIMITS, Usage(100, 10), NOW, None) == Hold(pacing.PACED_KINDS, "daily_cap")
    assert pacing.hold_for(LIMITS, Usage(10, 200), NOW, None) == Hold(
        pacing.PACED_KINDS, "recipients_cap", known_since=NOW - timedelta(days=30))
    assert set(pacing.PACED_KINDS) == {"text_back", "follow_up"}


def test_the_gap_is_the_minimum_plus_some_jitter():
    assert pacing.next_gap(LIMITS, 0.0) == timedelta(seconds=5)
    assert pacing.next_gap(LIMITS, 0.5) == timedelta(seconds=7.5)
    assert pacing.next_gap(LIMITS, 1.0) == timedelta(seconds=10)


def test_the_day_is_the_shops_local_day():
    assert pacing.day_start(NOW, "America/New_York") == datetime(2026, 1, 7, 5, 0, tzinfo=UTC)
    assert pacing.day_start(datetime(2026, 1, 7, 3, 0, tzinfo=UTC), "America/New_York") == \
        datetime(2026, 1, 6, 5, 0, tzinfo=UTC)


def test_the_alert_warns_at_80_percent_and_says_what_is_held_at_the_cap():
    assert pacing.cap_alert(LIMITS, Usage(79, 10), 0) is None
    assert pacing.cap_alert(LIMITS, Usage(80, 10), 0) == ("carrier limits: 80/100 texts today, over 80% of the "
                                                          "cap: at the cap text-backs wait")
    assert pacing.cap_alert(LIMITS, Usage(100, 170), 7) == (
        "carrier limits: 100/100 texts today, 170/200 numbers in 30 days, cap reached: 7 text-back(s) held; "
        "STOP replies and staff texts still go")
    assert pacing.cap_alert(pacing.NO_LIMITS, Usage(10_000, 10_000), 0) is None
