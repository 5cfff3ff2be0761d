"""The planner with several modems, on a real store: each call's texts tied to the modem of
the line the caller dialled (in whatever form the PBX wrote it), the catch-all for the rest,
and a call for a line none of this box's modems serves left for the box whose modems do --
said once, when no worker anywhere has planned it for a while."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from modem.worker.planning import UNSERVED_AFTER, Planner
from store.facts import CallFact
from textback.config import parse_config
from textback.worker_settings import rules_settings

NOW = datetime(2026, 1, 7, 15, 0, tzinfo=timezone.utc)      # a Wednesday, 10:00 in New York
SETTINGS = rules_settings(parse_config('[business]\nname = "Acme Plumbing"\ncountry = "US"\n'))
FRONT, SERVICE, ELSEWHERE = "+12125550100", "+12125550111", "+12125550188"
TWO = (("front", (FRONT,)), ("service", (SERVICE,)))


def _call(store, uniqueid: str, caller: str, line: str) -> int:
    return store.record_call(CallFact(uniqueid, caller_raw=caller, disposition="NOANSWER", business_line=line,
                                      happened_at=NOW))


def test_each_calls_texts_leave_from_the_modem_of_the_line_dialled(store):
    _call(store, "m.1", "+12125550123", FRONT)
    _call(store, "m.2", "+12125550124", "2125550111")          # the PBX gave the DID without +1
    _call(store, "m.3", "+12125550125", ELSEWHERE)
    with_catch_all = (("front", (FRONT,)), ("spare", ()))
    assert Planner(store, SETTINGS, TWO).plan_new_calls(NOW) == 2
    assert {m.modem for m in store.thread("+12125550123")} == {"front"}
    assert {m.modem for m in store.thread("+12125550124")} == {"service"}
    assert store.call(3).state == "new"                        # another box's line
    assert Planner(store, SETTINGS, with_catch_all).plan_new_calls(NOW) == 1
    assert {m.modem for m in store.thread("+12125550125")} == {"spare"}


def test_the_one_modem_plans_every_call_for_any_modem(store):
    _call(store, "o.1", "+12125550123", ELSEWHERE)
    _call(store, "o.2", "+12125550124", "")
    assert Planner(store, SETTINGS).plan_new_calls(NOW) == 2
    assert {m.modem for n in ("+12125550123", "+12125550124") for m in store.thread(n)} == {None}


def test_a_call_no_worker_serves_is_said_once_after_a_while_and_not_read_again(store, caplog):
    call_id = _call(store, "u.1", "+12125550123", ELSEWHERE)
    planner = Planner(store, SETTINGS, TWO)
    with caplog.at_level(logging.WARNING, logger="modem.worker.planning"):
        assert planner.plan_new_calls(NOW + timedelta(minutes=1)) == 0
        assert caplog.records == []                          # its own box may plan it any moment
        for _ in range(3):
            assert planner.plan_new_calls(NOW + UNSERVED_AFTER) == 0
    [said] = [r.getMessage() for r in caplog.records]
    assert said == (f"call {call_id} to line {ELSEWHERE} has waited 10 min unplanned: no [[modem]] here texts "
                    "for that line, and no other worker on this store has planned it; add the line to a modem's "
                    "lines (or leave one modem's lines out: it texts for every other line)")
    assert store.call(call_id).state == "new"


def test_two_shops_on_one_store_each_text_a_caller_who_rang_both(store):
    # Shop A's box and shop B's box share the store: the duplicate window and the hourly cap
    # count each box's own texts, so a caller who rang both shops hears from both...
    from dataclasses import replace

    shop_a, shop_b = (("a", (FRONT,)),), (("b", (ELSEWHERE,)),)
    capped = replace(SETTINGS, hourly_cap=1)
    _call(store, "s.1", "+12125550123", FRONT)
    assert Planner(store, capped, shop_a).plan_new_calls(NOW) == 1
    _call(store, "s.2", "+12125550123", ELSEWHERE)
    _call(store, "s.3", "+12125550124", ELSEWHERE)
    assert Planner(store, capped, shop_b).plan_new_calls(NOW + timedelta(minutes=5)) == 1
    assert [(c.state, c.skip_reason) for c in map(store.call, (1, 2))] == [("planned", None), ("planned", None)]
    assert store.call(3).state == "new"                       # shop B's own cap of 1 holds its second caller
    assert sorted(m.modem for m in store.thread("+12125550123") if m.kind == "text_back") == ["a", "b"]
    # ...while one shop's two lines are one shop: ringing its second line is a duplicate.
    _call(store, "s.4", "+12125550125", FRONT)
    _call(store, "s.5", "+12125550125", SERVICE)
    assert Planner(store, SETTINGS, TWO).plan_new_calls(NOW + timedelta(minutes=10)) == 2
    assert [(c.state, c.skip_reason) for c in map(store.call, (4, 5))] == [("planned", None),
                                                                            ("skipped", "duplicate")]


def test_the_worker_that_loses_the_race_to_plan_a_call_says_so_once(store, caplog):
    # Two workers of one shop read the same new call; the first plans it. The second's plan
    # is not applied, and its log says so instead of "planned 3 text(s)" a second time.
    _call(store, "r.1", "+12125550123", FRONT)
    [seen_by_both] = store.new_calls(10, exclude=set())
    assert Planner(store, SETTINGS, TWO).plan_new_calls(NOW) == 1
    late = Planner(store, SETTINGS, TWO)
    caplog.clear()      # the first worker's own line, when an earlier test left the root logger at INFO
    with caplog.at_level(logging.INFO):
        state = late._plan(seen_by_both, 0, NOW, "front")
    assert state == "already planned"
    said = [r.getMessage() for r in caplog.records if r.name.startswith(("modem.", "store."))]
    assert said == [f"call {seen_by_both.id} from +12125550123: planned by another worker"]
    assert len([m for m in store.thread("+12125550123") if m.kind == "text_back"]) == 1
