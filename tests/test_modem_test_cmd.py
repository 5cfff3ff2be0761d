"""`textback modem test`: the live self-test, against `textback simulate-modem` running as its own
process on a pty (the phones answered by --auto-answer), driven through our Modem over pyserial
exactly as a USB modem would be. Fails are checked with their exact words: a PIN-locked SIM, a
wrong PIN (tried once), a port held by another program, a running worker, no reply.

No mocks, but for the HiLink case: sysfs is a fake tree (tests/sysfs_helpers.py), because USB
hardware cannot exist here.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from datetime import datetime, timezone

import pytest
from cli_helpers import make_site, run
from modem_fleet import FRONT_DESK_LINE, VAN_LINE, modem_entry
from sim_helpers import AtClient, port_held_by, wait_until
from sysfs_helpers import HILINK_LINE, usb_net

from modem.device.families import FAMILIES, only_2g_warning
from modem.device.hilink import SYSFS_ENV
from modem.device.modem import Modem
from modem.simulator.pty_modem import ModemSimulator

STAFF = "+12125550188"


class SimulatorProcess:
    """`textback simulate-modem` as a person starts it; `say` types a control command."""

    def __init__(self, tmp_path, *args: str):
        self.link = tmp_path / "ttyGSM"
        self.proc = subprocess.Popen([sys.executable, "-m", "textback.cli", "simulate-modem", "--link",
                                      str(self.link), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        assert self.proc.stdout.readline().strip() == str(self.link)

    def say(self, line: str) -> str:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().rstrip("\n")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def simulator(tmp_path):
    started: list[SimulatorProcess] = []

    def start(*args: str) -> SimulatorProcess:
        started.append(SimulatorProcess(tmp_path, *args))
        return started[-1]
    yield start
    for sim in started:
        sim.stop()


def shop(tmp_path, port, modem_extra: str = "", staff: str = STAFF):
    return make_site(tmp_path, extra=f'[staff]\nnumbers = ["{staff}"]\n[modem]\nport = "{port}"\n{modem_extra}')


def shape(output: str) -> str:
    """The output with its step times (which vary) as N.Ns."""
    output = re.sub(r"(?<= )\d+\.\ds(?=  )", "N.Ns", output)
    return re.sub(r"(?<=(?:in|er) )\d+\.\ds", "N.Ns", output)


def test_passes_end_to_end_on_the_simulator(tmp_path, simulator):
    sim = simulator("--auto-answer")
    site = shop(tmp_path, sim.link)
    result = run(site, "modem", "test", "--timeout", "10")
    assert result.exit_code == 0, result.output
    assert shape(result.output) == f"""\
textback modem test on {sim.link}: texting (212) 555-0188 (the first of [staff] numbers)
[PASS] port             N.Ns  {sim.link} opened; the modem answers AT
[PASS] modem            N.Ns  Textback SIMULATED-GSM, revision 1.0
[PASS] SIM              N.Ns  ready (no PIN asked)
[PASS] set-up           N.Ns  generic (detected): PDU mode, memories SM,ME, new texts into ME, notifications AT+CNMI=2,1,0,1,0
[PASS] signal           N.Ns  -71 dBm (CSQ 21 of 31)
[PASS] network          N.Ns  registered (home) on Test Network, access technology not reported
[PASS] SMSC             N.Ns  +447700900100
[PASS] send             N.Ns  text to (212) 555-0188 taken by the network, reference 1
[PASS] delivery report  N.Ns  delivered to (212) 555-0188
       reply to the text on (212) 555-0188 with anything (waiting up to 10s)
