"""Opening the port and setting the modem up for SMS, with an error that says what to do
at each step that can fail on a real install.

We do not use GsmModem.connect: it sends ATZ, probes voice features we never use, and
sets CNMI to "2,1,0,2". FAULT sim800-cnmi: a SIM800 refuses ds=2 with ERROR. FAULT
sim800-clac: a SIM800 answers AT+CLAC with +CME ERROR: 100, and GsmModem.connect then
probes eight more commands one by one. Our set-up needs neither AT+CLAC nor ds=2: it
asks for what an SMS gateway needs and falls back where modems differ.

The set-up is handed the link and a way to send one command (Modem.command), and
returns what it chose and learnt (ModemSetup); the Modem keeps that. It never
touches a Modem.
"""
from __future__ import annotations

import errno
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import serial
from gsmmodem.exceptions import CommandError, TimeoutException

from modem.device import lte_sms
from modem.device.errors import ModemError, ModemLost, ModemSetupError
from modem.device.families import Family, act_name, at_port_hint, choose_family, only_2g_warning
from modem.device.hilink import hilink_sticks
from modem.device.link import ModemLink
from modem.device.records import StoredSms
from modem.sms.pdu import StatusReport

log = logging.getLogger(__name__)

# mode 2 (buffer codes while the link is busy), mt 1 (store the SMS and send +CMTI:
# FAULT cmt-ignored), bm 0, ds (status reports: 2 stored with +CDSI, 1 direct +CDS), bfr 0.
# The last one gives up the status reports' notice but keeps the notice of new SMS: an
# A7670 refuses every ds but 0 (morgverd/sms-server issue #12: AT+CNMI=2,2,0,1,0 gives
# ERROR, 2,2,0,0,0 works); without it the replies waited for the periodic sweep.
# "auto" tries the modem family's own list (families.py); these are the defaults.
CNMI_WITH_REPORTS = ("2,1,0,2,0", "2,1,0,1,0", "2,1,0,0,0")
CNMI_AUTO = ("2,1,0,1,0", "2,1,0,0,0")
CNMI_WITHOUT_REPORTS = ("2,1,0,0,0",)
# Memories that hold received SMS; "MT" is SM+ME together and would list each twice,
# "BM" holds cell broadcasts, "SR" status reports.
_SMS_MEMORIES = ("SM", "ME")


@dataclass(frozen=True)
class ModemSettings:
    """How to open the modem (Modem.from_settings opens one like it again)."""

    port: str
    baudrate: int = 115200
    pin: str | None = None
    smsc: str | None = None
    flow_control: bool = False
    cnmi: str | None = None
    model: str = "auto"                 # a modem family (families.py) instead of the detected one
    delivery_reports: bool = True
    command_timeout: float = 10.0
    send_timeout: float = 60.0          # the network may take this long to accept a message
    on_sms: Callable[[StoredSms], None] | None = None
    on_status_report: Callable[[StatusReport], None] | None = None


@dataclass(frozen=True)
class ModemSetup:
    """What the set-up chose and learnt; the Modem keeps it."""

    memories: tuple[str, ...]            # where received SMS may sit (swept)
    report_memories: tuple[str, ...]     # where status reports may sit
    receive_memory: str | None           # where new SMS go (AT+CPMS <mem3>), None if unknown
    cnmi: str                            # the AT+CNMI setting the modem took ("" if none)
    manufacturer: str | None
    model: str | None
    family: str = "generic"              # families.py: whose set-up was used
    chosen_by: str = "detected"          # "detected" or "[modem] model"
    access_technology: int | None = None  # 27.007 <AcT> of the registration (AT+COPS?), None unsaid
    lte_sms: lte_sms.LteSms | None = None  # Quectel: what the modem said about SMS over LTE
    flags: tuple[str, ...] = ()          # what cannot work, each a sentence with what to do


class Command(Protocol):
    """One AT command, its reply lines back; ModemError in the modem's words (Modem.command)."""

    def __call__(self, at: str, *, timeout: float | None = None) -> list[str]: ...


def open_link(settings: ModemSettings, on_unsolicited: Callable[[list[str]], None]) -> ModemLink:
    """Open the serial port (FAULT flow-control: only with flow control when asked)."""
    link = ModemLink(settings.port, settings.baudrate, flow_control=settings.flow_control,
                     on_unsolicited=on_unsolicited)
    try:
        link.open_port()
    except (serial.SerialException, OSError) as exc:
        raise ModemSetupError(None, _open_failure(settings.port, exc), command="open") from None
    return link


