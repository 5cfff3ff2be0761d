"""The planner on a real store: one broken call never holds up the others."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timezone

from modem.worker.planning import Planner
from store.facts import CallFact
from store.rules.plan import LineProfile
from textback.config import parse_config
from textback.worker_settings import rules_settings

NOW = datetime(2026, 1, 7, 15, 0, tzinfo=timezone.utc)      # a Wednesday, 10:00 in New York
SETTINGS = rules_settings(parse_config('[business]\nname = "Acme Plumbing"\ncountry = "US"\n'))


def test_a_call_that_cannot_be_planned_does_not_stop_the_others(store, caplog):
    # A template the rules cannot fill (config refuses one; settings built in code can
    # still hold one) makes planning raise for calls to that line only.
    broken = replace(SETTINGS, lines=(LineProfile(did="+12125550199", open_template="Ask for {agent}"),))
    store.record_call(CallFact("1.1", caller_raw="+12125550123", disposition="NOANSWER",
                               business_line="+12125550199", happened_at=NOW))
    store.record_call(CallFact("1.2", caller_raw="+12125550145", disposition="NOANSWER", happened_at=NOW))
    planner = Planner(store, broken)
    with caplog.at_level(logging.ERROR):
        assert planner.plan_new_calls(NOW) == 1
        assert planner.plan_new_calls(NOW) == 0            # not retried on every pass...
    assert caplog.text.count("could not be planned") == 1   # ...nor logged on every pass
    states = {c.fact.uniqueid: c.state for c in map(store.call, (1, 2))}
    assert states == {"1.1": "new", "1.2": "planned"}
    assert store.thread("+12125550145")[0].kind == "text_back"


def test_calls_held_by_the_cap_are_not_read_again_while_it_holds(store):
    capped = replace(SETTINGS, hourly_cap=1)
    store.record_call(CallFact("2.1", caller_raw="+12125550123", disposition="NOANSWER", happened_at=NOW))
    store.record_call(CallFact("2.2", caller_raw="+12125550145", disposition="NOANSWER", happened_at=NOW))
    planner = Planner(store, capped)
    assert planner.plan_new_calls(NOW) == 1                # the first takes the hour's only text
    assert store.call(2).state == "new"
    assert [c.id for c in store.new_calls(exclude={2})] == []
    assert [c.id for c in store.new_calls()] == [2]


def test_an_unreadable_spool_is_reported_once_and_costs_nothing_else(store, caplog):
    # The tests run as root, whom file modes do not stop; a name too long for the file
    # system is another real OSError that listing the spool can meet.
    planner = Planner(store, SETTINGS)
    spool = "/tmp/" + "s" * 5000
    with caplog.at_level(logging.ERROR):
        assert planner.import_spooled(spool) == 0
        assert planner.import_spooled(spool) == 0
    assert caplog.text.count("cannot read the spool") == 1
