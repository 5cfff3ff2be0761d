"""Carrier-safe sending on the real worker: the simulator on a pty, a real SQLite store,
the worker's passes run one by one (`run_once`) on a clock the test moves, so a whole
simulated day takes seconds. Calls are recorded through the store's verb (the hook's
path is tested elsewhere; 600 hook subprocesses would only slow this down)."""
from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from test_worker_support import STAFF, write_config

from modem.device.modem import Modem
from modem.simulator.pty_modem import ModemSimulator
from modem.worker.loop import Worker
from store import Store
from store.facts import CallFact
from textback.config import load_config
from textback.worker_settings import worker_settings

NY = ZoneInfo("America/New_York")
# A day already past on the real clock: the call rows' recorded_at (real time) stays after
# the simulated call times, as it is in life.
DAY = datetime(2026, 11, 2, 0, 1, tzinfo=NY)
START = DAY.astimezone(UTC) - timedelta(minutes=1)
# +1 212-555-0101 ... 0199 but the shop's staff phone (0177): 98 callers.
NUMBERS = [f"+1212555{n:04d}" for n in range(101, 200) if f"+1212555{n:04d}" != STAFF]


class SimClock:
    def __init__(self, start: datetime):
        self.at = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


@pytest.fixture
def rig(tmp_path):
    made = []

    def make(sending_block: str, extra: str = ""):
        sim = ModemSimulator().start()
        path = write_config(tmp_path, port=sim.device, extra=SHOP + extra)
        # Every call a new text-back: no dedupe window (and, below, no hourly cap, no follow-ups).
        text = path.read_text().replace('delay = "0s"', 'delay = "0s"\ndedupe_window = "0s"')
        start = text.index("[sending]")
        end = text.index("[modem]")
        path.write_text(text[:start] + "[sending]\n" + sending_block + "\n\n" + text[end:])
        config = load_config(str(path))
        store = Store.open(config.store.url)
        settings = worker_settings(config, poll_interval=0.01, lease_seconds=5.0, health_interval=3600.0,
                                   reconnect_delays=(0.05,), sweep_interval=timedelta(seconds=0.2),
                                   modem_options={"command_timeout": 2.0, "send_timeout": 5.0})
        clock = SimClock(DAY)
        worker = Worker(store, settings, lambda **cb: Modem.open(sim.device, **settings.modem_options, **cb),
                        now=clock)
        made.append((worker, store, sim))
        return worker, store, sim, clock

    yield make
    for worker, store, sim in made:
        worker._close_modem()
        store.close()
        sim.stop()


SHOP = """
[guard]
hourly_cap = 10000

[followups]
enabled = false
"""


def call(store, n: int, number: str, at: datetime) -> None:
    store.record_call(CallFact(f"day.{n}", caller_raw=number, disposition="NOANSWER", happened_at=at))


def look(worker) -> None:
    worker.alerts._next_look = 0.0
    worker._look_for_alerts()


def alert_text(store) -> str:
    return next((a.text for a in store.active_alerts() if a.key == "carrier_limits"), "")


