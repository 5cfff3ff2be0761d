"""The worker survives the modem library's faults and the modem's own moods, end to end
against the simulator, and loses no message: a swallowed +CMTI, a non-UTF-8 byte, an
unplug (also mid-send, and back under the same udev name on another pty), modem errors
with backoff then `failed` in the modem's words, one bad recipient not blocking others,
multipart replies out of order, emoji both ways."""
from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from sim_helpers import wait_until
from test_worker_support import STAFF, US, US2, Rig


@pytest.fixture
def rig(tmp_path):
    made = Rig(tmp_path, link=True)
    yield made.start()
    made.stop()


def _ready(rig):
    wait_until(lambda: rig.worker.modem is not None, what="modem open")


@pytest.mark.parametrize("announce", ["during_next_command", "never"])
def test_reply_whose_notice_was_swallowed_is_found_by_the_sweep(rig, announce):
    _ready(rig)
    rig.sim.inject_sms(US, "Is the plumber coming today?", announce=announce)
    wait_until(lambda: rig.messages(number=US, direction="in"), timeout=5, what="swept reply stored")
    wait_until(lambda: rig.sent_to(STAFF), what="forwarded")
    wait_until(lambda: not rig.sim.stored("SM"), what="SIM copy deleted after the store commit")
    assert len(rig.messages(number=US, direction="in")) == 1


def test_non_utf8_byte_does_not_stop_the_worker(rig):
    _ready(rig)
    rig.sim.emit_garbage(b"\xff\xfe\x80garbage\r\n")
    time.sleep(0.2)
    rig.call(US, "1700000100.1")
    wait_until(lambda: rig.sent_to(US), what="text sent after the bad byte")
    rig.sim.inject_sms(US, "Thanks!")
    wait_until(lambda: rig.messages(number=US, direction="in"), what="reply stored after the bad byte")


def test_unplug_and_replug_under_the_same_name_sends_everything_once(rig):
    _ready(rig)
    rig.sim.unplug()
    for i in range(3):
        rig.call(f"+1212555013{i}", f"1700000200.{i}")
    time.sleep(0.5)
    assert not rig.sim.sent, "nothing can be sent while unplugged"
    rig.sim.replug()              # a new pty; the link (the udev name) now points at it
    wait_until(lambda: len(rig.sim.sent_messages()) == 3, what="all three sent after the replug")
    time.sleep(0.3)
    counts = Counter(m.destination for m in rig.sim.sent_messages())
    assert all(n == 1 for n in counts.values()), counts


def test_unplug_during_a_run_of_sends_loses_nothing(rig):
    _ready(rig)
    rig.sim.set_latency("+CMGS", 0.05)
    numbers = [f"+121255501{i:02d}" for i in range(30, 50)]
    for i, number in enumerate(numbers):
        rig.store.queue_message(number, "staff_reply", f"message {i}", rig.clock())
    wait_until(lambda: len(rig.sim.sent) >= 5, what="sending under way")
    rig.sim.unplug()
    time.sleep(0.3)
    rig.sim.replug()
    wait_until(lambda: {m.destination for m in rig.sim.sent_messages()} >= set(numbers), timeout=10,
               what="every message sent after the replug")
    counts = Counter(m.destination for m in rig.sim.sent_messages())
    duplicates = sum(n - 1 for n in counts.values())
    # Only the text the modem took in the instant of the unplug can go twice.
    assert duplicates <= 1, counts
    wait_until(lambda: all(m.status == "sent" for m in rig.messages(kind="staff_reply")), what="all marked sent")


def test_transient_modem_errors_retry_with_backoff_then_fail_in_the_modems_words(rig):
    _ready(rig)
    rig.sim.fail_next(1, "+CMS ERROR: 500", command="+CMGS")
    first = rig.store.queue_message(US, "staff_reply", "See you at 3", rig.clock())
    wait_until(lambda: rig.store.message(first).status == "scheduled" and rig.store.message(first).error,
               what="retry scheduled")
    assert "+CMS ERROR: 500" in rig.store.message(first).error
    assert not rig.sim.sent
    rig.clock.advance(timedelta(seconds=31))
    wait_until(lambda: rig.sent_to(US) == ["See you at 3"], what="sent on the retry")

    # No network: every try fails; after the store's limit it is failed, with the modem's words.
    rig.sim.fail_next(50, "+CMS ERROR: 331", command="+CMGS")
    doomed = rig.store.queue_message(US2, "staff_reply", "Running late", rig.clock())
    for _ in range(8):
        if rig.store.message(doomed).status == "failed":
            break
        time.sleep(0.15)
        rig.clock.advance(timedelta(hours=1))
    row = rig.store.message(doomed)
    assert row.status == "failed" and "331" in row.error and "no network service" in row.error


