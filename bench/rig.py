"""The benchmark's stage: cached history stores, a shop configuration per store, and the
real worker as its own process (`textback worker`) against the simulated modem.

One job: set things up and take them down; the measuring is in bench/*_bench.py.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.history_store import build_history
from store.schema import SCHEMA_VERSION

SHOP_TOML = """\
# Written by the benchmark (bench/rig.py): a shop open around the clock that texts at once.
[business]
name = "Brightside Plumbing"
country = "US"
timezone = "America/New_York"
callback_number = "(212) 555-0100"
own_numbers = ["+12125550100"]

[business.hours]
mon = "00:00-23:59"
tue = "00:00-23:59"
wed = "00:00-23:59"
thu = "00:00-23:59"
fri = "00:00-23:59"
sat = "00:00-23:59"
sun = "00:00-23:59"

[textback]
delay = "0s"

[followups]
enabled = false

[guard]
hourly_cap = 10000

[modem]
port = "{port}"
delivery_reports = false

[store]
url = "sqlite:///{db}"
spool_dir = "{spool}"

[log]
level = "warning"
"""

# Apart, because bench.worker_ab runs revisions whose configuration may not know [sending].
PACING_OFF = """
[sending]
# The path's speed, not the carrier pacing's: the gap between text-backs and the caps
# (textback.example.toml [sending]) would make speed to lead measure the policy.
min_gap = "0s"
gap_jitter = "0s"
daily_cap = 0
recipients_cap = 0
"""

# History ends a month ago (older than any default listing window: the same recent
# traffic on both stores) and spans less than [store] keep (no purge during the run).
HISTORY_END = timedelta(days=31)
HISTORY_SPAN = timedelta(days=360)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    path = Path(base) / "textback-bench"
    try:
        path.mkdir(parents=True, exist_ok=True)
        return path
    except OSError:
        path = Path("/var/tmp/textback-bench")
        path.mkdir(parents=True, exist_ok=True)
        return path


def history_store(rows: int, say=print) -> Path:
    """A cached store of `rows` old calls and `rows` old messages (rebuilt weekly, and with
    each schema version); built with plain SQL in one transaction."""
    week = datetime.now(timezone.utc).strftime("%G-W%V")
    path = cache_dir() / f"history-{rows}-v{SCHEMA_VERSION}-{week}.db"
    if not path.exists():
        for old in cache_dir().glob(f"history-{rows}-*.db*"):
            old.unlink()
        say(f"building the {rows:,}-row store in {path.parent} (once a week)...")
        started = time.monotonic()
        partial = path.with_suffix(".building")
        partial.unlink(missing_ok=True)
        build_history(partial, rows, rows, end=datetime.now(timezone.utc) - HISTORY_END, span=HISTORY_SPAN)
        partial.rename(path)
        say(f"  built in {time.monotonic() - started:.0f} s")
    return path


def shop(root: Path, port: str, store_file: Path | None = None, pacing_off: bool = True) -> Path:
    """A configuration (and, from `store_file`, a private copy of its store) under root:
    root/textback.toml, its store root/textback.db; [sending] pacing off unless `pacing_off`
    is False (the shop's pacing as shipped)."""
    root.mkdir(parents=True, exist_ok=True)
    db = root / "textback.db"
    if store_file is not None:
        shutil.copyfile(store_file, db)
    path = root / "textback.toml"
    text = SHOP_TOML.format(port=port, db=db, spool=root / "spool")
    path.write_text(text + PACING_OFF if pacing_off else text, encoding="utf-8")
    return path


def textback_command() -> list[str]:
    beside = Path(sys.executable).with_name("textback")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "textback.cli"]


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop a program as systemd would: SIGTERM, `grace` seconds to finish, then SIGKILL."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class WorkerProcess:
    """`textback worker` as systemd runs it, stopped with SIGTERM."""

    def __init__(self, config: Path):
        self.config = config
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> WorkerProcess:
        self.log = open(self.config.with_name("worker.log"), "wb")
        self.proc = subprocess.Popen([*textback_command(), "--config", str(self.config), "worker"],
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        return self

    def rss_mb(self) -> float:
        assert self.proc is not None
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __exit__(self, *exc) -> None:
        if self.proc is None:
            return
        stop(self.proc, grace=15)
        self.log.close()


def wait_for(predicate, timeout: float, what: str, interval: float = 0.002):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {timeout:.0f} s")
        time.sleep(interval)
