"""modem/device.py against the simulated modem on a pty: opening, sending, receiving,
status reports, health. Nothing is mocked: pyserial opens the pty as it would open
/dev/ttyUSB2 and python-gsmmodem-new talks AT to the simulator."""
from __future__ import annotations

import os
import time

import pytest
from sim_helpers import UK, US, wait_until

from modem.device.errors import ModemError, ModemSetupError
from modem.device.modem import Modem
from modem.device.records import StoredSms
from modem.simulator.pty_modem import ModemSimulator
from modem.sms.pdu import StatusReport, join_texts


@pytest.fixture
def inbox():
    return {"sms": [], "reports": []}


@pytest.fixture
def modem(sim, inbox):
    m = Modem.open(sim.device, command_timeout=2, on_sms=inbox["sms"].append,
                   on_status_report=inbox["reports"].append)
    yield m
    m.close()


# -- opening ------------------------------------------------------------------------------
def test_open_sets_pdu_mode_and_store_and_notify(sim, modem):
    assert modem.is_alive()
    assert "AT+CMGF=0" in sim.commands_seen and "AT+CMGF=1" not in sim.commands_seen
    assert modem.cnmi.split(",")[1] == "1"          # mt=1: every SMS gets a stored copy
    assert modem.memories == ("SM", "ME")
    assert sim.state.cmgf == 0


def test_sim800_refuses_ds2_and_clac_yet_opens(inbox):
    with ModemSimulator(profile="sim800") as sim:
        with Modem.open(sim.device, command_timeout=2, on_status_report=inbox["reports"].append) as m:
            assert "AT+CNMI=2,1,0,2,0" in sim.commands_seen   # tried, refused
            assert m.cnmi == "2,1,0,1,0"                       # fell back to direct reports
            assert not any("CLAC" in c for c in sim.commands_seen)
            [ref] = m.send(US, "We missed your call")
            sim.deliver_status_report(ref, status=0)           # arrives as +CDS <len> / PDU
            report = wait_until(lambda: inbox["reports"])[0]
            assert (report.reference, report.recipient, report.delivered) == (ref, US, True)
            assert report.memory is None


def test_pin_missing_wrong_and_right():
    with ModemSimulator(pin="1234") as sim:
        with pytest.raises(ModemSetupError, match=r"SIM asks for a PIN: set \[modem\] pin"):
            Modem.open(sim.device, command_timeout=2)
        with pytest.raises(ModemSetupError, match="refused the PIN") as wrong:
            Modem.open(sim.device, command_timeout=2, pin="0000")
        assert wrong.value.code == 16
        with Modem.open(sim.device, command_timeout=2, pin="1234") as m:
            assert m.send(US, "hello")


def test_port_that_does_not_exist(tmp_path):
    with pytest.raises(ModemSetupError, match="no modem at .*plugged in"):
        Modem.open(str(tmp_path / "ttyUSB9"), command_timeout=1)


def test_port_where_nothing_answers():
    # A pty nobody serves: the wrong port of a multi-port stick behaves like this.
    master, slave = os.openpty()
    try:
        started = time.monotonic()
        with pytest.raises(ModemSetupError, match="does not answer AT: is it the right port"):
            Modem.open(os.ttyname(slave), command_timeout=0.3)
        assert time.monotonic() - started < 5
    finally:
        os.close(master)
        os.close(slave)


# -- sending ------------------------------------------------------------------------------
def test_send_gsm7_returns_the_modems_reference(sim, modem):
    refs = modem.send(US, "Sorry we missed you. Reply or call 212-555-0100 [Joe's Garage]")
    sent = sim.sent_messages()
    assert [m.text for m in sent] == ["Sorry we missed you. Reply or call 212-555-0100 [Joe's Garage]"]
    assert sent[0].parts[0].encoding == "GSM-7" and sent[0].destination == US
    assert list(sent[0].references) == refs


def test_send_emoji_goes_as_ucs2_intact(sim, modem):
    # FAULT emoji: the library raises ValueError for characters above U+FFFF.
    modem.send(UK, "Thanks! 😀 See you")
    [message] = sim.sent_messages()
    assert message.text == "Thanks! 😀 See you"
    assert message.parts[0].encoding == "UCS-2"


def test_send_long_text_in_concatenated_parts(sim, modem):
    text = "Missed your call. " * 20          # 360 characters: 3 GSM-7 parts
    refs = modem.send(US, text)
    [message] = sim.sent_messages()
    assert message.complete and message.text == text
    assert len(refs) == len(message.parts) == 3
    assert len({p.concat[0] for p in message.parts}) == 1


def test_send_refused_in_the_modems_words(sim, modem):
    sim.fail_next(1, "+CMS ERROR: 500", command="+CMGS")
    with pytest.raises(ModemError, match=r"\+CMS ERROR: 500 \(unknown error\)") as failed:
        modem.send(US, "hello")
    assert failed.value.code == 500 and failed.value.transient
    sim.lose_network()
    with pytest.raises(ModemError, match="331 .no network service") as no_network:
        modem.send(US, "hello")
    assert no_network.value.code == 331
    sim.restore_network()
    assert modem.send(US, "hello again")
    assert [m.text for m in sim.sent_messages()] == ["hello again"]


