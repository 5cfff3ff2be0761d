"""Modem families (issue 13): what the modem says it is picks its set-up, and each family's
quirk, reproduced by a simulator profile (modem/simulator/profiles.py names the source),
is worked around. Each work-around has a test here that fails without it: the same
profile opened with `[modem] model = "generic"` (no family set-up) shows the failure.

The modem is the simulator on a pty, driven through pyserial and python-gsmmodem-new.
"""
from __future__ import annotations

import logging

import pytest
from sim_helpers import US, AtClient

from modem.device.errors import ModemError
from modem.device.families import FAMILIES, MODEL_CHOICES, choose_family, detect_family
from modem.device.modem import Modem
from modem.simulator.profiles import PROFILES
from modem.simulator.pty_modem import ModemSimulator
from textback import config as cfg


def open_modem(sim: ModemSimulator, **options) -> Modem:
    return Modem.open(sim.device, command_timeout=2, send_timeout=5, cnmi="auto", **options)


# -- which family ------------------------------------------------------------------------
@pytest.mark.parametrize("said,family", [
    (("Quectel", "EC25"), "ec25"), (("Quectel", "EG25"), "ec25"), (("Quectel", "EG91"), "ec25"),
    (("Quectel", "EG95"), "ec25"), (("SIMCOM INCORPORATED", "SIMCOM_SIM7600G-H"), "sim7600"),
    (("SIMCOM INCORPORATED", "A7670E-LASE"), "a7670"), (("SIMCOM INCORPORATED", "A7608SA-H"), "a7670"),
    (("SIMCOM_Ltd", "SIMCOM_SIM800L"), "sim800"), (("huawei", "E1752"), "huawei"),
    (("Textback", "SIMULATED-GSM"), "generic"), (("Quectel", "BG96"), "generic"),
    (("SIM800 R14.18",), "sim800"), (("Manufacturer: huawei", "Model: E3372"), "huawei"), ((None, None), "generic"),
])
def test_the_family_comes_from_what_the_modem_says(said, family):
    assert detect_family(*said) == family


def test_model_in_the_configuration_overrides_and_a_wrong_one_is_refused_naming_the_choices(tmp_path):
    assert choose_family("sim7600", "Quectel", "EC25") == (FAMILIES["sim7600"], "[modem] model")
    assert choose_family("auto", "Quectel", "EC25") == (FAMILIES["ec25"], "detected")
    # The configuration cannot import the device layer (a leaf module): the lists must agree.
    assert cfg.MODEM_MODELS == MODEL_CHOICES
    assert cfg.parse_config('[modem]\nmodel = "EC25"').modem.model == "ec25"
    path = tmp_path / "textback.toml"
    path.write_text('[modem]\nmodel = "ec26"\n')
    with pytest.raises(cfg.ConfigError) as refused:
        cfg.load_config(str(path))
    assert str(refused.value) == (f'{path}: [modem] model = "ec26": expected one of "auto", "ec25", "sim7600", '
                                  '"a7670", "sim800", "huawei", "generic"')


@pytest.mark.parametrize("profile,family", [
    ("generic", "generic"), ("sim800", "sim800"), ("huawei", "huawei"), ("ec25", "ec25"), ("eg25g", "ec25"),
    ("ec25-no-ims", "ec25"), ("sim7600", "sim7600"), ("a7670", "a7670")])
def test_each_profile_gets_its_family_and_the_log_says_which_in_one_line(profile, family, caplog):
    caplog.set_level(logging.INFO, logger="modem.device.modem")
    with ModemSimulator(profile=profile) as sim, open_modem(sim) as modem:
        assert modem.family.name == family and modem.health().family == family
        ready = [r.getMessage() for r in caplog.records if " ready: " in r.getMessage()]
        assert len(ready) == 1
        assert f"; set-up {family} ({FAMILIES[family].title}, detected)" in ready[0]
        assert ready[0].split(" ready: ")[1].startswith(f"{sim.profile.manufacturer} {sim.profile.model}")


