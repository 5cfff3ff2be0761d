"""The hostile suite's rig: one shop on real files, the whole chain as processes.

    site = Site(tmp_path)               # config, SQLite file, spool, a simulated modem on a pty
    site.call("+12125550123")           # the real `textback-agi` hook, a subprocess fed AGI
    site.start_worker()                 # `textback worker` as a process (SIGKILL-able)
    site.wait_sent(1)
    ledger_row.count(site.tally())      # calls in, texts out, duplicates, lost, expired, rejected

Nothing is mocked: the hook speaks AGI on stdin/stdout (the recorded hh-noanswer session
with the caller put in), the worker drives the simulator through pyserial and
python-gsmmodem-new, and the tallies read the database with the standard library's
sqlite3, independent of the store's code.
"""
from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path

from agi_replay import ReplayResult, hook_command, replay_fastagi, replay_subprocess
from hostile_ledger import LedgerRow
from sim_helpers import wait_until
from test_worker_support import hh_noanswer, start_worker_process, stop_process
from user_helpers import program

SHOP_LINE = "+12125550100"
STAFF = "+12125550177"

CONFIG = """
[business]
name = "Acme Plumbing"
country = "US"
timezone = "America/New_York"
callback_number = "(212) 555-0100"
own_numbers = ["{shop}"]

[business.hours]
mon = "00:00-23:59"
tue = "00:00-23:59"
wed = "00:00-23:59"
thu = "00:00-23:59"
fri = "00:00-23:59"
sat = "00:00-23:59"
sun = "00:00-23:59"

[textback]
delay = "{delay}"
{textback_extra}
[staff]
numbers = ["{staff}"]

[sending]
# The hostile scenarios send hundreds of texts in seconds to test other faults; the
# carrier limits have their own tests (tests/test_worker_pacing.py).
min_gap = "0s"
gap_jitter = "0s"
daily_cap = 0
recipients_cap = 0

[modem]
port = "{port}"

[store]
url = "sqlite:///{db}"
spool_dir = "{spool}"
{extra}
"""

_uniqueids = itertools.count(1)


