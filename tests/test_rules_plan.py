"""plan_call end to end on realistic calls: the CallPlan the worker hands to the store."""
from dataclasses import replace
from datetime import datetime, time, timedelta, timezone

import pytest

from store.facts import CallFact, CallPlan
from store.rules.guard import GuardSettings
from store.rules.plan import (
    RETRYABLE_SKIPS,
    CallerHistory,
    LineProfile,
    RulesSettings,
    caller_number,
    cap_alert,
    plan_call,
    profile_for_line,
    settings_problems,
)
from store.rules.schedule import FollowUpStep, Hours, OpeningRange, to_local

UTC = timezone.utc
NY, LDN = "America/New_York", "Europe/London"
# The shop's texts and hours, built as the rules' own types (textback/config.py has the product's defaults).
PROFILE = LineProfile(
    open_template=("Hi {caller_name}, this is {business}. Sorry we missed your call! "
                   "Reply to this text or call us back on {callback_number}. Book online: {booking_link}"),
    closed_template=("Hi {caller_name}, this is {business}. Sorry we missed your call; we are closed now and "
                     "open {opens_at}. Reply to this text and we will get back to you. Book online: {booking_link}"))
FOLLOW_UP = "Hi {caller_name}, {business} here again. Can we help? Reply to this text or call {callback_number}."
STEPS = (FollowUpStep(after=timedelta(hours=2), template=FOLLOW_UP), FollowUpStep(at=time(9), template=FOLLOW_UP))


def week(tz):
    """Mon-Fri 08:00-18:00, Sat 09:00-13:00, Sunday closed."""
    return Hours(tz, tuple(OpeningRange(d, time(8), time(18)) for d in range(5)) + (OpeningRange(5, time(9), time(13)),))


US_SHOP = RulesSettings(
    guard=GuardSettings(country="US", own_numbers=("+12125550100", "+12125550101", "+12125550150")),
    hours=week(NY),
    profile=replace(PROFILE, business="Acme Plumbing", booking_link="https://acme.example/book"),
    follow_ups=STEPS,
    lines=(LineProfile(did="+12125550101", business="Acme Heating", booking_link="",
                       open_template="Hi {caller_name}, Acme Heating here. We'll call you back shortly."),),
)
UK_SHOP = RulesSettings(
    guard=GuardSettings(country="GB", own_numbers=("020 7946 0000",)),
    hours=week(LDN),
    profile=replace(PROFILE, business="Baker Street Garage", callback_number="020 7946 0000"),
    follow_ups=STEPS,
)
NO_HISTORY = CallerHistory()


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def call(at, **fields):
    defaults = dict(uniqueid="1767801600.42", caller_raw="2125550123", caller_name="MARIA LOPEZ",
                    caller_presentation="allowed_not_screened", business_line="+12125550100",
                    disposition="NOANSWER", happened_at=at)
    return CallFact(**{**defaults, **fields})


def wall(when, tz):
    return to_local(when, tz).strftime("%a %Y-%m-%d %H:%M:%S %Z")


def test_weekday_missed_call_gets_three_texts():
    hung_up = utc(2026, 1, 7, 15, 0)   # Wed 10:00 EST
    plan = plan_call(call(hung_up), US_SHOP, NO_HISTORY, hung_up + timedelta(seconds=2))
    assert (plan.caller_number, plan.skip_reason, plan.region, plan.cancel_pending) == ("+12125550123", None, "US", None)
    assert [(m.kind, m.step) for m in plan.messages] == [("text_back", 0), ("follow_up", 1), ("follow_up", 2)]
    assert [wall(m.due_at, NY) for m in plan.messages] == [
        "Wed 2026-01-07 10:00:30 EST", "Wed 2026-01-07 12:00:30 EST", "Thu 2026-01-08 09:00:00 EST"]
    first = plan.messages[0].body
    assert first == ("Hi Maria Lopez, this is Acme Plumbing. Sorry we missed your call! Reply to this text or "
                     "call us back on (212) 555-0100. Book online: https://acme.example/book")
    assert all(m.body.endswith("Reply STOP to opt out.") for m in plan.messages[1:])
    assert "STOP" not in first