@pytest.mark.slow
def test_600_calls_in_a_day_send_no_more_than_the_daily_cap_hold_the_rest_and_stop_still_goes(rig, caplog):
    worker, store, sim, clock = rig('min_gap = "20s"\ngap_jitter = "10s"\ndaily_cap = 40\nrecipients_cap = 0')
    caplog.set_level(logging.INFO, logger="modem.worker")
    step = timedelta(hours=23, minutes=50) / 600       # the shop's whole local day
    warned_at = None
    for n in range(600):
        call(store, n, NUMBERS[n % len(NUMBERS)], clock())
        worker.run_once()
        if n % 4 == 0:                                 # the worker looks every 2 s
            look(worker)
        if warned_at is None and alert_text(store):
            warned_at = store.sent_count_since(START)
        clock.advance(step)
    look(worker)
    text_backs = [m for m in sim.sent_messages() if m.destination in NUMBERS]
    # Alerts to the staff phone count against the cap too, and always go.
    staff = [m for m in sim.sent_messages() if m.destination == STAFF]
    assert 30 <= len(text_backs) <= 40
    assert len(text_backs) + len(staff) >= 40
    assert 32 <= warned_at < 40                                          # the 80% warning came first
    held = store.held_count(worker.pacer.hold(clock()), clock())
    assert held == 600 - len(text_backs), "every call not texted is held, none dropped"
    assert f"cap reached: {held} text-back(s) held" in alert_text(store)
    assert "daily cap of 40 texts reached" in caplog.text
    assert any(m.destination == STAFF and "carrier limits" in m.text for m in sim.sent_messages())

    # At the cap, a STOP from a caller texted today is still confirmed.
    stopper = text_backs[0].destination
    sim.inject_sms(stopper, "STOP", timestamp=clock())
    confirmations = wait_for_text(worker, sim, stopper, already=1)
    assert "won't get any more texts" in confirmations[0].text
    assert [m for m in sim.sent_messages() if m.destination in NUMBERS][len(text_backs):] == confirmations[:1]


def wait_for_text(worker, sim, number: str, already: int, seconds: float = 10.0) -> list:
    """Run passes until `number` got a text beyond the `already` it had."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        worker.run_once()
        got = [m for m in sim.sent_messages() if m.destination == number][already:]
        if got:
            return got
        time.sleep(0.02)
    raise AssertionError(f"no new text to {number}")


def test_a_burst_of_calls_goes_out_one_gap_apart_while_a_staff_text_does_not_wait(rig):
    worker, store, sim, clock = rig('min_gap = "20s"\ngap_jitter = "10s"\ndaily_cap = 0\nrecipients_cap = 0')
    for n, number in enumerate(NUMBERS[:3]):
        call(store, n, number, clock())
    worker.run_once()
    assert [m.destination for m in sim.sent_messages()] == NUMBERS[:1]
    store.queue_message(NUMBERS[5], "staff_reply", "We can come at 3.", clock())
    worker.run_once()
    assert [m.destination for m in sim.sent_messages()] == [NUMBERS[0], NUMBERS[5]]
    clock.advance(timedelta(seconds=19))
    worker.run_once()
    assert len(sim.sent_messages()) == 2, "inside the minimum gap nothing paced goes"
    clock.advance(timedelta(seconds=11))                 # past the gap and all its jitter
    worker.run_once()
    assert [m.destination for m in sim.sent_messages()][2:] == NUMBERS[1:2]
    clock.advance(timedelta(seconds=30))
    worker.run_once()
    assert [m.destination for m in sim.sent_messages()][3:] == NUMBERS[2:3]


def test_the_recipient_cap_holds_new_numbers_only(rig):
    worker, store, sim, clock = rig('min_gap = "0s"\ngap_jitter = "0s"\ndaily_cap = 0\nrecipients_cap = 2')
    call(store, 1, NUMBERS[0], clock())
    call(store, 2, NUMBERS[1], clock())
    worker.run_once()
    clock.advance(timedelta(minutes=5))
    call(store, 3, NUMBERS[2], clock())               # a third number: held
    store.queue_message(NUMBERS[0], "follow_up", "Still need a plumber?", clock())   # known: goes
    worker.run_once()
    assert [m.destination for m in sim.sent_messages()] == [NUMBERS[0], NUMBERS[1], NUMBERS[0]]
    look(worker)
    assert alert_text(store) == ("carrier limits: 2/2 numbers in 30 days, cap reached: 1 text-back(s) held; "
                                 "STOP replies and staff texts still go")
    clock.advance(timedelta(days=31))                   # the window moved on: it goes (or expires)
    worker.run_once()
    assert [m.status for m in store.thread(NUMBERS[2])] == ["expired"], "held, then settled, not dropped"