def _open_failure(port: str, exc: Exception) -> str:
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code == errno.ENOENT or "No such file" in text:
        sticks = hilink_sticks()
        if sticks:      # plugged in, but a network card with no AT port: say so, not "plug it in"
            return f"no modem at {port}: " + "; ".join(stick.problem() for stick in sticks)
        return (f"no modem at {port}: the device does not exist. Is the modem plugged in? "
                "`ls -l /dev/serial/by-id/` lists the ports; set [modem] port")
    if code == errno.EACCES or "Permission denied" in text:
        return (f"permission denied opening {port}: add the user running textback to the "
                "`dialout` group (then log in again)")
    if code == errno.EBUSY or "busy" in text.lower():
        return (f"{port} is in use by another program (ModemManager often grabs modems): "
                "stop it or tell it to ignore this device")
    return f"cannot open {port}: {text}"


def set_up(link: ModemLink, command: Command, settings: ModemSettings) -> ModemSetup:
    """Wake the modem, find its family, unlock the SIM, PDU mode, memories, notifications,
    and the checks of what cannot work on today's networks (2G only, SMS over LTE)."""
    port = settings.port
    _wake(link, settings)
    _quiet(command, "ATE0")        # no echo: replies are just replies
    _quiet(command, "AT+CMEE=1")   # numeric +CME/+CMS errors, which the library parses
    manufacturer, model = _identity(command, "AT+CGMI"), _identity(command, "AT+CGMM")
    # ATI only when the two say nothing: some modems name themselves there alone.
    said = (manufacturer, model) if manufacturer or model else tuple(_lines(command, "ATI"))
    try:
        family, chosen_by = choose_family(settings.model, *said)
    except ValueError as exc:
        raise ModemSetupError(None, str(exc), command="[modem] model") from None
    if family.factory_reset:
        # SIM7600G-H: cannot send after power-up until AT&F (LilyGo-Modem-Series issue #340,
        # OVMS issue #1153). AT&F also turns echo back on: say the first two again.
        _quiet(command, "AT&F")
        _quiet(command, "ATE0")
        _quiet(command, "AT+CMEE=1")
    for at in family.init:
        _quiet(command, at)
    _unlock_sim(command, settings)
    # FAULT text-mode: text mode ends a reply at any body line starting with OK/ERROR.
    _required(command, "AT+CMGF=0", f"modem on {port} refuses PDU mode (AT+CMGF=0); textback needs it")
    if settings.smsc:
        _required(command, f'AT+CSCA="{settings.smsc}"',
                  f"modem on {port} refused the service centre number {settings.smsc}: check [modem] smsc")
    _quiet(command, "AT+COPS=3,0")  # operator by long name, for health()
    memories, report_memories, receive_memory = _choose_memories(command, port)
    cnmi = _notifications(command, settings, family)
    act = access_technology(_answer(command, "AT+COPS?") or [])
    flags: list[str] = []
    two_g = only_2g_warning(family, act)
    if two_g:
        flags.append(two_g)
    state = None
    if family.lte_sms_check:
        state, line = lte_sms.prefer_working_domain(lambda at: _answer(command, at),
                                                    lte_sms.read_state(lambda at: _answer(command, at)))
        if line:
            log.info("modem on %s: %s", port, line)
        no_domain = lte_sms.no_domain_warning(state, act)
        if no_domain:
            flags.append(no_domain)
        elif act is not None and not state.ims_ready:
            log.info("modem on %s on %s with %s: texts go over SGs; if they fail, %s", port, act_name(act),
                     state.ims_words(), lte_sms.FIX)
    for flag in flags:
        log.warning("modem on %s: %s", port, flag)
    return ModemSetup(memories=memories, report_memories=report_memories, receive_memory=receive_memory,
                      cnmi=cnmi, manufacturer=manufacturer, model=model, family=family.name,
                      chosen_by=chosen_by, access_technology=act, lte_sms=state, flags=tuple(flags))


def access_technology(lines: list[str]) -> int | None:
    """<AcT> from '+COPS: 0,0,"Operator",7' (None when the modem does not say)."""
    for line in lines:
        match = re.match(r'^\+COPS:\s*\d+\s*,\s*\d+\s*,\s*"[^"]*"\s*,\s*(\d+)', line)
        if match:
            return int(match.group(1))
    return None


