"""The simulator playing the phones it texts (modem/simulator/auto_answer.py), seen through our
Modem on the pty: a report per part that asked, one answer per text, no texting loops."""
from __future__ import annotations

import queue
import time

from sim_helpers import US, US2, wait_until

from modem.device.modem import Modem
from modem.simulator.control import ControlPrompt


def _open(sim):
    texts: queue.Queue = queue.Queue()
    reports: queue.Queue = queue.Queue()
    modem = Modem.open(sim.device, on_sms=texts.put, on_status_report=reports.put, command_timeout=3)
    return modem, texts, reports


def test_the_prompt_turns_the_phones_on_and_off(sim):
    prompt = ControlPrompt(sim)
    assert prompt.run("auto-answer on") == ("the phones now answer each text: reported delivered, "
                                            "then 'Got it, thanks' from its number")
    assert prompt.run('auto-answer on "On my way"') == ("the phones now answer each text: reported delivered, "
                                                        "then 'On my way' from its number")
    assert sim.network.auto_answer is not None and sim.network.auto_answer.text == "On my way"
    assert prompt.run("auto-answer off") == "the phones answer nothing by themselves now"
    assert sim.network.auto_answer is None
    assert prompt.run("auto-answer maybe") == ("error: auto-answer on, auto-answer on \"the answer's text\", "
                                               "or auto-answer off")
    assert "auto-answer on [TEXT]" in prompt.run("help")


def test_a_text_is_reported_delivered_then_answered_from_its_number(sim):
    sim.auto_answer("Yes, got it", delay=0.1)
    modem, texts, reports = _open(sim)
    with modem:
        sent_at = time.monotonic()
        [reference] = modem.send(US, "textback test: please answer")
        report = reports.get(timeout=3)
        assert (report.reference, report.status) == (reference, 0)
        answer = texts.get(timeout=3)
        assert (answer.sender, answer.text) == (US, "Yes, got it")
        assert time.monotonic() - sent_at >= 0.2, "the answer comes after the report's delay, twice"
        # Left on the modem like any received text: the worker's sweep finds it.
        assert [(s.sender, s.text) for s in modem.list_stored()] == [(US, "Yes, got it")]


def test_a_long_text_gets_a_report_per_part_and_one_answer(sim):
    sim.auto_answer(delay=0.05)
    modem, texts, reports = _open(sim)
    with modem:
        references = modem.send(US2, "A long text. " * 20)
        assert len(references) == 2
        got = sorted(reports.get(timeout=3).reference for _ in references)
        assert got == sorted(references)
        assert texts.get(timeout=3).text == "Got it, thanks"
        time.sleep(0.3)
        assert texts.empty(), "one answer per text, not per part"


def test_no_texting_loop_with_a_worker(sim):
    # The worker answers a staff phone's text with a note; were that answered again, the
    # worker and the simulated phone would text each other for ever.
    sim.auto_answer(delay=0.05)
    modem, texts, reports = _open(sim)
    with modem:
        modem.send(US, "first")
        assert texts.get(timeout=3).sender == US
        modem.send(US, "second, at once")                       # the number just answered: quiet
        modem.send(US2, "textback: start your text with # and the number from the forward")   # a note
        assert [reports.get(timeout=3).status for _ in range(3)] == [0, 0, 0]
        time.sleep(0.3)
        assert texts.empty()
        time.sleep(2.0)                                         # the quiet spell is over
        modem.send(US, "third")
        assert texts.get(timeout=3).sender == US
        assert wait_until(lambda: len(sim.sent) == 4)
