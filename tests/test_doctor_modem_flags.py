"""`textback doctor` shows what the running worker found about its modem (issue 13): the
model and whose set-up it got, and one line for each thing that cannot work (registered
on 2G only, SMS over LTE not provisioned), read from the heartbeat row, never the port."""
from __future__ import annotations

import getpass
import json
from datetime import datetime, timezone

from cli_helpers import make_site, run

ME = getpass.getuser()
TWO_G = ("registered on 2G (GSM) only, though this SIMCom SIM7600G-H can use LTE: 2G networks are switching off "
         "and SMS may stop; check the antenna and the bands the SIM's carrier uses, and that the modem may use "
         "LTE: AT+CNMP=2 (automatic; 38 is LTE only)")
NO_LTE_SMS = ("SMS over LTE not provisioned: texts fail (+CMS ERROR: 500 (unknown error) for the message PDU) while "
              'registered on LTE with IMS as the carrier profile decides and not registered (AT+QCFG="ims" says '
              '0,0); send AT+QCFG="ims",1 and restart the modem (AT+CFUN=1,1), or ask the carrier to provision SMS '
              "over LTE (IMS or SGs) for this SIM; do not turn IMS off (that breaks incoming calls on some carriers)")


def doctor_lines(tmp_path, **beat):
    site = make_site(tmp_path)
    with site.store() as store:
        store.write_worker_status(pid=1, started_at=datetime.now(timezone.utc), modem_port="/dev/ttyUSB2",
                                  modem_alive=True, registration="home", **beat)
    agi, etc = tmp_path / "agi-bin", tmp_path / "asterisk"
    agi.mkdir()
    etc.mkdir()
    result = run(site, "doctor", "--agi-bin", str(agi), "--asterisk-etc", str(etc), "--asterisk-user", ME,
                 "--worker-user", ME, "--json")
    return {c["name"]: c for c in json.loads(result.output)}, result


def test_doctor_shows_the_model_and_each_flag_with_its_mark(tmp_path):
    checks, result = doctor_lines(tmp_path, modem_model="SIMCOM INCORPORATED SIMCOM_SIM7600G-H, set-up sim7600 "
                                  "(detected)", modem_flags=[TWO_G, NO_LTE_SMS])
    assert checks["modem model and set-up"] == {
        "name": "modem model and set-up", "mark": "ok",
        "detail": "SIMCOM INCORPORATED SIMCOM_SIM7600G-H, set-up sim7600 (detected)", "fix": ""}
    assert checks["registered on 2G (GSM) only, though this SIMCom SIM7600G-H can use LTE"] == {
        "name": "registered on 2G (GSM) only, though this SIMCom SIM7600G-H can use LTE", "mark": "warn",
        "detail": "2G networks are switching off and SMS may stop",
        "fix": "check the antenna and the bands the SIM's carrier uses, and that the modem may use LTE: AT+CNMP=2 "
               "(automatic; 38 is LTE only)"}
    no_sms = checks["SMS over LTE not provisioned"]
    assert no_sms["mark"] == "FAIL" and no_sms["detail"] == (
        "texts fail (+CMS ERROR: 500 (unknown error) for the message PDU) while registered on LTE with IMS as the "
        'carrier profile decides and not registered (AT+QCFG="ims" says 0,0)')
    assert no_sms["fix"].startswith('send AT+QCFG="ims",1 and restart the modem (AT+CFUN=1,1), or ask the carrier')
    assert result.exit_code == 1


def test_doctor_text_output_says_it_in_one_line_each(tmp_path):
    site = make_site(tmp_path)
    with site.store() as store:
        store.write_worker_status(pid=1, started_at=datetime.now(timezone.utc), modem_port="/dev/ttyUSB2",
                                  modem_alive=True, registration="home", modem_model="Quectel EC25, set-up ec25 "
                                  "(detected)", modem_flags=[NO_LTE_SMS])
    (tmp_path / "agi").mkdir()
    (tmp_path / "etc").mkdir()
    out = run(site, "doctor", "--agi-bin", str(tmp_path / "agi"), "--asterisk-etc", str(tmp_path / "etc"),
              "--asterisk-user", ME, "--worker-user", ME).output.splitlines()
    at = out.index("[  ok] modem model and set-up: Quectel EC25, set-up ec25 (detected)")
    assert out[at + 1] == ("[FAIL] SMS over LTE not provisioned: texts fail (+CMS ERROR: 500 (unknown error) for "
                           'the message PDU) while registered on LTE with IMS as the carrier profile decides and not '
                           'registered (AT+QCFG="ims" says 0,0)')
    assert out[at + 2] == ('       fix: send AT+QCFG="ims",1 and restart the modem (AT+CFUN=1,1), or ask the carrier '
                           "to provision SMS over LTE (IMS or SGs) for this SIM; do not turn IMS off (that breaks "
                           "incoming calls on some carriers)")


def test_doctor_says_the_modem_is_fit_when_nothing_is_flagged(tmp_path):
    checks, _ = doctor_lines(tmp_path, modem_model="Quectel EC25, set-up ec25 (detected)")
    assert checks["modem fit for today's networks"]["mark"] == "ok"


def test_an_older_worker_without_a_model_adds_no_lines(tmp_path):
    checks, _ = doctor_lines(tmp_path)
    assert "modem model and set-up" not in checks and "modem fit for today's networks" not in checks


def test_doctor_without_a_worker_asks_the_modem_and_warns_of_2g_only(tmp_path):
    from modem.simulator.pty_modem import ModemSimulator

    with ModemSimulator(profile="sim7600") as sim:
        site = make_site(tmp_path, extra=f'[modem]\nport = "{sim.device}"\n')
        (tmp_path / "agi").mkdir()
        (tmp_path / "etc").mkdir()
        args = ("doctor", "--agi-bin", str(tmp_path / "agi"), "--asterisk-etc", str(tmp_path / "etc"),
                "--asterisk-user", ME, "--worker-user", ME, "--modem-timeout", "1")
        on_lte = run(site, *args).output
        assert "2G" not in on_lte and "[  ok] registered on the network: home" in on_lte
        sim.register_on("2g")
        lines = run(site, *args).output.splitlines()
        at = lines.index("[  ok] registered on the network: home")
        assert lines[at + 1] == ("[warn] registered on 2G (GSM) only, though this SIMCom SIM7600G-H can use LTE: "
                                 "2G networks are switching off and SMS may stop")
        assert lines[at + 2] == ("       fix: check the antenna and the bands the SIM's carrier uses, and that the "
                                 "modem may use LTE: AT+CNMP=2 (automatic; 38 is LTE only)")
