"""`textback status`, `textback doctor` and the worker heartbeat row (schema v2) they read.

The modem is the simulator on a pty, opened by pyserial as a real /dev/ttyUSB2 would be;
Asterisk's directories are tmp dirs passed with --agi-bin / --asterisk-etc.
"""
from __future__ import annotations

import getpass
import json
import os
import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cli_helpers import fill, make_site, run

from modem.simulator.pty_modem import ModemSimulator
from store import Store
from store.errors import StoreError

V1 = Path(__file__).parent / "fixtures" / "v1.db"
ME = getpass.getuser()


def beat(site, **fields):
    with site.store() as store:
        store.write_worker_status(**fields)


def test_worker_status_round_trip_and_partial_updates(store):
    assert store.worker_status() is None
    t = datetime(2025, 3, 4, 15, 30, tzinfo=timezone.utc)
    store.write_worker_status(pid=42, host="pi", started_at=t, beat_at=t, modem_port="/dev/ttyUSB2",
                              signal_dbm=-71, alerts=["hourly cap reached ✋"])
    store.write_worker_status(registration="home", beat_at=t + timedelta(seconds=10))
    status = store.worker_status()
    assert (status.pid, status.signal_dbm, status.registration) == (42, -71, "home")
    assert status.beat_at == t + timedelta(seconds=10) and status.alerts == ("hourly cap reached ✋",)
    store.write_worker_status(alerts=[])
    assert store.worker_status().alerts == ()
    with pytest.raises(StoreError, match="unknown worker status field"):
        store.write_worker_status(colour="red")


def test_v1_database_opens_at_v2_with_a_worker_status_row(tmp_path):
    copy = tmp_path / "v1.db"
    shutil.copy(V1, copy)
    with Store.open(f"sqlite:///{copy}") as store:
        assert store.worker_status() is None
        store.write_worker_status(pid=7)
        assert store.worker_status().pid == 7
        assert store.call(1).caller_number == "+12125550123"   # v1 data kept


def test_status_with_a_live_worker(tmp_path):
    site = make_site(tmp_path)
    fill(site)
    (tmp_path / "spool").mkdir()
    (tmp_path / "spool" / "call-1.json").write_text("{}")
    beat(site, pid=123, host="pi", started_at=datetime.now(timezone.utc), modem_port="/dev/ttyUSB2",
         modem_alive=True, signal_dbm=-71, operator="Test Network", registration="home", sim_used=3, sim_total=30,
         alerts=["hourly cap of 30 reached: 4 calls held"])
    table = run(site, "status").output
    for expected in ("alive, pid 123 on pi", "-71 dBm", "Test Network", "home", "3/30",
                     "1 scheduled (0 due now)", "hourly cap of 30 reached"):
        assert expected in table
    data = json.loads(run(site, "status", "--json").output)
    assert data["worker_alive"] is True and data["worker"]["operator"] == "Test Network"
    assert data["queue"]["scheduled"] == 1 and data["queue"]["last_sent_at"].endswith(("-05:00", "-04:00"))
    assert "item,value" in run(site, "status", "--csv").output


def test_status_with_a_dead_worker_says_how_to_look(tmp_path):
    site = make_site(tmp_path)
    beat(site, pid=9, beat_at=datetime.now(timezone.utc) - timedelta(minutes=5), registration="searching")
    result = run(site, "status")
    assert "NOT RUNNING" in result.output and "journalctl -u textback-worker" in result.output
    assert json.loads(run(site, "status", "--json").output)["worker_alive"] is False


@pytest.fixture
def pbx(tmp_path):
    agi, etc = tmp_path / "agi-bin", tmp_path / "asterisk"
    agi.mkdir()
    etc.mkdir()
    return agi, etc


def doctor(site, pbx, *extra):
    agi, etc = pbx
    return run(site, "doctor", "--agi-bin", str(agi), "--asterisk-etc", str(etc), "--modem-timeout", "1", *extra)


def test_doctor_on_a_bare_box_marks_each_failure_with_its_fix(tmp_path, pbx):
    site = make_site(tmp_path, extra='[modem]\nport = "/dev/textback-no-such-modem"\n')
    result = doctor(site, pbx, "--asterisk-user", "no-such-user-x", "--worker-user", ME)
    assert result.exit_code == 1
    out = result.output
    assert "[  ok] configuration valid" in out
    assert "no user 'no-such-user-x'" in out
    assert "textback-agi missing" in out and "ln -sf" in out
    assert "no #include extensions_textback.conf" in out
    assert "no device /dev/textback-no-such-modem" in out
    assert "no heartbeat ever" in out and "systemctl enable --now textback-worker" in out


def test_doctor_all_green_against_the_simulator(tmp_path, pbx):
    agi, etc = pbx
    with ModemSimulator() as sim:
        site = make_site(tmp_path, extra=f'[modem]\nport = "{sim.device}"\n')
        os.symlink(sys.executable, agi / "textback-agi")
        (etc / "extensions.conf").write_text("[general]\n#include extensions_textback.conf\n")
        (etc / "extensions_textback.conf").write_text("; textback\n")
        result = doctor(site, pbx, "--asterisk-user", ME, "--worker-user", ME, "--json")
        checks = {c["name"]: c for c in json.loads(result.output)}
        assert checks["modem answers AT"]["mark"] == "ok"
        assert checks["SIM ready"]["detail"] == "READY"
        assert checks["registered on the network"]["detail"] == "home"
        assert checks["SMSC set"]["detail"] == "+447700900100"
        assert checks["worker service running"]["mark"] == "FAIL" and result.exit_code == 1
        sim.lose_network()
        lost = doctor(site, pbx, "--asterisk-user", ME, "--worker-user", ME)
        assert "[FAIL] registered on the network: not registered" in lost.output
        sim.restore_network()
        # A live worker: doctor leaves the port alone and trusts its heartbeat.
        beat(site, pid=1, modem_port=sim.device, modem_alive=True, registration="home")
        seen = len(sim.commands_seen)
        green = doctor(site, pbx, "--asterisk-user", ME, "--worker-user", ME)
        assert green.exit_code == 0 and "All checks passed." in green.output
        assert len(sim.commands_seen) == seen


