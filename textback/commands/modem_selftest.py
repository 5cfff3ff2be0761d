"""The steps of `textback modem test`: a live self-test of the modem, the SIM and the network,
ending with a real text to a person's phone, its delivery report and the person's answer.

It opens the modem with the worker's own Modem class and settings (modem/device/modem.py),
so what passes here is what the worker will do; the only addition is a watch on the
set-up's commands (modem_watch.py): when each phase ran, for the step times, and who the
modem is, asked before the SIM (so a locked SIM still shows the model).

Nothing received is lost: the test deletes nothing from the modem but its own text's status
report. Its reply, any other text that arrives meanwhile and a stored report for an earlier
text stay on the SIM for the worker, which files them when it starts, exactly like what
arrives while the worker is stopped.
"""
from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from modem.device import lte_sms
from modem.device.errors import ModemError
from modem.device.families import only_2g_warning
from modem.device.modem import Modem
from modem.device.records import StoredSms
from modem.device.setup import ModemSettings
from modem.sms.pdu import StatusReport
from textback.commands.modem_watch import SetupWatch, watched_modem

PASS, FAIL, SKIP = "PASS", "FAIL", "skip"
STEPS = ("port", "modem", "SIM", "set-up", "signal", "network", "SMSC", "send", "delivery report", "reply")
SWEEP_SECONDS = 2.0         # how often the memories are read while waiting: a notice may never come
WEAK_CSQ = 10               # below this (of 31) texts start to fail (README: Signal)
# 27.007 §7.3 <AcT>: what a technician calls each.
ACCESS = {0: "2G (GSM)", 1: "2G (GSM Compact)", 2: "3G (UTRAN)", 3: "2G (EDGE)", 4: "3G (HSDPA)",
          5: "3G (HSUPA)", 6: "3G (HSPA)", 7: "LTE", 8: "2G (EC-GSM-IoT)", 9: "LTE (NB-IoT)",
          10: "LTE (5G core)", 11: "5G (NR)", 12: "5G (NG-RAN)", 13: "LTE + 5G (EN-DC)"}


@dataclass
class Step:
    name: str
    result: str             # PASS, FAIL, skip
    seconds: float
    detail: str
    fix: str = ""


@dataclass
class Target:
    """Who the test texts and how to show the number to the person running it."""

    number: str             # E.164
    shown: str              # (212) 555-0123
    same: Callable[[str], bool]     # does a sender (as the network writes it) name this number?


