"""How much does one missed call cost the PBX box?

Prints, measured in the same run on the same machine:
- `python -c pass` (the floor: interpreter start alone),
- the whole `textback-agi` process for one recorded session (start, env, 4 commands,
  SQLite write, exit) and its ratio to the floor,
- the FastAGI server's time per call (connection to last answer) for the same session.

Run: /tmp/venv/bin/python bench/bench_hook.py [--runs 20]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from agi_replay import hook_command, load_transcripts, make_site, replay_fastagi, replay_subprocess  # noqa: E402


def _median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.1f} ms (min {min(samples) * 1000:.1f}, n={len(samples)})"


def _session(transcript, n: int):
    uid = transcript.env["agi_uniqueid"]
    return type(transcript)(name=transcript.name, argv=transcript.argv, sighup_received=False,
                            exchanges=transcript.exchanges,
                            raw_env=[line.replace(uid, f"1799000000.{n}") for line in transcript.raw_env])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    transcript = {t.name: t for t in load_transcripts()}["hh-noanswer"]
    from agi.fastagi import FastAGIServer
    from store import Store

    with tempfile.TemporaryDirectory() as tmp:
        site = make_site(Path(tmp))
        Store.open(site.url).close()
        env = site.env()

        floor = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            floor.append(time.perf_counter() - started)

        hook = []
        for n in range(runs):
            started = time.perf_counter()
            result = replay_subprocess(_session(transcript, n), hook_command(), env=env)
            hook.append(time.perf_counter() - started)
            if "recorded call" not in result.stderr:
                sys.exit(f"hook run {n} did not record: {result.stderr}")

        server = FastAGIServer(("127.0.0.1", 0), store_url=site.url, spool_dir=str(site.spool_dir))
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        fast = []
        for n in range(runs):
            started = time.perf_counter()
            replay_fastagi(_session(transcript, 10_000 + n), *server.address)
            fast.append(time.perf_counter() - started)
        server.shutdown()
        server.server_close()
        recorded = len(site.calls())

    print(f"python -c pass      : {_median_ms(floor)}")
    print(f"textback-agi process: {_median_ms(hook)}")
    print(f"ratio hook / floor  : {statistics.median(hook) / statistics.median(floor):7.2f}x")
    print(f"FastAGI per call    : {_median_ms(fast)}")
    print(f"calls recorded      : {recorded} (expected {2 * runs})")


if __name__ == "__main__":
    main()
