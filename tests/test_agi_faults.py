"""The hook on a bad day: a locked or unwritable store, a malformed environment, a
hang-up mid-run. Always exit 0, one log line, and the call kept (store or spool) or a
clear reject."""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
import time

import pytest
from agi_replay import hook_command, load_transcripts, make_site, replay_subprocess

BY_NAME = {t.name: t for t in load_transcripts()}
BUSY = BY_NAME["inline-busy"]
UNIQUEID = BUSY.env["agi_uniqueid"]


def _one_log_line(result) -> str:
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("textback-agi: ")
    return lines[0]


@pytest.fixture
def site(tmp_path):
    from store import Store

    made = make_site(tmp_path / "site")
    Store.open(made.url).close()
    return made


def test_locked_database_spools_and_imports_exactly_once(site):
    from store import Store
    from store.spool import import_spool

    # Another writer takes the write lock and would keep it for 5 s; the hook must give
    # up after ~2 s and spool. (The holder lets go as soon as the hook is done, to keep
    # the test short: what matters is that the lock outlived the hook's patience.)
    holder = sqlite3.connect(site.db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(5.0, holder.execute, ("ROLLBACK",))
    try:
        started = time.monotonic()
        result = replay_subprocess(BUSY, hook_command(), env=site.env())
        took = time.monotonic() - started
    finally:
        release.cancel()
        holder.execute("ROLLBACK")
        holder.close()
    line = _one_log_line(result)
    assert "spooled" in line and "locked" in line
    assert took < 4.5, f"the hook held the call for {took:.1f}s"
    assert result.sent[-1] == 'SET VARIABLE TEXTBACK_RESULT "queued"'
    assert site.calls() == []
    assert len(site.spool_files()) == 1

    with Store.open(site.url) as store:
        first = import_spool(site.spool_dir, store.record_call)
        second = import_spool(site.spool_dir, store.record_call)
    assert len(first.imported) == 1 and first.rejected == [] and first.error is None
    assert second.imported == []
    rows = site.calls()
    assert len(rows) == 1
    assert rows[0]["uniqueid"] == UNIQUEID and rows[0]["disposition"] == "BUSY"
    assert rows[0]["source"] == "spool" and "spooled by agi" in rows[0]["note"]
    assert site.spool_files() == []


def test_spool_file_imported_twice_by_a_crash_is_still_one_call(site):
    """A crash between commit and unlink re-imports the file: the uniqueid makes it a no-op."""
    from store import Store
    from store.facts import CallFact
    from store.spool import import_spool, write_spool

    fact = CallFact(uniqueid="1795411999.1", caller_raw="+447700900123", disposition="NOANSWER")
    path = write_spool(site.spool_dir, fact)
    copy = path.with_name(path.name.replace("call-", "call-0"))
    copy.write_bytes(path.read_bytes())
    with Store.open(site.url) as store:
        done = import_spool(site.spool_dir, store.record_call)
    assert len(done.imported) == 2 and len(set(done.imported)) == 1
    assert [r["uniqueid"] for r in site.calls()] == ["1795411999.1"]


def test_unreadable_spool_file_is_set_aside_not_lost(site):
    from store import Store
    from store.spool import import_spool

    site.spool_dir.mkdir(parents=True, exist_ok=True)
    bad = site.spool_dir / "call-1-1.json"
    bad.write_bytes(b"\xff\x00 not json")
    with Store.open(site.url) as store:
        done = import_spool(site.spool_dir, store.record_call)
    assert done.imported == [] and len(done.rejected) == 1
    assert (site.spool_dir / "rejected" / "call-1-1.json").read_bytes() == b"\xff\x00 not json"


def test_import_keeps_files_while_the_store_is_down(site):
    from store.errors import StoreUnavailable
    from store.facts import CallFact
    from store.spool import import_spool, write_spool

    write_spool(site.spool_dir, CallFact(uniqueid="1795411999.2", caller_raw="+12125550123"))

    def store_down(fact):
        raise StoreUnavailable("the database is locked")

    done = import_spool(site.spool_dir, store_down)
    assert done.left == 1 and "locked" in done.error
    assert len(site.spool_files()) == 1


@pytest.mark.parametrize("where", ["parent-is-a-file", "damaged-file", "read-only-filesystem"])
def test_unwritable_store_spools(tmp_path, where):
    # Tests run as root, so file modes cannot make a database unwritable; these three
    # are unwritable for root too.
    if where == "parent-is-a-file":
        (tmp_path / "plain-file").write_text("x")
        db_path = tmp_path / "plain-file" / "textback.db"
    elif where == "damaged-file":
        db_path = tmp_path / "textback.db"
        db_path.write_bytes(b"this is not an SQLite database" * 100)
    else:
        db_path = type(tmp_path)("/proc/textback-test.db")
    site = make_site(tmp_path / "site", db_path=db_path)
    result = replay_subprocess(BUSY, hook_command(), env=site.env())
    line = _one_log_line(result)
    assert "spooled" in line, line
    assert len(site.spool_files()) == 1
    assert result.sent[-1] == 'SET VARIABLE TEXTBACK_RESULT "queued"'


def test_store_and_spool_both_unwritable_logs_the_whole_call(tmp_path):
    (tmp_path / "plain-file").write_text("x")
    site = make_site(tmp_path / "site", db_path=tmp_path / "plain-file" / "db",
                     spool_dir=tmp_path / "plain-file" / "spool")
    # ... and the RAM spool, the last resort on a full disk, unwritable as well.
    env = dict(site.env(), TEXTBACK_RAM_SPOOL=str(tmp_path / "plain-file" / "ram-spool"))
    result = replay_subprocess(BUSY, hook_command(), env=env)
    line = _one_log_line(result)
    assert "NOT RECORDED" in line and UNIQUEID in line and "+15551234567" in line
    assert result.sent[-1] == 'SET VARIABLE TEXTBACK_RESULT "failed"'


RAW = "".join(BUSY.raw_env)


def _without(key: str) -> str:
    return "".join(line for line in BUSY.raw_env if not line.startswith(key + ":"))


MALFORMED = {
    # name: (bytes sent as the environment, close stdin after it, call expected?)
    "no-blank-line": (RAW[:-1].encode(), True, True),
    "eof-halfway": (RAW[: RAW.index("agi_callerid:") + 20].encode(), True, False),
    "binary-garbage": (bytes(range(256)) * 8 + b"\n\n", False, False),
    "garbage-then-env": (b"\x00\xff\xfe garbage\n" + RAW.encode(), False, True),
    "10mb-line": (RAW.replace("agi_calleridname: Test Caller\n",
                              "agi_calleridname: " + "A" * 10_000_000 + "\n").encode(), False, True),
    "no-agi_callerid": (_without("agi_callerid").encode(), False, True),
    "nothing-at-all": (b"", True, False),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_environment(site, case):
    raw, close, expect_call = MALFORMED[case]
    result = replay_subprocess(BUSY, hook_command(), env=site.env(), raw_env=raw, close_after_env=close,
                               timeout=20)
    line = _one_log_line(result)
    rows = site.calls()
    if expect_call:
        assert "recorded call" in line, line
        assert [r["uniqueid"] for r in rows] == [UNIQUEID]
    else:
        assert "rejected" in line or "recorded call" in line, line
    if case == "no-agi_callerid":
        assert rows[0]["caller_raw"] == "" and "no agi_callerid" in rows[0]["note"]
    if case == "10mb-line":
        assert len(rows[0]["caller_name"]) <= 256 and "cut" in rows[0]["note"]
        # the lines after the long one are still read as environment, not as answers
        assert rows[0]["business_line"] == "102" and result.unrecorded == []
    if case == "eof-halfway":
        # uniqueid arrived before the cut, the caller number was cut mid-way: kept as far as known
        assert [r["uniqueid"] for r in rows] == [UNIQUEID]
        assert "without its blank line" in rows[0]["note"]
    if case in ("binary-garbage", "nothing-at-all"):
        assert rows == [] and "rejected" in line


def test_sighup_while_reading_the_environment_still_commits(site):
    """SIGHUP before the environment is complete (inline AGI, caller hung up at once)."""
    proc = subprocess.Popen(hook_command() + ["BUSY"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=site.env())
    half = len(RAW) // 2
    proc.stdin.write(RAW[:half].encode())
    proc.stdin.flush()
    # wait until the hook is far enough to have its handler: it has read nothing back yet,
    # so poll its /proc status for the SIGHUP handler bit instead of sleeping blindly
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with open(f"/proc/{proc.pid}/status") as status:
            caught = next(int(line.split()[1], 16) for line in status if line.startswith("SigCgt:"))
        if caught & (1 << (signal.SIGHUP - 1)):
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGHUP)
    proc.stdin.write(RAW[half:].encode())
    proc.stdin.close()  # EOF: Asterisk is gone too; the call must be written anyway
    proc.stdin = None
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    text = err.decode()
    assert "recorded call" in text and "after hang-up" in text and "Traceback" not in text
    assert [r["uniqueid"] for r in site.calls()] == [UNIQUEID]