class SelfTest:
    """Runs the steps in order, handing each to `report` as it ends; stops at the first FAIL
    (the steps after it are reported as skipped)."""

    def __init__(self, settings: ModemSettings, target: Target, timeout: float, text: str,
                 report: Callable[[Step], None], say: Callable[[str], None]):
        self.settings = settings
        self.target = target
        self.timeout = timeout
        self.text = text
        self.report = report
        self.say = say
        self.steps: list[Step] = []
        self.texts: queue.Queue[StoredSms] = queue.Queue()
        self.reports: queue.Queue[StatusReport] = queue.Queue()
        self.left_on_modem = 0          # texts that arrived during the test (the reply included)
        self.watch: SetupWatch | None = None
        self.access: str | None = None  # the network step's access technology (LTE, 2G...)
        self._sim_seconds = 0.0
        self._setup_step = Step("set-up", PASS, 0.0, "")

    # -- running --------------------------------------------------------------------------
    @property
    def reports_left(self) -> int:
        """Stored status reports for earlier texts, left on the modem for the worker."""
        return len(self.watch.reports_left) if self.watch else 0

    def _add(self, name: str, result: str, seconds: float, detail: str, fix: str = "") -> bool:
        step = Step(name, result, round(seconds, 3), detail, fix)
        self.steps.append(step)
        self.report(step)
        return result != FAIL

    def _skip_rest(self, why: str) -> None:
        for name in STEPS[len(self.steps):]:
            self._add(name, SKIP, 0.0, why)

    def run(self, refusal: Step | None = None) -> bool:
        """True when every step passed. `refusal`: a port step that already failed (the
        worker or another program holds the port), so the modem is not even opened."""
        if refusal is not None:
            self._add(refusal.name, refusal.result, refusal.seconds, refusal.detail, refusal.fix)
            self._skip_rest("not tried: the port step failed")
            return False
        modem = self._open()
        if modem is None:
            self._skip_rest(f"not tried: the {self.steps[-1].name} step failed")
            return False
        try:
            ok = (self._sim(modem) and self._signal(modem) and self._network(modem) and self._smsc(modem)
                  and self._exchange(modem))
        finally:
            modem.close()
        if not ok:
            self._skip_rest(f"not tried: the {self.steps[-1].name} step failed")
        return ok and all(s.result != FAIL for s in self.steps)

    # -- opening: port, modem, SIM, set-up --------------------------------------------------
    def _open(self) -> Modem | None:
        settings = self.settings
        watch = SetupWatch(time.monotonic(), keep_report=lambda report: not self.target.same(report.recipient))
        self.watch = watch
        try:
            modem = watched_modem(watch).from_settings(
                replace(settings, on_sms=self.texts.put, on_status_report=self.reports.put))
        except ModemError as exc:
            self._opening_failed(watch, exc)
            return None
        spent = watch.times(time.monotonic())
        self._add("port", PASS, spent["port"], f"{settings.port} opened; the modem answers AT")
        self._identity(watch, spent["modem"], modem)
        self._sim_seconds = spent["SIM"]
        memories = ",".join(modem.memories)
        cnmi = f"notifications AT+CNMI={modem.cnmi}" if modem.cnmi else "no notifications (found by sweeping)"
        family = f"{modem.family.name} ({modem.checks.chosen_by})"
        self._setup_step = Step("set-up", PASS, spent["set-up"], f"{family}: PDU mode, memories {memories}, "
                                f"new texts into {modem.receive_memory}, {cnmi}")
        return modem

    def _opening_failed(self, watch: SetupWatch, exc: ModemError) -> None:
        spent = watch.times(time.monotonic())
        # Until the SIM is asked, a failure is the port's: it did not open, or the modem went
        # silent (a wrong port answers nothing; an unplugged one is lost).
        sim_asked = any(at.upper().startswith("AT+CPIN") for at, _ in watch.sent)
        phase = ("port" if not sim_asked else
                 "SIM" if (exc.command or "").upper().startswith("AT+CPIN") else "set-up")
        if phase == "port":
            self._add("port", FAIL, spent["port"], exc.text, _port_fix(exc))
            return
        self._add("port", PASS, spent["port"], f"{self.settings.port} opened; the modem answers AT")
        self._identity(watch, spent["modem"], None)
        if phase == "SIM":
            detail, fix = _sim_failure(exc)
            self._add("SIM", FAIL, spent["SIM"], detail, fix)
            return
        self._add("SIM", PASS, spent["SIM"], "ready")
        self._add("set-up", FAIL, spent["set-up"], exc.text,
                  "the worker's set-up fails the same way: try another [modem] port (a stick has several), "
                  "or see the line for the key to change")

    def _identity(self, watch: SetupWatch, seconds: float, modem: Modem | None) -> None:
        maker = watch.identity.get("AT+CGMI") or (modem.manufacturer if modem else None)
        model = watch.identity.get("AT+CGMM") or (modem.model if modem else None)
        revision = watch.identity.get("AT+CGMR")
        if not (maker or model):
            self._add("modem", PASS, seconds, "the modem does not say who it is (AT+CGMI, AT+CGMM refused)")
            return
        said = " ".join(v for v in (maker, model) if v)
        self._add("modem", PASS, seconds, f"{said}, revision {revision}" if revision else said)

    def _sim(self, modem: Modem) -> bool:
        begun = time.monotonic()
        state = _value(modem, "AT+CPIN?", "+CPIN:") or "READY"
        how = "unlocked with [modem] pin" if self.settings.pin else "no PIN asked"
        ok = self._add("SIM", PASS, self._sim_seconds + time.monotonic() - begun, f"{state.lower()} ({how})")
        step = self._setup_step
        return ok and self._add(step.name, step.result, step.seconds, step.detail)

    # -- the network -------------------------------------------------------------------------
    def _signal(self, modem: Modem) -> bool:
        begun = time.monotonic()
        line = _value(modem, "AT+CSQ", "+CSQ:") or ""
        rssi = int(line.split(",")[0]) if line.split(",")[0].strip().isdigit() else 99
        seconds = time.monotonic() - begun
        if not 0 <= rssi <= 31:
            return self._add("signal", FAIL, seconds, f"no signal (AT+CSQ: {line or 'no answer'})",
                             "screw the antenna on; move the modem away from the Pi on a USB extension cable; "
                             "check the SIM is active (try it in a phone)")
        dbm = -113 + 2 * rssi
        weak = "; weak: texts may fail, move the modem or add an antenna" if rssi < WEAK_CSQ else ""
        return self._add("signal", PASS, seconds, f"{dbm} dBm (CSQ {rssi} of 31){weak}")

    def _network(self, modem: Modem) -> bool:
        begun = time.monotonic()
        health = modem.health()         # the worker's own reading: registration, operator, radio
        act = health.access_technology
        self.access = None if act is None else ACCESS.get(act, f"access technology {act}")
        seconds = time.monotonic() - begun
        if not health.registered:
            return self._add("network", FAIL, seconds, f"not registered ({health.registration})",
                             "check the antenna and the signal, that the SIM is active and may roam here; "
                             "a 2G-only modem finds no network where 2G is switched off")
        where = f" on {health.operator}" if health.operator else ""
        access = self.access or "access technology not reported"
        # An LTE modem held on 2G says so in its own words (families.py); a 2G-only modem is told here.
        two_g = only_2g_warning(modem.family, act)
        note = (f"; {two_g}" if two_g else
                "; 2G is being switched off in many countries: plan an LTE modem" if access.startswith("2G") else "")
        return self._add("network", PASS, seconds, f"registered ({health.registration}){where}, {access}{note}")

    def _smsc(self, modem: Modem) -> bool:
        begun = time.monotonic()
        line = _value(modem, "AT+CSCA?", "+CSCA:") or ""
        number = line.split('"')[1] if line.count('"') >= 2 else ""
        seconds = time.monotonic() - begun
        if not number.strip("+"):
            return self._add("SMSC", FAIL, seconds, f"no SMS centre number on the SIM ({line or 'no answer'})",
                             'set [modem] smsc = "+..." to your operator\'s SMS centre number')
        return self._add("SMSC", PASS, seconds, number)

    # -- a real text ---------------------------------------------------------------------------
    def _exchange(self, modem: Modem) -> bool:
        before = {_key(s) for s in modem.list_stored()}
        begun = time.monotonic()
        try:
            references = modem.send(self.target.number, self.text)
        except ModemError as exc:
            seconds = time.monotonic() - begun
            # A Quectel on LTE without IMS nor SGs: the device layer names it (lte_sms.py).
            lte = next((f for f in modem.flags if f.startswith("SMS over LTE not provisioned")), None)
            if lte is not None:
                return self._add("send", FAIL, seconds, lte.replace(f"; {lte_sms.FIX}", ""), lte_sms.FIX)
            return self._add("send", FAIL, seconds, exc.text, _send_fix(exc, self.access))
        refs = ", ".join(map(str, references))
        if not self._add("send", PASS, time.monotonic() - begun,
                         f"text to {self.target.shown} taken by the network, reference {refs}"):
            return False
        if not self.settings.delivery_reports:
            self._add("delivery report", SKIP, 0.0, "not asked for: [modem] delivery_reports = false")
        else:
            report = self._delivered(set(references))
            if report == "undelivered":
                return False
            if report == "no report":
                # Maybe the network's way (some send none): the person's answer still says
                # whether texts arrive, so it is waited for all the same.
                self._answered(modem, before)
                return False
        return self._answered(modem, before)

    def _delivered(self, references: set[int]) -> str:
        """delivered, undelivered (the network said so) or no report (none came in time)."""
        begun = time.monotonic()
        deadline = begun + self.timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                report = self.reports.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if report.reference not in references or report.pending:
                continue        # a late report for an older text, or the network still trying
            seconds = time.monotonic() - begun
            if report.delivered:
                self._add("delivery report", PASS, seconds, f"delivered to {self.target.shown}")
                return "delivered"
            self._add("delivery report", FAIL, seconds,
                      f"the network says the text was NOT delivered (status {report.status:#04x})",
                      "check the number; the phone may be off, full or unable to take texts: try another with --to")
            return "undelivered"
        self._add("delivery report", FAIL, time.monotonic() - begun, f"no delivery report within {self.timeout:g}s",
                  "the phone may be off or out of signal (run the test again); a network that sends no "
                  "reports: set [modem] delivery_reports = false")
        return "no report"

    def _answered(self, modem: Modem, before: set[tuple]) -> bool:
        self.say(f"reply to the text on {self.target.shown} with anything (waiting up to {self.timeout:g}s)")
        begun = time.monotonic()
        deadline, next_sweep = begun + self.timeout, begun + SWEEP_SECONDS
        seen: set[tuple] = set(before)
        while (left := deadline - time.monotonic()) > 0:
            found: list[StoredSms] = []
            try:
                found.append(self.texts.get(timeout=min(left, 0.2)))
            except queue.Empty:
                pass
            if time.monotonic() >= next_sweep:
                found += modem.list_stored()        # FAULT swallowed-urc: a notice may never come
                next_sweep = time.monotonic() + SWEEP_SECONDS
            for sms in found:
                if _key(sms) in seen:
                    continue
                seen.add(_key(sms))
                self.left_on_modem += 1
                if sms.ok and self.target.same(sms.sender):
                    body = sms.text if len(sms.text) <= 40 else sms.text[:39] + "…"
                    return self._add("reply", PASS, time.monotonic() - begun,
                                     f"{body!r} from {self.target.shown}, left on the modem for the worker")
        return self._add("reply", FAIL, time.monotonic() - begun, f"no reply from {self.target.shown} within "
                         f"{self.timeout:g}s", "answer the test text from that phone, or give more time with "
                         "--timeout; a text that never arrives: check the SIM can receive (try it in a phone)")


