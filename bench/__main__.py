"""`python -m bench`: every figure issue 12 asks for, side by side in one run, in one table.

    python -m bench            the full run: 1,000 vs 1,000,000 rows (the big store is built
                               once a week under ~/.cache/textback-bench), 20k texts
    python -m bench --quick    all of it small, in about a minute (what .ci/run runs)

Exit status 1 only when a call or text was lost or an error happened; never for speed
(the machine may be busy: the table says which goals were missed).
"""
from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from datetime import datetime, timezone

from bench import gammu_peer, hook_bench, store_bench, worker_bench
from bench.table import Row, markdown, render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="everything small (CI): about a minute")
    parser.add_argument("--rows", type=int, help="rows of the big store [1,000,000; --quick 20,000]")
    parser.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown (BENCHMARKS.md)")
    parser.add_argument("--only", choices=("hook", "store", "lead", "worker", "peer"), action="append",
                        help="run only these parts (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    small, big = 1000, args.rows or (20_000 if args.quick else 1_000_000)
    parts = set(args.only or ("hook", "store", "lead", "worker", "peer"))

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    started = time.monotonic()
    rows: list[Row] = []
    lead_p95 = None
    for name, run in (
        ("hook", lambda: hook_bench.run(args.quick)),
        ("store", lambda: store_bench.run(small, big, args.quick, say)),
        ("lead", lambda: worker_bench.speed_to_lead(small, big, args.quick, say)),
        ("worker", lambda: worker_bench.throughput(args.quick)),
        ("peer", lambda: gammu_peer.run(args.quick, lead_p95)),
    ):
        if name not in parts:
            continue
        say(f"bench: {name}...")
        try:
            got = run()
        except Exception as exc:
            got = [Row(f"{name}: could not run", measured=f"{type(exc).__name__}: {exc}"[:120], met=False,
                       fails_run=True)]
        rows += got
        if name == "lead":
            lead = [r for r in got if r.metric.startswith(f"speed to lead at {small:,}")]
            if lead:
                lead_p95 = _seconds(lead[0].p95)
    took = time.monotonic() - started
    machine = (f"{platform.node()}: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} "
               f"{platform.release()}, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}")
    title = (f"textback bench{' --quick' if args.quick else ''}: {small:,} vs {big:,} rows, "
             f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {took:.0f} s\n{machine}")
    print(render(rows, title))
    if args.markdown:
        # The sections after the table (before/after comparisons, the worker A/B) are kept.
        try:
            with open(args.markdown, encoding="utf-8") as fh:
                old = fh.read()
        except FileNotFoundError:
            old = ""
        kept = old[old.index("\n## ") + 1:] if "\n## " in old else ""
        with open(args.markdown, "w", encoding="utf-8") as fh:
            fh.write(f"# Benchmarks\n\nThe last full run of `python -m bench` ({title.splitlines()[0]}).\n\n"
                     f"Machine: {machine}\n\n{markdown(rows)}\n" + (f"\n{kept}" if kept else ""))
    failed = [r.metric for r in rows if r.fails_run]
    if failed:
        print(f"\nbench: FAILED (lost or errors): {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _seconds(text: str) -> float | None:
    number, _, unit = text.partition(" ")
    try:
        return float(number) / 1000 if unit == "ms" else float(number)
    except ValueError:
        return None



if __name__ == "__main__":
    sys.exit(main())
