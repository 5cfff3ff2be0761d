"""The worker's main path, end to end: a missed call through the real hook -> planned ->
sent through the simulated modem; a reply stored, follow-ups cancelled, forwarded to
staff; a staff answer reaching the customer; STOP once confirmed then silence; START."""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

import pytest
from sim_helpers import wait_until
from test_worker_support import STAFF, US, US2, Rig


@pytest.fixture(params=["sqlite", "postgresql"])
def rig(request, tmp_path):
    """The worker on an SQLite file, and again on a PostgreSQL server (tests/postgres_helpers.py)."""
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    made = Rig(tmp_path, url=url)
    yield made.start()
    made.stop()


def test_missed_call_first_text_reaches_the_modem_within_a_second(rig):
    wait_until(lambda: rig.worker.modem is not None, what="modem open")
    rig.call(US, "1700000000.1")
    hook_done = time.monotonic()
    wait_until(lambda: rig.sent_to(US), timeout=5, what="first text sent")
    latency = time.monotonic() - hook_done
    assert latency < 1.0, f"first text took {latency:.2f}s after the hook returned"
    [text] = rig.sent_to(US)
    assert "Acme Plumbing" in text
    [row] = rig.messages(number=US, kind="text_back")
    wait_until(lambda: rig.store.message(row.id).status == "sent", what="marked sent")
    assert rig.store.message(row.id).modem_reference == rig.sim.sent[0].reference
    # Follow-ups are scheduled for later, not sent now.
    follow_ups = rig.messages(number=US, kind="follow_up")
    assert follow_ups and all(f.status == "scheduled" for f in follow_ups)
    # The heartbeat `textback status` reads.
    rig.worker._next_beat = 0.0
    beat = wait_until(lambda: getattr(rig.store.worker_status(), "last_sent_at", None) and rig.store.worker_status(),
                      what="heartbeat with the send")
    assert beat.modem_alive and beat.pid == os.getpid()


def test_status_report_marks_the_text_delivered(rig):
    rig.call(US, "1700000000.2")
    wait_until(lambda: rig.sent_to(US), what="sent")
    [row] = rig.messages(number=US, kind="text_back")
    wait_until(lambda: rig.store.message(row.id).status == "sent", what="marked sent")
    rig.sim.deliver_status_report(rig.sim.sent[0].reference, 0)
    wait_until(lambda: rig.store.message(row.id).status == "delivered", what="delivered")


def test_reply_is_stored_cancels_follow_ups_and_reaches_staff(rig):
    rig.call(US, "1700000000.3")
    wait_until(lambda: rig.sent_to(US), what="first text")
    rig.sim.inject_sms(US, "Yes please, can someone come Tuesday?")
    wait_until(lambda: rig.sent_to(STAFF), what="forward to staff")
    [forward] = rig.sent_to(STAFF)
    assert US in forward and "come Tuesday" in forward
    [reply] = rig.messages(number=US, direction="in")
    assert reply.body == "Yes please, can someone come Tuesday?"
    assert all(m.status == "cancelled" for m in rig.messages(number=US, kind="follow_up"))
    # The SIM copy goes only after the store has the text.
    wait_until(lambda: not rig.sim.stored("SM"), what="SIM copy deleted")

    # The staff phone answers the forward; the customer gets it.
    rig.sim.inject_sms(STAFF, "Tuesday 10am works, see you then")
    wait_until(lambda: len(rig.sent_to(US)) == 2, what="staff answer relayed")
    assert rig.sent_to(US)[1] == "Tuesday 10am works, see you then"
    # ... and with an explicit thread tag, from the forward's "#<id>".
    rig.sim.inject_sms(STAFF, f"#{reply.id} Bring the dog inside please")
    wait_until(lambda: len(rig.sent_to(US)) == 3, what="tagged staff answer relayed")
    assert rig.sent_to(US)[2] == "Bring the dog inside please"


