"""`textback status` and `doctor` with several modems ([[modem]] entries, one worker each,
one store): every worker and its modem, each SIM's own caps. The heartbeats are written
with the store's verb as each worker writes its own; a real SQLite store; the CLI through
click's CliRunner at 80 columns."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from cli_helpers import make_site, run
from modem_fleet import VAN_LINE, modem_entry, two_modems

NY = ZoneInfo("America/New_York")
CAPS = "\n[sending]\ndaily_cap = 10\nrecipients_cap = 200\n"
MODEMS = CAPS + two_modems() + modem_entry("van", "/dev/textback-modem-van", VAN_LINE)


@pytest.fixture(autouse=True)
def eighty_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def local(at: datetime, seconds: bool = True) -> str:
    return at.astimezone(NY).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def no_ages(text: str) -> str:
    """The output with each '(12s ago)' as '(… ago)': the rest is exact."""
    return re.sub(r"\(\d+(\.\d)?[smh] ago\)", "(… ago)", text)


def sent_from(store, modem: str, number: str, at: datetime) -> None:
    """A text the worker of `modem` sent (it stamps message.modem with its modem)."""
    message_id = store.queue_message(number, "text_back", "Hi", at)
    store.claim_due("t", 60, at)
    store.mark_sent(message_id, 1, "t", at)
    Message = store.models.Message
    Message.update(modem=modem).where(Message.id == message_id).execute()


def two_workers(site, now: datetime) -> tuple[datetime, datetime]:
    started, dead_beat = now - timedelta(hours=3), now - timedelta(minutes=10)
    with site.store() as store:
        store.write_worker_status(modem_name="front-desk", pid=4242, host="shop-a-pi", started_at=started,
                                  beat_at=now, beat_seconds=5.0, modem_port="/dev/textback-modem",
                                  modem_alive=True, signal_dbm=-71, operator="Test Network", registration="home",
                                  sim_used=3, sim_total=100, receive_memory="ME", last_sent_at=now - timedelta(minutes=2),
                                  last_received_at=None)
        store.write_worker_status(modem_name="service", pid=977, host="shop-b-pi", started_at=started,
                                  beat_at=dead_beat, beat_seconds=5.0, modem_port="/dev/textback-modem-service",
                                  modem_alive=True, signal_dbm=-95, operator="Test Network",
                                  registration="searching", sim_used=30, sim_total=30, receive_memory="SM")
        for n in range(8):
            sent_from(store, "front-desk", f"+1212555{121 + n % 2:04d}", now - timedelta(seconds=30))
        sent_from(store, "service", "+12125550131", now - timedelta(seconds=30))
    return started, dead_beat


def test_status_lists_every_worker_and_modem_with_its_own_caps(tmp_path):
    site = make_site(tmp_path, extra=MODEMS)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    started, dead = two_workers(site, now)
    result = run(site, "status")
    assert result.exit_code == 0
    head, spool, tail = no_ages(result.output).partition("spool backlog")
    tail = spool + tail
    assert head == f"""\
modem front-desk   running (pid 4242 on shop-a-pi, since {local(started, False)})
  last beat        {local(now)} (… ago)
  port             /dev/textback-modem: answering
  network          -71 dBm, Test Network, home
  receive memory   ME 3/100 (3% full)
  last text sent   {local(now - timedelta(minutes=2))} (… ago)
  last reply       never
  texts today      8 of 10 (daily cap, 80%)
  numbers, 30 days 2 of 200 (distinct-number cap, 1%)
modem service      NOT RUNNING (pid 977 on shop-b-pi)
  last beat        {local(dead)} (… ago)
  check            systemctl status textback-worker@service; journalctl -u
                   textback-worker@service
  port             /dev/textback-modem-service: not asked (its worker is not
                   running)
  network          -95 dBm, Test Network, searching
  receive memory   SM 30/30 (100% full; new replies wait at the network)
  last text sent   never
  last reply       never
  texts today      1 of 10 (daily cap, 10%)
  numbers, 30 days 1 of 200 (distinct-number cap, 0%)