def test_after_hours_call_uses_closed_template_with_opening_in_words():
    hung_up = utc(2026, 1, 8, 0, 30)   # Wed 19:30 EST
    plan = plan_call(call(hung_up, caller_name="WIRELESS CALLER"), US_SHOP, NO_HISTORY, hung_up)
    assert plan.messages[0].body.startswith("Hi, this is Acme Plumbing. Sorry we missed your call; we are closed "
                                            "now and open tomorrow at 8:00.")
    # +2 h = 21:30 is quiet: the follow-up waits for 08:00, the next one for Friday 09:00
    assert [wall(m.due_at, NY) for m in plan.messages[1:]] == ["Thu 2026-01-08 08:00:00 EST",
                                                               "Fri 2026-01-09 09:00:00 EST"]


def test_dialplan_after_hours_reason_forces_closed_template_during_hours():
    hung_up = utc(2026, 1, 7, 15, 0)
    plan = plan_call(call(hung_up, disposition="", reason="after-hours"), US_SHOP, NO_HISTORY, hung_up)
    assert "we are closed now and open tomorrow at 8:00" in plan.messages[0].body


def test_uk_queue_timeout_on_the_saturday_before_the_clocks_change():
    hung_up = utc(2026, 3, 28, 11, 0)   # Sat 11:00 GMT, open until 13:00
    fact = call(hung_up, caller_raw="07400 123456", caller_name="", business_line="+442079460000",
                disposition="", queue_status="TIMEOUT")
    plan = plan_call(fact, UK_SHOP, NO_HISTORY, hung_up)
    assert (plan.caller_number, plan.region, plan.skip_reason) == ("+447400123456", "GB", None)
    assert plan.messages[0].body.startswith("Hi, this is Baker Street Garage.")
    assert "020 7946 0000" in plan.messages[0].body and "Book online" not in plan.messages[0].body
    assert [wall(m.due_at, LDN) for m in plan.messages] == [
        "Sat 2026-03-28 11:00:30 GMT", "Sat 2026-03-28 13:00:30 GMT", "Mon 2026-03-30 09:00:00 BST"]


def test_per_line_override():
    hung_up = utc(2026, 1, 7, 15, 0)
    plan = plan_call(call(hung_up, business_line="(212) 555-0101"), US_SHOP, NO_HISTORY, hung_up)
    assert plan.messages[0].body == "Hi Maria Lopez, Acme Heating here. We'll call you back shortly."
    assert "Acme Heating here again" in plan.messages[1].body     # inherited follow-up, own name
    assert profile_for_line(US_SHOP, "+19175550000") == US_SHOP.profile


@pytest.mark.parametrize("fields, reason, cancel", [
    (dict(disposition="ANSWER"), "answered", "answered"),
    (dict(disposition="ANSWER", direction="out"), "outbound", "called_back"),
    (dict(disposition="NOANSWER", direction="out"), "outbound", None),
    (dict(disposition=""), "no_status", None),
])
def test_answered_and_call_backs_cancel_and_keep_the_number(fields, reason, cancel):
    hung_up = utc(2026, 1, 7, 15, 0)
    plan = plan_call(call(hung_up, **fields), US_SHOP, NO_HISTORY, hung_up)
    assert plan == CallPlan("+12125550123", reason, (), cancel)


@pytest.mark.parametrize("fields, reason", [
    (dict(caller_raw="anonymous", caller_presentation="prohib"), "anonymous"),
    (dict(caller_raw="201"), "internal"),
    (dict(caller_raw="+12125550150"), "own_number"),
    (dict(caller_raw="0015551234567"), "invalid_number"),
    (dict(caller_raw="+447400123456"), "blocked_region"),
    (dict(caller_raw="+19005550123"), "premium"),
    (dict(caller_raw="+18005550123"), "not_mobile"),
])
def test_guard_reasons_flow_through(fields, reason):
    hung_up = utc(2026, 1, 7, 15, 0)
    plan = plan_call(call(hung_up, **fields), US_SHOP, NO_HISTORY, hung_up)
    assert plan.skip_reason == reason and plan.messages == ()


