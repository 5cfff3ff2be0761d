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
# Per text: the claim (BEGIN IMMEDIATE, the SELECT that joins what the send needs, the
# lease UPDATE, COMMIT) and the sent record (BEGIN IMMEDIATE, UPDATE, the part's INSERT,
# the event's INSERT, COMMIT). Per burst: the due-time read before the first claim, and
# the claim that finds nothing (BEGIN, SELECT, COMMIT).
PER_TEXT = 9
PER_BURST = 4
NUMBERS = [f"+1212555{n:04d}" for n in range(101, 101 + TEXTS)]


@pytest.fixture
def rig(tmp_path):
    sim = ModemSimulator().start()
    config = load_config(str(write_config(tmp_path, port=sim.device,
                                          extra="\n[followups]\nenabled = false\n")))
    store = Store.open(config.store.url)
    settings = worker_settings(config, poll_interval=0.01, lease_seconds=30.0, health_interval=3600.0,
                               reconnect_delays=(0.05,), sweep_interval=timedelta(hours=1),
                               modem_options={"command_timeout": 2.0, "send_timeout": 5.0})
    worker = Worker(store, settings, lambda **cb: Modem.open(sim.device, **settings.modem_options, **cb))
    modem = worker._modem_ready()
    assert modem is not None, "the simulator's modem did not open"
    yield worker, store, sim, modem
    worker._close_modem()
    store.close()
    sim.stop()


def _label(sql: str) -> str:
    """A statement's verb and first table, its values left out: the failure names what was added."""
    verb = sql.split(None, 1)[0].upper() if sql.strip() else sql
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)', sql)
    return f"{verb} {table.group(1)}" if table and verb in ("SELECT", "INSERT", "UPDATE", "DELETE") else sql[:20]


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


def test_a_staff_reply_costs_nine_statements(rig):
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