def test_one_refused_recipient_does_not_block_the_rest(rig):
    _ready(rig)
    rig.sim.fail_next(1, "+CMS ERROR: 304", command="+CMGS")   # a PDU the network refuses: permanent
    bad = rig.store.queue_message(US, "staff_reply", "first", rig.clock())
    good = rig.store.queue_message(US2, "staff_reply", "second", rig.clock())
    wait_until(lambda: rig.store.message(good).status == "sent", what="the next one went")
    assert rig.store.message(bad).status == "failed"
    assert "304" in rig.store.message(bad).error


def test_three_part_reply_out_of_order_is_one_message_with_its_emoji(rig):
    _ready(rig)
    # UCS-2 (emoji), long enough for three parts of 67 UTF-16 units.
    text = ("Hi! " + "x" * 62 + "\U0001F600" + " we need the boiler looked at. " + "y" * 60 + " thanks \U0001F44D")
    rig.sim.inject_sms(US, text, parts_order=[3, 1, 2])
    wait_until(lambda: rig.messages(number=US, direction="in"), what="joined reply stored")
    [stored] = rig.messages(number=US, direction="in")
    assert stored.body == text
    wait_until(lambda: not rig.sim.stored("SM"), what="all three SIM copies deleted")


def test_emoji_go_out_as_written(rig):
    _ready(rig)
    rig.store.queue_message(US, "staff_reply", "All fixed \U0001F527\U0001F44D see you soon", rig.clock())
    wait_until(lambda: rig.sent_to(US), what="sent")
    assert rig.sent_to(US) == ["All fixed \U0001F527\U0001F44D see you soon"]
    assert rig.sim.sent[0].encoding == "UCS-2"


def test_emoji_replaced_when_the_shop_asks(tmp_path):
    made = Rig(tmp_path, emoji="replace").start()
    try:
        made.store.queue_message(US, "staff_reply", "Thanks \U0001F642 see you", made.clock())
        wait_until(lambda: made.sent_to(US), what="sent")
        assert made.sent_to(US) == ["Thanks :) see you"]
        assert made.sim.sent[0].encoding == "GSM-7"
    finally:
        made.stop()


def test_hung_modem_is_noticed_and_reconnected(rig, caplog):
    _ready(rig)
    rig.sim.stop_answering()
    message = rig.store.queue_message(US, "staff_reply", "Are you still there?", rig.clock())
    def worker_said(words):
        return any(words in r.getMessage() for r in caplog.records if r.name == "modem.worker")

    wait_until(lambda: worker_said("modem lost"), timeout=8, what="hang noticed")
    assert rig.store.message(message).status == "scheduled", "released, not failed, while the modem hung"
    rig.sim.resume()
    wait_until(lambda: rig.sent_to(US), timeout=15, what="sent after the modem answered again")
    wait_until(lambda: worker_said("modem back"), what="return logged")
    worker_lines = [r.getMessage() for r in caplog.records if r.name == "modem.worker"]
    assert sum("modem lost" in line for line in worker_lines) == 1, "the loss is logged once"


def test_a_refused_sim_pin_is_tried_once_and_never_again(tmp_path, caplog):
    # Each wrong try uses up one of the SIM's three: the worker must not spend them.
    import threading

    from test_worker_support import write_config

    from modem.device.modem import Modem
    from modem.simulator.pty_modem import ModemSimulator
    from modem.worker.loop import Worker
    from store import Store
    from textback.config import load_config
    from textback.worker_settings import worker_settings

    with ModemSimulator(pin="1234") as sim:
        config = load_config(str(write_config(tmp_path, port=sim.device)))
        settings = worker_settings(config, poll_interval=0.02, reconnect_delays=(0.02,))
        with Store.open(config.store.url) as store:
            worker = Worker(store, settings, lambda **cb: Modem.open(sim.device, pin="9999", **cb))
            thread = threading.Thread(target=worker.run, daemon=True)
            thread.start()
            try:
                wait_until(lambda: "refused the SIM PIN" in caplog.text, what="PIN refusal logged")
                time.sleep(0.3)                     # many passes, each past its backoff
            finally:
                worker.stop()
                thread.join(10)
        assert sum(c.startswith("AT+CPIN=") for c in sim.commands_seen) == 1
