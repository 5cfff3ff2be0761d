"""The simulator as other networks and other SIMs are: a status report for every part of a
long text, +CMS ERROR: 321 for an empty listing, PDUs coded as other networks code them,
and a receive memory full of drafts and unreadable PDUs. Each knob is shown through a raw
AT client, through python-gsmmodem-new (a client nobody here wrote) and through our device
layer, so what they do with it is on record."""
from __future__ import annotations

import pytest
from gsmmodem.exceptions import CmsError, CommandError
from gsmmodem.modem import GsmModem, SentSms
from sim_helpers import US, US2, AtClient, wait_until
from smspdudecoder.easy import read_incoming_sms

from modem.device.errors import ModemError
from modem.device.modem import Modem
from modem.simulator.clutter import CUT_SHORT_PDU
from modem.simulator.pty_modem import ModemSimulator
from modem.simulator.shapes import SHAPES, DeliverShape, get_shape
from modem.sms import pdu
from modem.sms.pdu import StatusReport

LONG = "We can book you in tomorrow morning, or on Friday after two. " * 5     # 305 chars: 2 parts


@pytest.fixture
def at(sim):
    client = AtClient(sim.device)
    client.cmd("ATE0")
    client.cmd("AT+CMEE=1")
    yield client
    client.close()


# -- a status report for every part ------------------------------------------------------------
def test_every_part_that_asked_gets_its_own_report(sim):
    reports: list[StatusReport] = []
    with Modem.open(sim.device, command_timeout=2, on_status_report=reports.append) as modem:
        references = modem.send(US, LONG)
        [message] = sim.sent_messages()
        assert message.references == tuple(references) and len(references) == 2
        pdus = sim.deliver_status_reports(message, [0x00, 0x45])
        wait_until(lambda: len(reports) == 2, what="a report for each part")
    assert [pdu.decode_status_report(p).message_reference for p in pdus] == references
    assert [(r.reference, r.delivered, r.failed) for r in reports] == [
        (references[0], True, False), (references[1], False, True)]


def test_auto_report_covers_each_part_after_the_delay(sim):
    reports: list[StatusReport] = []
    sim.auto_report(0, delay=0.2)
    with Modem.open(sim.device, command_timeout=2, on_status_report=reports.append) as modem:
        references = modem.send(US, LONG + LONG)             # 4 parts
        assert len(references) == 4 and not reports
        wait_until(lambda: len(reports) == 4, what="four automatic reports")
        assert sorted(r.reference for r in reports) == sorted(references)
        sim.auto_report(None)
        modem.send(US2, "short")
        assert not sim.network.scheduled_reports


def test_the_library_hears_each_parts_report_but_keeps_only_the_last(sim):
    heard = []
    modem = GsmModem(sim.device, 115200, smsStatusReportCallback=heard.append)
    modem.connect()
    try:
        sent = modem.sendSms(US, LONG)
        [message] = sim.sent_messages()
        assert message.status_report_requested and sent.reference == message.references[-1]
        # One at a time: two +CDSI in one read reach its handler together, and it acts on
        # the first line only.
        sim.deliver_status_report(message.references[0], 0x45)      # part 1 failed
        wait_until(lambda: len(heard) == 1, what="part 1's report at the library's callback")
        sim.deliver_status_report(message.references[1], 0x00)      # part 2 delivered
        wait_until(lambda: len(heard) == 2, what="part 2's report at the library's callback")
        assert [r.reference for r in heard] == list(message.references)
        # python-gsmmodem-new keeps the last part's reference only: the text it calls
        # delivered lost its first half.
        assert sent.status == SentSms.DELIVERED
    finally:
        modem.close()


def test_a_part_that_did_not_ask_gets_no_report(sim):
    with Modem.open(sim.device, command_timeout=2, delivery_reports=False) as modem:
        modem.send(US, LONG)
    [message] = sim.sent_messages()
    assert not message.status_report_requested
    with pytest.raises(ValueError, match="did not ask for a status report"):
        sim.deliver_status_report(message.references[1])
    assert sim.deliver_status_reports(message) == []
    with pytest.raises(ValueError, match="give one status per part: the message has 2, got 3"):
        sim.deliver_status_reports(message, [0, 0, 0])


# -- +CMS ERROR: 321 on an empty listing ---------------------------------------------------------
def test_empty_listing_can_answer_321_in_chosen_memories(sim, at):
    assert at.cmd("AT+CMGL=4") == ["OK"]                         # 27.005: nothing listed, OK
    sim.refuse_empty_listing("+CMS ERROR: 321", memories=["ME"])
    assert at.cmd("AT+CMGL=4") == ["OK"]                         # SM is not refused
    at.cmd('AT+CPMS="ME","ME","ME"')
    assert at.cmd("AT+CMGL=4") == ["+CMS ERROR: 321"]
    sim.inject_sms(US, "Now there is one")
    assert at.cmd("AT+CMGL=4")[-1] == "OK"
    sim.refuse_empty_listing(None)
    at.cmd("AT+CMGD=1")
    assert at.cmd("AT+CMGL=4") == ["OK"]


def test_the_library_raises_on_the_321_listing(sim):
    sim.refuse_empty_listing()
    modem = GsmModem(sim.device, 115200)
    modem.connect()
    try:
        with pytest.raises(CmsError) as refused:
            modem.listStoredSms()
        assert refused.value.code == 321
    finally:
        modem.close()


def test_device_layer_sees_the_321_as_a_modem_error(sim):
    sim.refuse_empty_listing(memories=["ME"])
    with Modem.open(sim.device, command_timeout=2) as modem:
        modem.select_memory("ME")
        with pytest.raises(ModemError) as refused:
            modem.command("AT+CMGL=4")
        assert (refused.value.kind, refused.value.code) == ("CMS", 321)


