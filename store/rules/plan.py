"""The textback rules: decide, for one recorded call, what texts go and when.

One job: compose the pure rule modules into `plan_call`, which the worker calls
for each new call:

    e164 = caller_number(fact, settings)            # to look the history up
    plan = plan_call(fact, settings, history, now)  # -> store.facts.CallPlan
    alert = cap_alert(plan, history, settings)      # log it when not None

Order of the checks (the first that fails names the skip reason):
 1. statuses (store.rules.dialstatus): answered / outbound cancel or skip; no_status, not_missed
 1b. too_short: the caller gave up (CANCEL) after ringing less than `min_ring` [3 s]:
    usually a misdial; a call the dialplan gave no ring time for is never too short
 2. the caller ID guard (store.rules.guard): anonymous, internal, invalid_number,
    short_code, own_number, blocked_region, premium, shared_cost, not_mobile
 3. the shop's lists: blocked (staff), opted_out, awaiting_staff (a possible opt-out
    that no person has settled yet: the automation waits)
 4. stale: the call is older than `stale_after` when the worker sees it [2 h]
 5. duplicate: a text-back went to this number less than `dedupe_window` before
    this call's hang-up [24 h]
 6. rate_limited: `hourly_cap` texts already went out in the last hour [30]. The
    only retryable reason (RETRYABLE_SKIPS): the worker may plan the call again
    later, and rule 4 ends the wait.
Then the texts: the first after `first_delay` [30 s] with the business-hours or
after-hours template (after-hours also when the dialplan says so), then the
follow-ups (store.rules.schedule), each ending with the opt-out line.

Pure: no database, clock, files or config imports; settings are plain frozen values.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import phonenumbers

from store.facts import CallFact
from store.plans import CallPlan, PlannedMessage
from store.rules.dialstatus import StatusSettings, decide_status
from store.rules.guard import GuardSettings, check_caller, own_number_problems, parse_number, to_e164
from store.rules.schedule import (
    FollowUpStep,
    Hours,
    QuietHours,
    first_text_at,
    follow_up_times,
    inside_window,
    is_open,
    is_stale,
    next_opening,
    opens_at_words,
)
from store.rules.templates import DEFAULT_OPT_OUT_LINE, person_name, render, template_problems, with_opt_out_line

TEXT_BACK = "text_back"
FOLLOW_UP = "follow_up"
BLOCKED, OPTED_OUT, STALE, DUPLICATE, RATE_LIMITED, EMPTY_TEMPLATE = (
    "blocked", "opted_out", "stale", "duplicate", "rate_limited", "empty_template")
AWAITING_STAFF = "awaiting_staff"
TOO_SHORT = "too_short"
RETRYABLE_SKIPS: frozenset[str] = frozenset({RATE_LIMITED})

@dataclass(frozen=True)
class LineProfile:
    """What the texts say for one business line (DID). On an override profile,
    None means "as the default profile"."""

    did: str = ""
    business: str | None = None
    callback_number: str | None = None
    booking_link: str | None = None
    open_template: str | None = None
    closed_template: str | None = None


@dataclass(frozen=True)
class RulesSettings:
    """Every knob of the rules, as plain values. `guard` carries the business's
    country; `hours` its time zone and opening hours."""

    guard: GuardSettings
    hours: Hours
    profile: LineProfile                                  # the texts (textback/config_schema.py has the defaults)
    lines: tuple[LineProfile, ...] = ()                  # per-DID overrides
    statuses: StatusSettings = field(default_factory=StatusSettings)
    quiet: QuietHours = field(default_factory=QuietHours)
    follow_ups: tuple[FollowUpStep, ...] = ()             # each with its text
    max_messages: int = 3                                 # counting the first text
    first_delay: timedelta = timedelta(seconds=30)
    stale_after: timedelta = timedelta(hours=2)
    dedupe_window: timedelta = timedelta(hours=24)
    hourly_cap: int | None = 30                           # None: no cap
    min_ring: int = 3                                     # seconds; 0: no call is too short
    opt_out_line: str = DEFAULT_OPT_OUT_LINE
    after_hours_reasons: frozenset[str] = frozenset({"after-hours"})
    twelve_hour_clock: bool = False


@dataclass(frozen=True)
class CallerHistory:
    """What the store knows that the rules need, looked up by the caller's E.164."""

    last_text_back_at: datetime | None = None   # the last first-text to this number (sent or scheduled)
    texts_last_hour: int = 0                     # texts sent or scheduled in the last hour, all numbers
    opted_out: bool = False
    blocked: bool = False                        # staff blocked this number
    awaiting_staff: bool = False                 # a possible opt-out no person has settled


def caller_number(fact: CallFact, settings: RulesSettings) -> str | None:
    """The caller's E.164 number (no policy applied), for looking up its history."""
    return to_e164(fact.caller_raw, settings.guard.country, settings.guard.allow_fictional)


