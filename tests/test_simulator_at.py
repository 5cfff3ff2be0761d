"""The simulator's AT layer, driven over a real pty with pyserial (no mocks)."""
from __future__ import annotations

import pytest
from sim_helpers import PROFILES, UK, US, US2, AtClient, wait_until

from modem.simulator.pty_modem import ModemSimulator
from modem.sms import pdu


@pytest.fixture
def at(sim):
    client = AtClient(sim.device)
    client.cmd("ATE0")
    yield client
    client.close()


def test_framing_and_echo_follow_ate(sim):
    client = AtClient(sim.device)
    try:
        client.raw(b"AT\r")
        assert client.read_until_final() == b"AT\r\r\nOK\r\n"      # echo on after power-up
        client.raw(b"ATE0\r")
        assert client.read_until_final() == b"ATE0\r\r\nOK\r\n"    # echoed before it takes effect
        client.raw(b"AT+CSQ\r")
        assert client.read_until_final() == b"\r\n+CSQ: 21,99\r\n\r\nOK\r\n"
        client.raw(b"ATE1\r")
        client.read_until_final()
        client.raw(b"ATI\r")
        assert client.read_until_final().startswith(b"ATI\r\r\nTextback\r\n")
    finally:
        client.close()


def test_compound_commands_and_unknown_ones(at):
    assert at.cmd("AT+CMGF=1;+CMGF?") == ["+CMGF: 1", "OK"]
    assert at.cmd("AT+CGMI;+CGMM") == ["Textback", "SIMULATED-GSM", "OK"]
    assert at.cmd("AT+CMGF=0;+NOPE;+CMGF=1") == ["ERROR"]
    assert at.cmd("AT+CMGF?") == ["+CMGF: 0", "OK"]          # stopped at the failing command
    assert at.cmd("HELLO") == ["ERROR"]
    assert at.cmd("AT+XYZZY=1") == ["ERROR"]


@pytest.mark.parametrize("cmee,expected", [(0, "ERROR"), (1, "+CME ERROR: 3"),
                                           (2, "+CME ERROR: operation not allowed")])
def test_cmee_numeric_and_verbose(at, cmee, expected):
    at.cmd(f"AT+CMEE={cmee}")
    assert at.cmd('AT+CPIN="0000"') == [expected]           # no PIN asked: not allowed


def test_sim_pin_flow():
    with ModemSimulator(pin="1234") as sim:
        at = AtClient(sim.device)
        at.cmd("ATE0;+CMEE=1")
        assert at.cmd("AT+CPIN?") == ["+CPIN: SIM PIN", "OK"]
        assert at.cmd("AT+CIMI") == ["+CME ERROR: 11"]
        assert at.cmd("AT+CMGL=4") == ["+CMS ERROR: 311"]
        assert at.cmd('AT+CPIN="9999"') == ["+CME ERROR: 16"]
        assert at.cmd("AT+CPIN?") == ["+CPIN: SIM PIN", "OK"]
        assert at.cmd('AT+CPIN="1234"') == ["OK"]
        assert at.cmd("AT+CPIN?") == ["+CPIN: READY", "OK"]
        assert at.cmd("AT+CIMI") == ["001010123456789", "OK"]
        at.close()


def test_identity_commands(at):
    assert at.cmd("AT+CGMR") == ["1.0", "OK"]
    assert at.cmd("AT+CGSN") == ["490154203237518", "OK"]
    assert at.cmd("AT+CFUN?") == ["+CFUN: 1", "OK"]
    assert at.cmd("AT+CFUN=7") == ["ERROR"]
    assert at.cmd("AT+CLIP=1;+CRC=1;+CVHU=0") == ["OK"]
    assert at.cmd("AT+CLIP?;+CRC?;+CVHU?") == ["+CLIP: 1,1", "+CRC: 1", "+CVHU: 0", "OK"]
    assert "AT+CMGS" in at.cmd("AT+CLAC")


def test_registration_and_operator(at):
    assert at.cmd("AT+CREG?") == ["+CREG: 0,1", "OK"]
    at.cmd("AT+CREG=2")
    assert at.cmd("AT+CREG?") == ['+CREG: 2,1,"00C3","0000A13F"', "OK"]
    assert at.cmd("AT+COPS=3,0;+COPS?") == ['+COPS: 0,0,"Test Network"', "OK"]
    assert at.cmd("AT+COPS=3,2;+COPS?") == ['+COPS: 0,2,"00101"', "OK"]


def test_character_sets(at):
    assert at.cmd("AT+CSCS=?") == ['+CSCS: ("GSM","UCS2","IRA")', "OK"]
    assert at.cmd('AT+CSCS="UCS2";+CSCS?') == ['+CSCS: "UCS2"', "OK"]
    assert at.cmd('AT+CSCS="KLINGON"') == ["ERROR"]


