"""The worker's sweep of the modem's memories under hostile SIMs (issue 11, cases 5 and
11): a memory that will not list, a receive memory full of drafts and unreadable PDUs,
texts found on a SIM long after they were sent. Simulator on a pty, store on a real
file, the worker in a thread."""
from __future__ import annotations

import logging

import pytest
from sim_helpers import wait_until
from test_worker_support import STAFF, US, US2, Rig


@pytest.fixture
def rig(tmp_path):
    made = Rig(tmp_path)
    yield made
    made.stop()


def _inbound(rig, number: str) -> list[dict]:
    return [m for m in rig.store.thread(number) if m.direction == "in"]


def test_a_memory_answering_321_neither_stops_the_pass_nor_hides_the_others(rig, caplog):
    # phonesim: +CMS ERROR: 321 to AT+CMGL on an empty SM. Today's main: the pass failed
    # with a traceback at every sweep and the text in ME was never read.
    caplog.set_level(logging.INFO)
    rig.sim.refuse_empty_listing("+CMS ERROR: 321", memories=["SM"])
    rig.sim.inject_sms(US, "Is Tuesday still OK?", storage="ME", announce="never")
    rig.start()
    wait_until(lambda: _inbound(rig, US), timeout=10, what="the text in ME stored")
    assert _inbound(rig, US)[0].body == "Is Tuesday still OK?"
    wait_until(lambda: not rig.sim.stored("ME"), what="deleted after commit")
    assert not [r for r in caplog.records if r.exc_info]
    assert "worker pass failed" not in caplog.text


def test_a_receive_memory_full_of_drafts_and_junk_is_cleared_and_the_reply_comes_in(rig, caplog):
    # Today's main: drafts and unreadable PDUs stayed for ever, the memory stayed full and
    # the reply waited at the network.
    caplog.set_level(logging.INFO)
    sim = rig.sim
    sim.store_message("draft", "ME", 40)
    sim.store_message("sent", "ME", 40)
    sim.store_message("unreadable", "ME", None)
    assert len(sim.stored("ME")) == 100
    assert sim.inject_sms(US, "Can you come today?", storage="ME") == []     # waits at the network
    rig.start()
    wait_until(lambda: _inbound(rig, US), timeout=15, what="the waiting reply stored")
    assert _inbound(rig, US)[0].body == "Can you come today?"
    wait_until(lambda: not sim.stored("ME"), timeout=10, what="the memory emptied")
    assert rig.store.rejected_sms_counts() == {"draft": 40, "sent_copy": 40, "unreadable": 20}
    records = {id(r): r for r in caplog.records}.values()     # each once (see test_device)
    cleared = [r.getMessage() for r in records if r.getMessage().startswith("cleared off the modem")]
    assert cleared == ["cleared off the modem, not texts to file (recorded in the store, rejected_sms): "
                       "ME: 40 draft(s), 40 copy(ies) of sent texts, 20 unreadable message(s)"]


def test_the_receive_memory_in_the_heartbeat_is_the_one_new_texts_go_to(rig):
    # ME full, SM empty: today's main showed SM 0/30 and raised nothing. Deleting fails
    # here, so the memory stays full while the heartbeat is read.
    rig.sim.store_message("draft", "ME", None)
    rig.sim.fail_next(10_000, "+CMS ERROR: 320", command="+CMGD")
    rig.start()
    rig.worker._next_health = 0.0
    beat = wait_until(lambda: getattr(rig.store.worker_status(), "sim_total", None) and rig.store.worker_status(),
                      timeout=10, what="a heartbeat with the receive memory")
    assert (beat.receive_memory, beat.sim_used, beat.sim_total) == ("ME", 100, 100)
    wait_until(lambda: any("receive memory ME is 100/100" in a for a in rig.store.worker_status().alerts),
               timeout=10, what="the receive-memory alert")


def test_a_month_old_text_found_on_the_sim_is_filed_late_and_not_acted_on(rig):
    from datetime import timedelta

    month_ago = rig.clock() - timedelta(days=30)
    rig.sim.inject_sms(US, "Yes please call me back", storage="SM", timestamp=month_ago, announce="never")
    rig.sim.inject_sms(US2, "STOP", storage="SM", timestamp=month_ago, announce="never")
    rig.start()
    wait_until(lambda: _inbound(rig, US) and _inbound(rig, US2), timeout=10, what="both stored")
    [old] = _inbound(rig, US)
    assert (old.status, old.read_at is not None) == ("late", True)
    assert rig.store.inbox() == []                                   # not a fresh reply
    assert rig.store.is_opted_out(US2)                               # a STOP is honoured however late
    wait_until(lambda: rig.sent_to(US2), what="the one opt-out confirmation")
    assert rig.sent_to(US) == [] and rig.sent_to(STAFF) == []        # nothing forwarded


def test_texts_shaped_as_other_networks_send_them_are_each_filed_once(rig):
    # First octet 0x10, PID 0x01, class-1 DCS, SMSC type 0x81, and concatenation reference
    # 0 on every long text: two long texts from one phone in the same second. Today's main
    # took the second for the first (one key) and deleted it unstored.
    first = "The boiler started knocking last night and the pressure gauge reads below one bar. " * 2
    second = "Also the kitchen radiator is cold at the top; can the engineer look at that too? " * 2
    rig.sim.inject_sms(US, first, storage="SM", announce="never", shape="other-network")
    rig.sim.inject_sms(US, second, storage="SM", announce="never", shape="other-network")
    rig.sim.inject_sms(US2, "Thanks, Tuesday is fine 👍", shape="other-network")
    rig.start()
    wait_until(lambda: len(_inbound(rig, US)) == 2 and _inbound(rig, US2), timeout=10, what="all three filed")
    assert sorted(m.body for m in _inbound(rig, US)) == sorted([first, second])
    assert [m.body for m in _inbound(rig, US2)] == ["Thanks, Tuesday is fine 👍"]
    wait_until(lambda: not rig.sim.stored("SM") and not rig.sim.stored("ME"), what="every copy deleted")
    wait_until(lambda: len(rig.sent_to(STAFF)) == 3, what="three forwards")


def test_crossed_parts_of_two_reference_0_texts_are_joined_right(rig):
    # The SIM holds A1, B2, B1, A2 (reference 0 on both, B sent two minutes after A).
    from datetime import timedelta

    a_at = rig.clock() - timedelta(minutes=5)
    b_at = a_at + timedelta(minutes=2)
    a = "The boiler started knocking last night and the pressure gauge reads below one bar. " * 2
    b = "Also the kitchen radiator is cold at the top; can the engineer look at that too? " * 2
    for text, at, drop in ((a, a_at, (2,)), (b, b_at, (1,)), (b, b_at, (2,)), (a, a_at, (1,))):
        rig.sim.inject_sms(US, text, storage="SM", timestamp=at, announce="never", shape="reference-0",
                           drop_parts=drop)
    rig.start()
    wait_until(lambda: len(_inbound(rig, US)) == 2, timeout=10, what="both texts filed")
    assert sorted(m.body for m in _inbound(rig, US)) == sorted([a, b])
    wait_until(lambda: not rig.sim.stored("SM"), what="every copy deleted")
