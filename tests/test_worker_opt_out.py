"""Opt-out as a reasonable person reads it (issue 17), end to end: missed calls through the
real hook, the worker on the simulated modem (a pty, python-gsmmodem-new), a real SQLite
store, and the staff commands through click's CliRunner.

- "Stop. Wrong number": one confirmation, the follow-ups cancelled, nothing more ever
  sent (a new call, days later, another STOP), the evidence shows the rule;
- "not interested": the follow-ups paused, the text reaches staff flagged, the inbox
  flags it, the automation waits; staff settle it with `textback block` (one
  confirmation, never a second) or `done` (store.settle_possible_opt_out);
- a shop's own words ([keywords] opt_out = ["ALTO", ...]).
"""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sim_helpers import wait_until
from test_worker_support import STAFF, US, US2, Rig

from textback.cli import main


@pytest.fixture
def rig(tmp_path):
    made = Rig(tmp_path)
    yield made.start()
    made.stop()


def textback(rig, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(rig.config_path), *args])
    assert result.exit_code == 0 and result.exception is None, result.output
    return result.output


def texted_and_waiting(rig, uniqueid: str) -> None:
    rig.call(US, uniqueid)
    wait_until(lambda: rig.sent_to(US), what="first text")
    assert rig.messages(number=US, kind="follow_up", status="scheduled"), "follow-ups scheduled"


def prove_the_loop_is_alive(rig, number: str = US2) -> None:
    before = len(rig.sent_to(number))
    rig.store.queue_message(number, "staff_reply", "proof the loop is alive", rig.clock())
    wait_until(lambda: len(rig.sent_to(number)) > before, what="other number texted")
    time.sleep(0.3)


def test_stop_wrong_number_gets_one_confirmation_then_nothing_ever_and_keeps_its_evidence(rig):
    texted_and_waiting(rig, "1700001000.1")
    rig.sim.inject_sms(US, "Stop. Wrong number")
    wait_until(lambda: len(rig.sent_to(US)) == 2, what="the confirmation")
    assert rig.sent_to(US)[1] == ("You won't get any more texts from Acme Plumbing. "
                                  "Reply START if you change your mind.")
    assert {m.cancel_reason for m in rig.messages(number=US, kind="follow_up")} == {"opted_out"}
    assert not rig.sent_to(STAFF), "an opt-out is not forwarded"

    # Nothing more, ever: another STOP, a new missed call, two days on.
    rig.sim.inject_sms(US, "STOP!!!")
    wait_until(lambda: len(rig.messages(number=US, direction="in")) == 2, what="second STOP stored")
    rig.call(US, "1700001000.2")
    wait_until(lambda: [c for c in rig.store.call_report() if c.skip_reason == "opted_out"],
               what="the new call skipped")
    rig.clock.advance(timedelta(days=2))
    prove_the_loop_is_alive(rig)
    assert len(rig.sent_to(US)) == 2
    assert not [m for m in rig.messages(number=US, direction="out") if m.status == "scheduled"]

    # The evidence: the rule that matched, its words, the text, when; and the wrong number.
    [first, again] = [e for e in rig.store.opt_out_events(US) if e.action == "opt_out"]
    [stop] = [m for m in rig.messages(number=US, direction="in") if m.body == "Stop. Wrong number"]
    assert (first.rule, first.matched, first.text, first.wrong_number, first.message_id) == (
        "keyword", "stop", "Stop. Wrong number", True, stop.id)
    assert (again.rule, again.wrong_number) == ("keyword", False)
    assert rig.store.contact(US).wrong_number
    [row] = json.loads(textback(rig, "optouts", "--json"))
    assert {k: row[k] for k in ("number", "opted_out", "blocked", "wrong_number", "rule", "matched", "text")} == {
        "number": US, "opted_out": True, "blocked": False, "wrong_number": True, "rule": "keyword",
        "matched": "stop", "text": "STOP!!!"}
    assert row["evidence_at"] and row["message_id"]
    assert "[wrong_number]" in textback(rig, "thread", US, "--keep-unread").splitlines()[0]
    assert json.loads(textback(rig, "stats", "--json"))["totals"]["wrong_number"] == 1