# -- PDUs shaped as other networks send them ------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_each_shape_decodes_the_same_here_and_independently(sim, at, name):
    shape = get_shape(name)
    sim.inject_sms(US, LONG, shape=shape)
    sim.inject_sms(US2, "Ünïcödé ✓", shape=shape)
    lines = at.cmd("AT+CMGL=4")
    emitted = lines[1:-1:2]
    assert len(emitted) == 3
    for hex_pdu in emitted:
        ours, theirs = pdu.decode_deliver(hex_pdu), read_incoming_sms(hex_pdu)
        assert (ours.sender, ours.text) == (theirs["sender"], theirs["content"])
        data = bytes.fromhex(hex_pdu)
        smsc_type, first = data[1], data[1 + data[0]]
        assert smsc_type == (0x91 if shape.smsc_international else 0x81)
        assert first & ~0x40 == shape.first_octet
        assert ours.protocol_identifier == shape.pid
        if shape.concat_reference is not None and ours.concat:
            assert ours.concat[0] == shape.concat_reference
    expected = [0x11, 0x11, 0x19] if shape.message_class == 1 else [0x00, 0x00, 0x08]
    assert [_dcs(p) for p in emitted] == expected


def _dcs(hex_pdu: str) -> int:
    """TP-DCS of an SMS-DELIVER: after the SMSC, first octet, TP-OA and TP-PID."""
    data = bytes.fromhex(hex_pdu)
    oa = 1 + data[0] + 1
    return data[oa + 2 + (data[oa] + 1) // 2 + 1]


def test_other_network_pdus_reach_the_device_layer_and_the_library(sim):
    got = []
    with Modem.open(sim.device, command_timeout=2) as modem:
        sim.inject_sms(US, LONG, shape="other-network")
        sim.inject_sms(US2, LONG, shape="other-network")             # the same reference 0
        found = modem.list_stored()
    assert [(s.sender, s.concat, s.ok) for s in found] == [
        (US, (0, 2, 1), True), (US, (0, 2, 2), True), (US2, (0, 2, 1), True), (US2, (0, 2, 2), True)]
    assert pdu.join_texts([s.text for s in found[:2]]) == LONG
    with ModemSimulator() as other:
        library = GsmModem(other.device, 115200, smsReceivedCallbackFunc=got.append)
        library.connect()
        try:
            other.inject_sms(US, "Class one, PID one", shape="other-network")
            wait_until(lambda: got, what="the library's callback")
        finally:
            library.close()
    assert (got[0].number, got[0].text) == (US, "Class one, PID one")


def test_a_shape_refuses_what_is_not_a_deliver():
    with pytest.raises(pdu.PduError, match="TP-MTI must be 0"):
        pdu.encode_deliver(US, "x", pdu.decode_deliver(pdu.encode_deliver(US, "x", _ts())).timestamp,
                           first_octet=0x01)
    with pytest.raises(ValueError, match="unknown network shape 'nope'; choose one of: textback"):
        get_shape("nope")
    assert get_shape(DeliverShape(name="mine", pid=0x3F)).pid == 0x3F


def _ts():
    from datetime import datetime, timezone
    return datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


# -- a receive memory full of drafts and unreadable PDUs --------------------------------------------
def test_drafts_and_junk_fill_the_memory_and_a_new_text_waits(sim, at):
    at.cmd('AT+CPMS="ME","ME","ME"')
    sim.state.cpms = ["ME", "ME", "ME"]
    drafts = sim.store_message("draft", count=40)
    sent = sim.store_message("sent", count=40)
    junk = sim.store_message("unreadable", count=None)             # the rest
    assert (len(drafts), len(sent), len(junk)) == (40, 40, 20)
    assert at.cmd("AT+CPMS?")[0] == '+CPMS: "ME",100,100,"ME",100,100,"ME",100,100'
    assert sim.inject_sms(US, "Are you open today?") == []         # waits at the network
    listed = at.cmd("AT+CMGL=4")
    stats = [int(line.split(",")[1]) for line in listed if line.startswith("+CMGL:")]
    assert stats == [2] * 40 + [3] * 40 + [1] * 20
    assert listed[listed.index(f"+CMGL: 81,1,,{pdu.tpdu_length(CUT_SHORT_PDU)}") + 1] == CUT_SHORT_PDU
    at.cmd("AT+CMGD=1")                                             # one slot frees:
    assert sim.stored("ME")[1].text == "Are you open today?"        # the text comes in


def test_device_layer_lists_drafts_and_junk_as_unreadable_not_raised(sim):
    sim.store_message("draft", "SM", 2)
    sim.store_message("unreadable", "SM", 1)
    sim.inject_sms(US, "A real reply", storage="SM")
    with Modem.open(sim.device, command_timeout=2) as modem:
        found = modem.list_stored()
    assert [(s.index, s.status, s.ok, s.sender) for s in found] == [
        (1, 2, False, ""), (2, 2, False, ""), (3, 1, False, ""), (4, 0, True, US)]
    assert "SMS-SUBMIT" in found[0].error and "ends inside user data" in found[2].error


def test_the_library_gives_up_listing_at_the_first_draft(sim):
    # python-gsmmodem-new's listStoredSms raises on a stored SMS-SUBMIT (a draft), so
    # every received text after it in the listing is out of its reach.
    sim.store_message("draft", "ME", 1)
    sim.inject_sms(US, "A real reply", storage="ME")
    modem = GsmModem(sim.device, 115200)     # it reads and deletes in ME
    modem.connect()
    try:
        with pytest.raises(CommandError, match="Invalid PDU type"):
            modem.listStoredSms()
    finally:
        modem.close()
