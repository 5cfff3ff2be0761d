"""The SQL the worker's send path issues per text, counted, not timed: a regression that
adds a read or a write per text (the 14 statements of issue 12's throughput fall, where
peewee building them took 45% of the worker's CPU) fails here, on any machine.

Real parts: an SQLite store on disk, the simulator on a pty through modem.device.modem,
the worker's own send loop (`_send_due`, the step of a pass that sends); every statement
the store's connection runs is seen through sqlite3's set_trace_callback.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from sim_helpers import wait_until
from test_worker_support import write_config

from modem.device.modem import Modem
from modem.simulator.pty_modem import ModemSimulator
from modem.worker.loop import Worker
from store import Store
from store.facts import CallFact
from store.times import utcnow
from textback.config import load_config
from textback.worker_settings import worker_settings

TEXTS = 12
# Per text: its sent record and the next text's claim, in one transaction (BEGIN IMMEDIATE,
# the sent UPDATE, the part's INSERT, the event's INSERT, the claim's SELECT that joins what
# the send needs, the lease UPDATE, COMMIT). Per burst: the due-time read and the first
# claim (BEGIN IMMEDIATE, SELECT, UPDATE, COMMIT), less the lease the last SELECT finds
# nothing to take.
PER_TEXT = 7
PER_BURST = 4
NUMBERS = [f"+1212555{n:04d}" for n in range(101, 101 + TEXTS)]


def _rig(tmp_path, sending: str = ""):
    sim = ModemSimulator().start()
    path = write_config(tmp_path, port=sim.device, extra="\n[followups]\nenabled = false\n")
    if sending:
        text = path.read_text()
        path.write_text(text[:text.index("[sending]")] + "[sending]\n" + sending + "\n\n" + text[text.index("[modem]"):])
    config = load_config(str(path))
    store = Store.open(config.store.url)
    settings = worker_settings(config, poll_interval=0.01, lease_seconds=30.0, health_interval=3600.0,
                               reconnect_delays=(0.05,), sweep_interval=timedelta(hours=1),
                               modem_options={"command_timeout": 2.0, "send_timeout": 5.0})
    worker = Worker(store, settings, lambda **cb: Modem.open(sim.device, **settings.modem_options, **cb))
    modem = worker._modem_ready()
    assert modem is not None, "the simulator's modem did not open"
    return worker, store, sim, modem


@pytest.fixture
def make_rig(tmp_path):
    made = []

    def make(sending: str = ""):
        made.append(_rig(tmp_path, sending))
        return made[-1]

    yield make
    for worker, store, sim, _ in made:
        worker._close_modem()
        store.close()
        sim.stop()


@pytest.fixture
def rig(make_rig):
    return make_rig()


def _label(sql: str) -> str:
    """A statement's verb and first table, its values left out: the failure names what was added."""
    verb = sql.split(None, 1)[0].upper() if sql.strip() else sql
    if verb == "SELECT" and "COUNT(" in sql:
        verb = "COUNT"
    # The statement's own table, not a subquery's (the claim reads the contact in one).
    tables = [m.group(1) for m in re.finditer(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)', sql)
              if sql[:m.start()].count("(") == sql[:m.start()].count(")")]
    return f"{verb} {tables[0]}" if tables and verb in ("SELECT", "COUNT", "INSERT", "UPDATE", "DELETE") else sql[:20]


def _counted_sends(worker, store, modem) -> tuple[int, Counter]:
    seen: Counter = Counter()
    conn = store.db.connection()
    conn.set_trace_callback(lambda sql: seen.update([_label(sql)]))
    try:
        sent = worker._send_due(modem)
    finally:
        conn.set_trace_callback(None)
    return sent, seen


def _statements(sql_seen: Counter) -> str:
    return ", ".join(f"{name} x{count}" for name, count in sql_seen.most_common())


def test_a_staff_reply_costs_seven_statements_and_one_commit(rig):
    worker, store, sim, modem = rig
    for number in NUMBERS:
        store.queue_message(number, "staff_reply", "Your plumber is on the way.", utcnow() - timedelta(seconds=1))
    sent, seen = _counted_sends(worker, store, modem)
    assert sent == TEXTS and len(sim.sent) == TEXTS
    total = sum(seen.values())
    assert total <= PER_TEXT * TEXTS + PER_BURST, (
        f"{total} statements for {TEXTS} texts ({total / TEXTS:.1f} per text, at most {PER_TEXT}): "
        f"{_statements(seen)}")
    assert all(m.status == "sent" for m in (store.thread(n)[0] for n in NUMBERS))
    # One commit (one fsync of the WAL) per text, and the first claim's.
    assert seen["COMMIT"] <= TEXTS + 1, _statements(seen)


