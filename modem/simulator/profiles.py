"""Personalities for the modem simulator: what each kind of real modem says and refuses.

A profile is data only; the command handlers (general_commands.py, sms_commands.py) read it. Each quirk
carries a comment naming where it was seen or documented, so a test that passes on a
profile says something about the real device and not about our imagination.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# The commands every profile answers; AT+CLAC lists them in this order.
BASE_COMMANDS: tuple[str, ...] = (
    "AT", "ATZ", "ATE", "ATI", "ATV", "ATQ", "AT&F", "AT&C", "AT&D", "AT&W",
    "AT+CFUN", "AT+CMEE", "AT+CPIN", "AT+CGMI", "AT+CGMM", "AT+CGMR", "AT+CGSN",
    "AT+GMI", "AT+GMM", "AT+GMR", "AT+GSN", "AT+CIMI", "AT+CLAC", "AT+CSQ", "AT+CREG",
    "AT+COPS", "AT+CMGF", "AT+CSCA", "AT+CSMP", "AT+CSCS", "AT+CPMS", "AT+CNMI",
    "AT+CMGS", "AT+CMGW", "AT+CMGR", "AT+CMGL", "AT+CMGD", "AT+CLIP", "AT+CRC",
    "AT+CVHU", "AT+CSMS", "AT+CNUM", "AT+CBC", "AT+CGATT", "AT+CPAS",
)


@dataclass(frozen=True)
class Profile:
    """How one modem model identifies itself and where it departs from 3GPP TS 27.005/27.007."""

    name: str
    manufacturer: str
    model: str
    revision: str
    imei: str = "490154203237518"          # a valid-checksum test IMEI from 3GPP TS 23.003 examples
    imsi: str = "001010123456789"          # MCC 001 / MNC 01: the 3GPP test network
    operator: str = "Test Network"
    ati_lines: tuple[str, ...] = ()        # what ATI prints; empty -> manufacturer/model/revision
    clac_supported: bool = True            # False: AT+CLAC answers +CME ERROR: 100
    cnmi_ds_values: tuple[int, ...] = (0, 1, 2)
    unknown_command_reply: str = "ERROR"   # final result code for a command the modem does not know
    memories: tuple[str, ...] = ("SM", "ME")
    capacity: dict[str, int] = field(default_factory=lambda: {"SM": 30, "ME": 100, "SR": 20})
    creg_act: int | None = None            # access technology appended to +CREG/+COPS (7 = E-UTRAN)
    extra_commands: tuple[str, ...] = ()   # vendor commands it answers OK to (listed by AT+CLAC)
    signal_urc: str | None = None          # an unsolicited signal report format, e.g. "^RSSI: {rssi}"
    # What AT+CMGL answers when there is nothing to list: None lists nothing and says OK
    # (27.005); oFono's phonesim answers "+CMS ERROR: 321" on an empty memory.
    empty_listing_error: str | None = None
    # Quectel SMS over LTE (modem/device/lte_sms.py): what AT+QCFG="ims" answers at power-up
    # (<value>, <VoLTE_state>; None: not answered), AT+CGSMS's power-up value (None: no such
    # command), and whether the carrier relays SMS over SGs when IMS is not ready. On LTE with
    # neither, AT+CMGS fails with +CMS ERROR: 500.
    ims: tuple[int, int] | None = None
    cgsms: int | None = None
    sms_over_sgs: bool = True
    # SIM7600G-H: AT+CMGS fails (+CMS ERROR: 500) until AT&F has been sent since power-up.
    send_needs_factory_reset: bool = False

    @property
    def commands(self) -> tuple[str, ...]:
        return BASE_COMMANDS + self.extra_commands

    @property
    def sends(self) -> bool:
        """False for a profile whose texts never go (SMS over LTE not provisioned): the
        worker's suite runs on the others; this one shows the failure is named."""
        return self.ims is None or self.ims[1] == 1 or self.sms_over_sgs or self.creg_act != 7


def _quectel_lte(name: str, model: str, revision: str, *, ims: tuple[int, int], sms_over_sgs: bool = True) -> Profile:
    """A Quectel LTE module: the EC25 and the EG25-G (one platform) identify themselves and
    answer alike (the EC25's entry says where that is documented); what AT+QCFG="ims"
    answers (`ims`) and whether SMS goes over SGs are the SIM's and the carrier's."""
    return Profile(name=name, manufacturer="Quectel", model=model, revision=revision,
                   ati_lines=("Quectel", model, f"Revision: {revision}"),
                   creg_act=7, capacity={"SM": 50, "ME": 255, "SR": 50},
                   extra_commands=("AT+QCFG", "AT+QINDCFG", "AT+QCCID", "AT+CGSMS"),
                   ims=ims, cgsms=1, sms_over_sgs=sms_over_sgs)


