"""modem/simulator/control.py on a real simulator: every mistake is answered, none raises."""
from __future__ import annotations

from modem.simulator.control import QUIT, ControlPrompt


def test_the_prompt_answers_mistakes_with_what_to_type(sim):
    prompt = ControlPrompt(sim)
    assert prompt.run("") == ""
    assert prompt.run("quit") == QUIT and prompt.run("EXIT") == QUIT
    assert prompt.run("text 'unclosed").startswith("error: No closing quotation")
    assert prompt.run("text notanumber hello") == "error: 'notanumber' is not a phone number: write it like +12125550123"
    assert prompt.run("stop") == "error: say who: stop +12125550123"
    assert prompt.run("delivered") == "error: the modem has sent nothing yet: nothing to report on"
    assert prompt.run("auto-report maybe") == "error: auto-report on, or auto-report off"
    assert "text NUMBER MESSAGE" in prompt.run("help")


def test_a_text_from_the_prompt_is_in_the_modems_memory(sim):
    prompt = ControlPrompt(sim)
    answer = prompt.run('sms "+1 212-555-0123" "Hello there"')
    assert answer.startswith("+12125550123 texted the modem: 'Hello there'")
    stored = list(sim.stored(sim.state.cpms[2]).values())
    assert len(stored) == 1, "the text is in the receive memory"
    assert prompt.run("auto-report on") == "the network now reports every text delivered"