def _wake(link: ModemLink, settings: ModemSettings) -> None:
    """AT until it answers: a modem fresh from USB may need a moment, and a wrong port
    (a Huawei's data port, a GPS) never answers."""
    port = settings.port
    attempts = 3
    per_try = min(2.0, settings.command_timeout)
    # A process killed between AT+CMGS and the PDU's Ctrl-Z leaves the modem at its "> "
    # prompt, where every later command would become part of that PDU and the modem would
    # seem dead. ESC cancels such a prompt without sending; elsewhere it is ignored.
    link.cancel_prompt()
    time.sleep(0.1)
    for attempt in range(attempts):
        try:
            # The link directly: Modem.command would take a silent modem for a hung one.
            link.write("AT", timeout=per_try)
            return
        except CommandError:
            return  # it answered, if only with an error: someone is there
        except TimeoutException:
            if attempt + 1 < attempts:
                time.sleep(0.2)
    raise ModemSetupError(None, f"modem on {port} does not answer AT: is it the right port? "
                                f"({at_port_hint()}); try `textback doctor`", command="AT")


def _unlock_sim(command: Command, settings: ModemSettings) -> None:
    port = settings.port
    try:
        reply = command("AT+CPIN?", timeout=max(settings.command_timeout, 5))
    except ModemLost:
        raise
    except ModemError as exc:
        if exc.code in (10, 310):
            raise ModemSetupError(exc.code, f"no SIM card in the modem on {port}: power it off, insert the SIM, "
                                            "power it on", kind=exc.kind, command="AT+CPIN?") from None
        if exc.code in (13, 15, 313, 315):
            raise ModemSetupError(exc.code, f"the SIM card in the modem on {port} fails ({exc.text}): "
                                            "reseat it or try it in a phone", kind=exc.kind,
                                  command="AT+CPIN?") from None
        raise ModemSetupError(exc.code, f"modem on {port} cannot tell the SIM state: {exc.text}",
                              kind=exc.kind, command="AT+CPIN?") from None
    state = next((line.split(":", 1)[1].strip() for line in reply if line.startswith("+CPIN:")), "READY")
    if state == "READY":
        return
    if state == "SIM PIN":
        if not settings.pin:
            raise ModemSetupError(11, "SIM asks for a PIN: set [modem] pin", kind="CME", command="AT+CPIN?")
        try:
            command(f'AT+CPIN="{settings.pin}"', timeout=max(settings.command_timeout, 10))
        except ModemLost:
            raise
        except ModemError as exc:
            if exc.code == 16:
                raise ModemSetupError(16, "the SIM refused the PIN in [modem] pin: check it. Each wrong try "
                                          "uses up one of 3; textback tries once per start", kind="CME",
                                      command="AT+CPIN") from None
            raise ModemSetupError(exc.code, f"entering the SIM PIN failed: {exc.text}", kind=exc.kind,
                                  command="AT+CPIN") from None
        log.info("SIM on %s unlocked with [modem] pin", port)
        return
    if state == "SIM PUK":
        raise ModemSetupError(12, "the SIM is locked and asks for its PUK (too many wrong PINs): "
                                  "unlock it in a phone, then set [modem] pin", kind="CME", command="AT+CPIN?")
    raise ModemSetupError(None, f"the SIM asks for {state}: unlock it in a phone first", command="AT+CPIN?")


def _choose_memories(command: Command, port: str) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    """Read and delete from each SMS memory in turn (the sweep); store new SMS in ME when
    the modem has it (a SIM holds only ~30) and status reports where it keeps them.
    Returns (the memories swept for SMS, the memories that hold status reports, the
    memory new SMS go to: `textback status` shows its fill, above 80% it is an alert)."""
    try:
        reply = command("AT+CPMS=?")
    except ModemLost:
        raise
    except ModemError as exc:
        raise ModemSetupError(exc.code, f"modem on {port} cannot list its message memories (AT+CPMS=?): "
                                        f"{exc.text}; textback cannot read replies from it",
                              kind=exc.kind, command="AT+CPMS=?") from None
    line = next((entry for entry in reply if entry.startswith("+CPMS:")), "")
    groups = [re.findall(r"[A-Z]{2}", group) for group in re.findall(r"\(([^)]*)\)", line)]
    readable = groups[0] if groups else ["SM"]
    storable = groups[2] if len(groups) > 2 else readable
    memories = tuple(m for m in _SMS_MEMORIES if m in readable) or tuple(
        m for m in readable if m not in ("SR", "BM", "MT"))[:1] or ("SM",)
    report_memories = tuple(m for m in ("SR",) if m in readable)
    receive_into = "ME" if "ME" in storable else ("SM" if "SM" in storable else storable[0] if storable else "SM")
    first = memories[0]
    try:
        command(f'AT+CPMS="{first}","{first}","{receive_into}"')
    except ModemLost:
        raise
    except ModemError as exc:
        log.warning("modem on %s refused AT+CPMS for %s: %s; keeping its own choice", port, receive_into, exc)
        receive_into = _current_receive_memory(command)
    return memories, report_memories, receive_into


