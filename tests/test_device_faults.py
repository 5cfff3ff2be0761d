"""Each python-gsmmodem-new fault DESIGN.md lists, reproduced with the simulator's knob,
and shown survived by modem/device.py without losing a message. The FAULT names match
the comments in modem/device*.py."""
from __future__ import annotations

import termios
import time

import pytest
from sim_helpers import UK, US, wait_until

from modem.device.errors import ModemError, ModemLost, ModemSetupError
from modem.device.modem import Modem
from modem.simulator.pty_modem import ModemSimulator


@pytest.fixture
def received():
    return []


@pytest.fixture
def modem(sim, received):
    m = Modem.open(sim.device, command_timeout=1, on_sms=received.append)
    yield m
    m.close()


def test_swallowed_cmti_is_still_announced_and_swept(sim, modem, received):
    # FAULT swallowed-urc: the notice lands inside the reply of the next command.
    sim.inject_sms(UK, "Call me after 5", announce="during_next_command")
    modem.ping()
    [sms] = wait_until(lambda: received)
    assert sms.text == "Call me after 5"
    assert [s.text for s in modem.list_stored()] == ["Call me after 5"]


def test_never_announced_sms_is_found_by_the_sweep(sim, modem, received):
    # Huawei: notices go out on another port; nothing is announced on ours.
    sim.inject_sms(UK, "Are you open Saturday?", announce="never")
    time.sleep(0.2)
    assert received == []
    assert [s.text for s in modem.list_stored()] == ["Are you open Saturday?"]


def test_bytes_that_are_not_utf8_do_not_kill_the_reader(sim, modem, received):
    # FAULT non-utf8-reader: the library's reader thread dies here and every later
    # command times out.
    sim.emit_garbage(b"\xff\xfe\x80garbage\r\n")
    time.sleep(0.2)
    modem.ping()
    assert modem.is_alive() and modem._link.rxThread.is_alive()
    sim.inject_sms(US, "still here?")
    assert wait_until(lambda: received)[0].text == "still here?"
    assert modem.send(US, "yes")


def test_direct_delivery_cmt_is_decoded(sim, received):
    # FAULT cmt-ignored: with mt=2 (a site's own cnmi) the SMS comes as +CMT + PDU.
    with Modem.open(sim.device, command_timeout=1, cnmi="2,2,0,0,0", on_sms=received.append) as m:
        assert m.cnmi == "2,2,0,0,0"
        sim.inject_sms(UK, "direct 😀")
        [sms] = wait_until(lambda: received)
        assert (sms.text, sms.sender, sms.memory, sms.index) == ("direct 😀", UK, None, None)


def test_refused_cnmi_setting_is_a_clear_error(sim):
    with pytest.raises(ModemSetupError, match=r"refused AT\+CNMI=9,9: fix \[modem\] cnmi"):
        Modem.open(sim.device, command_timeout=1, cnmi="9,9")


def test_cmgs_exchange_is_not_interleaved(sim, modem, received):
    # FAULT cmgs-interleave: a +CMTI arrives while AT+CMGS waits for its prompt; the
    # handler's AT+CMGR must wait until the PDU and its reply are through, or it would
    # be typed into the message.
    sim.inject_sms(UK, "crossing paths", announce="during_next_command")
    sim.set_latency("+CMGS", 0.2)
    modem.send(US, "We missed your call")
    assert [m.text for m in sim.sent_messages()] == ["We missed your call"]
    assert wait_until(lambda: received)[0].text == "crossing paths"
    cmgs = next(i for i, c in enumerate(sim.commands_seen) if c.startswith("AT+CMGS="))
    assert not any(c.startswith("AT+CMGR") for c in sim.commands_seen[:cmgs])


def test_flow_control_is_off_unless_asked(sim):
    # FAULT flow-control: the library forces rtscts/dsrdtr on.
    with Modem.open(sim.device, command_timeout=1) as plain:
        port = plain._link.serial
        assert (port.rtscts, port.dsrdtr) == (False, False)
        assert not termios.tcgetattr(port.fileno())[2] & termios.CRTSCTS
    with Modem.open(sim.device, command_timeout=1, flow_control=True) as wired:
        assert wired._link.serial.rtscts is True


def test_unplug_is_noticed_at_once_and_the_path_opens_again(tmp_path, received):
    # FAULT no-reconnect: after an unplug the library's writes wait out their timeout. The
    # worker drops the lost Modem and opens the configured path anew (modem/worker.py).
    link = str(tmp_path / "textback-modem")
    with ModemSimulator(link=link) as sim:
        m = Modem.open(link, command_timeout=5, on_sms=received.append)
        sim.unplug()
        started = time.monotonic()
        with pytest.raises(ModemLost, match="gone"):
            m.ping()
            m.ping()
        assert time.monotonic() - started < 2          # not the 5 s command timeout
        assert not m.is_alive()
        sim.inject_sms(UK, "sent while unplugged", announce="never")
        m.close()
        sim.replug()                                    # a new pty behind the same name
        fresh = Modem.open(link, command_timeout=5)
        try:
            assert fresh.is_alive() and fresh is not m
            assert [s.text for s in fresh.list_stored()] == ["sent while unplugged"]
            assert fresh.send(US, "back online")
        finally:
            fresh.close()


def test_hung_modem_raises_modem_lost(sim, modem):
    sim.stop_answering()
    started = time.monotonic()
    with pytest.raises(ModemLost, match="no reply"):
        modem.ping()
    assert time.monotonic() - started < 5
    assert not modem.is_alive()
    with pytest.raises(ModemLost):                      # and at once from then on
        modem.send(US, "hello")


def test_slow_command_is_an_error_not_a_lost_modem(sim, modem):
    sim.set_latency("+CSQ", 1.5)
    with pytest.raises(ModemError, match="did not answer AT\\+CSQ") as slow:
        modem.command("AT+CSQ")
    assert not isinstance(slow.value, ModemLost)
    time.sleep(1.0)                                     # let the late reply drain
    assert modem.is_alive()


def test_a_modem_left_at_the_pdu_prompt_by_a_killed_process_opens_again(sim):
    # A worker SIGKILLed between AT+CMGS=<n> and the PDU's Ctrl-Z leaves the modem at "> ":
    # the next process's AT would become part of that PDU. Modem.open cancels it with ESC.
    import serial

    with serial.Serial(sim.device, 115200, timeout=1) as killed:
        killed.write(b"AT+CMGS=23\r")
        assert b">" in killed.read_until(b"> ")
    m = Modem.open(sim.device, command_timeout=1)
    try:
        m.send(US, "Sent after the prompt was cleared")
    finally:
        m.close()
    assert [p.text for p in sim.sent] == ["Sent after the prompt was cleared"]


def test_an_a7670_that_refuses_every_report_cnmi_still_announces_new_sms(received, caplog):
    # morgverd/sms-server issue #12: the A7670 takes only <ds> 0. Without the last fallback
    # the modem took no AT+CNMI at all and a reply waited for the periodic sweep.
    with ModemSimulator(profile="a7670") as a7670:
        with Modem.open(a7670.device, command_timeout=1, on_sms=received.append) as m:
            assert a7670.state.cnmi == (2, 1, 0, 0, 0)
            assert "refuses every AT+CNMI setting that announces status reports" in caplog.text
            a7670.inject_sms(US, "still here")
            wait_until(lambda: received, timeout=3, what="the SMS announced by +CMTI")
            assert m.is_alive()
