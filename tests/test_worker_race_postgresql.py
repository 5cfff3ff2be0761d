"""Two workers, each with its own simulated modem, race over one PostgreSQL queue of 1,000
texts: `textback worker` twice as systemd runs it (two processes, two configs), claiming
with FOR UPDATE SKIP LOCKED. Every text leaves exactly once, and both workers take part."""
from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from sim_helpers import wait_until
from test_worker_support import start_worker_process, write_config

COUNT = 1000
# Two SIMs sending 1,000 texts in seconds: the carrier caps (tests/test_worker_pacing.py)
# would hold them and alert; this test is about the claim: the tests' shop config turns them off.


@pytest.mark.slow
def test_two_workers_two_modems_send_each_of_1000_texts_once(tmp_path, pg_url):
    from modem.simulator.pty_modem import ModemSimulator
    from store import Store
    from store.times import utcnow

    numbers = [f"+121255501{i:02d}" for i in range(100)]
    expected = {(numbers[i % 100], f"Your booking #{i} is confirmed") for i in range(COUNT)}
    with ModemSimulator() as sim_a, ModemSimulator() as sim_b, Store.open(pg_url) as store:
        # Due a few seconds ahead, so both workers are up when the queue opens (zero modem latency).
        opens = utcnow() + timedelta(seconds=4)
        with store.db.atomic():
            for number, body in sorted(expected):
                store.queue_message(number, "staff_reply", body, opens)
        logs = [tmp_path / "a" / "worker.log", tmp_path / "b" / "worker.log"]
        workers = []
        try:
            for name, sim, log in zip("ab", (sim_a, sim_b), logs):
                config = write_config(tmp_path / name, port=sim.device, url=pg_url)
                workers.append(start_worker_process(config, log))
            started = time.monotonic()

            def sent() -> list[tuple[str, str]]:
                return [(m.destination, m.text) for sim in (sim_a, sim_b) for m in sim.sent_messages()]

            wait_until(lambda: len(set(sent())) >= COUNT or any(w.poll() is not None for w in workers),
                       timeout=150, interval=0.2, what="every text sent")
            assert all(w.poll() is None for w in workers), [log.read_text()[-2000:] for log in logs]
            elapsed = time.monotonic() - started
            S = store.models.Message
            wait_until(lambda: S.select().where(S.status == "sent").count() == COUNT, timeout=20,
                       what="every text marked sent")
        finally:
            for w in workers:
                if w.poll() is None:
                    w.send_signal(signal.SIGTERM)
                    w.wait(timeout=15)
        time.sleep(0.5)                 # anything still on its way would show now
        counts = Counter(sent())
        by_modem = [len(sim_a.sent_messages()), len(sim_b.sent_messages())]
    print(f"\nrace on PostgreSQL: {COUNT} texts, modems sent {by_modem}, {elapsed:.1f}s")
    assert set(counts) == expected
    assert counts.most_common(1)[0][1] == 1, counts.most_common(3)     # none twice
    assert sum(by_modem) == COUNT and min(by_modem) > 0, by_modem       # both took part
    for log in logs:
        assert "Traceback" not in log.read_text()
