"""Shared pieces for the staff CLI tests: a tmp site (config + real SQLite store), a filled
shop, the CLI run through click's CliRunner, and a second process holding the write lock.

No mocks: the store is a real SQLite file filled through Store verbs, and the lock is
held by another OS process exactly as a busy worker would hold it.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from click.testing import CliRunner

from store import Store
from store.facts import CallFact, CallPlan, PlannedMessage
from textback.cli import main

US_SHOP = "+12125550100"
US = "+12125550123"       # Zoë 🚀: texted, replied (unread), delivered
US2 = "+12125550145"      # Jürgen: texted, opted out by STOP
US3 = "+12125550167"      # anonymous-looking skip
UK = "+447700900123"      # a foreign caller, skipped blocked_region
NOW = datetime.now(timezone.utc).replace(microsecond=0)


@dataclass
class Site:
    root: Path
    db: Path
    config: Path
    store_url: str | None = None        # another store than the SQLite file `db` (PostgreSQL)

    @property
    def url(self) -> str:
        return self.store_url or f"sqlite:///{self.db}"

    def store(self) -> Store:
        return Store.open(self.url)


def make_site(tmp_path: Path, *, country: str = "US", tz: str = "America/New_York", create: bool = True,
              extra: str = "", url: str | None = None) -> Site:
    db = tmp_path / "var" / "t.db"
    config = tmp_path / "textback.toml"
    config.write_text(textwrap.dedent(f"""\
        [business]
        name = "Café Zoë"
        country = "{country}"
        timezone = "{tz}"
        [store]
        url = "{url or f'sqlite:///{db}'}"
        spool_dir = "{tmp_path / 'spool'}"
        """) + extra, encoding="utf-8")
    site = Site(tmp_path, db, config, url)
    if create:
        site.store().close()
    return site


def run(site: Site, *args: str, color: bool = False, input: str | None = None):
    """Run `textback --config SITE args...`; a traceback is always a test failure."""
    result = CliRunner().invoke(main, ["--config", str(site.config), *args], color=color, input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"textback {' '.join(args)} raised {result.exception!r}\n{result.output}") \
            from result.exception
    assert "Traceback" not in result.output
    return result


def _call(store: Store, uid: str, raw: str, name: str, at: datetime, line: str = US_SHOP,
          status: str = "NOANSWER") -> int:
    return store.record_call(CallFact(uniqueid=uid, caller_raw=raw, caller_name=name, business_line=line,
                                      disposition=status, happened_at=at))


def fill(site: Site) -> dict:
    """A small shop's day, through the Store's own verbs; returns the ids tests refer to."""
    t0 = NOW - timedelta(hours=3)
    with site.store() as store:
        zoe = _call(store, "c1", US, "Zoë 🚀", t0)
        store.plan_call(zoe, CallPlan(US, region="US", messages=(
            PlannedMessage("text_back", "Hi, this is Café Zoë. Sorry we missed you!", t0 + timedelta(seconds=30)),
            PlannedMessage("follow_up", "Still need help? Reply STOP to opt out.", NOW + timedelta(hours=5), 1))),
            now=t0)
        jurgen = _call(store, "c2", US2, "Jürgen", t0 + timedelta(minutes=10), line="+12125550199")
        store.plan_call(jurgen, CallPlan(US2, region="US", messages=(
            PlannedMessage("text_back", "Hi, this is Café Zoë. Sorry we missed you!", t0 + timedelta(minutes=11)),)),
            now=t0)
        for at, delay in ((t0 + timedelta(seconds=30), 42), (t0 + timedelta(minutes=11), 100)):
            claimed = store.claim_due("test", 60, now=at)
            store.mark_sent(claimed.id, claimed.id % 256, "test", now=at + timedelta(seconds=delay - 30))
        store.mark_delivered(1 % 256, US, True, t0 + timedelta(minutes=1))
        reply, _ = store.record_inbound(US, "Oui! Can you come at 3? 👍 ça marche", t0 + timedelta(minutes=20),
                                        key="k1")
        stop, _ = store.record_inbound(US2, "STOP", t0 + timedelta(minutes=30), key="k2")
        store.opt_out(US2, "STOP", message_id=stop)
        skipped = _call(store, "c3", UK, "Åsa", t0 + timedelta(minutes=40))
        store.plan_call(skipped, CallPlan(UK, skip_reason="blocked_region", region="GB"), now=t0)
        old = _call(store, "c4", "+12125550188", "Old", NOW - timedelta(days=20))
        store.plan_call(old, CallPlan(None, skip_reason="stale"), now=NOW)
    return {"zoe_call": zoe, "reply": reply, "stop": stop}


class WriteLock:
    """Another process holding a write transaction on the database (as a busy worker would)."""

    def __init__(self, db: Path, seconds: float = 30.0):
        code = ("import sqlite3, sys, time\n"
                f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
                "c.execute('BEGIN IMMEDIATE')\n"
                "c.execute(\"UPDATE meta SET value = value WHERE key = 'schema_version'\")\n"
                "print('locked', flush=True)\n"
                f"sys.stdin.readline(); c.execute('COMMIT')\n")
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=5)

    def __enter__(self) -> WriteLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()