def test_a_silent_port_is_told_which_port_answers_on_each_family():
    from modem.device.errors import ModemSetupError
    with ModemSimulator() as sim:
        device = sim.device
        sim.stop_answering()
        with pytest.raises(ModemSetupError) as silent:
            Modem.open(device, command_timeout=0.3)
    assert silent.value.text == (
        f"modem on {device} does not answer AT: is it the right port? (the AT port is usually Quectel "
        "EC25/EG25-G/EG91/EG95: ttyUSB2; SIMCom SIM7600G-H: ttyUSB2; SIMCom A76xx: ttyUSB1; Huawei: ttyUSB2 "
        "(PC UI)); try `textback doctor`")


def test_a_modem_that_names_itself_only_in_ati_is_still_recognised():
    with ModemSimulator(profile="sim7600") as sim:
        sim.fail_next(1, "ERROR", command="+CGMI")
        sim.fail_next(1, "ERROR", command="+CGMM")
        with open_modem(sim) as modem:
            assert "ATI" in sim.commands_seen and modem.family.name == "sim7600"
            assert modem.health().identity == "a modem that gave no name, set-up sim7600 (detected)"
    with ModemSimulator(profile="ec25") as sim, open_modem(sim) as modem:
        assert "ATI" not in sim.commands_seen       # only when AT+CGMI/CGMM say nothing
        assert modem.health().identity == "Quectel EC25, set-up ec25 (detected)"


def test_every_profile_is_tested_here():
    assert set(PROFILES) == {"generic", "sim800", "huawei", "ec25", "eg25g", "ec25-no-ims", "sim7600", "a7670"}


# -- SIM7600G-H: AT&F before it can send ---------------------------------------------------
def test_sim7600_profile_cannot_send_until_at_f(sim7600_at):
    sim, at = sim7600_at
    for line in ("ATE0", "AT+CMEE=1", "AT+CMGF=1"):
        at.cmd(line)
    assert at.send_body('AT+CMGS="+12125550123"', "hello") == ["+CMS ERROR: 500"]
    assert at.cmd("ATZ") == ["OK"]                       # ATZ is not enough
    for line in ("ATE0", "AT+CMEE=1", "AT+CMGF=1"):
        at.cmd(line)
    assert at.send_body('AT+CMGS="+12125550123"', "hello") == ["+CMS ERROR: 500"]
    assert at.cmd("AT&F") == ["OK"]
    for line in ("ATE0", "AT+CMEE=1", "AT+CMGF=1"):
        at.cmd(line)
    assert at.send_body('AT+CMGS="+12125550123"', "hello") == ["+CMGS: 1", "OK"]
    at.close()
    sim.replug()                                         # a power cycle: the quirk is back
    at = AtClient(sim.device)
    for line in ("ATE0", "AT+CMEE=1", "AT+CMGF=1"):
        at.cmd(line)
    assert at.send_body('AT+CMGS="+12125550123"', "hello") == ["+CMS ERROR: 500"]
    at.close()


@pytest.fixture
def sim7600_at():
    with ModemSimulator(profile="sim7600g-h") as sim:
        yield sim, AtClient(sim.device)


def test_sim7600_set_up_sends_at_f_then_echo_off_again_and_sends():
    with ModemSimulator(profile="sim7600") as sim, open_modem(sim) as modem:
        assert modem.send(US, "Sorry we missed your call")
        seen = sim.commands_seen
        assert seen.index("AT&F") < seen.index("AT+CMGF=0")
        assert seen[seen.index("AT&F") + 1:seen.index("AT&F") + 3] == ["ATE0", "AT+CMEE=1"]
        assert not sim.state.echo and sim.state.cmee == 1


def test_without_the_at_f_work_around_the_sim7600_cannot_send():
    with ModemSimulator(profile="sim7600") as sim, open_modem(sim, model="generic") as modem:
        assert "AT&F" not in sim.commands_seen
        with pytest.raises(ModemError, match="500"):
            modem.send(US, "Sorry we missed your call")
    with ModemSimulator(profile="ec25") as sim, open_modem(sim) as modem:
        assert "AT&F" not in sim.commands_seen        # AT&F for that family only