def test_doctor_finds_a_silent_modem_and_an_unwritable_database(tmp_path, pbx):
    agi, _ = pbx
    (agi / "textback-agi").write_text("#!/bin/sh\n")      # present but not executable
    with ModemSimulator() as sim:
        sim.stop_answering()
        site = make_site(tmp_path, extra=f'[modem]\nport = "{sim.device}"\n')
        os.chmod(site.db, 0o640)
        result = doctor(site, pbx, "--asterisk-user", "nobody", "--worker-user", ME)
    assert "did not answer AT" in result.output
    assert "is not executable" in result.output and "chmod 755" in result.output
    assert "nobody cannot write" in result.output


def test_doctor_with_a_broken_config_still_checks_the_rest(tmp_path, pbx):
    site = make_site(tmp_path)
    site.config.write_text("[modem\n", encoding="utf-8")
    result = doctor(site, pbx)
    assert result.exit_code == 1 and "[FAIL] configuration valid" in result.output and "not valid TOML" in result.output
    assert "AGI program" in result.output


def test_status_shows_the_receive_memory_the_worker_uses_and_its_fill(tmp_path):
    site = make_site(tmp_path)
    beat(site, pid=5, host="pi", started_at=datetime.now(timezone.utc), modem_alive=True,
         sim_used=100, sim_total=100, receive_memory="ME")
    assert "receive memory     ME 100/100 (100% full; new replies wait at the network)\n" in run(site, "status").output
    beat(site, sim_used=85, sim_total=100)
    assert "receive memory     ME 85/100 (85% full)\n" in run(site, "status").output


def test_doctor_takes_csv_like_every_listing(tmp_path, pbx):
    import csv
    import io
    site = make_site(tmp_path, extra='[modem]\nport = "/dev/textback-no-such-modem"\n')
    rows = list(csv.DictReader(io.StringIO(doctor(site, pbx, "--asterisk-user", "no-such-user-x",
                                                  "--worker-user", ME, "--csv").output)))
    assert rows and list(rows[0]) == ["name", "mark", "detail", "fix"]
    assert {r["name"] for r in rows} >= {"worker service running"}
    assert json.loads(doctor(site, pbx, "--worker-user", ME, "--json").output)[0].keys() == {
        "name", "mark", "detail", "fix"}


def test_status_shows_todays_texts_and_the_30_day_numbers_against_the_caps(tmp_path):
    site = make_site(tmp_path, extra="[sending]\ndaily_cap = 10\nrecipients_cap = 0\n")
    now = datetime.now(timezone.utc)
    with site.store() as store:
        for n, number in enumerate(["+12125550123", "+12125550145", "+12125550123"] * 3):
            message_id = store.queue_message(number, "text_back", "Hi", now)
            store.claim_due("t", 60, now)
            store.mark_sent(message_id, n, "t", now)
        old = store.queue_message("+12125550167", "text_back", "Hi", now)
        store.claim_due("t", 60, now)
        store.mark_sent(old, 99, "t", now - timedelta(days=31))    # outside both windows
    output = run(site, "status").output
    assert "texts today        9 of 10 (daily cap, 90%)\n" in output
    assert "numbers, 30 days   2 (no distinct-number cap)\n" in output
    report = json.loads(run(site, "status", "--json").output)
    assert report["sending"] == {"sent_today": 9, "daily_cap": 10, "recipients_30d": 2, "recipients_cap": None}


def test_status_shows_each_notify_target_and_one_failing(tmp_path):
    extra = ('[[notify]]\nname = "crm"\nurl = "https://crm.example.com/hook"\nsecret = "k"\n'
             '[[notify]]\nname = "csv"\ncommand = "sh to-csv.sh"\n[[notify]]\nname = "chat"\ncommand = "x"\n')
    site = make_site(tmp_path, extra=extra)
    t = datetime(2026, 12, 1, 18, 4, 5, tzinfo=timezone.utc)
    with site.store() as store:
        store.prepare_notify_targets(["crm", "csv"], t)
        store.raise_alert("disk_full", "disk nearly full", t)
        store.clear_alert("disk_full", t)
        [raised, cleared] = store.pending_events("csv")
        store.event_delivered("csv", raised.id, t)
        store.event_failed("crm", "nothing answers at https://crm.example.com/hook (connection refused): is the "
                           "receiver running?", t + timedelta(seconds=5), t)
        store.event_failed("crm", "nothing answers at https://crm.example.com/hook (connection refused): is the "
                           "receiver running?", t + timedelta(seconds=10), t + timedelta(seconds=5))
    lines = [ln for ln in run(site, "status").output.splitlines() if ln.startswith("notify")]
    assert lines[0] == ("notify crm         FAILING since 2026-12-01 13:04:05 (2 tries): nothing answers at "
                        "https://crm.example.com/hook (connection refused): is the receiver running?; 0 delivered, "
                        "2 waiting")
    assert lines[1].startswith("notify csv         ok, last delivery 2026-12-01 13:04:05 (")
    assert lines[1].endswith(" ago); 1 delivered, 1 waiting")
    assert lines[2] == ("notify chat        not started yet: the worker starts it (restart it after adding a "
                        "target)")
    data = json.loads(run(site, "status", "--json").output)["notify"]
    assert [(t["name"], t.get("failures")) for t in data] == [("crm", 2), ("csv", 0), ("chat", None)]