def test_later_part_failing_names_the_parts_sent(sim, modem):
    import threading
    # Part 1 is accepted but its reply is slow; while it is on its way the network
    # starts refusing, so part 2 fails: the worker must learn part 1 went out.
    sim.set_latency("+CMGS", 0.3)

    def refuse_after_first_part():
        wait_until(lambda: len(sim.sent) == 1)
        sim.fail_next(1, "+CMS ERROR: 331", command="+CMGS")

    helper = threading.Thread(target=refuse_after_first_part)
    helper.start()
    with pytest.raises(ModemError, match="331") as failed:
        modem.send(US, "x" * 200)                 # two parts
    helper.join()
    assert len(failed.value.sent_references) == 1
    assert [p.reference for p in sim.sent] == list(failed.value.sent_references)


@pytest.mark.parametrize("number,text", [("", "hi"), ("call me", "hi"), (US, ""), ("+1 212", "hi")])
def test_bad_input_costs_nothing(sim, modem, number, text):
    with pytest.raises(ValueError):
        modem.send(number, text)
    assert sim.sent == []


# -- receiving ----------------------------------------------------------------------------
def test_incoming_sms_is_announced_and_kept_until_deleted(sim, modem, inbox):
    sim.inject_sms(UK, "Yes please call me back")
    [sms] = wait_until(lambda: inbox["sms"])
    assert (sms.sender, sms.text, sms.ok) == (UK, "Yes please call me back", True)
    # FAULT process-stored-deletes: the copy stays until the store says so.
    assert sim.stored(sms.memory)
    assert [s.text for s in modem.list_stored()] == ["Yes please call me back"]
    modem.delete_stored(sms.memory, sms.index)
    assert sim.stored(sms.memory) == {}
    assert modem.list_stored() == []


def test_a_failing_callback_leaves_the_message_for_the_sweep(sim):
    def refuse(sms):
        raise RuntimeError("store is down")

    with Modem.open(sim.device, command_timeout=2, on_sms=refuse) as m:
        sim.inject_sms(UK, "hello?")
        time.sleep(0.3)
        assert [s.text for s in m.list_stored()] == ["hello?"]


def test_received_emoji_and_body_lines_starting_with_ok(sim, modem):
    # FAULT text-mode: a body line "OK..." would end a text-mode reply early.
    sim.inject_sms(UK, "OK\nERROR free 😀 thanks", announce="never")
    sim.inject_sms(US, "Ça va? €5", announce="never")
    texts = sorted(s.text for s in modem.list_stored())
    assert texts == ["OK\nERROR free 😀 thanks", "Ça va? €5"]


def test_multipart_reply_comes_in_parts_with_their_concat(sim, modem):
    # FAULT no-reassembly: each part is handed out with (ref, total, seq); the store joins.
    text = "I called about the brake job 😀 " * 6
    sim.inject_sms(UK, text, parts_order=[3, 1, 2], announce="never")
    parts = modem.list_stored()
    assert len(parts) == 3 and len({p.concat[0] for p in parts}) == 1
    assert sorted(p.concat[2] for p in parts) == [1, 2, 3]
    assert join_texts([p.text for p in sorted(parts, key=lambda p: p.concat[2])]) == text


def test_garbled_pdu_is_reported_not_raised(sim, modem):
    from modem.simulator.memory import StoredMessage
    sim.inject_sms(US, "first", announce="never")
    sim.state.store["ME"].store(StoredMessage(pdu="07914477000910000400ZZ", stat=0, tpdu_length=9))
    sim.state.store["ME"].store(StoredMessage(pdu="0791447700091000040C9144", stat=0, tpdu_length=5))
    sim.inject_sms(US, "last", announce="never")
    found = modem.list_stored()
    assert [s.text for s in found if s.ok] == ["first", "last"]
    broken = [s for s in found if not s.ok]
    assert len(broken) == 2 and all("cannot decode PDU" in s.error for s in broken)
    assert all(isinstance(s, StoredSms) and s.index for s in broken)


# -- status reports -----------------------------------------------------------------------
def test_status_reports_are_matched_by_reference_and_then_deleted(sim, modem, inbox):
    # FAULT cds-unmatched: each report reaches the callback with its own reference.
    first = modem.send(US, "one")[0]
    second = modem.send(UK, "two")[0]
    sim.deliver_status_report(second, status=0x40)
    sim.deliver_status_report(first, status=0)
    reports = wait_until(lambda: len(inbox["reports"]) == 2 and inbox["reports"])
    by_ref = {r.reference: r for r in reports}
    assert by_ref[first].delivered and by_ref[first].recipient == US
    assert by_ref[second].failed and by_ref[second].recipient == UK
    assert all(isinstance(r, StatusReport) and r.memory == "SR" for r in reports)
    assert wait_until(lambda: sim.stored("SR") == {})