PROFILES: dict[str, Profile] = {
    # A plain 27.005/27.007 modem: everything in the spec, nothing more.
    "generic": Profile(
        name="generic", manufacturer="Textback", model="SIMULATED-GSM", revision="1.0",
    ),
    # SIMCom SIM800 (SIM800 Series AT Command Manual V1.09; behaviour reproduced on this
    # project's boards, see DESIGN.md): AT+CLAC answers +CME ERROR: 100 and AT+CNMI accepts
    # only ds 0/1, so python-gsmmodem-new's default "2,1,0,2" fails and it falls back.
    # The manufacturer string contains "SIMCOM", which makes python-gsmmodem-new send AT+DDET.
    "sim800": Profile(
        name="sim800", manufacturer="SIMCOM_Ltd", model="SIMCOM_SIM800L",
        revision="Revision:1418B04SIM800L24",
        ati_lines=("SIM800 R14.18",),
        clac_supported=False, cnmi_ds_values=(0, 1),
        extra_commands=("AT+DDET", "AT+CSCLK"),
    ),
    # Huawei E1752 (HUAWEI UMTS Datacard Modem AT Command Interface Specification): an
    # unknown command gets "COMMAND NOT SUPPORT" instead of ERROR (python-gsmmodem-new's
    # serial_comms.RESPONSE_TERM matches it for this reason), ATI prints labelled lines,
    # and ^RSSI unsolicited reports arrive when the signal changes (^CURC=1 default).
    "huawei": Profile(
        name="huawei", manufacturer="huawei", model="E1752", revision="11.126.13.00.00",
        ati_lines=("Manufacturer: huawei", "Model: E1752", "Revision: 11.126.13.00.00",
                   "IMEI: 490154203237518", "+GCAP: +CGSM,+DS,+ES"),
        unknown_command_reply="COMMAND NOT SUPPORT",
        extra_commands=("AT^CURC", "AT^SYSINFO", "AT^USSDMODE", "AT^DTMF"),
        signal_urc="^RSSI: {rssi}",
    ),
    # Quectel EC25 (Quectel EC25&EC21 AT Commands Manual V1.3): LTE registration reports
    # carry <AcT> 7, ATI prints "Quectel / EC25 / Revision: ...", and it has vendor
    # commands (AT+QCFG, AT+QINDCFG) listed by AT+CLAC.
    # Here on a carrier with VoLTE: `+QCFG: "ims",1,1` (IMS on and registered, as
    # pinephone_modem_sdk issue #250 shows a working SIM answer), SMS domain 1.
    "ec25": _quectel_lte("ec25", "EC25", "EC25EFAR06A06M4G", ims=(1, 1)),
    # Quectel EG25-G (the PinePhone's modem; Quectel EG25-G AT Commands Manual): AT+CGMM says
    # "EG25". On a SIM without VoLTE: `+QCFG: "ims",0,0` (pinephone_modem_sdk issue #250),
    # so texts go over SGs, which this carrier relays.
    "eg25g": _quectel_lte("eg25g", "EG25", "EG25GGBR07A08M2G", ims=(0, 0)),
    # An EC25 whose carrier gives this SIM no SMS over LTE: IMS not registered and no SMS
    # over SGs, so every AT+CMGS on LTE fails (pinephone_modem_sdk issue #40: "SMS send
    # don't work in 4G-mode", works in 2G). The issue shows only ModemManager's timeout; we
    # answer +CMS ERROR: 500 (unknown error), what a SIM7600G-H on LTE answered to the
    # same refusal (Xinyuan-LilyGO/T-SIM7600X issue #85: "+CMS ERROR: Unknown error").
    "ec25-no-ims": _quectel_lte("ec25-no-ims", "EC25", "EC25EFAR06A06M4G", ims=(0, 0), sms_over_sgs=False),
    # SIMCom SIM7600G-H (SIM7500_SIM7600 Series AT Command Manual; identity as a LilyGo board
    # prints it, Xinyuan-LilyGO/LilyGo-Modem-Series issue #380): cannot send SMS after power-up
    # until AT&F (LilyGo-Modem-Series issue #340, OVMS issue #1153); refused sends answer
    # +CMS ERROR: 500 ("Unknown error", T-SIM7600X issue #85).
    "sim7600": Profile(
        name="sim7600", manufacturer="SIMCOM INCORPORATED", model="SIMCOM_SIM7600G-H",
        revision="LE20B03SIM7600M22",
        ati_lines=("Manufacturer: SIMCOM INCORPORATED", "Model: SIMCOM_SIM7600G-H",
                   "Revision: LE20B03SIM7600M22", "IMEI: 490154203237518", "+GCAP: +CGSM"),
        creg_act=7, send_needs_factory_reset=True,
        extra_commands=("AT+CNMP", "AT+CPSI", "AT+CNSMOD"),
    ),
    # SIMCom A7670 (A7670X, LTE Cat-1): refuses AT+CNMI with any <ds> but 0
    # (morgverd/sms-server issue #12: "AT+CNMI=2,2,0,1,0" gives ERROR, "2,2,0,0,0" works).
    "a7670": Profile(
        name="a7670", manufacturer="SIMCOM INCORPORATED", model="A7670E-LASE",
        revision="A131B01A7670M7_F",
        ati_lines=("Manufacturer: SIMCOM INCORPORATED", "Model: A7670E-LASE", "Revision: A131B01A7670M7_F"),
        creg_act=7, cnmi_ds_values=(0,),
        extra_commands=("AT+CGSMS", "AT+CNMP", "AT+CPSI"),
    ),
}

# Names a technician might type for the same modem.
ALIASES = {"simcom": "sim800", "sim800l": "sim800", "e1752": "huawei", "quectel": "ec25", "a7670e": "a7670",
           "a7670x": "a7670", "eg25": "eg25g", "eg25-g": "eg25g", "ec25-noims": "ec25-no-ims",
           "sim7600g-h": "sim7600", "sim7600g": "sim7600"}


def get_profile(name: str) -> Profile:
    """The profile called `name` (case-insensitive); ValueError lists the known ones."""
    key = (name or "generic").strip().lower()
    key = ALIASES.get(key, key)
    try:
        return PROFILES[key]
    except KeyError:
        raise ValueError(f"unknown modem profile {name!r}; choose one of: {', '.join(PROFILES)}") from None