[PASS] reply            N.Ns  'Got it, thanks' from (212) 555-0188, left on the modem for the worker
All 10 steps passed in N.Ns.
1 text(s) that came in during the test (the reply included) stay on the modem: the worker files them when it starts.
"""
    assert sim.say("sent") == ("1: to +12125550188 (reference 1): 'textback modem test: reply to this text with "
                               "anything to finish the test.'")
    # The reply is still on the SIM for the worker (marked read: the test read it; the
    # worker's sweep lists every stored text, read or not).
    at = AtClient(str(sim.link))
    try:
        at.cmd("ATE0")
        at.cmd('AT+CPMS="ME"')
        listing = at.cmd("AT+CMGL=4")
    finally:
        at.close()
    assert [line for line in listing if line.startswith("+CMGL:")][0].startswith("+CMGL: 1,1,")
    # ...and the worker, started after the test, files it: nothing that came in was lost.
    worker = subprocess.Popen([sys.executable, "-m", "textback.cli", "--config", str(site.config), "worker",
                               "--sweep-seconds", "0.2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def filed():
            with site.store() as store:
                return [(m.direction, m.body) for m in store.thread(STAFF) if m.direction == "in"]
        assert wait_until(filed, timeout=20, what="the reply filed by the worker") == [("in", "Got it, thanks")]
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=10)


def test_an_lte_modem_says_lte_and_the_json_has_every_step(tmp_path, simulator):
    sim = simulator("--auto-answer", "--profile", "ec25")
    site = shop(tmp_path, sim.link)
    result = run(site, "modem", "test", "--timeout", "10", "--to", "(212) 555-0123", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{"):result.output.rindex("}") + 1])
    assert (data["passed"], data["to"], data["left_on_modem"]) == (True, "+12125550123", 1)
    assert [s["name"] for s in data["steps"]] == ["port", "modem", "SIM", "set-up", "signal", "network", "SMSC",
                                                  "send", "delivery report", "reply"]
    assert {s["result"] for s in data["steps"]} == {"PASS"}
    steps = {s["name"]: s for s in data["steps"]}
    assert steps["modem"]["detail"] == "Quectel EC25, revision EC25EFAR06A06M4G"
    assert steps["network"]["detail"] == "registered (home) on Test Network, LTE"


def test_a_pin_locked_sim_fails_with_what_to_set(tmp_path, simulator):
    sim = simulator("--pin", "1234")
    site = shop(tmp_path, sim.link)
    result = run(site, "modem", "test", "--timeout", "5")
    assert result.exit_code == 1
    assert shape(result.output).splitlines()[1:6] == [
        f"[PASS] port             N.Ns  {sim.link} opened; the modem answers AT",
        "[PASS] modem            N.Ns  Textback SIMULATED-GSM, revision 1.0",
        "[FAIL] SIM              N.Ns  the SIM is locked with a PIN and [modem] pin is not set",
        '       fix: set [modem] pin = "1234" (your SIM\'s PIN, in quotes) in the configuration, then run the test '
        "again; three wrong PINs lock the SIM",
        "[skip] set-up              -  not tried: the SIM step failed",
    ]
    assert shape(result.output).splitlines()[-1] == ("FAIL at the SIM step after N.Ns (2 passed, 7 not tried): "
                                                     "fix it as its line says and run the test again.")
    assert sim.say("sent") == "the modem has sent nothing yet"
    # With the PIN set, the same SIM passes.
    site = shop(tmp_path, sim.link, modem_extra='pin = "1234"\n')
    sim.say("auto-answer on")
    passed = run(site, "modem", "test", "--timeout", "10")
    assert passed.exit_code == 0, passed.output
    assert "[PASS] SIM              " in passed.output and "ready (unlocked with [modem] pin)" in passed.output


def test_a_wrong_pin_is_tried_once_and_never_again(tmp_path):
    with ModemSimulator(pin="1234") as sim:
        site = shop(tmp_path, sim.device, modem_extra='pin = "0000"\n')
        result = run(site, "modem", "test", "--timeout", "5")
        assert result.exit_code == 1
        lines = result.output.splitlines()
        assert lines[3].endswith("the SIM refused the PIN in [modem] pin (tried once, not again: three wrong "
                                 "PINs lock the SIM)")
        assert lines[4] == ("       fix: check the PIN in a phone and fix [modem] pin before running the test "
                            "again: each run tries it once more")
        assert [c for c in sim.commands_seen if c.startswith("AT+CPIN=")] == ['AT+CPIN="0000"']


def test_a_port_held_by_modemmanager_is_named_and_not_opened(tmp_path, simulator):
    sim = simulator()
    with port_held_by("ModemManager", sim.link, tmp_path) as holder:
        site = shop(tmp_path, sim.link)
        result = run(site, "modem", "test", "--timeout", "5")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[1] == f"[FAIL] port             0.0s  {sim.link} is held by ModemManager (pid {holder.pid})"
    assert lines[2].startswith("       fix: ModemManager sends its own AT commands: reinstall the udev rule")
    assert lines[3] == "[skip] modem               -  not tried: the port step failed"
    assert len(lines) == 2 + 1 + 9 + 1
    at = AtClient(str(sim.link))        # nothing was asked of the modem: its echo is still on
    try:
        assert at.cmd("AT") == ["AT\r", "OK"]
    finally:
        at.close()


def test_a_running_worker_must_be_stopped_first(tmp_path, simulator):
    sim = simulator()
    site = shop(tmp_path, sim.link)
    now = datetime.now(timezone.utc)
    with site.store() as store:
        store.write_worker_status(pid=4242, host=socket.gethostname(), started_at=now, beat_at=now,
                                  modem_port=str(sim.link), modem_alive=True, beat_seconds=5.0)
    result = run(site, "modem", "test")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[1] == (f"[FAIL] port             0.0s  the worker is running (pid 4242, last beat "
                        f"{now:%H:%M:%S} UTC) and holds the modem")
    assert lines[2] == "       fix: stop the worker first: sudo systemctl stop textback-worker"
    # Stopped, it is reminded to start it again.
    with site.store() as store:
        store.write_worker_status(stopped_at=now)
    sim.say("auto-answer on")
    result = run(site, "modem", "test", "--timeout", "10")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Start the worker again: sudo systemctl start textback-worker"


def test_no_reply_is_a_fail_that_says_what_to_do(tmp_path, simulator):
    sim = simulator()
    assert sim.say("auto-report on") == "the network now reports every text delivered"
    site = shop(tmp_path, sim.link)
    result = run(site, "modem", "test", "--timeout", "1")
    assert result.exit_code == 1
    lines = shape(result.output).splitlines()
    assert lines[-4:] == [
        "       reply to the text on (212) 555-0188 with anything (waiting up to 1s)",
        "[FAIL] reply            N.Ns  no reply from (212) 555-0188 within 1s",
        "       fix: answer the test text from that phone, or give more time with --timeout; a text that never "
        "arrives: check the SIM can receive (try it in a phone)",
        "FAIL at the reply step after N.Ns (9 passed, 0 not tried): fix it as its line says and run the test again.",
    ]


def test_a_hilink_stick_is_named_when_there_is_no_port(tmp_path, monkeypatch):
    sysfs = tmp_path / "sys"
    usb_net(sysfs, "eth1", usb="1-1", vendor="12d1", product="14dc", driver="cdc_ether")
    monkeypatch.setenv(SYSFS_ENV, str(sysfs))       # the only mock: no USB hardware here
    site = shop(tmp_path, "/dev/textback-no-such-modem")
    result = run(site, "modem", "test")
    assert result.exit_code == 1
    assert result.output.splitlines()[1] == f"[FAIL] port             0.0s  {HILINK_LINE}"
    monkeypatch.delenv(SYSFS_ENV)
    monkeypatch.setenv(SYSFS_ENV, str(tmp_path / "no-sys"))
    plain = run(site, "modem", "test").output.splitlines()[1]
    assert plain.startswith("[FAIL] port ") and plain.endswith(
        "no modem at /dev/textback-no-such-modem: the device does not exist. Is the modem plugged in? "
        "`ls -l /dev/serial/by-id/` lists the ports; set [modem] port")


def test_bad_input_is_a_clear_error(tmp_path):
    site = make_site(tmp_path, extra='[modem]\nport = "/dev/textback-no-such-modem"\n')
    nobody = run(site, "modem", "test")
    assert nobody.exit_code == 2
    assert "no phone to text: give one with --to +12125550123, or set [staff] numbers" in nobody.output
    bad = run(site, "modem", "test", "--to", "call me")
    assert bad.exit_code == 2 and "'call me' is not a phone number: write it like +12125550123" in bad.output
    unknown = run(site, "modem", "test", "--to", STAFF, "--modem", "shop2")
    assert unknown.exit_code == 2 and 'one [modem] without a name: add name = "shop2"' in unknown.output
    assert os.path.exists(site.db)


def test_with_several_modems_it_tests_the_one_named_and_names_its_unit(tmp_path, simulator):
    sim = simulator("--auto-answer")
    site = make_site(tmp_path, extra=f'[staff]\nnumbers = ["{STAFF}"]\n'
                     + modem_entry("front-desk", "/dev/textback-no-such-modem", FRONT_DESK_LINE)
                     + modem_entry("van", str(sim.link), VAN_LINE))
    both = run(site, "modem", "test")
    assert both.exit_code == 2
    assert "has 2 modems (front-desk, van): say which to test, e.g. textback modem test --modem front-desk" \
        in both.output
    now = datetime.now(timezone.utc)
    with site.store() as store:
        store.write_worker_status(modem_name="van", pid=77, host=socket.gethostname(), started_at=now,
                                  beat_at=now, modem_port=str(sim.link), modem_alive=True, beat_seconds=5.0)
    held = run(site, "modem", "test", "--modem", "van").output.splitlines()
    assert held[0] == f"textback modem test on {sim.link}: texting (212) 555-0188 (the first of [staff] numbers)"
    assert held[2] == "       fix: stop the worker first: sudo systemctl stop textback-worker@van"
    with site.store() as store:
        store.write_worker_status(modem_name="van", stopped_at=now)
    result = run(site, "modem", "test", "--modem", "van", "--timeout", "10")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Start the worker again: sudo systemctl start textback-worker@van"


def test_no_delivery_report_still_waits_for_the_reply(tmp_path):
    # Some networks send no reports: the person's answer still shows texts get through.
    with ModemSimulator() as sim:
        def answer():
            wait_until(lambda: sim.sent, timeout=10, what="the test text")
            sim.inject_sms(STAFF, "Here, it works")
        phone = threading.Thread(target=answer)
        phone.start()
        site = shop(tmp_path, sim.device)
        result = run(site, "modem", "test", "--timeout", "1")
        phone.join()
    assert result.exit_code == 1
    assert shape(result.output).splitlines()[-6:] == [
        "[FAIL] delivery report  N.Ns  no delivery report within 1s",
        "       fix: the phone may be off or out of signal (run the test again); a network that sends no reports: "
        "set [modem] delivery_reports = false",
        "       reply to the text on (212) 555-0188 with anything (waiting up to 1s)",
        "[PASS] reply            N.Ns  'Here, it works' from (212) 555-0188, left on the modem for the worker",
        "FAIL at the delivery report step after N.Ns (9 passed, 0 not tried): fix it as its line says and run the "
        "test again.",
        "1 text(s) that came in during the test (the reply included) stay on the modem: the worker files them when "
        "it starts.",
    ]


def test_sms_over_lte_not_provisioned_fails_at_the_send_with_what_to_do(tmp_path, simulator):
    # An EC25 whose carrier gives the SIM neither IMS nor SGs: AT+CMGS on LTE gets +CMS ERROR: 500
    # (the ec25-no-ims profile, modem/simulator/profiles.py).
    sim = simulator("--auto-answer", "--profile", "ec25-no-ims")
    site = shop(tmp_path, sim.link)
    result = run(site, "modem", "test", "--timeout", "5")
    assert result.exit_code == 1
    assert shape(result.output).splitlines()[4:] == [
        "[PASS] set-up           N.Ns  ec25 (detected): PDU mode, memories SM,ME, new texts into ME, notifications "
        "AT+CNMI=2,1,0,1,0",
        "[PASS] signal           N.Ns  -71 dBm (CSQ 21 of 31)",
        "[PASS] network          N.Ns  registered (home) on Test Network, LTE",
        "[PASS] SMSC             N.Ns  +447700900100",
        "[FAIL] send             N.Ns  SMS over LTE not provisioned: texts fail (+CMS ERROR: 500 (unknown error) for "
        "the message PDU) while registered on LTE with IMS as the carrier profile decides and not registered "
        '(AT+QCFG="ims" says 0,0)',
        '       fix: send AT+QCFG="ims",1 and restart the modem (AT+CFUN=1,1), or ask the carrier to provision SMS '
        "over LTE (IMS or SGs) for this SIM; do not turn IMS off (that breaks incoming calls on some carriers)",
        "[skip] delivery report     -  not tried: the send step failed",
        "[skip] reply               -  not tried: the send step failed",
        "FAIL at the send step after N.Ns (7 passed, 2 not tried): fix it as its line says and run the test again.",
    ]
    assert sim.say("sent") == "the modem has sent nothing yet"
    # On 2G the same SIM's texts go: the test passes, and says the modem is held on 2G.
    assert sim.say("network 2g").startswith("the modem")
    passed = run(site, "modem", "test", "--timeout", "10")
    assert passed.exit_code == 0, passed.output
    network = next(line for line in passed.output.splitlines() if line.startswith("[PASS] network"))
    # The device layer's own sentence for an LTE modem held on 2G (its wording is tested there).
    assert network.endswith("registered (home) on Test Network, 2G (GSM); "
                            + only_2g_warning(FAMILIES["ec25"], 0))


def test_a_second_textback_on_the_port_is_taken_for_the_worker(tmp_path, simulator):
    # A worker that stopped beating (hung) still holds the port: named by its process.
    sim = simulator()
    with port_held_by("textback", sim.link, tmp_path) as holder:
        lines = run(shop(tmp_path, sim.link), "modem", "test").output.splitlines()
    assert lines[1:3] == [f"[FAIL] port             0.0s  {sim.link} is held by textback (pid {holder.pid})",
                          "       fix: stop the worker first: sudo systemctl stop textback-worker"]


def test_doctor_does_not_take_the_simulator_for_a_program_in_the_way(simulator):
    # simulate-modem keeps the pty's slave open too (pty.py); it is the modem, not a holder.
    from textback.commands.doctor_access import port_free

    sim = simulator()
    check = port_free(str(sim.link))
    assert check.mark == "ok", check.detail


def test_a_stored_report_for_an_earlier_text_stays_for_the_worker(tmp_path):
    # Reports kept in the modem's SR memory (cnmi ds=2): the test deletes its own once read,
    # never one for a text the worker sent before it was stopped.
    with ModemSimulator() as sim:
        with Modem.open(sim.device, cnmi="2,1,0,2,0") as earlier:
            [reference] = earlier.send("+12125550145", "Hi, this is the shop")
        sim.deliver_status_report(reference)
        sim.auto_answer(delay=0.1)
        site = shop(tmp_path, sim.device, modem_extra='cnmi = "2,1,0,2,0"\n')
        result = run(site, "modem", "test", "--timeout", "10")
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[-1] == "1 status report(s) for earlier texts stay on the modem for the worker."
        assert [m.reference for m in sim.stored("SR").values()] == [reference]


def test_a_port_that_cannot_be_opened_says_what_to_do_once(tmp_path, monkeypatch):
    """The open error already names the fix; a "fix: see the line: it says what to check"
    under it only made the technician read the line again."""
    monkeypatch.setenv(SYSFS_ENV, str(tmp_path / "no-sys"))
    result = run(shop(tmp_path, "/dev/textback-no-such-modem"), "modem", "test")
    assert result.exit_code == 1
    assert result.output.splitlines()[1:3] == [
        "[FAIL] port             0.0s  no modem at /dev/textback-no-such-modem: the device does not exist. Is "
        "the modem plugged in? `ls -l /dev/serial/by-id/` lists the ports; set [modem] port",
        "[skip] modem               -  not tried: the port step failed"]


def test_two_failed_steps_are_both_named_in_the_summary(tmp_path, simulator):
    """No delivery report and no reply: the summary named only the first FAIL, "(8 passed,
    0 not tried)", leaving the technician to count the second."""
    sim = simulator()
    result = run(shop(tmp_path, sim.link), "modem", "test", "--timeout", "1")
    assert result.exit_code == 1
    assert shape(result.output).splitlines()[-1] == (
        "FAIL at the delivery report and reply steps after N.Ns (8 passed, 0 not tried): fix them as their "
        "lines say and run the test again.")