def test_a_text_back_reads_its_call_and_opt_out_in_the_claim(rig):
    """A text-back's expiry needs its call's times, and every text the recipient's opt-out:
    both come with the claim, no look-up of their own; an opted-out number is cancelled."""
    worker, store, sim, modem = rig
    # Opted out before its text was queued (a verb that does not look, as staff's `reply` may
    # race a STOP): the claim reads it, and the text is cancelled, not sent.
    store.opt_out(NUMBERS[0], keyword="STOP")
    for n, number in enumerate(NUMBERS):
        call_id = store.record_call(CallFact(uniqueid=f"stmt.{n}", caller_raw=number, disposition="NOANSWER",
                                             happened_at=utcnow() - timedelta(seconds=30)))
        store.queue_message(number, "text_back", "Sorry we missed your call.", utcnow() - timedelta(seconds=1),
                            call_id=call_id)
    sent, seen = _counted_sends(worker, store, modem)
    assert sent == TEXTS and len(sim.sent) == TEXTS - 1
    assert store.thread(NUMBERS[0])[0].status == "cancelled"
    total = sum(seen.values())
    # The opted-out text costs its claim and its cancel (BEGIN, UPDATE, COMMIT), less than a send.
    assert total <= PER_TEXT * TEXTS + PER_BURST, (
        f"{total} statements for {TEXTS} texts ({total / TEXTS:.1f} per text, at most {PER_TEXT}): "
        f"{_statements(seen)}")


def test_a_burst_of_staff_replies_does_not_count_the_sim_again_per_text_and_the_cap_still_holds(make_rig):
    """The carrier caps as shipped count what the SIM sent (a day's and a month's rows):
    read once, then counted as the staff replies go (the caps never hold those), and read
    again when our own count reaches a cap. The text-backs queued behind them still wait
    at the cap: 6 staff replies, cap 5."""
    worker, store, sim, modem = make_rig('min_gap = "0s"\ngap_jitter = "0s"\ndaily_cap = 5\nrecipients_cap = 0')
    for number in NUMBERS[:6]:
        store.queue_message(number, "staff_reply", "Your plumber is on the way.", utcnow() - timedelta(seconds=2))
    for number in NUMBERS[6:8]:
        store.queue_message(number, "text_back", "Sorry we missed your call.", utcnow() - timedelta(seconds=1))
    sent, seen = _counted_sends(worker, store, modem)
    assert sent == 6 and sorted(p.destination for p in sim.sent) == sorted(NUMBERS[:6])
    assert [store.thread(n)[0].status for n in NUMBERS[6:8]] == ["scheduled", "scheduled"]
    # Read (two counts) before the first claim and when our own count reached the cap,
    # not after each of the six.
    assert seen["COUNT message"] <= 4, _statements(seen)


def test_a_stop_that_comes_in_mid_burst_is_taken_before_the_next_claim(rig):
    """The next text is claimed with the last one's sent record, unless a text came in: a
    STOP from the next customer in the queue is read first, and their text is not sent."""
    worker, store, sim, modem = rig
    first, stopping = NUMBERS[0], NUMBERS[1]
    store.queue_message(first, "staff_reply", "Your plumber is on the way.", utcnow() - timedelta(seconds=2))
    store.queue_message(stopping, "staff_reply", "We can come at 3.", utcnow() - timedelta(seconds=1))
    sim.inject_sms(stopping, "STOP")
    wait_until(worker.receiver.pending, what="the STOP reaching the worker")
    worker._send_due(modem)
    to_stopping = [m.text for m in sim.sent_messages() if m.destination == stopping]
    assert "We can come at 3." not in to_stopping
    assert [(m.kind, m.status) for m in store.thread(stopping) if m.kind == "staff_reply"] == [
        ("staff_reply", "cancelled")]
    assert store.is_opted_out(stopping)
    assert [m.text for m in sim.sent_messages() if m.destination == first] == ["Your plumber is on the way."]
