"""Plain values and errors that cross the edge of modem/device.py.

The worker glues these to the store; nothing here touches the serial port or the
modem library, so the worker and its tests can build them freely.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from modem.sms.pdu import ReportOutcome

# The words 3GPP gives the error codes a modem answers with AT+CMEE=1 (numeric), so
# that an error the shop sees says what the modem meant, not just a number.
# 27.005 §3.2.5 (+CMS ERROR) and 27.007 §9.2 (+CME ERROR); only the ones a shop meets.
CMS_WORDS: dict[int, str] = {
    300: "ME failure", 301: "SMS service of ME reserved", 302: "operation not allowed",
    303: "operation not supported", 304: "invalid PDU mode parameter",
    305: "invalid text mode parameter", 310: "SIM not inserted", 311: "SIM PIN required",
    312: "PH-SIM PIN required", 313: "SIM failure", 314: "SIM busy", 315: "SIM wrong",
    316: "SIM PUK required", 320: "memory failure", 321: "invalid memory index",
    322: "memory full", 330: "SMSC address unknown", 331: "no network service",
    332: "network timeout", 340: "no +CNMA acknowledgement expected",
    500: "unknown error",
}
CME_WORDS: dict[int, str] = {
    0: "phone failure", 3: "operation not allowed", 4: "operation not supported",
    10: "SIM not inserted", 11: "SIM PIN required", 12: "SIM PUK required",
    13: "SIM failure", 14: "SIM busy", 15: "SIM wrong", 16: "incorrect password",
    20: "memory full", 21: "invalid index", 22: "not found", 23: "memory failure",
    30: "no network service", 31: "network timeout", 32: "network not allowed - emergency calls only",
    50: "incorrect parameters", 100: "unknown",
}

# Codes after which sending again later may work (the worker retries with backoff);
# the others (a refused number, a bad PDU) will fail the same way every time.
TRANSIENT_CMS = frozenset({300, 314, 320, 322, 331, 332, 500})



def command_name(data: str) -> str:
    """How errors and logs name what was written: the AT command, or — for the long hex
    of an SMS after AT+CMGS — "the message PDU" (named, not quoted whole)."""
    text = str(data).strip()
    return text if text.upper().startswith("AT") else "the message PDU"

class ModemError(Exception):
    """The modem refused a command, in its own words.

    code is the +CMS/+CME number (None for a bare ERROR or a timeout), kind is "CMS",
    "CME" or "" and command the AT command that failed. sent_references holds the
    message references of the parts of a long text that went out before the error,
    so the worker never sends them twice unknowingly.
    """

    def __init__(self, code: int | None, text: str, *, kind: str = "", command: str = "",
                 sent_references: tuple[int, ...] = ()):
        self.code = code
        self.text = text
        self.kind = kind
        self.command = command
        self.sent_references = tuple(sent_references)
        super().__init__(text)

    @property
    def transient(self) -> bool:
        """True when trying again later may succeed (network gone, modem busy, timeout)."""
        if self.code is None:
            return True
        return self.kind != "CMS" or self.code in TRANSIENT_CMS


class ModemSetupError(ModemError):
    """The modem cannot be opened or set up (wrong port, PIN, no SIM...); the text says what to do."""


class ModemLost(ModemError):
    """The port is gone, the modem stopped answering, or the reader died: build a new Modem
    (modem/worker.py opens the configured port again). Raised quickly, never after waiting out every command's timeout."""

    def __init__(self, text: str, *, command: str = "", sent_references: tuple[int, ...] = ()):
        super().__init__(None, text, command=command, sent_references=sent_references)


def describe_error(kind: str, code: int) -> str:
    """'+CMS ERROR: 331 (no network service)': the modem's line plus what 3GPP says it means."""
    words = (CMS_WORDS if kind == "CMS" else CME_WORDS).get(code)
    line = f"+{kind} ERROR: {code}"
    return f"{line} ({words})" if words else line


@dataclass(frozen=True)
class StoredSms:
    """One received SMS part as the modem holds it in memory `memory` at `index`.

    memory/index are None for a message the modem handed over directly (+CMT) and
    never stored. When the PDU cannot be decoded, `error` says why and sender/text are
    empty: a garbled message is reported, never raised, so it cannot block the others.
    concat is (reference, total, sequence) for one part of a long text; the store
    reassembles. A UCS-2 text split by the phone inside an emoji leaves half a
    surrogate pair at the edge of each part: join parts with modem.sms.pdu.join_texts().
    """

    memory: str | None
    index: int | None
    sender: str
    text: str
    smsc_timestamp: datetime | None
    concat: tuple[int, int, int] | None
    pdu: str
    status: int | None = None          # 27.005 <stat>: 0 received unread, 1 received read
    encoding: str | None = None        # GSM-7, UCS-2 or 8-bit
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class StatusReport(ReportOutcome):
    """The network's word on a message we sent (SMS-STATUS-REPORT)."""

    reference: int                     # the message reference +CMGS gave for the part
    recipient: str
    status: int                        # TP-ST, 23.040 §9.2.3.15
    submitted_at: datetime | None
    discharged_at: datetime | None
    pdu: str
    memory: str | None = None          # where the modem stored it (+CDSI), None for +CDS
    index: int | None = None


@dataclass(frozen=True)
class ModemHealth:
    """What `textback status` and the worker's log show about the modem."""

    port: str
    alive: bool
    manufacturer: str | None = None
    model: str | None = None
    signal_dbm: int | None = None      # None: unknown / no signal (CSQ 99)
    registered: bool = False
    registration: str = "unknown"      # home, roaming, searching, denied, not registered, unknown
    operator: str | None = None
    storage: dict[str, tuple[int, int]] = field(default_factory=dict)  # memory -> (used, total)
    problem: str | None = None         # why a field could not be read, for the log
