"""A/B: the worker's msg/s at zero modem latency, this checkout against another revision,
in one run, rounds alternating (A B, B A, ...), so a busy shared machine weighs on both.

    python -m bench.worker_ab --against db1f7ee            # a temporary git worktree of it
    python -m bench.worker_ab --against-path /src/other    # a checkout already there
    python -m bench.worker_ab --against db1f7ee --n 2000 --rounds 5 --pacing off

Each side runs its own code as a shop runs it (`textback worker`, its own process) with
this interpreter and its libraries, the other checkout first on PYTHONPATH: only the code
differs. Each round: a fresh store made by that side's code, a fresh simulated modem (this
checkout's simulator, the same for both), N staff replies queued by plain SQL in one
transaction (the same for both schemas), timed from the insert until all are recorded
sent. A text sent twice, or one never sent, fails the run (exit status 1).

--pacing: `default` runs the shop's configuration as shipped (the carrier gap and caps
hold text-backs only; these are staff replies, which pass them, but each side does what
its pacing costs); `off` turns [sending] off for a side whose code has it (the old one may
not know the section).
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.rig import shop
from bench.worker_bench import _queue, _sent

HERE = Path(__file__).resolve().parent.parent


class Side:
    """One revision's code: where it is, and how to run its Python with it first on the path."""

    def __init__(self, label: str, root: Path):
        self.label, self.root = label, root

    def env(self) -> dict[str, str]:
        return dict(os.environ, PYTHONPATH=str(self.root), PYTHONUNBUFFERED="1")

    def python(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *args], cwd=self.root, env=self.env(), check=True, **kwargs)

    def knows_pacing(self) -> bool:
        # The schema was textback/config.py; since the split it is config_schema.py.
        return any("min_gap" in p.read_text(encoding="utf-8") for p in (self.root / "textback").glob("config*.py"))


def one_round(side: Side, n: int, pacing: str) -> float:
    """msg/s for `n` texts on a fresh store and modem; raises SystemExit on a lost or doubled text."""
    from modem.simulator.pty_modem import ModemSimulator

    with tempfile.TemporaryDirectory(prefix="textback-ab-") as tmp, ModemSimulator() as sim:
        root = Path(tmp)
        # The benchmark's shop (bench/rig.py), its pacing as shipped unless turned off.
        config = shop(root, sim.device, pacing_off=pacing == "off" and side.knows_pacing())
        db = root / "textback.db"
        side.python("-c", f"from store import Store; Store.open({f'sqlite:///{db}'!r}).close()")
        with open(root / "worker.log", "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "textback.cli", "--config", str(config), "worker"],
                                    cwd=side.root, env=side.env(), stdout=subprocess.DEVNULL, stderr=log)
            try:
                time.sleep(2.0)               # the worker opens the modem
                _queue(db, 0, n)
                began = time.perf_counter()
                deadline = began + n / 5 + 60
                while _sent(db) < n:
                    if time.perf_counter() > deadline or proc.poll() is not None:
                        tail = (root / "worker.log").read_text(errors="replace")[-1500:]
                        raise SystemExit(f"{side.label}: only {_sent(db)} of {n} texts sent; its log:\n{tail}")
                    time.sleep(0.02)
                rate = n / (time.perf_counter() - began)
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        twice = len(sim.sent) - len({p.destination for p in sim.sent})
        if twice:
            raise SystemExit(f"{side.label}: {twice} text(s) sent twice")
    return rate


def worktree(revision: str) -> Path:
    """A temporary detached worktree of `revision` (removed at exit by remove_worktree)."""
    where = Path(tempfile.mkdtemp(prefix="textback-ab-rev-"))
    where.rmdir()
    made = subprocess.run(["git", "-C", str(HERE), "worktree", "add", "--detach", "-q", str(where), revision],
                          capture_output=True, text=True)
    if made.returncode != 0:
        raise SystemExit(f"bench.worker_ab: cannot check out {revision!r} here ({made.stderr.strip()}): "
                         "name a commit of this repository, or give a checkout with --against-path")
    return where


def remove_worktree(where: Path) -> None:
    subprocess.run(["git", "-C", str(HERE), "worktree", "remove", "--force", str(where)], check=False)
    shutil.rmtree(where, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_ab", description=__doc__.splitlines()[0])
    other = parser.add_mutually_exclusive_group(required=True)
    other.add_argument("--against", metavar="REV", help="a git revision of this repository (e.g. db1f7ee)")
    other.add_argument("--against-path", metavar="DIR", help="a checkout of the other revision")
    parser.add_argument("--n", type=int, default=2000, help="texts per round [2000]")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per side [5]")
    parser.add_argument("--pacing", choices=("default", "off"), default="default",
                        help="the carrier gap and caps as shipped, or off where the code has them [default]")
    args = parser.parse_args(argv)
    made = worktree(args.against) if args.against else None
    other_root = made or Path(args.against_path).resolve()
    if not (other_root / "textback" / "cli.py").exists():
        raise SystemExit(f"bench.worker_ab: {other_root} is not a textback checkout (no textback/cli.py)")
    sides = [Side("this", HERE), Side(args.against or str(other_root), other_root)]
    rates: dict[str, list[float]] = {s.label: [] for s in sides}
    load = [os.getloadavg()[0]]
    try:
        for r in range(args.rounds):
            for side in (sides if r % 2 == 0 else sides[::-1]):
                rate = one_round(side, args.n, args.pacing)
                rates[side.label].append(rate)
                load.append(os.getloadavg()[0])
                print(f"round {r + 1} {side.label:>12}: {rate:7.1f} msg/s", flush=True)
    finally:
        if made is not None:
            remove_worktree(made)
    a, b = (statistics.median(rates[s.label]) for s in sides)
    print(f"\n{args.n} texts a round, {args.rounds} rounds each, alternating; pacing {args.pacing}; "
          f"load {min(load):.1f}-{max(load):.1f} on {os.cpu_count()} CPUs")
    for side in sides:
        values = rates[side.label]
        print(f"{side.label:>12}: median {statistics.median(values):7.1f} msg/s  "
              f"(min {min(values):.1f}, max {max(values):.1f})")
    print(f"{'ratio':>12}: {a / b:.2f}x (this / {sides[1].label})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
