"""The peer a technician would use instead: gammu-smsd (Debian package `gammu-smsd`) driving
the same simulated modem from its files outbox, with its default timing and its fastest.

Measured as textback's speed to lead is: from the moment the outbox file is written (a
script would drop one when a call is missed) to the moment the modem has the PDU.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import rig
from bench.table import Row, percentile, timing_row

GAMMURC = """\
[gammu]
device = {device}
connection = at

[smsd]
service = files
inboxpath = {root}/inbox/
outboxpath = {root}/outbox/
sentsmspath = {root}/sent/
errorsmspath = {root}/error/
logfile = {root}/smsd.log
debuglevel = 0
{timing}
"""

DEFAULTS = ""
FASTEST = """CommTimeout = 0
LoopSleep = 0
StatusFrequency = 0
ReceiveFrequency = 600
CheckSecurity = 0
CheckBattery = 0
CheckSignal = 0
CheckNetwork = 0
"""


def run(quick: bool, textback_p95: float | None) -> list[Row]:
    if shutil.which("gammu-smsd") is None:
        return [Row("gammu-smsd peer", measured="not installed (apt-get install gammu-smsd)")]
    rows = []
    texts = {"defaults": 5, "fastest settings": 4 if quick else 20}
    # Its defaults poll the outbox every 30 s: a full run's part only.
    settings = [("fastest settings", FASTEST)] if quick else [("defaults", DEFAULTS), ("fastest settings", FASTEST)]
    for label, timing in settings:
        samples = _peer(timing, texts[label], timeout=40 if label == "defaults" else 10)
        if samples:
            row = timing_row(f"gammu-smsd ({label}): outbox file -> PDU", samples, on="p95")
            if textback_p95:
                row.floor = f"textback p95 {textback_p95 * 1000:.0f} ms"
                row.ratio = f"{percentile(samples, 95) / textback_p95:.1f}x"
            rows.append(row)
        else:
            rows.append(Row(f"gammu-smsd ({label})", measured="sent nothing (see its smsd.log)"))
    return rows


def _peer(timing: str, count: int, timeout: float) -> list[float]:
    from modem.simulator.pty_modem import ModemSimulator

    samples = []
    with tempfile.TemporaryDirectory(prefix="textback-bench-gammu-") as tmp, ModemSimulator() as sim:
        root = Path(tmp)
        for sub in ("inbox", "outbox", "sent", "error"):
            (root / sub).mkdir()
        config = root / "smsdrc"
        config.write_text(GAMMURC.format(device=sim.device, root=root, timing=timing))
        proc = subprocess.Popen(["gammu-smsd", "-c", str(config)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            time.sleep(2.0)                  # it identifies the modem first
            for n in range(count):
                number = f"+1212555{150 + n:04d}"
                began = datetime.now(timezone.utc)
                (root / "outbox" / f"OUT{number}.txt").write_text("Sorry we missed your call! How can we help?")
                try:
                    part = rig.wait_for(lambda: next((p for p in sim.sent if p.destination == number), None),
                                        timeout=timeout, what="gammu-smsd's text", interval=0.005)
                except TimeoutError:
                    break
                samples.append((part.submitted_at - began).total_seconds())
        finally:
            rig.stop(proc)
    return samples
