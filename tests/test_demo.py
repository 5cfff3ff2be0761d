"""`textback demo`: the whole chain on one machine, checked by what really happened.

Nothing mocked: the demo runs the real hook as a subprocess, the real worker in a thread
and the simulator on a pty. The tests look at the simulator's own record of what was
sent (run_demo's result) and at the kept SQLite file read with stdlib sqlite3.
"""
from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from pathlib import Path

from click.testing import CliRunner
from user_helpers import program

from textback.cli import main
from textback.demo import BUSINESS, STAFF, run_demo

DANA, MARCO, PRIYA = "+12125550142", "+12125550157", "+12125550163"
PREMIUM = "+19005550123"


def _rows(db: Path, sql: str) -> list[dict]:
    conn = sqlite3.connect(db)
    try:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def test_demo_texts_the_real_callers_and_nobody_else(tmp_path):
    lines: list[str] = []
    result = run_demo(tmp_path, say=lines.append)

    # What the simulated modem actually accepted, in order.
    sent = [(m.destination, m.text) for m in result.sent]
    destinations = [d for d, _ in sent]
    assert sorted(destinations) == sorted([DANA, MARCO, PRIYA, STAFF, MARCO])
    assert PREMIUM not in destinations and "anonymous" not in destinations
    for number in (DANA, MARCO, PRIYA):
        first = next(text for d, text in sent if d == number)
        assert first.startswith(f"Hi, this is {BUSINESS}.") and "(212) 555-0100" in first
    assert all(p.encoding == "GSM-7" for m in result.sent for p in m.parts)

    # Dana's reply reached the owner's phone with her number and words.
    [forward] = [text for d, text in sent if d == STAFF]
    assert DANA in forward and "my boiler is leaking" in forward

    # Marco's STOP: one confirmation, then nothing, even after he called again.
    to_marco = [text for d, text in sent if d == MARCO]
    assert len(to_marco) == 2 and "won't get any more texts" in to_marco[1]

    skipped = [e.text for e in result.events if e.kind == "skipped"]
    assert skipped == ["  no text: skipped, anonymous", "  no text: skipped, premium",
                       "  no text: skipped, opted_out"]
    # The promise: hang-up to text sent, measured per call, well inside a few seconds here.
    seconds = result.text_back_seconds()
    assert set(seconds) == {DANA, MARCO, PRIYA}
    assert all(0 < s < 5 for s in seconds.values()), seconds
    assert any("text sent" in line and "after hang-up" in line for line in lines)
    assert result.seconds < 30

    # The store, read without textback's code.
    db = tmp_path / "textback.db"
    calls = _rows(db, "SELECT caller_raw, disposition, state, skip_reason FROM call ORDER BY id")
    assert [(c["caller_raw"], c["disposition"], c["state"], c["skip_reason"]) for c in calls] == [
        (DANA, "NOANSWER", "planned", None), (MARCO, "BUSY", "planned", None),
        (PRIYA, "CANCEL", "planned", None), ("anonymous", "NOANSWER", "skipped", "anonymous"),
        (PREMIUM, "NOANSWER", "skipped", "premium"), (MARCO, "NOANSWER", "skipped", "opted_out")]
    follow_ups = _rows(db, "SELECT number, status FROM message WHERE kind = 'follow_up'")
    assert {f["number"] for f in follow_ups if f["status"] == "cancelled"} == {DANA, MARCO}
    assert not [f for f in follow_ups if f["number"] in (DANA, MARCO) and f["status"] != "cancelled"]
    [marco] = _rows(db, f"SELECT opted_out FROM contact WHERE number = '{MARCO}'")
    assert marco["opted_out"]


def test_demo_command_exits_0_shows_inbox_and_stats_and_keeps_a_usable_store(tmp_path):
    kept = tmp_path / "kept"
    runner = CliRunner()
    result = runner.invoke(main, ["demo", "--keep", str(kept)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "call from +1 212-555-0142 (Dana)" in out
    assert "no text: skipped, premium" in out
    # The staff's view comes from the real `inbox` and `stats` commands on the demo's store.
    inbox = out.split("$ textback inbox", 1)[1].split("$ textback stats", 1)[0]
    assert "Dana" in inbox and "Marco" in inbox and "Priya" not in inbox   # only those who replied
    stats = out.split("$ textback stats", 1)[1]
    assert "premium" in stats and "anonymous" in stats
    assert f"textback --config {kept / 'textback.toml'} inbox" in out
    assert "Traceback" not in out

    # The kept configuration works with the staff commands afterwards.
    again = runner.invoke(main, ["--config", str(kept / "textback.toml"), "inbox", "--all"])
    assert again.exit_code == 0, again.output
    assert "Dana" in again.output and "Marco" in again.output


def test_keep_never_overwrites_an_existing_database(tmp_path):
    (tmp_path / "textback.db").write_bytes(b"someone's data")
    result = CliRunner().invoke(main, ["demo", "--keep", str(tmp_path)])
    assert result.exit_code == 2
    assert "already holds textback.db" in result.output and "choose a new or empty directory" in result.output
    assert (tmp_path / "textback.db").read_bytes() == b"someone's data"
    assert not (tmp_path / "textback.toml").exists()


def test_a_broken_hook_stops_the_demo_with_a_clear_error(tmp_path):
    # A stale `textback-agi` first on PATH that records nothing: a real broken install,
    # which the demo must name (exit 1, no traceback) instead of waiting forever.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    hook = bin_dir / "textback-agi"
    hook.write_text("#!/bin/sh\necho 'textback-agi: cannot open the database' >&2\nexit 0\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    command = program("textback")
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(command + ["demo", "--keep", str(tmp_path / "kept")], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the demo stopped: the AGI hook did not record the call from +12125550142" in done.stderr
    assert "cannot open the database" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_the_readme_shows_what_the_demo_prints(tmp_path, monkeypatch):
    # README's "What the demo prints" is the newcomer's first sight of the product: it must
    # stay the demo's real output, line for line; only numbers (timings, dates) may differ.
    import re

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    shown = readme.split("## What the demo prints", 1)[1].split("```\n", 2)[1]
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output

    def shape(text: str) -> list[str]:
        text = re.sub(r"/tmp/textback-demo-\S+|" + re.escape(str(tmp_path)) + r"/textback-demo-\S+", "DIR", text)
        return [re.sub(r"\d+", "N", line).rstrip() for line in text.splitlines()]

    assert shape(result.output) == shape(shown.removeprefix("$ textback demo\n"))
