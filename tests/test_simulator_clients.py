"""Clients nobody here wrote, against the simulator: gammu and smstools3 (Debian packages),
run as real subprocesses with temporary configs on the pty link."""
from __future__ import annotations

import shutil
import signal
import subprocess
import time

import pytest
from sim_helpers import US, US2

from modem.simulator.pty_modem import ModemSimulator

pytestmark = pytest.mark.slow
INSTALL = "apt-get install gammu smstools"


def need(program: str) -> str:
    path = shutil.which(program) or shutil.which(program, path="/usr/sbin:/usr/bin")
    if path is None:
        pytest.fail(f"{program} is not installed; run `{INSTALL}` (CI installs them)")
    return path


@pytest.fixture
def linked_sim(tmp_path):
    with ModemSimulator(link=str(tmp_path / "ttyGSM")) as sim:
        yield sim


def gammu(tmp_path, device, *args):
    rc = tmp_path / "gammurc"
    rc.write_text(f"[gammu]\ndevice = {device}\nconnection = at\nlogfile = {tmp_path / 'gammu.log'}\n"
                  "logformat = textall\n")
    return subprocess.run([need("gammu"), "-c", str(rc), *args], capture_output=True, text=True, timeout=60)


def test_gammu_identify_sendsms_getallsms(tmp_path, linked_sim):
    sim = linked_sim
    ident = gammu(tmp_path, sim.device, "identify")
    assert ident.returncode == 0, ident.stderr
    assert "490154203237518" in ident.stdout and "001010123456789" in ident.stdout

    sent = gammu(tmp_path, sim.device, "sendsms", "TEXT", US, "-text", "Sorry we missed you")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "message reference=1" in sent.stdout
    assert [(p.destination, p.text, p.mode) for p in sim.sent] == [(US, "Sorry we missed you", "pdu")]

    sim.inject_sms(US2, "Can you come Tuesday?")
    listed = gammu(tmp_path, sim.device, "getallsms")
    assert listed.returncode == 0, listed.stderr
    assert "Can you come Tuesday?" in listed.stdout and US2 in listed.stdout


def test_smstools_sends_one_message(tmp_path, linked_sim):
    sim = linked_sim
    spool = {name: tmp_path / name for name in ("outgoing", "checked", "failed", "sent", "incoming")}
    for d in spool.values():
        d.mkdir()
    conf = tmp_path / "smsd.conf"
    conf.write_text("devices = GSM1\n" + "".join(f"{k} = {v}\n" for k, v in spool.items()) +
                    f"logfile = {tmp_path / 'smsd.log'}\nloglevel = 7\ninfofile = {tmp_path / 'smsd.working'}\n"
                    f"pidfile = {tmp_path / 'smsd.pid'}\ndelaytime = 1\ndelaytime_mainprocess = 1\n\n"
                    f"[GSM1]\ndevice = {sim.device}\nbaudrate = 115200\nincoming = no\n")
    (spool["outgoing"] / "msg1").write_text(f"To: {US.lstrip('+')}\n\nHello from smstools\n")
    smsd = subprocess.Popen([need("smsd"), "-t", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (spool["sent"] / "msg1").exists() and time.monotonic() < deadline:
            assert not (spool["failed"] / "msg1").exists(), (tmp_path / "smsd.log").read_text()[-2000:]
            time.sleep(0.2)
        assert (spool["sent"] / "msg1").exists(), (tmp_path / "smsd.log").read_text()[-2000:]
    finally:
        smsd.send_signal(signal.SIGTERM)
        try:
            smsd.wait(timeout=10)
        except subprocess.TimeoutExpired:
            smsd.kill()
            smsd.wait()
    assert [(p.destination, p.text) for p in sim.sent] == [(US, "Hello from smstools")]