def _current_receive_memory(command: Command) -> str | None:
    """<mem3> of AT+CPMS? ('+CPMS: "SM",0,30,"SM",0,30,"ME",3,100' -> ME), None if unsaid."""
    try:
        reply = command("AT+CPMS?")
    except ModemLost:
        raise
    except ModemError:
        return None
    line = next((entry for entry in reply if entry.startswith("+CPMS:")), "")
    names = re.findall(r'"([A-Z]{2})"', line)
    return names[2] if len(names) >= 3 else None


def _notifications(command: Command, settings: ModemSettings, family: Family) -> str:
    """The AT+CNMI setting the modem took, or "" when it takes none."""
    if settings.cnmi == "auto":
        # The configuration's default ([modem] cnmi = "auto"): the family's own list, which
        # asks for status reports as +CDS (ds=1, which a SIM800 takes too) and ends without
        # report notices (all an A7670 takes).
        candidates: tuple[str, ...] = family.cnmi if settings.delivery_reports else CNMI_WITHOUT_REPORTS
    elif settings.cnmi:
        candidates = (settings.cnmi,)
        if settings.cnmi.split(",")[1:2] != ["1"]:
            log.warning("[modem] cnmi %s does not ask for store-and-notify (mt=1): SMS may reach us "
                        "without a SIM copy", settings.cnmi)
    else:
        candidates = CNMI_WITH_REPORTS if settings.delivery_reports else CNMI_WITHOUT_REPORTS
    problem = None
    for value in candidates:
        try:
            command(f"AT+CNMI={value}")
        except ModemLost:
            raise
        except ModemError as exc:
            # FAULT sim800-cnmi: ds=2 refused; the next candidate asks for ds=1.
            log.info("modem on %s refused AT+CNMI=%s (%s)", settings.port, value, exc.text)
            problem = exc
            continue
        if settings.cnmi in (None, "", "auto") and settings.delivery_reports and value.split(",")[3:4] == ["0"]:
            log.warning("modem on %s refuses every AT+CNMI setting that announces status reports (took "
                        "AT+CNMI=%s): texts are marked sent but not delivered; set [modem] delivery_reports "
                        "= false to stop asking for reports", settings.port, value)
        return value
    if settings.cnmi and settings.cnmi != "auto":
        raise ModemSetupError(problem.code if problem else None,
                              f"modem on {settings.port} refused AT+CNMI={settings.cnmi}: fix [modem] cnmi "
                              "or remove it to let textback choose", command="AT+CNMI")
    # No notifications at all: the sweep still finds every message, only later.
    log.warning("modem on %s accepts no AT+CNMI setting; replies are found by the periodic sweep only",
                settings.port)
    return ""


def _quiet(command: Command, at: str) -> None:
    try:
        command(at)
    except ModemLost:
        raise
    except ModemError as exc:
        log.info("modem refused %s (%s); carrying on", at, exc.text)


def _required(command: Command, at: str, message: str) -> None:
    try:
        command(at)
    except ModemLost:
        raise
    except ModemError as exc:
        raise ModemSetupError(exc.code, f"{message} ({exc.text})", kind=exc.kind, command=at) from None


def _answer(command: Command, at: str) -> list[str] | None:
    """The reply lines, or None when the modem refused the command."""
    try:
        return command(at)
    except ModemLost:
        raise
    except ModemError:
        return None


def _lines(command: Command, at: str) -> list[str]:
    """What the modem said besides OK and an echo of the command."""
    return [line.strip() for line in _answer(command, at) or []
            if line.strip() and line != "OK" and not line.startswith("AT")]


def _identity(command: Command, at: str) -> str | None:
    values = _lines(command, at)
    return values[0] if values else None
