"""Several modems on one store (store/routing.py): a worker claims only its own modem's texts
and those for any modem; a sent text records the modem it left from; a down modem's texts
wait unless [sending] takeover_after lets another take them; answers leave from the SIM the
customer last wrote to. Run on SQLite and PostgreSQL (tests/conftest.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from store.facts import CallFact
from store.plans import CallPlan, PlannedMessage

T0 = datetime(2026, 3, 4, 15, 30, tzinfo=timezone.utc)
BOB, ANN, STAFF = "+12125550123", "+12125550124", "+12125550199"


def _queue(store, number, modem, due=T0, kind="staff_reply"):
    message_id = store.queue_message(number, kind, f"to {number} via {modem}", due, modem=modem)
    return message_id


def test_a_worker_claims_its_own_modems_texts_and_those_for_any(store):
    front = _queue(store, BOB, "front")
    service = _queue(store, ANN, "service")
    alert = store.queue_message(STAFF, "alert", "modem service is down", T0 + timedelta(seconds=1))
    now = T0 + timedelta(minutes=1)
    assert store.next_due_at(modem="front") == T0
    got = [store.claim_due("w-front", 60, now, modem="front") for _ in range(3)]
    assert [g.id if g else None for g in got] == [front, alert, None]      # never service's
    assert store.next_due_at(modem="front") is None
    assert store.next_due_at(modem="service") == T0
    assert store.claim_due("w-service", 60, now, modem="service").id == service
    # The one [modem] (no name) sends everything, as before there were several.
    other = _queue(store, BOB, "service", due=T0 + timedelta(seconds=2))
    assert store.claim_due("w", 60, now).id == other


def test_a_sent_text_records_the_modem_it_left_from(store):
    any_modem = store.queue_message(STAFF, "alert", "check the modem", T0)
    assert store.message(any_modem).modem is None
    store.claim_due("w-front", 60, T0, modem="front")
    store.mark_sent(any_modem, 7, "w-front", T0, modem="front")
    assert store.message(any_modem).modem == "front"
    # The one [modem]: nothing named, nothing recorded.
    single = store.queue_message(STAFF, "alert", "again", T0)
    store.claim_due("w", 60, T0)
    store.mark_sent(single, 8, "w", T0)
    assert store.message(single).modem is None


def test_parts_sent_tie_a_long_text_to_the_modem_that_sent_them(store):
    text = store.queue_message(STAFF, "alert", "a long alert " * 30, T0)
    store.claim_due("w-front", 60, T0, modem="front")
    store.record_sent_parts(text, [1], first_seq=1, now=T0, modem="front")
    store.retry_later(text, "+CMS ERROR: 500", T0, delay=timedelta(0))
    assert store.message(text).modem == "front"
    assert store.claim_due("w-service", 60, T0 + timedelta(seconds=1), modem="service") is None
    assert store.claim_due("w-front", 60, T0 + timedelta(seconds=1), modem="front").id == text


def test_a_down_modems_texts_wait_unless_takeover_lets_another_take_them(store):
    waiting = _queue(store, ANN, "service")
    later = T0 + timedelta(minutes=9)
    assert store.claim_due("w-front", 60, later, modem="front") is None
    assert store.claim_due("w-front", 60, later, modem="front", takeover_after=timedelta(minutes=10)) is None
    # It wakes the worker when it becomes takeable, not before.
    assert store.next_due_at(modem="front") is None
    assert store.next_due_at(modem="front", takeover_after=timedelta(minutes=10)) == T0 + timedelta(minutes=10)
    mine = _queue(store, BOB, "front", due=T0 + timedelta(minutes=20))
    assert store.next_due_at(modem="front", takeover_after=timedelta(minutes=10)) == T0 + timedelta(minutes=10)
    took = store.claim_due("w-front", 60, T0 + timedelta(minutes=10), modem="front",
                           takeover_after=timedelta(minutes=10))
    assert (took.id, took.modem) == (waiting, "service")
    store.mark_sent(waiting, 9, "w-front", T0 + timedelta(minutes=10), modem="front")
    assert store.message(waiting).modem == "front"          # where it really left from
    assert store.next_due_at(modem="front", takeover_after=timedelta(minutes=10)) == T0 + timedelta(minutes=20)
    assert store.message(mine).modem == "front"


def test_planning_ties_a_calls_texts_to_the_modem_it_names(store):
    call_id = store.record_call(CallFact(uniqueid="1.1", caller_raw=BOB, business_line="+12125550111",
                                         disposition="NOANSWER", happened_at=T0))
    plan = CallPlan(caller_number=BOB, messages=(PlannedMessage("text_back", "Sorry we missed you", T0),
                                                 PlannedMessage("follow_up", "Still need us?", T0, 1)))
    assert store.plan_call(call_id, plan, T0, modem="service") == "planned"
    assert {m.modem for m in store.thread(BOB)} == {"service"}
    # The second worker to plan the same call finds it planned: nothing queued twice.
    assert store.plan_call(call_id, plan, T0, modem="front") == "already planned"
    assert len(store.thread(BOB)) == 2


def test_an_answer_leaves_from_the_sim_the_customer_last_wrote_to(store):
    # Never wrote, never texted: any modem.
    assert store.message(store.queue_message(BOB, "staff_reply", "Hello", T0)).modem is None
    # Texted from front (sent), no reply yet: from front.
    first = _queue(store, BOB, "front", kind="text_back")
    store.claim_due("w-front", 60, T0 + timedelta(minutes=1), modem="front")
    store.mark_sent(first, 3, "w-front", T0, modem="front")
    assert store.message(store.queue_message(BOB, "staff_reply", "Hi", T0)).modem == "front"
    # They wrote to the service SIM last: from service, also the STOP confirmation staff queue.
    store.record_inbound(BOB, "Is Tuesday ok?", T0, key="k1", modem="front")
    store.record_inbound(BOB, "Actually Wednesday", T0, key="k2", modem="service")
    assert store.message(store.queue_message(BOB, "staff_reply", "Wednesday it is", T0)).modem == "service"
    result = store.staff_block(BOB, confirmation="You will get no more texts from us.")
    assert store.message(result.confirmation_id).modem == "service"
    # A forward to staff is not the customer's thread's SIM: it leaves from where it is told.
    forward = store.queue_message(STAFF, "forward", "Bob: Wednesday", T0, contact_number=BOB, modem="front")
    assert store.message(forward).modem == "front"


def test_inbound_texts_and_opt_out_confirmations_name_the_receiving_modem(store):
    from store.records import OptOutEvidence

    message_id, _ = store.record_inbound(ANN, "Yes please", T0, key="a1", modem="service")
    assert store.message(message_id).modem == "service"
    stop_id, result = store.receive_opt_out(ANN, "STOP", T0, "a2", evidence=OptOutEvidence(rule="keyword"),
                                            confirmation="Unsubscribed.", now=T0, modem="front")
    assert store.message(stop_id).modem == "front"
    assert store.message(result.confirmation_id).modem == "front"


def test_two_workers_planning_the_same_calls_at_once_plan_each_once(store, db_url):
    """Two planners (two connections, as two workers on two modems) apply plans for the same
    calls at the same moment: each call gets one set of texts (PostgreSQL locks the call row)."""
    import threading

    from store import Store

    callers = [f"+121255501{i:02d}" for i in range(40, 70)]
    ids = [store.record_call(CallFact(uniqueid=f"both.{i}", caller_raw=n, business_line="+12125550111",
                                      disposition="NOANSWER", happened_at=T0)) for i, n in enumerate(callers)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def planner(modem: str) -> None:
        try:
            with Store.open(store.url) as mine:
                start.wait()
                for call_id, number in zip(ids, callers):
                    plan = CallPlan(caller_number=number, messages=(PlannedMessage("text_back", "Sorry", T0),))
                    mine.plan_call(call_id, plan, T0, modem=modem)
        except BaseException as exc:      # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=planner, args=(m,)) for m in ("front", "service")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert [len(store.thread(n)) for n in callers] == [1] * len(callers)


def test_takeover_never_splits_a_long_text_between_two_sims(store):
    text = _queue(store, ANN, "service")
    store.claim_due("w-service", 60, T0, modem="service")
    store.record_sent_parts(text, [4], first_seq=1, now=T0, modem="service")
    store.retry_later(text, "+CMS ERROR: 500", T0, delay=timedelta(0))
    long_after = T0 + timedelta(hours=1)
    takeover = {"modem": "front", "takeover_after": timedelta(minutes=10)}
    assert store.next_due_at(**takeover) is None
    assert store.claim_due("w-front", 60, long_after, **takeover) is None
    assert store.claim_due("w-service", 60, long_after, modem="service").id == text
