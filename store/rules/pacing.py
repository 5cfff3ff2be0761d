"""Carrier-safe sending: send like a person, not like a bulk sender (pure rules, no I/O).

A consumer SIM has no A2P registration. Users of Android and modem SMS gateways report
"unlimited" plans with hidden caps of 99-500 texts a day and 99-250 distinct recipients
a month (capcom6/android-sms-gateway #148, #270), and SIMs blocked for sending fast.
So, per SIM (one worker drives one SIM; with several modems each SIM counts only the
texts that left from it, `message.modem`):
- a minimum gap between texts, with jitter, before each text-back or follow-up;
- a cap on the texts of the local day, and on the distinct numbers texted in 30 days.
At the warning share (80%) an alert is raised; at a cap the text-backs and follow-ups
are held (they stay scheduled, an alert says how many wait), while staff replies,
keyword replies (a STOP confirmation), forwards to staff and alerts always go: they are
what a person sends, and the law wants the opt-out confirmed. Every text the SIM sends
counts toward the caps, whatever its kind.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# What a cap or the gap holds: the texts the shop did not write by hand.
PACED_KINDS = ("text_back", "follow_up")
RECIPIENT_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class CarrierLimits:
    min_gap: timedelta = timedelta(seconds=5)
    gap_jitter: timedelta = timedelta(seconds=5)   # up to this much more, at random
    daily_cap: int | None = 90                     # below the lowest hidden cap reported (99)
    recipients_cap: int | None = 200               # distinct numbers per 30 days; None: no cap
    warn_share: float = 0.8


NO_LIMITS = CarrierLimits(min_gap=timedelta(0), gap_jitter=timedelta(0), daily_cap=None, recipients_cap=None)


@dataclass(frozen=True)
class Usage:
    """What the SIM sent: texts since the local day began, distinct numbers in 30 days."""

    sent_today: int = 0
    recipients: int = 0


@dataclass(frozen=True)
class Hold:
    """Which due texts wait. `kinds` wait, except (when `known_since` is set) those to a
    number already texted since then: a follow-up to a caller texted yesterday adds no
    recipient, so the recipient cap does not hold it."""

    kinds: tuple[str, ...]
    why: str                              # "gap" | "daily_cap" | "recipients_cap"
    known_since: datetime | None = None
    # Whose SIM is held: the [[modem]] name (its own texts wait, and "known" means texted
    # from it); None with the one [modem], whose SIM sends everything.
    modem: str | None = None


def day_start(now: datetime, tz: str) -> datetime:
    """Midnight of `now`'s local day in the shop's time zone, in UTC."""
    local = now.astimezone(ZoneInfo(tz))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def next_gap(limits: CarrierLimits, draw: float) -> timedelta:
    """The gap before the next paced text: the minimum plus the share `draw` (a random
    number in [0, 1) the worker draws) of the jitter."""
    return limits.min_gap + limits.gap_jitter * min(max(draw, 0.0), 1.0)


def hold_for(limits: CarrierLimits, usage: Usage, now: datetime, paced_from: datetime | None,
             modem: str | None = None) -> Hold | None:
    """What waits now; None when everything due may go. `paced_from`: when the gap since
    the last text ends (None: no text yet). `modem`: whose SIM `usage` counts."""
    if limits.daily_cap is not None and usage.sent_today >= limits.daily_cap:
        return Hold(PACED_KINDS, "daily_cap", modem=modem)
    if paced_from is not None and now < paced_from:
        return Hold(PACED_KINDS, "gap", modem=modem)
    if limits.recipients_cap is not None and usage.recipients >= limits.recipients_cap:
        return Hold(PACED_KINDS, "recipients_cap", known_since=now - RECIPIENT_WINDOW, modem=modem)
    return None


def cap_alert(limits: CarrierLimits, usage: Usage, held: int, modem: str | None = None) -> str | None:
    """The alert sentence at the warning share or at a cap, or None below both. Short: it is
    texted to the staff phones, and each part counts against the same caps. With several
    modems it names the one whose SIM is near its caps (`modem`)."""
    parts, reached = [], False
    for used, cap, what in ((usage.sent_today, limits.daily_cap, "texts today"),
                            (usage.recipients, limits.recipients_cap, "numbers in 30 days")):
        if cap is None or used < cap * limits.warn_share:
            continue
        reached = reached or used >= cap
        parts.append(f"{used}/{cap} {what}")
    if not parts:
        return None
    text = (f"carrier limits of modem {modem}: " if modem else "carrier limits: ") + ", ".join(parts)
    if reached:
        return f"{text}, cap reached: {held} text-back(s) held; STOP replies and staff texts still go"
    return f"{text}, over {limits.warn_share:.0%} of the cap: at the cap text-backs wait"