def test_cpms_query_set_and_read(at):
    assert at.cmd("AT+CPMS=?") == ['+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")', "OK"]
    assert at.cmd('AT+CPMS="ME","ME","ME"') == ["+CPMS: 0,100,0,100,0,100", "OK"]
    assert at.cmd("AT+CPMS?") == ['+CPMS: "ME",0,100,"ME",0,100,"ME",0,100', "OK"]
    at.cmd("AT+CMEE=1")
    assert at.cmd('AT+CPMS="XX"') == ["+CMS ERROR: 302"]


def _submit(text="Hello", dest=US, report=False):
    hex_pdu = pdu.encode_submit(dest, text, reference=0, request_status_report=report)
    return hex_pdu, pdu.tpdu_length(hex_pdu)


def test_cmgs_pdu_prompt_submit_and_cancel(sim, at):
    at.cmd("AT+CMEE=1")
    hex_pdu, length = _submit()
    at.raw(f"AT+CMGS={length}\r".encode())
    assert at.read_until_final(prompt=True) == b"\r\n> "
    at.raw(hex_pdu.encode() + b"\x1a")
    assert at.read_until_final() == b"\r\n+CMGS: 1\r\n\r\nOK\r\n"
    assert at.send_body(f"AT+CMGS={length}", hex_pdu, end=b"\x1b") == ["OK"]     # ESC: nothing sent
    assert at.send_body(f"AT+CMGS={length + 1}", hex_pdu) == ["+CMS ERROR: 304"]  # wrong length
    assert at.send_body("AT+CMGS=5", "ZZZZ") == ["+CMS ERROR: 304"]              # not hex
    assert [(p.destination, p.text, p.reference) for p in sim.sent] == [(US, "Hello", 1)]


def test_cmgs_text_mode_in_gsm_and_ucs2(sim, at):
    at.cmd("AT+CMGF=1")
    assert at.send_body(f'AT+CMGS="{UK}"', "Back at 3pm") == ["+CMGS: 1", "OK"]
    at.cmd('AT+CSCS="UCS2";+CSMP=49,167,0,8')
    body = "Grüße €".encode("utf-16-be").hex().upper()
    assert at.send_body(f'AT+CMGS="{US}"', body) == ["+CMGS: 2", "OK"]
    first, second = sim.sent
    assert (first.destination, first.text, first.mode, first.status_report_requested) == (UK, "Back at 3pm", "text", False)
    assert (second.text, second.encoding, second.status_report_requested) == ("Grüße €", "UCS-2", True)


def test_message_reference_counts_mod_256():
    with ModemSimulator(first_reference=254) as sim:
        at = AtClient(sim.device)
        at.cmd("ATE0")
        hex_pdu, length = _submit()
        refs = [at.send_body(f"AT+CMGS={length}", hex_pdu)[0] for _ in range(3)]
        assert refs == ["+CMGS: 254", "+CMGS: 255", "+CMGS: 0"]
        at.close()


def test_cmgr_cmgl_cmgd_pdu_mode(sim, at):
    at.cmd("AT+CMEE=1")
    assert sim.inject_sms(US, "first") == [1]
    assert sim.inject_sms(US2, "second") == [2]
    lines = at.cmd("AT+CMGL=0")                     # unread ones; listing marks them read
    assert lines[0] == f"+CMGL: 1,0,,{pdu.tpdu_length(lines[1])}"
    assert pdu.decode_deliver(lines[1]).text == "first"
    assert pdu.decode_deliver(lines[3]).sender == US2
    assert at.cmd("AT+CMGL=0") == ["OK"]
    read = at.cmd("AT+CMGR=2")
    assert read[0].startswith("+CMGR: 1,,") and pdu.decode_deliver(read[1]).text == "second"
    assert at.cmd("AT+CMGR=9") == ["+CMS ERROR: 321"]
    assert at.cmd("AT+CMGD=1") == ["OK"]
    assert at.cmd("AT+CMGR=1") == ["+CMS ERROR: 321"]
    sim.inject_sms(US, "third")
    assert at.cmd("AT+CMGD=?") == ["+CMGD: (1,2),(0-4)", "OK"]
    assert at.cmd("AT+CMGD=1,1") == ["OK"]         # delflag 1: read ones only
    assert list(sim.stored("SM")) == [1]
    assert at.cmd("AT+CMGD=1,4") == ["OK"]
    assert sim.stored("SM") == {}


def test_text_mode_read_and_list(sim, at):
    at.cmd("AT+CMGF=1")
    sim.inject_sms(UK, "See you at 10")
    lines = at.cmd('AT+CMGL="ALL"')
    assert lines[0].startswith(f'+CMGL: 1,"REC UNREAD","{UK}",,"') and lines[1] == "See you at 10"
    assert at.cmd("AT+CMGR=1")[0].startswith(f'+CMGR: "REC READ","{UK}",,"')


