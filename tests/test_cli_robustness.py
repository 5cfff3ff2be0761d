"""Every staff command on an empty database, a missing one, one locked by another
process, and on a terminal (colour) versus a pipe (none). Never a traceback."""
from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone

import pytest
from cli_helpers import US, WriteLock, fill, make_site, run

READ_COMMANDS = [("inbox",), ("inbox", "--all"), ("thread", US), ("stats",), ("optouts",), ("status",),
                 ("export",), ("calls",)]
LISTINGS = [("inbox",), ("stats",), ("optouts",), ("status",), ("calls",), ("thread", US)]
WRITE_COMMANDS = [("reply", US, "hello"), ("block", US), ("unblock", US)]


@pytest.mark.parametrize("args", READ_COMMANDS + WRITE_COMMANDS, ids=" ".join)
def test_missing_database_is_explained_and_not_created(tmp_path, args):
    site = make_site(tmp_path, create=False)
    result = run(site, *args)
    assert result.exit_code == 1
    assert f"no database at {site.db}: has the worker or the AGI hook run yet?" in result.output
    assert str(site.config) in result.output
    assert not site.db.exists() and not site.db.parent.exists()


@pytest.mark.parametrize("args", [a + (f,) for a in LISTINGS for f in ("--json", "--csv")] + LISTINGS,
                         ids=" ".join)
def test_empty_database_gives_empty_listings(tmp_path, args):
    site = make_site(tmp_path)
    result = run(site, *args)
    assert result.exit_code == 0, result.output
    if "--json" in args:
        data = json.loads(result.output)
        assert data == [] or isinstance(data, dict)
    elif "--csv" in args:
        assert len(result.output.strip().splitlines()) >= 1      # the header, at least


def test_empty_database_tables_say_so(tmp_path):
    site = make_site(tmp_path)
    assert "No unread replies" in run(site, "inbox").output
    assert "No missed calls" in run(site, "stats").output
    assert "No opt-outs" in run(site, "optouts").output
    assert "No calls in the last 7d" in run(site, "calls").output
    assert "never ran" in run(site, "status").output
    assert "Nothing recorded for (212) 555-0123" in run(site, "thread", US).output


def test_a_broken_config_is_a_clear_error(tmp_path):
    site = make_site(tmp_path, create=False)
    site.config.write_text("[business]\nname = 'x'\ncolour = 'red'\n", encoding="utf-8")
    result = run(site, "inbox")
    assert result.exit_code == 1 and 'unknown key "colour"' in result.output and "config check" in result.output


def test_not_a_database_is_a_clear_error(tmp_path):
    site = make_site(tmp_path, create=False)
    site.db.parent.mkdir(parents=True)
    site.db.write_bytes(b"this is not sqlite" * 100)
    result = run(site, "inbox")
    assert result.exit_code == 1 and "not a usable SQLite database" in result.output


@pytest.mark.parametrize("args", READ_COMMANDS, ids=" ".join)
def test_reading_works_while_another_process_holds_the_write_lock(tmp_path, args):
    site = make_site(tmp_path)
    fill(site)
    with WriteLock(site.db):
        started = time.monotonic()
        result = run(site, *args)
        assert result.exit_code == 0, result.output
        assert time.monotonic() - started < 2.0     # WAL: readers never wait for the writer


def test_thread_under_a_held_lock_shows_and_writes_nothing(tmp_path, monkeypatch):
    # Issue 14: reading a thread no longer marks anything read, so it needs no write at all
    # (it used to try one and say "could not mark the replies as read" under the lock).
    site = make_site(tmp_path)
    fill(site)
    monkeypatch.setattr("textback.commands.shop_store.BUSY_TIMEOUT", 0.2)
    with WriteLock(site.db):
        result = run(site, "thread", US)
    assert result.exit_code == 0 and "Oui! Can you come at 3?" in result.output
    assert "could not" not in result.output
    assert json.loads(run(site, "inbox", "--json").output)[-1]["unread"] == 1


def test_a_write_waits_for_the_worker_then_succeeds(tmp_path):
    site = make_site(tmp_path)
    lock = WriteLock(site.db)
    threading.Timer(0.3, lock.release).start()
    result = run(site, "block", US)
    assert result.exit_code == 0 and "Blocked" in result.output


def test_a_write_blocked_too_long_says_what_to_do(tmp_path, monkeypatch):
    site = make_site(tmp_path)
    monkeypatch.setattr("textback.commands.shop_store.BUSY_TIMEOUT", 0.2)
    with WriteLock(site.db):
        result = run(site, "block", US)
    assert result.exit_code == 1 and "locked" in result.output and "try again" in result.output


def test_colour_only_on_a_terminal(tmp_path):
    site = make_site(tmp_path)
    fill(site)
    assert "\x1b[" in run(site, "inbox", color=True).output
    assert "\x1b[" not in run(site, "inbox").output
    assert "\x1b[" not in run(site, "inbox", "--json", color=True).output


def test_control_characters_in_a_caller_name_are_made_visible(tmp_path):
    from store.facts import CallFact
    site = make_site(tmp_path)
    with site.store() as store:
        store.record_call(CallFact(uniqueid="x", caller_raw=US, caller_name="E\x1b[2J\u202eN",
                                   happened_at=datetime.now(timezone.utc)))
    table = run(site, "calls").output
    assert "\x1b" not in table and "\\x1b[2J" in table and "\\u202eN" in table


def test_inbox_follow_prints_replies_as_they_come(tmp_path):
    site = make_site(tmp_path)

    def later():
        time.sleep(0.3)
        with site.store() as store:
            store.record_inbound(US, "Merci, à demain 🙏", datetime.now(timezone.utc), key="late")

    threading.Thread(target=later).start()
    result = run(site, "inbox", "--follow", "--interval", "0.05", "--count", "1", "--for", "10")
    assert result.exit_code == 0 and "Watching for new replies" in result.output
    assert "Merci, à demain 🙏" in result.output and "(212) 555-0123" in result.output
    quiet = run(site, "inbox", "--follow", "--json", "--interval", "0.05", "--for", "0.2")
    assert quiet.exit_code == 0
    (listing,) = [json.loads(line) for line in quiet.output.splitlines()]   # JSON Lines
    assert listing[0]["last_reply"] == "Merci, à demain 🙏"
