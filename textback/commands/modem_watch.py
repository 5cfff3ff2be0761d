"""A watch on the Modem's set-up for `textback modem test`: when each of its phases ran (the
step times: port, modem, SIM, set-up) and who the modem is, asked before the SIM.

AT+CGMI/CGMM/CGMR need no SIM, so a SIM that stops the set-up (a PIN) still leaves the
model to show. It is the worker's Modem class itself, with its `command` watched: no
second driver, and nothing sent that the worker's set-up would not send but AT+CGMR.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from modem.device.errors import ModemError
from modem.device.modem import Modem
from modem.sms.pdu import StatusReport

log = logging.getLogger(__name__)


@dataclass
class SetupWatch:
    """What the set-up sent, and when (time.monotonic())."""

    started: float
    sent: list[tuple[str, float]] = field(default_factory=list)
    identity: dict[str, str | None] = field(default_factory=dict)
    answers: dict[str, str | None] = field(default_factory=dict)    # identity the set-up asked itself
    identified: bool = False
    # A stored status report this says is not the test's stays on the modem for the worker
    # (the Modem deletes a report once handed over); `reports_left` are their slots.
    keep_report: Callable[[StatusReport], bool] = lambda report: False
    reports_left: set[tuple[str, int]] = field(default_factory=set)

    def phase_of(self, at: str) -> str:
        name = at.upper()
        if name.startswith("AT+CPIN"):
            return "SIM"
        return "modem" if name in ("AT+CGMI", "AT+CGMM", "AT+CGMR", "ATI") else "set-up"

    def times(self, until: float) -> dict[str, float]:
        """Seconds per set-up step: port (open, the first AT), modem (who it is), SIM, set-up
        (the rest): each command counts until the next one is sent."""
        marks = [(self.phase_of(at), t) for at, t in self.sent]
        spent = {"port": (marks[0][1] if marks else until) - self.started, "modem": 0.0, "SIM": 0.0,
                 "set-up": 0.0}
        for i, (phase, t) in enumerate(marks):
            end = marks[i + 1][1] if i + 1 < len(marks) else until
            spent[phase] += end - t
        return spent


def watched_modem(watch: SetupWatch) -> type[Modem]:
    """The Modem class with its set-up watched into `watch` (open it with from_settings); the
    watch survives a set-up that fails, which is when its times and identity matter most."""
    class WatchedModem(Modem):
        def command(self, at: str, *, timeout: float | None = None, prompt: bool = False,
                    term: str = "\r") -> list[str]:
            if not watch.identified and at.upper().startswith("AT+CPIN"):
                watch.identified = True
                watch.sent.append(("AT+CGMR", time.monotonic()))    # its time is the modem step's
                # What the set-up asked already (to find the family) is not asked twice.
                watch.identity = {q: watch.answers[q] if q in watch.answers else self._value(q)
                                  for q in ("AT+CGMI", "AT+CGMM", "AT+CGMR")}
            watch.sent.append((at, time.monotonic()))
            lines = super().command(at, timeout=timeout, prompt=prompt, term=term)
            if at.upper() in ("AT+CGMI", "AT+CGMM", "AT+CGMR"):
                watch.answers[at.upper()] = _first_value(lines)
            return lines

        def _hand_report(self, report: StatusReport) -> None:
            if report.memory is not None and report.index is not None and watch.keep_report(report):
                if (report.memory, report.index) not in watch.reports_left:
                    watch.reports_left.add((report.memory, report.index))
                    log.info("status report for an earlier text (reference %d) left on the modem for the worker",
                             report.reference)
                return
            super()._hand_report(report)

        def _value(self, at: str) -> str | None:
            try:
                return _first_value(super().command(at))
            except ModemError:
                return None
    return WatchedModem


def _first_value(lines: list[str]) -> str | None:
    values = [line.strip() for line in lines if line.strip() and line != "OK"]
    return values[0] if values else None
