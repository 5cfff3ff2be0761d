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


def test_the_prompt_moves_the_modem_to_another_radio():
    from modem.simulator.pty_modem import ModemSimulator
    with ModemSimulator(profile="sim7600") as sim:
        prompt = ControlPrompt(sim)
        assert prompt.run("network 2g") == "the modem is now registered on 2g (AcT 0)"
        assert sim.state.act == 0
        assert prompt.run("network LTE") == "the modem is now registered on lte (AcT 7)"
        assert prompt.run("network") == "error: network 2g, network 3g or network lte"
        assert prompt.run("network 6g") == ("error: register on 2g, 3g or lte (or a 27.007 <AcT> number 0-13), "
                                            "not '6g'")
        assert "network 2g|3g|lte" in prompt.run("help")


def test_a_text_from_the_prompt_is_in_the_modems_memory(sim):
    prompt = ControlPrompt(sim)
    answer = prompt.run('sms "+1 212-555-0123" "Hello there"')
    assert answer.startswith("+12125550123 texted the modem: 'Hello there'")
    stored = list(sim.stored(sim.state.cpms[2]).values())
    assert len(stored) == 1, "the text is in the receive memory"
    assert prompt.run("auto-report on") == "the network now reports every text delivered"
