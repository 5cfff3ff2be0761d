"""Modem families: which kind of modem answered, and the set-up each kind needs, as data.

The set-up (setup.py) asks the modem what it is (AT+CGMI, AT+CGMM, else ATI), finds its
family here, and reads the family's row instead of branching on model names: the
commands it needs before SMS works, the AT+CNMI settings to try, whether it can do LTE
(so a 2G-only registration is worth a warning) and how a technician steers it off 2G.
`[modem] model` names a family to use instead of the detected one.

Sources, for each row's quirks:
- Quectel EC25/EG25-G/EG91/EG95: SMS can fail on LTE unless SMS over IMS is set up
  (AT+QCFG="ims") or the SMS domain (AT+CGSMS) lets it go over SGs
  (the-modem-distro/pinephone_modem_sdk issues #40, #183, #250); the check is in lte_sms.py.
- SIMCom SIM7600G-H: cannot send until AT&F (Xinyuan-LilyGO/LilyGo-Modem-Series
  issue #340, openvehicles OVMS issue #1153); may fall back to 2G and stay there.
- SIMCom A76xx: refuses AT+CNMI with any <ds> but 0 (morgverd/sms-server issue #12).
- SIMCom SIM800: refuses ds=2 (DESIGN.md FAULT sim800-cnmi); a 2G-only modem.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# 27.005 AT+CNMI candidates (setup.py explains the fields). With status reports first.
CNMI_REPORTS_DIRECT = "2,1,0,1,0"      # reports as +CDS
CNMI_NO_REPORTS = "2,1,0,0,0"          # new SMS announced, no report notices

# 27.007 <AcT> values that mean 2G: GSM, GSM Compact, GSM w/EGPRS, EC-GSM-IoT.
ACT_2G = frozenset({0, 1, 3, 8})
ACT_NAMES = {0: "GSM", 1: "GSM Compact", 2: "UTRAN (3G)", 3: "GSM/EGPRS", 4: "UTRAN HSDPA",
             5: "UTRAN HSUPA", 6: "UTRAN HSPA", 7: "LTE", 8: "EC-GSM-IoT", 9: "LTE NB-IoT",
             10: "LTE (5GC)", 11: "NR (5G)", 12: "NR (5G, E-UTRA)", 13: "LTE/NR"}
ACT_LTE = 7


@dataclass(frozen=True)
class Family:
    """What one kind of modem needs from the set-up."""

    name: str                        # the [modem] model value
    title: str                       # the models it covers, for the log
    factory_reset: bool = False      # AT&F first (then echo off etc. again)
    init: tuple[str, ...] = ()       # commands sent after echo off and numeric errors
    cnmi: tuple[str, ...] = (CNMI_REPORTS_DIRECT, CNMI_NO_REPORTS)   # "auto" candidates, with reports
    lte: bool = False                # LTE-capable: registered on 2G only is a warning
    lte_sms_check: bool = False      # Quectel: check SMS over IMS / the SMS domain (lte_sms.py)
    leave_2g: str = ""               # how a technician keeps it off 2G
    ports: str = ""                  # the ports it exposes, for the person picking [modem] port
    at_port: str = ""                # the one to use, when the family has a usual one


FAMILIES: dict[str, Family] = {family.name: family for family in (
    Family("ec25", "Quectel EC25/EG25-G/EG91/EG95", lte=True, lte_sms_check=True,
           leave_2g='AT+QCFG="nwscanmode",0 (automatic; 3 is LTE only)',
           ports="USB: ttyUSB0 diagnostics, ttyUSB1 NMEA (GPS), ttyUSB2 AT (use this one), ttyUSB3 AT/PPP",
           at_port="ttyUSB2"),
    Family("sim7600", "SIMCom SIM7600G-H", factory_reset=True, lte=True,
           leave_2g="AT+CNMP=2 (automatic; 38 is LTE only)",
           ports="USB: ttyUSB0 diagnostics, ttyUSB1 NMEA (GPS), ttyUSB2 AT (use this one), ttyUSB3 modem/PPP, "
                 "ttyUSB4 audio", at_port="ttyUSB2"),
    # The A76xx refuses every <ds> but 0: no status-report notices at all.
    Family("a7670", "SIMCom A76xx (A7670E/SA/G, A7672, A7608)", cnmi=(CNMI_NO_REPORTS,), lte=True,
           leave_2g="AT+CNMP=2 (automatic; 38 is LTE only)",
           ports="USB: ttyUSB0 diagnostics, ttyUSB1 AT (use this one), ttyUSB2 modem/PPP; "
                 "the ttyUSB numbers differ by firmware", at_port="ttyUSB1"),
    Family("sim800", "SIMCom SIM800/SIM900 (2G only: networks are switching 2G off)",
           cnmi=(CNMI_REPORTS_DIRECT, CNMI_NO_REPORTS),
           ports="one UART (a USB-serial adapter: ttyUSB0 or ttyACM0)"),
    Family("huawei", "Huawei (E1752, E173, E3372 in stick mode)",
           ports="USB: ttyUSB0 modem, ttyUSB2 PC UI (the one that sends +CMTI: use it); an E3372 in HiLink "
                 "mode has no tty at all, only a network interface", at_port="ttyUSB2 (PC UI)"),
    Family("generic", "a 27.005 modem of no known family"),
)}
MODEL_CHOICES: tuple[str, ...] = ("auto", *FAMILIES)

# (family, pattern over "manufacturer model" as the modem names itself), first match wins.
_DETECT: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ec25", re.compile(r"quectel.*\b(EC25|EG25|EG91|EG95)", re.IGNORECASE | re.DOTALL)),
    ("sim7600", re.compile(r"\bSIM7600|SIMCOM_SIM7600", re.IGNORECASE)),
    ("a7670", re.compile(r"\bA76[0-9]{2}", re.IGNORECASE)),
    ("sim800", re.compile(r"\bSIM[89]00|SIMCOM_SIM[89]00", re.IGNORECASE)),
    ("huawei", re.compile(r"\bhuawei\b", re.IGNORECASE)),
)


def detect_family(*said: str | None) -> str:
    """The family the modem's own words name (AT+CGMI, AT+CGMM, ATI lines), else "generic"."""
    words = " ".join(s for s in said if s)
    # "SIMCOM_SIM7600G-H" has no word break before SIM7600: make one for the patterns.
    words = words.replace("_", " ")
    return next((name for name, pattern in _DETECT if pattern.search(words)), "generic")


