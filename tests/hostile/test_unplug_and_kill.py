"""The modem unplugged and replugged 10 times during 100 calls; the worker SIGKILLed 20
times during 200. Calls arrive through `textback fastagi` (a process) while the faults
happen; the worker is `textback worker` (a process) on the simulator behind a stable
link, as udev gives a USB modem. Nothing lost; duplicates at most the one text in flight
at each fault."""
from __future__ import annotations

import random
import threading
import time

import pytest
from hostile_rig import STAFF, Site
from sim_helpers import wait_until


def local_numbers(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    picked: set[str] = set()
    while len(picked) < n:
        picked.add(f"+1212{rng.randrange(2, 10)}{rng.randrange(10**5, 10**6)}")
    return sorted(picked)


@pytest.fixture
def site(tmp_path):
    running = Site(tmp_path, extra="\n[guard]\nhourly_cap = 10000\n")
    yield running
    running.close()


def _calls_in_background(site: Site, numbers: list[str], gap: float) -> threading.Thread:
    def feed() -> None:
        for number in numbers:
            site.call_fastagi(number)
            time.sleep(gap)
    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


def _callers_texted(site: Site) -> set[str]:
    return {number for number, _ in site.sent_texts() if number != STAFF}


def test_modem_unplugged_ten_times_during_100_calls(site, ledger_row):
    ledger_row.scenario = "modem unplugged x10"
    numbers = local_numbers(100, 1)
    site.sim.set_latency("+CMGS", 0.03)
    site.start_fastagi("--max-calls", "16")
    site.start_worker()
    feeder = _calls_in_background(site, numbers, 0.03)
    rng = random.Random(10)
    unplugs = 0
    while unplugs < 10:
        time.sleep(rng.uniform(0.2, 0.5))
        site.sim.unplug()
        unplugs += 1
        time.sleep(rng.uniform(0.1, 0.4))
        site.sim.replug()
    feeder.join(timeout=60)
    wait_until(lambda: _callers_texted(site) >= set(numbers), timeout=40, interval=0.1,
               what="every caller texted after the last replug")
    site.wait_settled()
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = f"{unplugs} unplugs"
    assert "Traceback" not in site.worker_log()
    assert tally.lost == 0 and site.worker_alive()
    assert tally.duplicates <= unplugs, site.sent_texts().most_common(5)


@pytest.mark.slow
def test_worker_sigkilled_twenty_times_during_200_calls(site, ledger_row):
    ledger_row.scenario = "worker SIGKILL x20"
    numbers = local_numbers(200, 2)
    site.sim.set_latency("+CMGS", 0.03)
    site.start_fastagi("--max-calls", "16")
    site.start_worker()
    feeder = _calls_in_background(site, numbers, 0.02)
    rng = random.Random(20)
    while site.kills < 20:
        before = len(site.sim.sent)
        wait_until(lambda: len(site.sim.sent) > before or not site.worker_alive(), timeout=15, interval=0.01,
                   what="worker sending")
        assert site.worker_alive(), site.worker_log()[-2000:]
        time.sleep(rng.uniform(0.0, 0.15))
        site.kill_worker()
        if _callers_texted(site) >= set(numbers):
            break
        site.start_worker()
    feeder.join(timeout=60)
    if not site.worker_alive():
        site.start_worker()
    wait_until(lambda: _callers_texted(site) >= set(numbers), timeout=60, interval=0.1,
               what="every caller texted")
    site.wait_settled()
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = f"{site.kills} kills"
    assert "Traceback" not in site.worker_log()
    assert tally.lost == 0
    assert tally.duplicates <= site.kills, site.sent_texts().most_common(5)