def test_a_bare_staff_answer_still_reaches_the_customer_after_a_restart(rig):
    rig.call(US, "1700000000.31")
    wait_until(lambda: rig.sent_to(US), what="first text")
    rig.sim.inject_sms(US, "Do you fix boilers?")
    wait_until(lambda: rig.messages(number=STAFF, kind="forward", status="sent"), what="forward sent")
    # The worker restarts (an upgrade, a reboot): what a bare answer refers to is in the store.
    rig.worker.stop()
    rig.thread.join(timeout=10)
    rig.start()
    rig.sim.inject_sms(STAFF, "Yes we do, I'll call you at 3")
    wait_until(lambda: len(rig.sent_to(US)) == 2, what="staff answer relayed")
    assert rig.sent_to(US)[1] == "Yes we do, I'll call you at 3"


def test_stop_gets_one_confirmation_and_nothing_after_start_restores(rig):
    rig.call(US, "1700000000.4")
    wait_until(lambda: rig.sent_to(US), what="first text")
    rig.sim.inject_sms(US, "STOP")
    wait_until(lambda: len(rig.sent_to(US)) == 2, what="STOP confirmation")
    assert "won't get any more texts" in rig.sent_to(US)[1]
    assert rig.store.is_opted_out(US)
    assert all(m.status == "cancelled" for m in rig.messages(number=US, kind="follow_up"))
    rig.sim.inject_sms(US, "stop texting me!!")
    # A new missed call is not texted; days later no follow-up comes either.
    rig.call(US, "1700000000.5")
    wait_until(lambda: rig.messages(direction="in", number=US)[1:], what="second opt-out stored")
    rig.clock.advance(timedelta(days=2))
    rig.store.queue_message(US2, "staff_reply", "proof the loop is alive", rig.clock())
    wait_until(lambda: rig.sent_to(US2), what="other number texted")
    time.sleep(0.3)
    assert len(rig.sent_to(US)) == 2
    assert not rig.sent_to(STAFF), "opt-out keywords are not forwarded"

    rig.sim.inject_sms(US, "START")
    wait_until(lambda: len(rig.sent_to(US)) == 3, what="START reply")
    assert "Welcome back" in rig.sent_to(US)[2]
    assert not rig.store.is_opted_out(US)


def test_help_gets_the_business_contact_line(rig):
    rig.sim.inject_sms(US, "HELP")
    wait_until(lambda: rig.sent_to(US), what="help reply")
    assert "Acme Plumbing" in rig.sent_to(US)[0] and "(212) 555-0100" in rig.sent_to(US)[0]


def test_first_text_waits_for_the_delay_and_follow_ups_skip_quiet_hours(tmp_path):
    from zoneinfo import ZoneInfo

    # Quiet hours from one to three hours from now (shop time), so the "+2h" follow-up
    # falls inside them whatever time the test runs.
    local = datetime.now(ZoneInfo("America/New_York"))
    start, end = (local + timedelta(hours=1)).strftime("%H:%M"), (local + timedelta(hours=3)).strftime("%H:%M")
    made = Rig(tmp_path, delay="30s", extra=f'\n[quiet_hours]\nstart = "{start}"\nend = "{end}"\n').start()
    try:
        made.call(US, "1700000300.1")
        wait_until(lambda: made.messages(number=US, kind="text_back"), what="planned")
        time.sleep(0.3)
        assert not made.sent_to(US), "sent before the configured delay"
        made.clock.advance(timedelta(seconds=31))
        wait_until(lambda: made.sent_to(US), what="first text after the delay")

        follow_ups = sorted(made.messages(number=US, kind="follow_up"), key=lambda m: m.due_at)
        assert follow_ups
        quiet_end = (local + timedelta(hours=3)).replace(second=0, microsecond=0)
        first = follow_ups[0].due_at.astimezone(ZoneInfo("America/New_York"))
        assert first >= quiet_end - timedelta(minutes=1), f"follow-up at {first} is inside quiet hours"
        assert all("STOP" in f.body for f in follow_ups)

        made.clock.advance(follow_ups[0].due_at - made.clock() + timedelta(seconds=1))
        wait_until(lambda: len(made.sent_to(US)) == 2, what="follow-up sent at its time")
    finally:
        made.stop()