def test_memory_full_gives_322_and_waiting_sms_arrive_after_delete(sim, at):
    at.cmd("AT+CMEE=1")
    hex_pdu, length = _submit()
    for _ in range(30):                             # the generic SIM holds 30
        assert at.send_body(f"AT+CMGW={length}", hex_pdu)[-1] == "OK"
    assert at.send_body(f"AT+CMGW={length}", hex_pdu) == ["+CMS ERROR: 322"]
    at.cmd("AT+CNMI=2,1,0,0,0")
    assert sim.inject_sms(US, "held at the SMSC") == []        # no room: it waits, not lost
    at.cmd("AT+CMGD=5")
    assert at.read_available() == b'\r\n+CMTI: "SM",5\r\n'
    assert sim.stored("SM")[5].text == "held at the SMSC"


def test_cnmi_store_and_notify_and_direct_delivery(sim, at):
    at.cmd("AT+CNMI=2,1,0,0,0")
    sim.inject_sms(US, "stored")
    assert at.read_available() == b'\r\n+CMTI: "SM",1\r\n'
    at.cmd("AT+CNMI=2,2,0,0,0")
    sim.inject_sms(US, "direct")
    out = at.read_available().decode()
    head, body = out.strip().split("\r\n")
    assert head == f"+CMT: ,{pdu.tpdu_length(body)}" and pdu.decode_deliver(body).text == "direct"
    assert list(sim.stored("SM")) == [1]            # +CMT is not stored


def test_status_reports_direct_and_stored(sim, at):
    hex_pdu, length = _submit(report=True)
    at.cmd("AT+CNMI=2,1,0,1,0")
    ref = int(at.send_body(f"AT+CMGS={length}", hex_pdu)[0].split(": ")[1])
    sim.deliver_status_report(ref, status=0)
    head, body = at.read_available().decode().strip().split("\r\n")
    assert head == f"+CDS: {pdu.tpdu_length(body)}"
    report = pdu.decode_status_report(body)
    assert (report.message_reference, report.recipient, report.status) == (ref, US, 0)
    at.cmd("AT+CNMI=2,1,0,2,0")
    sim.deliver_status_report(ref, status=0x46)
    assert at.read_available() == b'\r\n+CDSI: "SR",1\r\n'
    at.cmd('AT+CPMS="SR"')
    assert pdu.decode_status_report(at.cmd("AT+CMGR=1")[1]).status == 0x46
    with pytest.raises(ValueError, match="no sent message"):
        sim.deliver_status_report(99)


def test_profiles_identify_and_refuse_as_documented():
    expectations = {"generic": ("Textback", "ERROR"), "sim800": ("SIM800 R14.18", "ERROR"),
                    "huawei": ("Manufacturer: huawei", "COMMAND NOT SUPPORT"), "ec25": ("Quectel", "ERROR")}
    for name in PROFILES:
        with ModemSimulator(profile=name) as sim:
            at = AtClient(sim.device)
            at.cmd("ATE0")
            first_ati, unknown = expectations[name]
            assert at.cmd("ATI")[0] == first_ati
            assert at.cmd("AT+NOSUCH") == [unknown]
            at.cmd("AT+CMEE=1")
            clac = at.cmd("AT+CLAC")
            cnmi = at.cmd("AT+CNMI=2,1,0,2,0")
            if name == "sim800":
                assert clac == ["+CME ERROR: 100"] and cnmi == ["+CMS ERROR: 303"]
                assert at.cmd("AT+CNMI=2,1,0,1,0") == ["OK"]
            else:
                assert clac[-1] == "OK" and cnmi == ["OK"]
            if name == "ec25":
                at.cmd("AT+CREG=2")
                assert at.cmd("AT+CREG?")[0].endswith(",7")
            at.close()


def test_bad_input_never_kills_the_loop(sim, at):
    at.raw(b"\xff\xfe\x00AT+\x01\r")
    at.read_until_final()
    at.raw(b'AT+CMGS="unterminated\r')
    at.read_until_final()
    assert at.cmd("AT") == ["OK"]
    wait_until(lambda: sim._thread.is_alive())


def test_text_mode_times_keep_their_offset_in_quarter_hours(sim, at):
    # 27.005: +CMT, +CMGR and +CMGL all show the service centre's local time and its
    # offset from UTC in quarter-hours; one message must not show two different times.
    from datetime import datetime, timedelta, timezone

    sent = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    at.cmd("AT+CMGF=1")
    at.cmd("AT+CNMI=2,2,0,0,0")
    sim.inject_sms(UK, "direct", timestamp=sent)
    assert at.read_available().decode().split("\r\n")[1] == f'+CMT: "{UK}",,"24/05/01,12:00:00+08"'
    at.cmd("AT+CNMI=2,1,0,0,0")
    sim.inject_sms(UK, "stored", timestamp=sent)
    at.read_available()
    assert at.cmd("AT+CMGR=1")[0] == f'+CMGR: "REC UNREAD","{UK}",,"24/05/01,12:00:00+08"'


def test_fail_next_can_name_plain_at(sim, at):
    sim.fail_next(1, "ERROR", command="AT")
    assert at.cmd("AT") == ["ERROR"]
    assert at.cmd("AT") == ["OK"]