class Site:
    """A shop: config file, database, spool, simulated modem (behind a stable link, so an
    unplug/replug looks like a USB modem's udev name), the worker as a process."""

    def __init__(self, root: Path, *, db_path: Path | None = None, spool_dir: Path | None = None,
                 delay: str = "0s", textback_extra: str = "", extra: str = "", profile: str = "generic"):
        from modem.simulator.pty_modem import ModemSimulator

        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.db_path = db_path or root / "db" / "textback.db"
        self.spool_dir = spool_dir or root / "spool"
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.sim = ModemSimulator(profile=profile, link=str(root / "textback-modem")).start()
        self.config = root / "textback.toml"
        self.config.write_text(CONFIG.format(shop=SHOP_LINE, delay=delay, staff=STAFF, port=self.sim.device,
                                             db=self.db_path, spool=self.spool_dir,
                                             textback_extra=textback_extra, extra=extra))
        self.log_path = root / "worker.log"
        self.ram_spool_dir = root / "ram-spool"
        self.worker: subprocess.Popen | None = None
        self.fastagi: subprocess.Popen | None = None
        self.fastagi_port = 0
        self.uniqueids: list[str] = []         # every call handed to the hook (or FastAGI)
        self.kills = 0

    # -- calls in -------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        # The RAM spool (the hook's last resort on a full disk) inside the test's directory.
        return dict(os.environ, TEXTBACK_CONFIG=str(self.config), TEXTBACK_RAM_SPOOL=str(self.ram_spool_dir))

    def call(self, number: str, *, status: str = "NOANSWER", when: datetime | None = None,
             uniqueid: str | None = None) -> ReplayResult:
        """One missed call through the real hook; returns what the hook said and did."""
        uniqueid = uniqueid or f"{1795400000 + next(_uniqueids)}.{os.getpid() % 1000}"
        self.uniqueids.append(uniqueid)
        transcript = hh_noanswer(number, uniqueid, status=status, when=when)
        result = replay_subprocess(transcript, hook_command(), env=self.env(), timeout=10)
        assert result.returncode == 0, result.stderr
        return result

    def call_stamped(self, number: str, happened_at: datetime, *, status: str = "NOANSWER") -> int:
        """A call the hook wrote while its clock read `happened_at` (the hook stamps calls
        with its own clock, and a clock step cannot be made here without root over the
        machine's time): the hook's own lean write path, store.fast_record, in-process."""
        from store.facts import CallFact
        from store.fast_record import record_call

        uniqueid = f"{1795400000 + next(_uniqueids)}.{os.getpid() % 1000}"
        self.uniqueids.append(uniqueid)
        fact = CallFact(uniqueid=uniqueid, caller_raw=number, business_line=SHOP_LINE, disposition=status,
                        happened_at=happened_at, caller_presentation="allowed_not_screened")
        return record_call(f"sqlite:///{self.db_path}", fact)

    def start_fastagi(self, *extra: str) -> int:
        """`textback fastagi` as a process on a free port; returns the port."""
        self.fastagi = subprocess.Popen([*program("textback"), "--config", str(self.config), "fastagi",
                                         "--listen", "127.0.0.1:0", *extra], env=self.env(),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        start_new_session=True, text=True)
        line = self.fastagi.stderr.readline()      # "textback fastagi: listening on HOST:PORT ..."
        assert "listening on" in line, line
        self.fastagi_port = int(line.split("listening on ", 1)[1].split()[0].rsplit(":", 1)[1])
        # Keep reading its log so a full pipe never blocks it (and keep it for the test).
        self.fastagi_log: list[str] = []
        import threading
        threading.Thread(target=lambda: self.fastagi_log.extend(self.fastagi.stderr), daemon=True).start()
        return self.fastagi_port

    def call_fastagi(self, number: str, *, status: str = "NOANSWER") -> ReplayResult:
        """One missed call as Asterisk hands it to agi://127.0.0.1:PORT/missed."""
        uniqueid = f"{1795400000 + next(_uniqueids)}.{os.getpid() % 1000}"
        self.uniqueids.append(uniqueid)
        transcript = hh_noanswer(number, uniqueid, status=status)
        return replay_fastagi(transcript, "127.0.0.1", self.fastagi_port, hangup_line=False, timeout=10)

    # -- the worker as a process -------------------------------------------------------------
    def start_worker(self, *extra: str) -> subprocess.Popen:
        assert self.worker is None or self.worker.poll() is not None, "a worker is already running"
        self.worker = start_worker_process(self.config, self.log_path, *extra, env=self.env())
        return self.worker

    def kill_worker(self) -> None:
        """SIGKILL, as a power cut or the OOM killer would."""
        if self.worker is not None and self.worker.poll() is None:
            os.kill(self.worker.pid, signal.SIGKILL)
            self.worker.wait()
            self.kills += 1

    def stop_worker(self, timeout: float = 10) -> int | None:
        if self.worker is None:
            return None
        return stop_process(self.worker, timeout)

    def worker_alive(self) -> bool:
        return self.worker is not None and self.worker.poll() is None

    def worker_log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cli(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        """A staff command (`textback status`...) as a process, as a person runs it."""
        return subprocess.run([*program("textback"), "--config", str(self.config), *args],
                              capture_output=True, text=True, timeout=timeout, env=self.env())

    def close(self) -> None:
        self.stop_worker()
        if self.fastagi is not None:
            stop_process(self.fastagi)
        self.sim.stop()

    # -- what happened (read with sqlite3, independent of the store) ------------------------------
    def rows(self, sql: str, *params) -> list[dict]:
        if not self.db_path.exists():
            return []
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql, params)]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
        finally:
            conn.close()

    def sent_texts(self) -> Counter:
        """(destination, text) -> how many times the modem took it."""
        return Counter((m.destination, m.text) for m in self.sim.sent_messages())

    def wait_sent(self, n: int, timeout: float = 20.0, what: str = "") -> None:
        wait_until(lambda: len(self.sent_texts()) >= n or not self.worker_alive(), timeout=timeout,
                   interval=0.05, what=what or f"{n} distinct texts sent")
        assert len(self.sent_texts()) >= n, f"worker died:\n{self.worker_log()[-3000:]}"

    def wait_settled(self, timeout: float = 20.0) -> None:
        """Until no call is new and no message scheduled/sending (the worker is done)."""
        def settled() -> bool:
            pending = self.rows("SELECT count(*) AS n FROM call WHERE state = 'new'")
            busy = self.rows("SELECT count(*) AS n FROM message WHERE direction = 'out' "
                             "AND status IN ('scheduled', 'sending') AND due_at <= strftime('%Y-%m-%d %H:%M:%f', 'now', '+1 second')")
            return bool(pending) and pending[0]["n"] == 0 and busy[0]["n"] == 0 and not self.pending_spool()
        wait_until(settled, timeout=timeout, interval=0.1, what="worker settled")

    def pending_spool(self) -> list[Path]:
        return sorted(p for d in (self.spool_dir, self.ram_spool_dir) if d.exists()
                      for p in d.iterdir() if p.name.startswith("call-") and p.suffix == ".json")

    def tally(self) -> LedgerRow:
        stored = {r["uniqueid"] for r in self.rows("SELECT uniqueid FROM call")}
        texts = self.sent_texts()
        skipped = self.rows("SELECT skip_reason FROM call WHERE state = 'skipped'")
        expired = self.rows("SELECT count(*) AS n FROM message WHERE status = 'expired'")
        return LedgerRow(scenario="tally", calls_in=len(self.uniqueids), texts_out=len(texts),
                         duplicates=sum(n - 1 for n in texts.values()),
                         lost=sum(1 for u in self.uniqueids if u not in stored),
                         expired=expired[0]["n"] if expired else 0,
                         rejected=Counter((r["skip_reason"] or "?").split(":")[0] for r in skipped))