modem van          never ran: sudo systemctl enable --now textback-worker@van
  port             /dev/textback-modem-van
  texts today      0 of 10 (daily cap, 0%)
  numbers, 30 days 0 of 200 (distinct-number cap, 0%)
queue              0 scheduled (0 due now), 0 sending
expired            0 text(s) in the last day were too old to send
"""
    # The spool's tmp path is longer than the line: wrapped at a "/"-free space, under its value.
    assert " ".join(tail.split()) == f"spool backlog 0 call(s) waiting in {tmp_path / 'spool'} alerts none"
    assert max(len(line) for line in head.splitlines()) <= 80


def test_status_json_and_csv_carry_each_worker(tmp_path):
    site = make_site(tmp_path, extra=MODEMS)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    two_workers(site, now)
    report = json.loads(run(site, "status", "--json").output)
    assert [(w["modem"], w["unit"], w["state"], w["port"]) for w in report["workers"]] == [
        ("front-desk", "textback-worker@front-desk", "running", "/dev/textback-modem"),
        ("service", "textback-worker@service", "not running", "/dev/textback-modem-service"),
        ("van", "textback-worker@van", "never ran", "/dev/textback-modem-van")]
    assert [w["sending"]["sent_today"] for w in report["workers"]] == [8, 1, 0]
    assert report["workers"][0]["worker"]["host"] == "shop-a-pi" and report["workers"][2]["worker"] is None
    assert (report["worker_alive"], report["worker_state"]) == (False, "1 of 3 running")
    assert report["sending"]["sent_today"] == 9, "the store's total, every SIM together"
    rows = run(site, "status", "--csv").output.splitlines()
    assert rows[0] == "item,value"
    assert 'service texts today,"1 of 10 (daily cap, 10%)"' in rows
    assert "service check,systemctl status textback-worker@service; journalctl -u textback-worker@service" in rows
    assert rows[1].startswith('modem front-desk,"running (pid 4242 on shop-a-pi, since ')


def test_one_modem_keeps_its_status_and_its_old_row_is_left_out_once_modems_are_named(tmp_path):
    site = make_site(tmp_path)
    now = datetime.now(timezone.utc)
    with site.store() as store:
        store.write_worker_status(pid=5, host="pi", started_at=now, beat_at=now - timedelta(days=2),
                                  beat_seconds=5.0)
    output = run(site, "status").output
    assert output.startswith("worker             NOT RUNNING: last beat ")       # the one-worker view
    assert "modem " not in output.splitlines()[0]
    site.config.write_text(site.config.read_text() + MODEMS, encoding="utf-8")
    names = [w["modem"] for w in json.loads(run(site, "status", "--json").output)["workers"]]
    assert names == ["front-desk", "service", "van"], "the one [modem]'s old row is gone from the list"


def test_a_worker_of_another_shop_on_the_same_store_is_listed_too(tmp_path):
    site = make_site(tmp_path, extra=MODEMS)
    now = datetime.now(timezone.utc)
    with site.store() as store:
        store.write_worker_status(modem_name="uptown", pid=8, host="shop-c-pi", started_at=now, beat_at=now,
                                  beat_seconds=5.0, modem_alive=True, registration="home")
    lines = run(site, "status").output.splitlines()
    assert [ln.split("  ")[0] for ln in lines if ln.startswith("modem ")] == [
        "modem front-desk", "modem service", "modem van", "modem uptown"]


def test_a_reply_queued_while_a_named_worker_runs_is_not_told_the_worker_never_ran(tmp_path):
    site = make_site(tmp_path, extra=MODEMS)
    assert "the worker has never run" in run(site, "reply", "+12125550123", "Hello").output
    now = datetime.now(timezone.utc)
    with site.store() as store:
        store.write_worker_status(modem_name="service", pid=2, beat_at=now, beat_seconds=5.0, stopped_at=None)
    assert "the worker sends it within seconds" in run(site, "reply", "+12125550123", "Hi", "--force").output
    with site.store() as store:
        store.write_worker_status(modem_name="service", beat_at=now, stopped_at=now)
    assert ("the worker is STOPPED (last seen " in run(site, "reply", "+12125550123", "Hi", "--force").output
            and "start it with: systemctl start textback-worker@service (or textback worker --modem service)"
            in run(site, "reply", "+12125550123", "Hi", "--force").output)


def test_doctor_checks_each_modem_and_names_the_worker_to_start(tmp_path):
    """The service modem is a simulator on a pty with no worker: doctor asks it itself; the
    front desk's worker runs (its heartbeat), so doctor leaves that port alone."""
    import getpass

    from modem.simulator.pty_modem import ModemSimulator

    agi, etc = tmp_path / "agi-bin", tmp_path / "asterisk"
    agi.mkdir()
    etc.mkdir()
    with ModemSimulator() as service:
        site = make_site(tmp_path, extra=CAPS + two_modems(service_port=service.device))
        now = datetime.now(timezone.utc)
        with site.store() as store:
            store.write_worker_status(modem_name="front-desk", pid=4242, beat_at=now, beat_seconds=5.0,
                                      modem_port="/dev/textback-modem", modem_alive=True, registration="home")
        result = run(site, "doctor", "--agi-bin", str(agi), "--asterisk-etc", str(etc), "--modem-timeout", "1",
                     "--asterisk-user", getpass.getuser(), "--worker-user", getpass.getuser())
        device = service.device
        with site.store() as store:
            store.write_worker_status(modem_name="service", pid=9, beat_at=now, stopped_at=now, beat_seconds=5.0)
        stopped = run(site, "doctor", "--agi-bin", str(agi), "--asterisk-etc", str(etc), "--modem-timeout", "1",
                      "--asterisk-user", getpass.getuser(), "--worker-user", getpass.getuser()).output
    assert (f"[FAIL] worker for modem service: not running (stopped cleanly at {now:%Y-%m-%d %H:%M:%S} UTC)\n"
            "       fix: sudo systemctl start textback-worker@service; journalctl -u textback-worker@service says "
            "why it stopped\n") in stopped
    out = result.output
    lines = out[out.index("[  ok] modem front-desk"):out.index("[  ok] no active alerts")].splitlines()
    assert lines == [
        "[  ok] modem front-desk: modem answers AT: /dev/textback-modem (reported by the running worker)",
        "[  ok] modem front-desk: registered on the network: home",
        "[skip] modem front-desk: SIM ready / SMSC set: not asked: the worker holds the port",
        "       fix: stop the worker and run doctor again to check them",
        f"[  ok] worker for modem front-desk: pid 4242, last beat {now:%H:%M:%S} UTC",
        f"[  ok] modem service: modem port not held by another program: no other process has {device} open",
        f"[  ok] modem service: modem answers AT: {device} answered OK",
        "[  ok] modem service: SIM ready: READY",
        "[  ok] modem service: registered on the network: home",
        "[  ok] modem service: SMSC set: +447700900100",
        "[FAIL] worker for modem service: not running (no heartbeat ever)",
        "       fix: sudo systemctl enable --now textback-worker@service",
    ]
    assert result.exit_code == 1


def test_status_on_postgresql_lists_the_same_workers_as_on_sqlite(tmp_path, pg_url):
    """Several boxes share a PostgreSQL store: status reads every worker's row there alike."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    outputs = []
    for name, url in (("sqlite", None), ("postgresql", pg_url)):
        (tmp_path / name).mkdir()
        site = make_site(tmp_path / name, extra=MODEMS, url=url)
        two_workers(site, now)
        output = no_ages(run(site, "status").output)
        outputs.append(output[:output.index("spool backlog")])
    assert outputs[0] == outputs[1]
    assert "modem service      NOT RUNNING (pid 977 on shop-b-pi)\n" in outputs[1]
