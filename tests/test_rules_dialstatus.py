"""Which calls get a text: every DIALSTATUS / QUEUESTATUS / reason, answered and call-backs."""
import pytest

from store.rules.dialstatus import (
    DEFAULT_TEXT_ON_DIAL,
    DEFAULT_TEXT_ON_QUEUE,
    StatusDecision,
    StatusSettings,
    decide_status,
)

TEXT = StatusDecision(True)


@pytest.mark.parametrize("dial", ["NOANSWER", "BUSY", "CANCEL", "CHANUNAVAIL", "CONGESTION",
                                  "noanswer", " Busy "])
def test_missed_dial_statuses_are_texted(dial):
    assert decide_status(dial) == TEXT


@pytest.mark.parametrize("queue", ["TIMEOUT", "JOINEMPTY", "LEAVEEMPTY", "FULL", "JOINUNAVAIL", "LEAVEUNAVAIL"])
def test_queue_statuses_are_texted_even_with_empty_dialstatus(queue):
    assert decide_status("", queue) == TEXT


@pytest.mark.parametrize("reason", ["after-hours", "voicemail", "After-Hours"])
def test_dialplan_reasons_are_texted(reason):
    assert decide_status("", "", reason) == TEXT


@pytest.mark.parametrize("dial, queue, reason, direction, expected", [
    # answered inbound: never texted, cancels what is pending for the number
    ("ANSWER", "", "", "in", StatusDecision(False, "answered", "answered")),
    ("ANSWER", "TIMEOUT", "voicemail", "in", StatusDecision(False, "answered", "answered")),
    # staff call-back: answered cancels; unanswered cancels nothing (customer still not reached)
    ("ANSWER", "", "", "out", StatusDecision(False, "outbound", "called_back")),
    ("NOANSWER", "", "", "out", StatusDecision(False, "outbound", None)),
    ("ANSWER", "", "outbound", "in", StatusDecision(False, "outbound", "called_back")),
    # nothing set: an agent-answered queue call or a call with no Dial
    ("", "", "", "in", StatusDecision(False, "no_status")),
    # set, but not a missed call we text
    ("INVALIDARGS", "", "", "in", StatusDecision(False, "not_missed")),
    ("DONTCALL", "", "", "in", StatusDecision(False, "not_missed")),
    ("", "CONTINUE", "", "in", StatusDecision(False, "not_missed")),
    ("", "WITHDRAW", "", "in", StatusDecision(False, "not_missed")),
    ("", "", "ivr-hangup", "in", StatusDecision(False, "not_missed")),
])
def test_calls_that_are_not_texted(dial, queue, reason, direction, expected):
    assert decide_status(dial, queue, reason, direction) == expected


def test_sets_are_configurable():
    only_busy = StatusSettings(text_on_dial=frozenset({"BUSY"}), text_on_queue=frozenset(),
                               text_on_reason=frozenset({"closed-holiday"}))
    assert decide_status("BUSY", settings=only_busy) == TEXT
    assert decide_status("NOANSWER", settings=only_busy) == StatusDecision(False, "not_missed")
    assert decide_status("", "TIMEOUT", settings=only_busy) == StatusDecision(False, "not_missed")
    assert decide_status("", "", "closed-holiday", settings=only_busy) == TEXT


def test_defaults_match_the_design():
    assert DEFAULT_TEXT_ON_DIAL == {"NOANSWER", "BUSY", "CANCEL", "CHANUNAVAIL", "CONGESTION"}
    assert "ANSWER" not in DEFAULT_TEXT_ON_DIAL
    assert DEFAULT_TEXT_ON_QUEUE == {"TIMEOUT", "JOINEMPTY", "LEAVEEMPTY", "FULL", "JOINUNAVAIL", "LEAVEUNAVAIL"}