def _key(sms: StoredSms) -> tuple:
    return (sms.memory, sms.index, sms.pdu)


def _lines(modem: Modem, at: str) -> list[str]:
    try:
        return modem.command(at)
    except ModemError:
        return []


def _value(modem: Modem, at: str, prefix: str) -> str | None:
    for line in _lines(modem, at):
        if line.startswith(prefix):
            return line.split(":", 1)[1].strip()
    return None


def _port_fix(exc: ModemError) -> str:
    if exc.command == "AT":
        return ("check [modem] port is the modem's AT port (a stick has several: ls -l /dev/serial/by-id/) "
                "and [modem] baudrate")
    if exc.command == "open" and not exc.text.startswith("cannot open"):
        return ""       # not there, no permission, held: the line itself says what to do
    return "see the line: it says what to check"


def _sim_failure(exc: ModemError) -> tuple[str, str]:
    """(what happened, what to do) for a SIM the set-up could not use. A refused PIN is never
    tried again here: three wrong PINs lock the SIM, and only its PUK unlocks it."""
    if exc.code == 11:
        return ("the SIM is locked with a PIN and [modem] pin is not set",
                'set [modem] pin = "1234" (your SIM\'s PIN, in quotes) in the configuration, then run the test '
                "again; three wrong PINs lock the SIM")
    if exc.code == 16:
        return ("the SIM refused the PIN in [modem] pin (tried once, not again: three wrong PINs lock the SIM)",
                "check the PIN in a phone and fix [modem] pin before running the test again: each run tries it "
                "once more")
    if exc.code == 12:
        return ("the SIM is locked and asks for its PUK (too many wrong PINs)",
                "unlock it in a phone with the PUK from the operator, then set [modem] pin")
    return exc.text, "power the modem off, reseat the SIM, power it on; try the SIM in a phone"


def _send_fix(exc: ModemError, access: str | None) -> str:
    if exc.code == 330:
        return 'set [modem] smsc = "+..." to your operator\'s SMS centre number'
    if exc.code == 331:
        return "the modem lost the network: check the antenna and the signal, then run the test again"
    if access is not None and access.startswith("LTE") and exc.kind == "CMS":
        return ("the modem is on LTE and the network refused the text: SMS over LTE may not be provisioned for "
                "this SIM (IMS or SGs): ask the operator, or try the SIM in a phone")
    return "check the SIM has credit and may send texts (try it in a phone); the worker would fail the same way"


__all__ = ["FAIL", "PASS", "SKIP", "STEPS", "SelfTest", "Step", "Target"]
