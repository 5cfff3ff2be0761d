"""`textback worker` as systemd runs it: a subprocess. SIGTERM stops it cleanly; SIGKILL at
random moments of a 200-message run loses nothing, and duplicates stay within the one
message in flight at each kill (counted and printed)."""
from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter

import pytest
from sim_helpers import wait_until
from test_worker_support import start_worker_process, write_config


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigterm_finishes_and_exits(tmp_path, sim, backend, request):
    from store import Store
    from store.times import utcnow

    url = request.getfixturevalue("pg_url") if backend == "postgresql" else f"sqlite:///{tmp_path / 'textback.db'}"
    config = write_config(tmp_path, port=sim.device, url=url)
    proc = start_worker_process(config, tmp_path / "worker.log")
    try:
        with Store.open(url) as store:
            wait_until(lambda: store.is_opted_out("+12125550199") is False, what="store ready")
            message = store.queue_message("+12125550123", "staff_reply", "On our way", utcnow())
            wait_until(lambda: store.message(message).status == "sent", timeout=15, what="sent")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = (tmp_path / "worker.log").read_text()
    assert "SIGTERM" in log and "stopped" in log and "Traceback" not in log
    with Store.open(url) as store:
        assert store.worker_status().stopped_at is not None     # status says "stopped" at once


@pytest.mark.slow
def test_sigkill_twenty_times_during_200_messages(tmp_path, sim):
    from store import Store
    from store.times import utcnow

    config = write_config(tmp_path, port=sim.device)
    # A little radio latency per text, so twenty kills fit inside the run.
    sim.set_latency("+CMGS", 0.03)
    numbers = [f"+121255501{i:02d}" for i in range(100)]
    expected = {(numbers[i % 100], f"Your booking #{i} is confirmed") for i in range(200)}
    log_path = tmp_path / "worker.log"
    rng = random.Random(20261123)
    started = time.monotonic()
    with Store.open(f"sqlite:///{tmp_path / 'textback.db'}") as store:
        for number, body in sorted(expected):
            store.queue_message(number, "staff_reply", body, utcnow())
        kills = 0
        proc = start_worker_process(config, log_path)
        try:
            while kills < 20:
                # Wait for the worker to be sending, then kill it at a random moment.
                before = len(sim.sent)
                wait_until(lambda: len(sim.sent) > before or proc.poll() is not None, timeout=15,
                           interval=0.01, what="worker sending")
                assert proc.poll() is None, log_path.read_text()[-2000:]
                time.sleep(rng.uniform(0.0, 0.15))
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                kills += 1
                if len({(m.destination, m.text) for m in sim.sent_messages()}) == len(expected):
                    break
                proc = start_worker_process(config, log_path)
            if proc.poll() is not None:
                proc = start_worker_process(config, log_path)
            wait_until(lambda: {(m.destination, m.text) for m in sim.sent_messages()} >= expected,
                       timeout=40, interval=0.05, what="every message sent")
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=10)
    counts = Counter((m.destination, m.text) for m in sim.sent_messages())
    duplicates = sum(n - 1 for n in counts.values())
    elapsed = time.monotonic() - started
    print(f"\nSIGKILL test: {kills} kills, {len(counts)} messages, {duplicates} duplicate(s), {elapsed:.1f}s")
    assert set(counts) == expected
    assert kills == 20
    # Goal: no duplicate beyond the one message in flight at each kill.
    assert duplicates <= kills, counts.most_common(5)
    assert "Traceback" not in log_path.read_text()
