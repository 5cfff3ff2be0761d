"""The device layer's errors, and the 3GPP words that make a modem's error codes readable.

Nothing here touches the serial port or the modem library, so the worker and its
tests can build them freely. (The values the device hands out are in records.py.)
"""
from __future__ import annotations

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
    (modem/worker/loop.py opens the configured port again). Raised quickly, never after
    waiting out every command's timeout."""

    def __init__(self, text: str, *, command: str = "", sent_references: tuple[int, ...] = ()):
        super().__init__(None, text, command=command, sent_references=sent_references)


def describe_error(kind: str, code: int) -> str:
    """'+CMS ERROR: 331 (no network service)': the modem's line plus what 3GPP says it means."""
    words = (CMS_WORDS if kind == "CMS" else CME_WORDS).get(code)
    line = f"+{kind} ERROR: {code}"
    return f"{line} ({words})" if words else line
