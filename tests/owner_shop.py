"""A seeded shop for the owner's stats and report: two days of November 2026, numbers and
times fixed, so the expected figures and bar counts can be written down.

Day 1 (Mon 2 Nov, New York): A missed, texted after 5 s, replied 10 min later, answered
4 min after that; B busy, texted after 3 s, called again an hour later and got through;
C anonymous (skipped). Day 2: D texted after 12 s, replied, nobody answered; E premium,
no line (skipped); F texted after 8 s, staff called back and got through; G foreign
(skipped blocked_region).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cli_helpers import _call

from store.facts import CallPlan, PlannedMessage

A, B, D, F = "+12125550131", "+12125550132", "+12125550134", "+12125550136"
G = "+447700900123"
LINE1, LINE2 = "+12125550100", "+12125550199"
DAY1 = datetime(2026, 11, 2, 15, 0, tzinfo=timezone.utc)      # 10:00 in New York
DAY2 = datetime(2026, 11, 3, 15, 0, tzinfo=timezone.utc)
DAYS, LINES, SKIP_REASONS = 2, 3, 3


def _texted(store, uid: str, number: str, at: datetime, line: str, delay: float, status: str = "NOANSWER") -> None:
    call = _call(store, uid, number, "", at, line=line, status=status)
    store.plan_call(call, CallPlan(number, region="US", messages=(
        PlannedMessage("text_back", "Hi, this is Café Zoë. Sorry we missed your call!", at),)), now=at)
    claimed = store.claim_due("seed", 60, now=at + timedelta(seconds=delay))
    store.mark_sent(claimed.id, claimed.id % 256, "seed", now=at + timedelta(seconds=delay))


def _answered_call(store, uid: str, number: str, at: datetime, direction: str) -> None:
    from store.facts import CallFact
    call = store.record_call(CallFact(uniqueid=uid, caller_raw=number, business_line=LINE1, disposition="ANSWER",
                                      direction=direction, happened_at=at))
    store.plan_call(call, CallPlan(number, region="US"), now=at)


def seed_owner_shop(store) -> None:
    _texted(store, "a1", A, DAY1, LINE1, 5)
    store.record_inbound(A, "Yes please, the boiler again", DAY1 + timedelta(minutes=10), key="ra")
    answer = store.queue_message(A, "staff_reply", "On our way", DAY1 + timedelta(minutes=14), sent_by="alice")
    Message = store.models.Message
    Message.update(created_at=DAY1 + timedelta(minutes=14)).where(Message.id == answer).execute()
    claimed = store.claim_due("seed", 60, now=DAY1 + timedelta(minutes=14))
    assert claimed.id == answer
    store.mark_sent(answer, 99, "seed", now=DAY1 + timedelta(minutes=14, seconds=2))
    _texted(store, "b1", B, DAY1 + timedelta(minutes=30), LINE1, 3, status="BUSY")
    _answered_call(store, "b2", B, DAY1 + timedelta(minutes=90), "in")
    c = _call(store, "c1", "anonymous", "", DAY1 + timedelta(hours=2), line=LINE1)
    store.plan_call(c, CallPlan(None, skip_reason="anonymous"), now=DAY1)

    _texted(store, "d1", D, DAY2, LINE2, 12)
    store.record_inbound(D, "Do you do Saturdays?", DAY2 + timedelta(minutes=5), key="rd")
    e = _call(store, "e1", "+19005550123", "", DAY2 + timedelta(minutes=10), line="")
    store.plan_call(e, CallPlan(None, skip_reason="premium"), now=DAY2)
    _texted(store, "f1", F, DAY2 + timedelta(minutes=20), LINE2, 8)
    _answered_call(store, "f2", F, DAY2 + timedelta(minutes=40), "out")
    g = _call(store, "g1", G, "", DAY2 + timedelta(minutes=50), line=LINE2)
    store.plan_call(g, CallPlan(G, skip_reason="blocked_region", region="GB"), now=DAY2)