# -- health -------------------------------------------------------------------------------
def test_health_reports_signal_registration_and_storage(sim, modem):
    health = modem.health()
    assert health.alive and health.registered and health.registration == "home"
    assert health.signal_dbm is not None and -113 <= health.signal_dbm <= -51
    assert health.operator == "Test Network"
    assert health.storage["SM"][1] == 30
    sim.lose_network()
    gone = modem.health()
    assert not gone.registered and gone.signal_dbm is None


@pytest.mark.parametrize("profile", ["huawei", "ec25"])
def test_other_modems_open_send_and_receive(profile):
    with ModemSimulator(profile=profile) as sim:
        with Modem.open(sim.device, command_timeout=2) as m:
            sim.lose_network()                 # Huawei also sends ^RSSI: 99 unasked
            sim.restore_network()
            assert m.send(US, "hello")
            sim.inject_sms(UK, "reply", announce="never")
            assert [s.text for s in m.list_stored()] == ["reply"]
            assert m.health().registered


def test_a_cut_off_long_text_resumes_after_the_parts_that_went(sim, modem):
    # Issue 11, case 10: part 2 of 3 is refused; the retry sends parts 2 and 3 only, with
    # the concatenation reference of part 1, so the phone joins all three.
    text = "We can come on Tuesday between eight and noon, or Thursday afternoon. " * 6   # 3 parts
    sim.fail_next(1, "+CMS ERROR: 331", command="+CMGS", after=1)
    with pytest.raises(ModemError, match="331") as cut:
        modem.send(US, text, concat_reference=77)
    assert len(cut.value.sent_references) == 1 and len(sim.sent) == 1
    rest = modem.send(US, text, concat_reference=77, first_part=2)
    assert len(rest) == 2
    [message] = sim.sent_messages()
    assert message.complete and message.text == text
    assert [p.concat for p in message.parts] == [(77, 3, 1), (77, 3, 2), (77, 3, 3)]
    assert modem.send(US, text, concat_reference=77, first_part=4) == []      # nothing left
    assert len(sim.sent) == 3


def test_resuming_without_the_reference_is_refused_before_sending(sim, modem):
    with pytest.raises(ValueError, match="needs the concat_reference"):
        modem.send(US, "x" * 200, first_part=2)
    with pytest.raises(ValueError, match="0..255"):
        modem.send(US, "x" * 200, concat_reference=256)
    assert sim.sent == []


# -- the sweep, memory by memory (issue 11, case 11) -------------------------------------------
def test_an_empty_memory_answering_321_does_not_hide_the_others(sim, modem, caplog):
    # phonesim answers +CMS ERROR: 321 to AT+CMGL on an empty memory; today's main let it
    # abort the sweep, so what SM (listed after it) held was never read.
    sim.refuse_empty_listing("+CMS ERROR: 321")
    sim.inject_sms(US, "Waiting on the SIM", storage="SM", announce="never")
    caplog.set_level("DEBUG", logger="modem.device.modem")
    modem.memories = ("ME", "SM")
    found = modem.list_stored()
    assert [(s.memory, s.text) for s in found] == [("SM", "Waiting on the SIM")]
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


def test_a_memory_that_will_not_list_is_skipped_and_said_once(sim, modem, caplog):
    sim.inject_sms(US, "In the SIM", storage="SM", announce="never")
    sim.inject_sms(UK, "In the phone", storage="ME", announce="never")
    caplog.set_level("INFO", logger="modem.device.modem")
    found = []
    for refused in (True, True, False):
        if refused:
            sim.fail_next(1, "+CMS ERROR: 320", command="+CMGL")      # SM is listed first
        found.append(modem.list_stored())
    assert [[s.text for s in sweep] for sweep in found] == [
        ["In the phone"], ["In the phone"], ["In the SIM", "In the phone"]]
    # Each record once: under a full run a handler left by an earlier test can hand the
    # same record to the capture twice.
    records = list({id(r): r for r in caplog.records}.values())
    refused = [r.getMessage() for r in records if r.levelname == "WARNING"]
    assert refused == ["modem would not list memory SM (+CMS ERROR: 320 (memory failure) for AT+CMGL=4) "
                       "though AT+CPMS says it holds 1; the other memories are still read, and it is "
                       "tried again at every sweep"]
    assert any(r.getMessage() == "modem lists memory SM again" for r in records)


def test_the_receive_memory_is_the_one_new_texts_go_to(sim, modem):
    assert modem.receive_memory == "ME" and sim.state.cpms[2] == "ME"
    health = modem.health()
    assert health.receive_memory == "ME" and health.storage["ME"] == (0, 100)


def test_a_refused_memory_choice_leaves_the_modems_own_and_says_which(sim):
    sim.fail_next(1, "+CMS ERROR: 302", command="+CPMS", after=1)    # AT+CPMS=? answers, the choice not
    with Modem.open(sim.device, command_timeout=2) as m:
        assert m.receive_memory == "SM" == sim.state.cpms[2]
        assert m.health().receive_memory == "SM"
