"""too_short (store/rules/plan.py) and the hook's ring= argument (agi/environment.py), pure."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from agi.environment import build_call_fact
from store.facts import CallFact
from store.rules.plan import CallerHistory, plan_call
from textback.config import parse_config
from textback.worker_settings import rules_settings

NOW = datetime(2026, 1, 7, 15, 0, tzinfo=timezone.utc)
SETTINGS = rules_settings(parse_config('[business]\nname = "Acme Plumbing"\ncountry = "US"\n'))


def plan(status: str, ring: int | None, settings=SETTINGS):
    fact = CallFact("1.1", caller_raw="+12125550123", disposition=status, happened_at=NOW, ring_seconds=ring)
    return plan_call(fact, settings, CallerHistory(), NOW)


def test_a_cancel_shorter_than_min_ring_is_too_short():
    assert SETTINGS.min_ring == 3
    assert plan("CANCEL", 1).skip_reason == "too_short"
    assert plan("CANCEL", 2).skip_reason == "too_short"
    assert plan("CANCEL", 3).skip_reason is None and plan("CANCEL", 3).messages


def test_only_a_cancel_with_a_ring_time_can_be_too_short_and_0_turns_it_off():
    assert plan("CANCEL", None).messages                    # no ring= from the dialplan
    assert plan("BUSY", 0).messages and plan("NOANSWER", 1).messages
    assert plan("CANCEL", 1, replace(SETTINGS, min_ring=0)).messages
    assert rules_settings(parse_config('[textback]\nmin_ring = "0s"\n')).min_ring == 0


def test_the_hook_reads_ring_from_the_dialplan_and_notes_what_it_cannot_read():
    env = {"agi_uniqueid": "1.1", "agi_callerid": "+12125550123"}
    fact, _ = build_call_fact(env, ["CANCEL", "ring=7"], {}, now=NOW)
    assert fact.ring_seconds == 7
    fact, _ = build_call_fact(env, ["CANCEL", "ring="], {}, now=NOW)       # ${DIALEDTIME} unset
    assert fact.ring_seconds is None and fact.note == ""
    fact, _ = build_call_fact(env, ["CANCEL", "ring=abc"], {}, now=NOW)
    assert fact.ring_seconds is None and "unreadable ring time 'abc' ignored" in fact.note


def test_without_a_ring_argument_the_hook_takes_the_channel_age_from_the_uniqueid():
    at = int(NOW.timestamp())
    env = {"agi_uniqueid": f"{at - 2}.45", "agi_callerid": "+12125550123"}
    assert build_call_fact(env, ["CANCEL", "ring="], {}, now=NOW)[0].ring_seconds == 2
    assert build_call_fact(env, ["CANCEL", "ring=9"], {}, now=NOW)[0].ring_seconds == 9      # DIALEDTIME wins
    named = {**env, "agi_uniqueid": f"pbx-east-{at - 4}.45"}                                  # systemname
    assert build_call_fact(named, ["CANCEL"], {}, now=NOW)[0].ring_seconds == 4
    for odd in (f"{at + 60}.1", f"{at - 200000}.1", "1.1", "abc", f"x{at}.1"):                # no guess
        assert build_call_fact({**env, "agi_uniqueid": odd}, ["CANCEL"], {}, now=NOW)[0].ring_seconds is None
    assert build_call_fact({"agi_callerid": "+12125550123"}, ["CANCEL"], {}, now=NOW)[0].ring_seconds is None