@pytest.mark.parametrize("history, age, reason", [
    (CallerHistory(blocked=True), timedelta(0), "blocked"),
    (CallerHistory(opted_out=True), timedelta(0), "opted_out"),
    (NO_HISTORY, timedelta(hours=2, seconds=1), "stale"),
    (NO_HISTORY, timedelta(hours=2), None),
    (CallerHistory(last_text_back_at=utc(2026, 1, 6, 15, 0, 1)), timedelta(0), "duplicate"),
    (CallerHistory(last_text_back_at=utc(2026, 1, 6, 15, 0, 0)), timedelta(0), None),
    (CallerHistory(texts_last_hour=30), timedelta(0), "rate_limited"),
    (CallerHistory(texts_last_hour=29), timedelta(0), None),
])
def test_history_and_time_checks(history, age, reason):
    hung_up = utc(2026, 1, 7, 15, 0)
    plan = plan_call(call(hung_up), US_SHOP, history, hung_up + age)
    assert plan.skip_reason == reason
    assert bool(plan.messages) is (reason is None)
    assert plan.caller_number == "+12125550123"


def test_rate_limit_holds_and_alerts():
    hung_up = utc(2026, 1, 7, 15, 0)
    history = CallerHistory(texts_last_hour=31)
    plan = plan_call(call(hung_up), US_SHOP, history, hung_up)
    assert plan.skip_reason == "rate_limited" and plan.skip_reason in RETRYABLE_SKIPS
    alert = cap_alert(plan, history, US_SHOP)
    assert "31 texts in the last hour (cap 30)" in alert and "+12125550123" in alert
    assert cap_alert(plan_call(call(hung_up), US_SHOP, NO_HISTORY, hung_up), NO_HISTORY, US_SHOP) is None
    no_cap = replace(US_SHOP, hourly_cap=None)
    assert plan_call(call(hung_up), no_cap, CallerHistory(texts_last_hour=10_000), hung_up).skip_reason is None


def test_late_worker_sends_first_text_now():
    hung_up = utc(2026, 1, 7, 15, 0)
    now = hung_up + timedelta(minutes=45)
    plan = plan_call(call(hung_up), US_SHOP, NO_HISTORY, now)
    assert plan.messages[0].due_at == now
    assert plan.messages[1].due_at == now + timedelta(hours=2)


def test_max_messages_one_means_no_follow_ups():
    hung_up = utc(2026, 1, 7, 15, 0)
    plan = plan_call(call(hung_up), replace(US_SHOP, max_messages=1), NO_HISTORY, hung_up)
    assert [m.kind for m in plan.messages] == ["text_back"]


def test_template_that_renders_to_nothing_skips_rather_than_sending_blank():
    hung_up = utc(2026, 1, 7, 15, 0)
    settings = replace(US_SHOP, profile=replace(US_SHOP.profile, open_template="{booking_link}", booking_link=""))
    assert plan_call(call(hung_up), settings, NO_HISTORY, hung_up).skip_reason == "empty_template"


def test_fictional_uk_numbers_for_demos():
    hung_up = utc(2026, 1, 7, 12, 0)
    fact = call(hung_up, caller_raw="+447700900123", business_line="+442079460000")
    assert plan_call(fact, UK_SHOP, NO_HISTORY, hung_up).skip_reason == "invalid_number"
    demo = replace(UK_SHOP, guard=replace(UK_SHOP.guard, allow_fictional=True))
    assert plan_call(fact, demo, NO_HISTORY, hung_up).caller_number == "+447700900123"
    assert caller_number(fact, demo) == "+447700900123"


@pytest.mark.parametrize("raw, e164", [("2125550123", "+12125550123"), ("anonymous", None),
                                       ("+18005550123", "+18005550123"), ("201", None)])
def test_caller_number_for_history_lookup(raw, e164):
    assert caller_number(call(utc(2026, 1, 7, 15, 0), caller_raw=raw), US_SHOP) == e164


def test_settings_problems():
    assert settings_problems(US_SHOP) == []
    bad = replace(US_SHOP, guard=replace(US_SHOP.guard, own_numbers=("12",)),
                  profile=replace(PROFILE, open_template="Hi {name}, call us."),
                  lines=(LineProfile(did="+12125550101", closed_template="We are shut."),))
    problems = "\n".join(settings_problems(bad))
    assert "own number '12'" in problems
    assert "default open_template: unknown placeholder {name}" in problems
    assert "default open_template: does not name the business" in problems
    assert "line +12125550101 closed_template: does not name the business" in problems
    assert "default: no business name set" in problems
