"""Several modems on PostgreSQL: two `textback worker --modem NAME` processes (one config,
two [[modem]] entries, as textback-worker@front and @service run them), each with its own
simulated modem on its own pty, race over one queue of 1,000 texts with modems assigned
(front's, service's, and some for any modem) plus 60 missed calls for the two lines that
both workers try to plan. Every text leaves exactly once, and from the right SIM: checked
in what each simulator received on its pty, not in what the store says."""
from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from modem_fleet import SERVICE_LINE, two_modems
from sim_helpers import wait_until
from test_worker_support import SHOP_LINE, STAFF, start_worker_process, stop_process, write_fleet_config

COUNT = 1000
LINE_A, LINE_B = SHOP_LINE, SERVICE_LINE


def _modem_of(i: int) -> str | None:
    """Two in five texts for front, two for service, one for any modem."""
    return ("front", "service", "front", "service", None)[i % 5]


@pytest.mark.slow
def test_two_modems_race_over_1000_texts_each_sent_once_from_its_own_sim(tmp_path, pg_url):
    from modem.simulator.pty_modem import ModemSimulator
    from store import Store
    from store.facts import CallFact
    from store.times import utcnow

    numbers = [f"+121255501{i:02d}" for i in range(100) if f"+121255501{i:02d}" not in (LINE_A, LINE_B, STAFF)]
    texts = {f"Your booking #{i} is confirmed": (numbers[i % len(numbers)], _modem_of(i)) for i in range(COUNT)}
    with ModemSimulator() as front, ModemSimulator() as service, Store.open(pg_url) as store:
        sims = {"front": front, "service": service}
        config = write_fleet_config(tmp_path, two_modems(front.device, service.device, front="front"), url=pg_url,
                                    extra="\n[guard]\nhourly_cap = 10000\n")
        opens = utcnow() + timedelta(seconds=4)          # both workers up when the queue opens
        with store.db.atomic():
            for body, (number, modem) in texts.items():
                store.queue_message(number, "staff_reply", body, opens, modem=modem)
        # Missed calls for both lines, each from its own caller: both workers see them new.
        callers = numbers[:60]
        for i, caller in enumerate(callers):
            store.record_call(CallFact(uniqueid=f"race-{i}", caller_raw=caller, business_line=(LINE_A, LINE_B)[i % 2],
                                       disposition="NOANSWER", happened_at=utcnow(), ring_seconds=20))
        logs = {name: tmp_path / f"{name}.log" for name in sims}
        workers = {name: start_worker_process(config, logs[name], "--modem", name) for name in sims}
        try:
            started = time.monotonic()

            def received() -> list[tuple[str, str, str]]:
                return [(name, m.destination, m.text) for name, sim in sims.items() for m in sim.sent_messages()]

            wait_until(lambda: len(received()) >= COUNT + len(callers)
                       or any(w.poll() is not None for w in workers.values()),
                       timeout=240, interval=0.2, what="every text sent")
            assert all(w.poll() is None for w in workers.values()), {n: p.read_text()[-2000:]
                                                                     for n, p in logs.items()}
            elapsed = time.monotonic() - started
            M = store.models.Message
            # What the queue was for (alerts to staff, if any, are not counted).
            done = M.select().where(M.status.in_(("sent", "delivered")) & M.kind.in_(("staff_reply", "text_back")))
            try:
                wait_until(lambda: done.count() == COUNT + len(callers), timeout=20, what="every text marked sent")
            except AssertionError:
                states = Counter(M.select(M.kind, M.status).tuples())
                problems = [line for p in logs.values() for line in p.read_text().splitlines() if "ERROR" in line]
                raise AssertionError(f"not every text marked sent: {dict(states)}; {problems[:5]}") from None
        finally:
            for w in workers.values():
                stop_process(w, timeout=15)
        time.sleep(0.5)                 # anything still on its way would show now
        got = received()
        stored = {m.body: m for m in (store.message(i) for i in range(1, 3 * COUNT)) if m is not None}
        planned = [c for c in (store.call(i) for i in range(1, 4 * len(callers))) if c is not None]

    by_modem = Counter(name for name, _, _ in got)
    print(f"\nrace on PostgreSQL, two modems: {COUNT} texts + {len(callers)} text-backs, "
          f"by modem {dict(by_modem)}, {elapsed:.1f}s")
    counts = Counter((number, body) for _, number, body in got)
    assert counts.most_common(1)[0][1] == 1, counts.most_common(3)                # none twice
    queued = [(n, body, name) for name, n, body in got if body in texts]
    assert {(n, body) for n, body, _ in queued} == {(n, b) for b, (n, _) in texts.items()}     # every one
    for _number, body, name in queued:
        wanted = texts[body][1]
        assert wanted is None or name == wanted, (body, wanted, name)            # from its own SIM
        assert stored[body].modem == name, (body, stored[body].modem, name)    # and the store says where
    anywhere = Counter(name for _, body, name in queued if texts[body][1] is None)
    assert set(anywhere) == {"front", "service"}, anywhere      # both raced for the texts for any modem

    # Each call planned once (one text-back each), texted from the SIM of the line it rang.
    assert [c.state for c in planned] == ["planned"] * len(callers)
    for i, caller in enumerate(callers):
        sent = [name for name, number, body in got if number == caller and body not in texts]
        assert sent == [("front", "service")[i % 2]], (caller, sent)
    for path in logs.values():
        assert "Traceback" not in path.read_text()