def plan_call(fact: CallFact, settings: RulesSettings, history: CallerHistory, now: datetime) -> CallPlan:
    """Decide what happens to one recorded call (see the module docstring for the order)."""
    status = decide_status(fact.disposition, fact.queue_status, fact.reason, fact.direction, settings.statuses)
    if not status.text:
        return CallPlan(caller_number(fact, settings), status.skip_reason, cancel_pending=status.cancel_pending)
    if (settings.min_ring and fact.disposition == "CANCEL" and fact.ring_seconds is not None
            and fact.ring_seconds < settings.min_ring):
        return CallPlan(caller_number(fact, settings), TOO_SHORT)
    guard = check_caller(fact.caller_raw, fact.caller_presentation, settings.guard)
    plan = CallPlan(guard.e164, guard.skip_reason, region=guard.region)
    if guard.skip_reason:
        return plan
    for failed, reason in (
            (history.blocked, BLOCKED),
            (history.opted_out, OPTED_OUT),
            (history.awaiting_staff, AWAITING_STAFF),
            (is_stale(fact.happened_at, now, settings.stale_after), STALE),
            (inside_window(history.last_text_back_at, fact.happened_at, settings.dedupe_window), DUPLICATE),
            (settings.hourly_cap is not None and history.texts_last_hour >= settings.hourly_cap, RATE_LIMITED)):
        if failed:
            return replace(plan, skip_reason=reason)
    messages = plan_messages(fact, settings, now)
    if not messages:
        return replace(plan, skip_reason=EMPTY_TEMPLATE)
    return replace(plan, messages=messages)


def plan_messages(fact: CallFact, settings: RulesSettings, now: datetime) -> tuple[PlannedMessage, ...]:
    """The first text and its follow-ups for a call that passed every check;
    empty when the first text's template renders to nothing."""
    profile = profile_for_line(settings, fact.business_line)
    first_at = first_text_at(fact.happened_at, now, settings.first_delay)
    closed = fact.reason.strip().lower() in settings.after_hours_reasons or not is_open(settings.hours, first_at)
    template = profile.closed_template if closed else profile.open_template
    body = render(template or "", _values(fact, settings, profile, first_at))
    if not body:
        return ()
    messages = [PlannedMessage(TEXT_BACK, body, first_at, 0)]
    times = follow_up_times(first_at, settings.follow_ups, settings.max_messages, settings.hours, settings.quiet)
    for step, (rule, due) in enumerate(zip(settings.follow_ups, times), start=1):
        text = render(rule.template, _values(fact, settings, profile, due)) if rule.template.strip() else ""
        if text:
            messages.append(PlannedMessage(FOLLOW_UP, with_opt_out_line(text, settings.opt_out_line), due, step))
    return tuple(messages)


def profile_for_line(settings: RulesSettings, business_line: str) -> LineProfile:
    """The default profile with the overrides of the line the caller dialled, if any."""
    wanted = _line_key(business_line, settings)
    for line in settings.lines:
        if wanted and _line_key(line.did, settings) == wanted:
            overrides = {k: v for k, v in vars(line).items() if v is not None and k != "did"}
            return replace(settings.profile, did=line.did, **overrides)
    return settings.profile


def cap_alert(plan: CallPlan, history: CallerHistory, settings: RulesSettings) -> str | None:
    """The alert text for the worker to log when the hourly cap held a call."""
    if plan.skip_reason != RATE_LIMITED:
        return None
    return (f"hourly text cap reached: {history.texts_last_hour} texts in the last hour "
            f"(cap {settings.hourly_cap}); holding the missed call from {plan.caller_number}. "
            f"If this is real traffic, raise the cap; if not, check the PBX for a call flood "
            f"or forged caller IDs.")


def settings_problems(settings: RulesSettings) -> list[str]:
    """Config-check messages: bad templates, own numbers that do not parse, and a
    first message that does not name the business."""
    problems = own_number_problems(settings.guard)
    for profile in (settings.profile, *settings.lines):
        merged = profile_for_line(settings, profile.did) if profile.did else profile
        where = f"line {profile.did}" if profile.did else "default"
        for name in ("open_template", "closed_template"):
            template = getattr(merged, name) or ""
            problems += template_problems(template, f"{where} {name}")
            named = "{business}" in template or bool(merged.business and merged.business in template)
            if template and not named:
                problems.append(f"{where} {name}: does not name the business; add {{business}} so the "
                                f"caller knows who is texting")
        if not merged.business:
            problems.append(f"{where}: no business name set; the texts would not say who is writing")
    for i, step in enumerate(settings.follow_ups, start=1):
        problems += template_problems(step.template, f"follow-up {i}")
    return problems


def _values(fact: CallFact, settings: RulesSettings, profile: LineProfile, at: datetime) -> dict[str, str]:
    """Placeholder values for a message due `at` (opens_at is said from that moment)."""
    opening = next_opening(settings.hours, at)
    return {
        "business": profile.business or "",
        "caller_name": person_name(fact.caller_name),
        "callback_number": profile.callback_number or _national(fact.business_line, settings),
        "booking_link": profile.booking_link or "",
        "opens_at": opens_at_words(opening, at, settings.hours.tz, settings.twelve_hour_clock) if opening else "",
    }


def _national(business_line: str, settings: RulesSettings) -> str:
    """The dialled line in national format, as the callback number of last resort."""
    number = parse_number(business_line, settings.guard.country, settings.guard.allow_fictional)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL) if number else ""


def _line_key(did: str, settings: RulesSettings) -> str:
    return to_e164(did, settings.guard.country, settings.guard.allow_fictional) or (did or "").strip()
