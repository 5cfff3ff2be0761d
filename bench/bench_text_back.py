"""How long from the hook writing a missed call to the text reaching the modem?

The product promises a text "within seconds"; with no configured delay, the worker's part
should be a small multiple of the send itself. Measured side by side in one run, on the
same simulated modem (a pty speaking AT commands, as a USB modem does):
- floor: `Modem.send` of the same text straight to the modem (what any sender pays),
- textback: from the moment the AGI hook has exited (the call is in the store) to the
  moment the modem has the text, through the real worker loop (poll, plan, claim, send),
and their ratio.

Run: python bench/bench_text_back.py [--calls 20] [--cmgs-latency 1.5]
"""
from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import threading
import time
from pathlib import Path

from modem.device.modem import Modem
from textback.worker_settings import worker_settings
from modem.simulator.pty_modem import ModemSimulator
from modem.worker.loop import Worker
from store import Store
from textback.config import load_config
from textback.demo import write_demo_config
from textback.asterisk_stand_in import PretendCall, run_hook

CALLER = "+1646555{:04d}"   # 555-01xx: fictional, and not the demo shop's own lines
FLOOR_NUMBER = "+16465550199"  # the floor's texts; the calls use 0100-0198


def _ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.1f} ms (p90 {sorted(samples)[int(0.9 * (len(samples) - 1))] * 1000:.1f}, n={len(samples)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20, choices=range(1, 100), metavar="1..99",
                        help="one caller each: a number called twice would be deduplicated")
    parser.add_argument("--cmgs-latency", type=float, default=0.0, metavar="SECONDS",
                        help="how long the simulated modem takes to send (a real one: 1-4 s)")
    args = parser.parse_args()
    calls = args.calls
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp, ModemSimulator() as sim:
        if args.cmgs_latency:
            sim.set_latency("+CMGS", args.cmgs_latency)
        config_path = write_demo_config(Path(tmp), sim.device)
        config = load_config(str(config_path))
        text = "Hi, this is Brightside Plumbing. Sorry we missed your call! How can we help?"

        floor = []
        modem = Modem.open(sim.device)
        try:
            for n in range(calls):
                started = time.perf_counter()
                modem.send(FLOOR_NUMBER, text)
                floor.append(time.perf_counter() - started)
        finally:
            modem.close()

        store = Store.open(config.store.url)
        settings = worker_settings(config)
        worker = Worker(store, settings, lambda **cb: Modem.open(sim.device, **settings.modem_options, **cb))
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        ours = []
        try:
            for n in range(calls):
                number = CALLER.format(100 + n)
                run = run_hook(PretendCall(caller=number, uniqueid=f"1799000000.{n}"), config_path=str(config_path))
                written = time.perf_counter()
                assert run.result == "queued", run.log
                while not any(m.destination == number for m in sim.sent_messages()):
                    if time.perf_counter() - written > 10:
                        raise SystemExit(f"no text to {number} within 10 s: is the worker running?")
                    time.sleep(0.001)
                ours.append(time.perf_counter() - written)
        finally:
            worker.stop()
            thread.join(10)
            store.close()

    print(f"floor: Modem.send alone        : {_ms(floor)}")
    print(f"textback: hook done -> at modem: {_ms(ours)}")
    print(f"ratio textback / floor         : {statistics.median(ours) / statistics.median(floor):7.2f}x")


if __name__ == "__main__":
    main()