def test_answered_call_back_cancels_what_is_still_scheduled(rig):
    rig.call(US, "1700000400.1")
    wait_until(lambda: rig.sent_to(US), what="first text")
    assert rig.messages(number=US, kind="follow_up", status="scheduled")
    rig.call(US, "1700000400.2", status="ANSWER")
    wait_until(lambda: not rig.messages(number=US, kind="follow_up", status="scheduled"), what="cancelled")
    assert all(m.cancel_reason == "answered" for m in rig.messages(number=US, kind="follow_up"))


def test_hourly_cap_holds_the_rest_and_raises_an_alert(tmp_path, caplog):
    made = Rig(tmp_path, extra="\n[guard]\nhourly_cap = 1\n").start()
    try:
        made.call(US, "1700000500.1")
        wait_until(lambda: made.sent_to(US), what="first caller texted")
        wait_until(lambda: made.messages(number=US, kind="text_back", status="sent"), what="marked sent")
        made.call(US2, "1700000500.2")
        wait_until(lambda: "hourly text cap reached" in caplog.text, what="cap alert logged")
        time.sleep(0.2)
        assert not made.sent_to(US2)
        assert caplog.text.count("hourly text cap reached") == 1, "one alert per held call, not one per pass"
        # An hour later the held call goes out (or, past stale_after, is skipped as stale).
        made.clock.advance(timedelta(minutes=61))
        wait_until(lambda: made.sent_to(US2), what="held call texted once the hour passed")
    finally:
        made.stop()


def test_worker_command_reports_a_bad_configuration_without_a_traceback(tmp_path):
    from click.testing import CliRunner

    from textback.cli import main

    missing = tmp_path / "nope.toml"
    result = CliRunner().invoke(main, ["--config", str(missing), "worker"])
    assert result.exit_code != 0
    assert "no such file" in result.output and "Traceback" not in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[textback]\ndelay = "soon"\n')
    result = CliRunner().invoke(main, ["--config", str(bad), "worker"])
    assert result.exit_code != 0 and "delay" in result.output and "config check" in result.output


def test_a_clean_stop_is_in_the_heartbeat_at_once(tmp_path):
    # Issue 14: `status` said "alive ... 29s ago" after a clean stop, until the beat aged.
    from store import Store
    from textback.commands.status_cmd import worker_state
    made = Rig(tmp_path).start()
    wait_until(lambda: made.store.worker_status(), what="first heartbeat")
    assert worker_state(made.store.worker_status(), datetime.now().astimezone()) == "running"
    url = made.config.store.url
    made.stop()
    with Store.open(url) as store:
        status = store.worker_status()
    assert status.stopped_at is not None and status.modem_alive is False
    assert worker_state(status, datetime.now().astimezone()) == "stopped"


@pytest.mark.slow
def test_worker_rides_out_a_postgresql_outage(tmp_path, pg_cluster, pg_url):
    """The server stops under a running worker (open connections cut) and comes back: the
    worker stays alive and texts the next missed call."""
    made = Rig(tmp_path, url=pg_url)
    rig = made.start()
    try:
        wait_until(lambda: rig.worker.modem is not None, what="modem open")
        rig.call(US, "1700000000.40")
        wait_until(lambda: rig.sent_to(US), timeout=10, what="first text before the outage")
        pg_cluster.stop()
        try:
            time.sleep(1.5)                     # the worker polls a store that is gone
            assert rig.thread.is_alive()
        finally:
            pg_cluster.restart()
        rig.call(US2, "1700000000.41")
        wait_until(lambda: rig.sent_to(US2), timeout=20, what="a text after the server is back")
        assert rig.thread.is_alive()
    finally:
        made.stop()