def choose_family(setting: str | None, *said: str | None) -> tuple[Family, str]:
    """(the family to set up, how it was chosen: "detected" or "[modem] model")."""
    if setting and setting != "auto":
        if setting not in FAMILIES:
            raise ValueError(f"unknown [modem] model {setting!r}; choose one of: {', '.join(MODEL_CHOICES)}")
        return FAMILIES[setting], "[modem] model"
    return FAMILIES[detect_family(*said)], "detected"


def at_port_hint() -> str:
    """Which port answers AT on the families that expose several (for "does not answer AT")."""
    usual = "; ".join(f"{f.title.split(' (')[0]}: {f.at_port}" for f in FAMILIES.values() if f.at_port)
    return f"the AT port is usually {usual}"


def act_name(act: int | None) -> str:
    return "unknown" if act is None else ACT_NAMES.get(act, f"AcT {act}")


def only_2g_warning(family: Family, act: int | None) -> str | None:
    """The warning for an LTE-capable modem registered on 2G, or None."""
    if act is None or act not in ACT_2G or not family.lte:
        return None
    return (f"registered on 2G ({act_name(act)}) only, though this {family.title} can use LTE: 2G networks are "
            f"switching off and SMS may stop; check the antenna and the bands the SIM's carrier uses, and that the "
            f"modem may use LTE: {family.leave_2g}")