# -- Quectel: SMS over LTE ------------------------------------------------------------------
def test_quectel_profiles_answer_ims_and_sms_domain_like_the_real_ones():
    answers = {}
    for profile in ("ec25", "eg25g", "ec25-no-ims"):
        with ModemSimulator(profile=profile) as sim:
            at = AtClient(sim.device)
            at.cmd("ATE0")
            answers[profile] = (at.cmd('AT+QCFG="ims"'), at.cmd("AT+CGSMS?"), at.cmd("AT+CGSMS=?"))
            at.close()
    assert answers["ec25"] == (['+QCFG: "ims",1,1', "OK"], ["+CGSMS: 1", "OK"], ["+CGSMS: (0-3)", "OK"])
    assert answers["eg25g"][0] == answers["ec25-no-ims"][0] == ['+QCFG: "ims",0,0', "OK"]


def test_a_packet_only_sms_domain_is_moved_to_circuit_preferred_when_ims_is_not_ready(caplog):
    # pinephone_modem_sdk issue #40: on LTE without IMS, AT+CGSMS decides whether a text can go.
    caplog.set_level(logging.INFO, logger="modem.device.setup")
    with ModemSimulator(profile="eg25g") as sim:
        sim.state.cgsms = 0
        with open_modem(sim) as modem:
            assert "AT+CGSMS=3" in sim.commands_seen and sim.state.cgsms == 3
            assert modem.send(US, "Sorry we missed your call")
            assert modem.health().flags == ()
    assert "set AT+CGSMS=3 (circuit switched preferred) so texts go over SGs" in caplog.text


def test_a_packet_only_sms_domain_the_modem_will_not_change_is_said_at_set_up(caplog):
    caplog.set_level(logging.WARNING, logger="modem.device.setup")
    with ModemSimulator(profile="eg25g") as sim:
        sim.state.cgsms = 0
        sim.fail_next(1, "ERROR", command="+CGSMS", after=1)      # the query answers, the change is refused
        with open_modem(sim) as modem:
            assert modem.flags == (
                'SMS over LTE cannot work: IMS as the carrier profile decides and not registered (AT+QCFG="ims" '
                "says 0,0) and the SMS domain is packet only (AT+CGSMS=0); set AT+CGSMS=3, or send "
                'AT+QCFG="ims",1 and restart the modem (AT+CFUN=1,1), or ask the carrier to provision SMS over '
                "LTE (IMS or SGs) for this SIM; do not turn IMS off (that breaks incoming calls on some carriers)",)
            assert modem.health().flags == modem.flags
    assert caplog.text.count("SMS over LTE cannot work") == 1


def test_without_the_sms_domain_work_around_a_packet_only_eg25g_cannot_send():
    with ModemSimulator(profile="eg25g") as sim:
        sim.state.cgsms = 0
        with open_modem(sim, model="generic") as modem:
            with pytest.raises(ModemError, match="500"):
                modem.send(US, "Sorry we missed your call")
        assert sim.state.cgsms == 0


def test_ims_ready_leaves_the_sms_domain_alone_and_ims_is_never_turned_off():
    with ModemSimulator(profile="ec25") as sim:
        sim.state.cgsms = 0
        with open_modem(sim) as modem:
            assert modem.send(US, "hello")
        assert not any(c.startswith("AT+CGSMS=") for c in sim.commands_seen)
    for profile in ("ec25", "eg25g", "ec25-no-ims"):
        with ModemSimulator(profile=profile) as sim, open_modem(sim) as modem:
            try:
                modem.send(US, "hello")
            except ModemError:
                pass
            assert not any(c.upper().startswith('AT+QCFG="IMS",') for c in sim.commands_seen)


