"""python-gsmmodem-new (a client nobody here wrote) against the simulator, in every profile,
and each fault knob shown doing what it says through that same client."""
from __future__ import annotations

import time

import pytest
import serial
from gsmmodem.exceptions import CmsError, TimeoutException
from gsmmodem.modem import GsmModem
from sim_helpers import PROFILES, UK, US, US2, AtClient, wait_until

from modem.simulator.pty_modem import ModemSimulator
from modem.sms import pdu


def connect(sim, received=None, **kwargs):
    modem = GsmModem(sim.device, 115200, smsReceivedCallbackFunc=(received.append if received is not None else None),
                     **kwargs)
    modem.connect()
    return modem


@pytest.mark.parametrize("profile", PROFILES)
def test_connect_send_and_receive_in_every_profile(profile):
    received = []
    with ModemSimulator(profile=profile) as sim:
        modem = connect(sim, received)
        try:
            modem.sendSms(US, "Sorry we missed your call")
            modem.sendSms(UK, "Grüße aus Zürich: Ωμέγα")          # Ω is GSM-7, μ/έ are not -> UCS-2
            long_text = "We can book you in tomorrow morning. " * 10
            modem.sendSms(US2, long_text)
            messages = sim.sent_messages()
            assert [(m.destination, m.text, len(m.parts)) for m in messages] == [
                (US, "Sorry we missed your call", 1), (UK, "Grüße aus Zürich: Ωμέγα", 1), (US2, long_text, 3)]
            assert [p.encoding for p in sim.sent[:2]] == ["GSM-7", "UCS-2"]
            assert all(m.complete for m in messages)
            assert len({p.reference for p in sim.sent}) == 5

            [index] = sim.inject_sms(US, "Yes please call back")
            wait_until(lambda: received)
            assert (received[0].number, received[0].text) == (US, "Yes please call back")
            memory = modem._smsMemReadDelete.strip('"')
            wait_until(lambda: index not in sim.stored(memory))     # read, then deleted
        finally:
            modem.close()


def test_emoji_inbound_arrives_as_lone_surrogates_in_the_library():
    # The library fault DESIGN.md names, reproduced: the PDU is right (see the decoder test),
    # the client turns the pair into two surrogates.
    received = []
    with ModemSimulator() as sim:
        modem = connect(sim, received)
        try:
            [index] = sim.inject_sms(US, "Thanks 😀")
            wait_until(lambda: received)
            assert received[0].text == "Thanks \ud83d\ude00"
            # The library deletes after its callback, on its own thread: let it finish
            # before closing, or that thread dies on a closed port.
            wait_until(lambda: index not in sim.stored("ME"))
        finally:
            modem.close()


def test_swallowed_cmti_never_reaches_the_callback():
    received = []
    with ModemSimulator() as sim:
        modem = connect(sim, received)
        try:
            [index] = sim.inject_sms(US, "Are you open?", announce="during_next_command")
            reply = modem.write("AT+CSQ")                        # the command that swallows it
            assert reply == [f'+CMTI: "ME",{index}', "+CSQ: 21,99", "OK"]   # it chose ME
            time.sleep(0.3)
            assert received == []
            assert index in sim.stored("ME")
            assert [m.text for m in modem.listStoredSms()] == ["Are you open?"]   # a sweep finds it
            [control] = sim.inject_sms(US, "Control: announced normally")
            wait_until(lambda: received)
            wait_until(lambda: control not in sim.stored("ME"))   # the library's delete, as above
        finally:
            modem.close()


def test_fail_next_gives_the_error_and_sends_nothing():
    with ModemSimulator() as sim:
        modem = connect(sim)
        try:
            sim.fail_next(1, "+CMS ERROR: 500", command="+CMGS")
            with pytest.raises(CmsError) as failure:
                modem.sendSms(US, "first try")
            assert failure.value.code == 500 and sim.sent == []
            modem.sendSms(US, "second try")
            assert [p.text for p in sim.sent] == ["second try"]
            sim.fail_next(2, "+CME ERROR: 100")
            with pytest.raises(Exception):
                modem.write("AT+CSQ")
            with pytest.raises(Exception):
                modem.write("AT+CSQ")
            assert modem.write("AT+CSQ")[-1] == "OK"
        finally:
            modem.close()


def test_lost_network_refuses_sends_until_restored():
    with ModemSimulator() as sim:
        modem = connect(sim)
        try:
            sim.lose_network(stat=2)
            assert modem.write("AT+CREG?")[0] == "+CREG: 0,2"
            assert modem.signalStrength == -1
            with pytest.raises(CmsError) as failure:
                modem.sendSms(US, "no bars")
            assert failure.value.code == 331 and sim.sent == []
            sim.restore_network()
            modem.sendSms(US, "bars again")
            assert [p.text for p in sim.sent] == ["bars again"]
        finally:
            modem.close()


def test_latency_delays_the_answer():
    with ModemSimulator() as sim:
        modem = connect(sim)
        try:
            sim.set_latency("AT+CMGS", 0.6)
            started = time.monotonic()
            modem.sendSms(US, "slow radio")
            assert time.monotonic() - started >= 0.6
            sim.set_latency("+CMGS", 0)
        finally:
            modem.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_bytes_that_are_not_utf8_kill_the_library_reader_silently():
    with ModemSimulator() as sim:
        modem = connect(sim)
        try:
            sim.emit_garbage(b"\r\n\xff\xfe junk\r\n")
            wait_until(lambda: not modem.rxThread.is_alive())
            assert modem.alive                       # it still believes it is connected
            with pytest.raises(TimeoutException):
                modem.write("AT", timeout=0.5)
        finally:
            modem.alive = False
            modem.serial.close()


def test_stop_answering_then_resume():
    with ModemSimulator() as sim:
        modem = connect(sim)
        try:
            sim.stop_answering()
            with pytest.raises(TimeoutException):
                modem.write("AT", timeout=0.4)
            sim.resume()
            assert modem.write("AT") == ["OK"]
        finally:
            modem.close()


def test_unplug_and_replug_behind_the_same_link(tmp_path):
    link = tmp_path / "ttyModem"
    with ModemSimulator(link=str(link)) as sim:
        client = serial.Serial(str(link), 115200, timeout=0.2)
        sim.unplug()
        assert not link.exists()
        with pytest.raises(serial.SerialException):
            client.write(b"AT\r")
            client.read(10)
        client.close()
        sim.replug()
        assert link.is_symlink() and link.exists()
        modem = connect(sim)
        try:
            assert modem.write("AT") == ["OK"]
        finally:
            modem.close()


def test_out_of_order_and_missing_parts_are_stored_as_delivered():
    with ModemSimulator() as sim:
        at = AtClient(sim.device)
        at.cmd("ATE0")
        text = "".join(f"part{n:03d} " for n in range(50))           # 400 chars: 3 GSM-7 parts
        assert sim.inject_sms(US, text, parts_order=(3, 1, 2), drop_parts=(1,)) == [1, 2]
        lines = at.cmd("AT+CMGL=4")
        parts = [pdu.decode_deliver(line) for line in lines[1:-1:2]]
        assert [p.concat[1:] for p in parts] == [(3, 3), (3, 2)]
        assert parts[0].text == text[306:] and parts[1].text == text[153:306]
        at.close()


def test_unsolicited_code_while_a_command_waits_lands_in_its_reply():
    with ModemSimulator() as sim:
        at = AtClient(sim.device)
        at.cmd("ATE0")
        sim.emit_during_next_command("+CREG: 1")
        assert at.cmd("AT+CSQ") == ["+CREG: 1", "+CSQ: 21,99", "OK"]
        at.close()
