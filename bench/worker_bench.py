"""The worker as a shop runs it (`textback worker`, its own process) on the simulated modem:
speed to lead on a small and a big store, throughput at zero modem latency, the share of
a slow modem's capacity it uses, and its memory after many texts.

Speed to lead: from the moment Asterisk starts the hook to the moment the modem has the
text's PDU (the simulator stamps each AT+CMGS it accepts), through hook, store, worker
poll, planner, claim and send.
"""
from __future__ import annotations

import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench import rig
from bench.history_store import live_number
from bench.hook_bench import session
from bench.table import Row, timing_row


def speed_to_lead(small_rows: int, big_rows: int, quick: bool, say=print) -> list[Row]:
    from modem.simulator.pty_modem import ModemSimulator

    sys_path_tests()
    from agi_replay import hook_command, replay_subprocess

    calls = 5 if quick else 30
    small_file, big_file = rig.history_store(small_rows, say), rig.history_store(big_rows, say)
    rows = []
    with tempfile.TemporaryDirectory(prefix="textback-bench-lead-") as tmp, \
            ModemSimulator() as sim_a, ModemSimulator() as sim_b:
        sides = {}
        for label, sim, history in (("small", sim_a, small_file), ("big", sim_b, big_file)):
            config = rig.shop(Path(tmp) / label, sim.device, history)
            sides[label] = (sim, config)
        with rig.WorkerProcess(sides["small"][1]), rig.WorkerProcess(sides["big"][1]):
            time.sleep(1.5)            # both open their modem
            samples: dict[str, list[float]] = {"small": [], "big": []}
            lost = 0
            n = 0
            for _ in range(calls):
                for label in ("small", "big"):
                    sim, config = sides[label]
                    n += 1
                    number = live_number(n)
                    transcript = _as_caller(session(500_000 + n), number)
                    began = datetime.now(timezone.utc)
                    replay_subprocess(transcript, hook_command(), env=_env(config))
                    try:
                        part = rig.wait_for(lambda: next((p for p in sim.sent if p.destination == number), None),
                                            timeout=15, what=f"the text to {number}")
                    except TimeoutError:
                        lost += 1
                        continue
                    samples[label].append((part.submitted_at - began).total_seconds())
        for label, count in (("small", small_rows), ("big", big_rows)):
            if samples[label]:
                rows.append(timing_row(f"speed to lead at {count:,} rows (hook start -> PDU)", samples[label],
                                       goal_seconds=0.5, goal_text="p95 <= 0.5 s", on="p95"))
        rows.append(Row("speed to lead: calls never texted", goal="0", measured=f"{lost} of {2 * calls}",
                        met=lost == 0, fails_run=lost > 0))
    return rows


def throughput(quick: bool) -> list[Row]:
    """msg/s at zero latency; share of capacity at 2 s per text; RSS after many texts."""
    from modem.simulator.pty_modem import ModemSimulator
    from store import Store

    rows = []
    with tempfile.TemporaryDirectory(prefix="textback-bench-send-") as tmp:
        # Zero latency, and the worker's memory after 10k and 20k texts (1k, 2k quick).
        first, second = (500, 1000) if quick else (10_000, 20_000)
        with ModemSimulator() as sim:
            config = rig.shop(Path(tmp) / "fast", sim.device)
            db = Path(tmp) / "fast" / "textback.db"
            Store.open(f"sqlite:///{db}").close()
            with rig.WorkerProcess(config) as worker:
                time.sleep(1.5)
                _queue(db, 0, first)
                began = time.perf_counter()
                rig.wait_for(lambda: _sent(db) >= first, timeout=first / 5 + 30, what=f"{first} texts",
                             interval=0.05)
                rate = first / (time.perf_counter() - began)
                rss_first = worker.rss_mb()
                _queue(db, first, second - first)
                rig.wait_for(lambda: _sent(db) >= second, timeout=second / 5 + 30, what=f"{second} texts",
                             interval=0.05)
                rss_second = worker.rss_mb()
            twice = len(sim.sent) - len({p.destination for p in sim.sent})
        rows.append(Row("worker msg/s at zero modem latency", goal=">= 50", measured=f"{rate:.0f} msg/s",
                        met=rate >= 50))
        rows.append(Row(f"worker RSS after {first:,} / {second:,} texts", goal="flat (<= +10%)",
                        measured=f"{rss_first:.1f} MB / {rss_second:.1f} MB",
                        ratio=f"{rss_second / rss_first:.2f}x", met=rss_second <= rss_first * 1.10))
        rows.append(Row("texts sent twice", goal="0", measured=str(twice), met=twice == 0, fails_run=twice > 0))

        # A modem that takes 2 s per text: how much of its capacity goes to texts, from the
        # moment they are due to the moment the last is recorded sent.
        count = 3 if quick else 10
        with ModemSimulator() as sim:
            sim.set_latency("+CMGS", 2.0)
            config = rig.shop(Path(tmp) / "slow", sim.device)
            db = Path(tmp) / "slow" / "textback.db"
            Store.open(f"sqlite:///{db}").close()
            with rig.WorkerProcess(config):
                time.sleep(1.5)
                began = time.perf_counter()
                _queue(db, 0, count)
                rig.wait_for(lambda: _sent(db) >= count, timeout=count * 4 + 20, what="the slow texts",
                             interval=0.02)
                share = count * 2.0 / (time.perf_counter() - began)
        rows.append(Row("modem capacity used at 2 s per text", goal=">= 90%", measured=f"{share:.1%}",
                        met=share >= 0.9))
    return rows


def _queue(db: Path, start: int, count: int) -> None:
    """`count` staff replies due now, to as many numbers, in one transaction of plain SQL
    (queued one by one, each with its own fsync, the queueing would compete with the sends)."""
    import sqlite3

    from store import times

    due = times.to_db(datetime.now(timezone.utc) - timedelta(seconds=1))
    numbers = [f"+1{917 if n < 10_000 else 646}555{n % 10_000:04d}" for n in range(start, start + count)]
    conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT OR IGNORE INTO contact (number, name, opted_out, blocked, created_at, updated_at) "
                         "VALUES (?, '', 0, 0, ?, ?)", ((n, due, due) for n in numbers))
        conn.executemany(
            "INSERT INTO message (contact_id, number, direction, kind, step, body, status, due_at, attempts, "
            "created_at, parts) SELECT id, number, 'out', 'staff_reply', 0, 'Your plumber is on the way.', "
            "'scheduled', ?, 0, ?, 1 FROM contact WHERE number = ?", ((due, due, n) for n in numbers))
        conn.execute("COMMIT")
    finally:
        conn.close()


def _sent(db: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("SELECT count(*) FROM message WHERE status IN ('sent', 'delivered')").fetchone()[0]
    finally:
        conn.close()


def _as_caller(transcript, number: str):
    old = "+15551234567"
    return type(transcript)(name=transcript.name, argv=transcript.argv, sighup_received=False,
                            exchanges=[{"sent": e["sent"], "reply": [r.replace(old, number) for r in e["reply"]]}
                                       for e in transcript.exchanges],
                            raw_env=[line.replace(old, number) for line in transcript.raw_env])


def _env(config: Path) -> dict:
    import os

    return dict(os.environ, TEXTBACK_CONFIG=str(config))


def sys_path_tests() -> None:
    import sys

    tests = str(Path(__file__).resolve().parent.parent / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)