def test_not_interested_pauses_the_follow_ups_and_reaches_staff_flagged(rig):
    texted_and_waiting(rig, "1700001100.1")
    rig.sim.inject_sms(US, "not interested")
    wait_until(lambda: rig.sent_to(STAFF), what="forward to staff")
    [forward] = rig.sent_to(STAFF)
    [reply] = rig.messages(number=US, direction="in")
    assert forward == (f"Possible opt-out: Text from {US}: not interested "
                       f"(#{reply.id} to answer; textback block or done to settle)")
    assert reply.flag == "possible_opt_out"
    assert {m.cancel_reason for m in rig.messages(number=US, kind="follow_up")} == {"possible_opt_out"}
    assert rig.store.is_awaiting_staff(US) and not rig.store.is_opted_out(US)
    assert len(rig.sent_to(US)) == 1, "no confirmation: nobody opted out yet"

    # The inbox flags it.
    [row] = json.loads(textback(rig, "inbox", "--json"))
    assert (row["number"], row["unread"], row["flag"]) == (US, 1, "possible opt-out")
    assert "possible opt-out" in textback(rig, "inbox")

    # The automation waits: a new call is not texted; the staff's own answer still goes.
    rig.call(US, "1700001100.2")
    wait_until(lambda: [c for c in rig.store.call_report() if c.skip_reason == "awaiting_staff"],
               what="the new call held for staff")
    rig.sim.inject_sms(STAFF, f"#{reply.id} Sorry to bother you, we won't text again")
    wait_until(lambda: len(rig.sent_to(US)) == 2, what="the staff answer")
    # Answered, but not settled: it stays in the inbox, flagged, until block or done.
    [row] = json.loads(textback(rig, "inbox", "--json"))
    assert (row["number"], row["unread"], row["flag"]) == (US, 0, "possible opt-out")

    # Staff settle it as an opt-out: one confirmation, and never a second.
    assert textback(rig, "block", US) == ("Blocked (212) 555-0123; the opt-out confirmation goes out once. "
                                          f"Undo with: textback unblock {US}\n")
    wait_until(lambda: len(rig.sent_to(US)) == 3, what="the confirmation")
    assert "won't get any more texts" in rig.sent_to(US)[2]
    rig.sim.inject_sms(US, "STOP")
    wait_until(lambda: len(rig.messages(number=US, direction="in")) == 2, what="STOP stored")
    prove_the_loop_is_alive(rig)
    assert len(rig.sent_to(US)) == 3
    assert not rig.store.is_awaiting_staff(US)
    [row] = json.loads(textback(rig, "optouts", "--json"))
    assert (row["blocked"], row["opted_out"], row["rule"]) == (True, True, "keyword")
    assert [(e.action, e.rule) for e in rig.store.opt_out_events(US)] == [
        ("block", "staff"), ("opt_out", "keyword")]


def test_staff_settle_a_possible_opt_out_as_a_plain_reply(rig):
    rig.sim.inject_sms(US2, "please don't stop by, I'll call you")
    wait_until(lambda: rig.store.is_awaiting_staff(US2), what="held for staff")
    rig.call(US2, "1700001200.1")
    wait_until(lambda: [c for c in rig.store.call_report() if c.skip_reason == "awaiting_staff"],
               what="the call held for staff")
    # `textback done` settles it: a person read it, it is not an opt-out.
    assert textback(rig, "done", US2).startswith("Done")
    assert rig.store.settle_possible_opt_out(US2) is False, "nothing is waiting any more"
    assert not rig.store.is_awaiting_staff(US2) and not rig.store.is_opted_out(US2)
    assert json.loads(textback(rig, "inbox", "--json")) == [], "done: it left the inbox"
    assert json.loads(textback(rig, "inbox", "--all", "--json"))[0]["flag"] == ""
    # The automation may text this number again.
    rig.call(US2, "1700001200.2")
    wait_until(lambda: [m for m in rig.sent_to(US2) if "Acme Plumbing" in m], what="a text-back")
    assert rig.store.opt_out_events(US2)[-1].action == "settle"


def test_a_shops_own_words_opt_out_in_spanish(tmp_path):
    made = Rig(tmp_path, extra='\n[keywords]\nopt_out = ["ALTO", "PARAR", "BASTA", "CANCELAR"]\n').start()
    try:
        made.call(US, "1700001300.1")
        wait_until(lambda: made.sent_to(US), what="first text")
        made.sim.inject_sms(US, "Gracias. ALTO")
        wait_until(lambda: len(made.sent_to(US)) == 2, what="the confirmation")
        assert made.store.is_opted_out(US)
        [event] = made.store.opt_out_events(US)
        assert (event.rule, event.matched) == ("keyword", "alto")
    finally:
        made.stop()
