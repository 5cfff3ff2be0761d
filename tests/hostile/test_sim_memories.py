"""The modem's memories in a hostile world (issue 11, cases 5 and 11): a memory that will
not list, a receive memory full of drafts and unreadable PDUs, texts found on a SIM long
after they were sent. The hook and `textback worker` as processes, the store on a real
file, the simulator on a pty."""
from __future__ import annotations

from hostile_rig import STAFF
from sim_helpers import wait_until

CALLER = "+12125550123"


def _replies(site, number: str) -> list[dict]:
    return site.rows("SELECT body, kind FROM message WHERE direction = 'in' AND number = ?", number)


def test_sweep_past_a_memory_answering_321(site, ledger_row):
    ledger_row.scenario = "case 11: a memory answers 321"
    # phonesim's empty SM answers +CMS ERROR: 321 to AT+CMGL; the reply sits in ME and its
    # notice never came. Today's main: a traceback at every sweep, the reply never read.
    site.sim.refuse_empty_listing("+CMS ERROR: 321", memories=["SM"])
    site.start_worker()
    site.call(CALLER)
    site.wait_sent(1)
    site.sim.inject_sms(CALLER, "Yes please, after 4pm", storage="ME", announce="never")
    wait_until(lambda: _replies(site, CALLER), timeout=15, what="the reply found by the sweep")
    site.wait_sent(2, what="the reply forwarded to staff")
    site.wait_settled()
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = "SM answers 321; reply in ME swept"
    assert (tally.lost, tally.duplicates, tally.texts_out) == (0, 0, 2)
    assert [m.destination for m in site.sim.sent_messages()] == [CALLER, STAFF]
    assert "Traceback" not in site.worker_log() and "worker pass failed" not in site.worker_log()


def test_receive_memory_full_of_drafts_and_junk(site, ledger_row):
    ledger_row.scenario = "case 5: ME full of drafts and junk"
    # A SIM from a phone: ME full of drafts, copies of sent texts and unreadable PDUs, so
    # the customer's reply waits at the network. Today's main never cleaned it, status
    # showed SM 0/30, no alert.
    sim = site.sim
    sim.store_message("draft", "ME", 40)
    sim.store_message("sent", "ME", 40)
    sim.store_message("unreadable", "ME", None)
    assert sim.inject_sms(CALLER, "Are you open Saturday?", storage="ME") == []
    site.start_worker()
    wait_until(lambda: _replies(site, CALLER), timeout=20, what="the reply that waited at the network")
    site.wait_sent(1, what="the reply forwarded to staff")
    wait_until(lambda: not sim.stored("ME"), timeout=10, what="the receive memory cleared")
    # The first heartbeat read the modem before the sweep's clearing went through; the
    # alert follows at the next look (every 2 s) and beat (every 5 s).
    status = wait_until(lambda: (lambda out: "receive memory ME is 100/100 full" in out.stdout and out)(
        site.cli("status")), timeout=15, interval=0.5, what="the receive-memory alert in status")
    assert "receive memory     ME 100/100 (100% full; new replies wait at the network)" in status.stdout
    assert status.returncode == 1                       # an active alert
    site.wait_settled()
    tally = site.tally()
    ledger_row.count(tally)
    rejected = site.rows("SELECT reason, count(*) AS n FROM rejected_sms GROUP BY reason")
    ledger_row.rejected.update({f"sms {r['reason']}": r["n"] for r in rejected})
    ledger_row.note = "ME 100/100 at start"
    assert {r["reason"]: r["n"] for r in rejected} == {"draft": 40, "sent_copy": 40, "unreadable": 20}
    # Out: the reply forwarded, and the alert texted to the staff phone once.
    assert (tally.lost, tally.duplicates, tally.texts_out) == (0, 0, 2)
    to_staff = [m.text for m in sim.sent_messages() if m.destination == STAFF]
    assert any("Are you open Saturday?" in t for t in to_staff) and any("receive memory ME" in t for t in to_staff)
    assert "cleared off the modem, not texts to file" in site.worker_log()
    assert "Traceback" not in site.worker_log()


def test_month_old_texts_on_the_sim(site, ledger_row):
    ledger_row.scenario = "case 5: month-old texts on a SIM"
    from datetime import datetime, timedelta, timezone

    month_ago = datetime.now(timezone.utc) - timedelta(days=30)
    site.sim.inject_sms(CALLER, "Yes call me", storage="SM", timestamp=month_ago, announce="never")
    site.sim.inject_sms("+12125550145", "stop", storage="SM", timestamp=month_ago, announce="never")
    site.start_worker()
    wait_until(lambda: len(site.rows("SELECT id FROM message WHERE direction = 'in'")) == 2, timeout=15,
               what="both old texts filed")
    site.wait_sent(1, what="the one opt-out confirmation")
    site.wait_settled()
    assert [r["status"] for r in site.rows("SELECT status FROM message WHERE direction = 'in'")] == ["late", "late"]
    assert [m.destination for m in site.sim.sent_messages()] == ["+12125550145"]     # no forward to staff
    inbox = site.cli("inbox")
    assert "Yes call me" not in inbox.stdout, inbox.stdout
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = "2 filed late; STOP honoured"
    assert (tally.lost, tally.duplicates, tally.texts_out) == (0, 0, 1)


def test_replies_shaped_as_other_networks_send_them(site, ledger_row):
    ledger_row.scenario = "other networks' PDUs"
    # First octet 0x10, PID 0x01, class-1 DCS, SMSC type 0x81, concatenation reference 0:
    # two long replies from one phone in the same second, one short one with an emoji.
    first = "The boiler started knocking last night and the pressure gauge reads below one bar. " * 2
    second = "Also the kitchen radiator is cold at the top; can the engineer look at that too? " * 2
    site.start_worker()
    site.call(CALLER)
    site.wait_sent(1)
    site.sim.inject_sms(CALLER, first, shape="other-network")
    site.sim.inject_sms(CALLER, second, shape="other-network")
    site.sim.inject_sms("+12125550145", "Thanks, Tuesday is fine 👍", shape="other-network")
    site.wait_sent(4, what="three forwards to staff")
    site.wait_settled()
    assert sorted(r["body"] for r in _replies(site, CALLER)) == sorted([first, second])
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = "3 replies, reference 0 twice"
    assert (tally.lost, tally.duplicates, tally.texts_out) == (0, 0, 4)
