"""Every PDU the simulator accepts or emits decodes the same in independent decoders:
smspdudecoder (PyPI) for SUBMIT/DELIVER, Debian's python3-gammu for status reports."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from gsmmodem.modem import GsmModem
from sim_helpers import UK, US, US2, AtClient
from smspdudecoder.easy import read_incoming_sms, read_outgoing_sms

from modem.simulator.pty_modem import ModemSimulator
from modem.sms import pdu


def test_every_accepted_submit_decodes_the_same_independently():
    with ModemSimulator() as sim:
        modem = GsmModem(sim.device, 115200)
        modem.connect()
        try:
            modem.sendSms(US, "Plain GSM-7 text: [ok] {fine} €5")
            modem.sendSms(UK, "Ünïcödé Ωμέγα ✓")
            modem.sendSms(US2, "Three parts please. " * 20)
        finally:
            modem.close()
    assert len(sim.sent) == 5
    for part in sim.sent:
        independent = read_outgoing_sms(part.pdu)
        assert (independent["recipient"], independent["content"]) == (part.destination, part.text)


def test_every_emitted_deliver_decodes_the_same_independently():
    texts = [(US, "Hello there", None), (UK, "Emoji 😀 and Ω", None), (US2, "Long reply. " * 30, None),
             (US, "Forced UCS-2", "UCS-2")]
    with ModemSimulator() as sim:
        at = AtClient(sim.device)
        at.cmd("ATE0;+CNMI=2,2,0,0,0")
        sim.inject_sms(US, "Direct +CMT")
        out = at.read_available().decode().strip().split("\r\n")
        direct_pdu = out[1]
        at.cmd("AT+CNMI=2,1,0,0,0")
        for sender, text, encoding in texts:
            sim.inject_sms(sender, text, encoding=encoding)
        lines = at.cmd("AT+CMGL=4")
        at.close()
    emitted = lines[1:-1:2] + [direct_pdu]
    decoded = [read_incoming_sms(p) for p in emitted]
    whole: dict[tuple[str, object], list[tuple[int, str]]] = {}
    for d in decoded:
        partial = d["partial"] or {}
        key = (d["sender"], partial.get("reference", id(d)))
        whole.setdefault(key, []).append((partial.get("part_number", 0), d["content"]))
    joined = {(sender, "".join(text for _, text in sorted(parts))) for (sender, _), parts in whole.items()}
    assert joined == {(s, t) for s, t, _ in texts} | {(US, "Direct +CMT")}
    for hex_pdu, d in zip(emitted, decoded):
        ours = pdu.decode_deliver(hex_pdu)
        assert (ours.sender, ours.text) == (d["sender"], d["content"])


def test_emitted_status_reports_decode_the_same_in_python3_gammu():
    python3 = shutil.which("python3", path="/usr/bin")
    probe = subprocess.run([python3, "-c", "import gammu"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        pytest.fail("Debian's python3-gammu is missing; run `apt-get install python3-gammu gammu smstools`")
    with ModemSimulator() as sim:
        at = AtClient(sim.device)
        at.cmd("ATE0;+CNMI=2,1,0,1,0")
        hex_submit = pdu.encode_submit(US, "report me", reference=0, request_status_report=True)
        at.send_body(f"AT+CMGS={pdu.tpdu_length(hex_submit)}", hex_submit)
        reports = [sim.deliver_status_report(1, status) for status in (0, 0x46)]
        at.close()
    script = ("import gammu, binascii, json, sys\n"
              "out = [gammu.DecodePDU(binascii.unhexlify(h)) for h in sys.argv[1:]]\n"
              "print(json.dumps([[d['Type'], d['MessageReference'], d['Number'], d['DeliveryStatus']] for d in out]))")
    result = subprocess.run([python3, "-c", script, *reports], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [["Status_Report", 1, US, 0], ["Status_Report", 1, US, 0x46]]