def test_sms_over_lte_not_provisioned_is_named_with_what_to_do(caplog):
    caplog.set_level(logging.WARNING, logger="modem.device.modem")
    with ModemSimulator(profile="ec25-no-ims") as sim, open_modem(sim) as modem:
        assert modem.health().flags == ()            # nothing known to be wrong before a text fails
        for _ in range(2):
            with pytest.raises(ModemError) as failed:
                modem.send(US, "Sorry we missed your call")
        assert failed.value.code == 500 and failed.value.kind == "CMS"
        assert failed.value.text == (
            "+CMS ERROR: 500 (unknown error) for the message PDU: SMS over LTE not provisioned; "
            'send AT+QCFG="ims",1 and restart the modem (AT+CFUN=1,1), or ask the carrier to provision SMS over '
            "LTE (IMS or SGs) for this SIM; do not turn IMS off (that breaks incoming calls on some carriers)")
        flags = modem.health().flags
        assert len(flags) == 1 and flags[0].startswith(
            "SMS over LTE not provisioned: texts fail (+CMS ERROR: 500 (unknown error) for the message PDU) while "
            'registered on LTE with IMS as the carrier profile decides and not registered (AT+QCFG="ims" says 0,0); '
            'send AT+QCFG="ims",1')
    said = [r.getMessage() for r in caplog.records if "SMS over LTE not provisioned" in r.getMessage()]
    assert len(said) == 1                            # one line, not one per failed text


def test_without_the_lte_check_the_failure_is_a_bare_error():
    with ModemSimulator(profile="ec25-no-ims") as sim, open_modem(sim, model="generic") as modem:
        with pytest.raises(ModemError) as failed:
            modem.send(US, "Sorry we missed your call")
        assert "QCFG" not in failed.value.text and modem.health().flags == ()


def test_the_same_sim_sends_on_2g_where_sms_needs_no_ims():
    with ModemSimulator(profile="ec25-no-ims") as sim:
        sim.register_on("2g")
        with open_modem(sim) as modem:
            assert modem.send(US, "hello")


# -- registered on 2G only --------------------------------------------------------------------
def test_an_lte_modem_on_2g_only_is_flagged_until_it_is_back_on_lte(caplog):
    caplog.set_level(logging.INFO, logger="modem.device")
    with ModemSimulator(profile="sim7600") as sim:
        sim.register_on("2g")
        with open_modem(sim) as modem:
            assert modem.send(US, "still sends on GSM")
            flags = modem.health().flags
            assert flags == (
                "registered on 2G (GSM) only, though this SIMCom SIM7600G-H can use LTE: 2G networks are switching "
                "off and SMS may stop; check the antenna and the bands the SIM's carrier uses, and that the modem may "
                "use LTE: AT+CNMP=2 (automatic; 38 is LTE only)",)
            sim.register_on("lte")
            assert modem.health().flags == ()
            sim.register_on("2g")
            assert modem.health().flags == flags
    lines = [r.getMessage() for r in caplog.records if "2G" in r.getMessage()]
    assert [line.split(": ", 1)[1][:33] for line in lines] == [
        "registered on 2G (GSM) only, thou", "no longer registered on 2G (GSM) ", "registered on 2G (GSM) only, thou"]


def test_quectel_on_2g_is_told_its_own_command():
    with ModemSimulator(profile="eg25g") as sim:
        sim.register_on("gsm")
        with open_modem(sim) as modem:
            assert 'AT+QCFG="nwscanmode",0' in modem.health().flags[0]


def test_2g_is_no_flag_for_a_2g_modem_or_one_of_unknown_family():
    for profile in ("sim800", "generic", "huawei"):
        with ModemSimulator(profile=profile) as sim:
            sim.register_on("2g")
            with open_modem(sim) as modem:
                assert modem.health().flags == ()
    with ModemSimulator(profile="ec25") as sim, open_modem(sim) as modem:
        sim.register_on("3g")
        assert modem.health().flags == ()


def test_the_simulator_reports_the_radio_it_is_registered_on():
    with ModemSimulator(profile="a7670") as sim:
        at = AtClient(sim.device)
        at.cmd("ATE0")
        at.cmd("AT+CREG=2")
        assert at.cmd("AT+COPS?")[0] == '+COPS: 0,0,"Test Network",7'
        assert sim.register_on("2g") == 0
        assert at.read_available() == b'\r\n+CREG: 1,"00C3","0000A13F",0\r\n'
        assert at.cmd("AT+COPS?")[0] == '+COPS: 0,0,"Test Network",0'
        at.close()
        with pytest.raises(ValueError, match="register on 2g, 3g or lte"):
            sim.register_on("5g-please")
