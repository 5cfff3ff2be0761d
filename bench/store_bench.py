"""The store under years of history: each hot path on a small store and on a big one with
the same last week of traffic, alternating A/B, and their ratio (goal: within 2x).

Idle pass: the real worker's `run_once` against the simulated modem with nothing to do.
Plan: one new call through the worker's planner. Claim: one due text leased. Inbox,
stats, calls: the staff commands themselves (click's CliRunner, --json), in-process so
the interpreter's start does not hide the store's part.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from bench import rig
from bench.history_store import add_recent_traffic, live_number
from bench.table import Row, timing_row


class _Side:
    """One store with its worker (not running: its passes are called one by one)."""

    def __init__(self, root: Path, history: Path, sim):
        from modem.device.modem import Modem
        from modem.worker.loop import Worker
        from store import Store
        from textback.config import load_config
        from textback.worker_settings import worker_settings

        self.config = rig.shop(root, sim.device, history)
        add_recent_traffic(root / "textback.db", now=datetime.now(timezone.utc))
        config = load_config(str(self.config))
        self.store = Store.open(config.store.url)
        settings = worker_settings(config)
        self.worker = Worker(self.store, settings, lambda **cb: Modem.open(sim.device, **settings.modem_options, **cb))
        self.worker.run_once()          # opens the modem; the first purge round finds nothing
        self.calls = 0

    def idle_pass(self) -> None:
        self.worker.run_once()

    def plan(self) -> None:
        from store.facts import CallFact

        self.calls += 1
        self.store.record_call(CallFact(uniqueid=f"bench.plan.{self.calls}", caller_raw=live_number(self.calls),
                                        disposition="NOANSWER", business_line="2125550100"))
        started = time.perf_counter()
        self.worker.planner.plan_new_calls(datetime.now(timezone.utc))
        self.last = time.perf_counter() - started
        # Its text stays scheduled for the claim below; nothing else is due.

    def claim(self) -> None:
        message = self.store.claim_due("bench", 60)
        if message is not None:
            self.store.mark_sent(message.id, 1, "bench")

    def command(self, *args: str) -> Callable[[], None]:
        from click.testing import CliRunner

        from textback.cli import main

        def run() -> None:
            result = CliRunner().invoke(main, ["--config", str(self.config), *args])
            if result.exit_code != 0:
                raise RuntimeError(f"textback {' '.join(args)} failed: {result.output[-300:]}")
        return run

    def close(self) -> None:
        self.worker._close_modem()
        self.store.close()


def run(small_rows: int, big_rows: int, quick: bool, say=print) -> list[Row]:
    from modem.simulator.pty_modem import ModemSimulator

    small_file, big_file = rig.history_store(small_rows, say), rig.history_store(big_rows, say)
    rounds = 5 if quick else 30
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="textback-bench-store-") as tmp, \
            ModemSimulator() as sim_a, ModemSimulator() as sim_b:
        say(f"  copying the stores ({big_rows:,} rows)...")
        small = _Side(Path(tmp) / "small", small_file, sim_a)
        big = _Side(Path(tmp) / "big", big_file, sim_b)
        try:
            cases: list[tuple[str, Callable[[_Side], Callable[[], None]], bool]] = [
                ("idle worker pass", lambda s: s.idle_pass, True),
                ("plan one call", lambda s: s.plan, True),
                ("claim one text", lambda s: s.claim, False),
                ("inbox", lambda s: s.command("inbox", "--json"), True),
                ("stats (30 days)", lambda s: s.command("stats", "--json"), True),
                ("calls (7 days)", lambda s: s.command("calls", "--json"), False),
                ("thread", lambda s: s.command("thread", "+12015550100", "--json"), False),
            ]
            for name, action, goal in cases:
                samples: dict[str, list[float]] = {"small": [], "big": []}
                for _ in range(rounds):
                    for label, side in (("small", small), ("big", big)):
                        do = action(side)
                        started = time.perf_counter()
                        do()
                        took = time.perf_counter() - started
                        samples[label].append(side.last if name == "plan one call" else took)
                rows.append(timing_row(f"{name} at {big_rows:,} rows", samples["big"], on="median",
                                       goal_text="<= 2x small" if goal else "", floor=samples["small"],
                                       floor_name=f"{small_rows:,} rows",
                                       ratio_goal=2.0 if goal else None))
        finally:
            small.close()
            big.close()
    return rows
