"""The simulated modem's radio side: what the network sends it and what it sent.

Inbound SMS-DELIVER parts and status reports arrive here and go where AT+CNMI says:
into a memory with a +CMTI/+CDSI notice, straight to the client as +CMT/+CDS, or
quietly into memory. A part that finds its memory full waits "at the SMSC" and is
delivered once a slot frees up, as a real network retries: nothing is lost.
Outbound submissions are recorded as SentPart, decoded, for tests and the demo.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from modem.simulator.auto_answer import AutoAnswer
from modem.simulator.memory import REC_UNREAD, MemoryFull, StoredMessage
from modem.simulator.state import ModemState
from modem.sms import pdu

log = logging.getLogger(__name__)

ANNOUNCE_NOW, ANNOUNCE_DURING_NEXT_COMMAND, ANNOUNCE_NEVER = "now", "during_next_command", "never"


@dataclass(frozen=True)
class SentPart:
    """One SMS-SUBMIT the modem accepted (one AT+CMGS), decoded."""

    reference: int                     # the TP-MR the modem answered with (+CMGS: <mr>)
    destination: str
    text: str
    encoding: str                      # GSM-7, UCS-2, 8-bit (text mode: as the charset gave it)
    concat: tuple[int, int, int] | None
    status_report_requested: bool
    pdu: str | None                    # the PDU as the client typed it; None in text mode
    mode: str                          # "pdu" | "text"
    submitted_at: datetime


@dataclass(frozen=True)
class SentMessage:
    """A whole outbound message: its parts put back together in sequence order."""

    destination: str
    text: str
    parts: tuple[SentPart, ...]
    status_report_requested: bool

    @property
    def references(self) -> tuple[int, ...]:
        return tuple(p.reference for p in self.parts)

    @property
    def complete(self) -> bool:
        total = self.parts[0].concat[1] if self.parts[0].concat else 1
        return len(self.parts) == total


def group_sent(parts: list[SentPart]) -> list[SentMessage]:
    """Join concatenated parts (same destination and concat reference) into messages,
    in the order their first part was sent."""
    messages: list[list[SentPart]] = []
    open_groups: dict[tuple[str, int, int], list[SentPart]] = {}
    for part in parts:
        if part.concat is None:
            messages.append([part])
            continue
        key = (part.destination, part.concat[0], part.concat[1])
        group = open_groups.get(key)
        if group is None or any(p.concat is not None and p.concat[2] == part.concat[2] for p in group):
            group = []
            open_groups[key] = group
            messages.append(group)
        group.append(part)
    out = []
    for group in messages:
        ordered = sorted(group, key=lambda p: p.concat[2] if p.concat else 0)
        out.append(SentMessage(destination=ordered[0].destination,
                               text="".join(p.text for p in ordered), parts=tuple(ordered),
                               status_report_requested=any(p.status_report_requested for p in ordered)))
    return out


class Network:
    """Routes what the network sends to the modem; holds what waits for memory space."""

    def __init__(self, state: ModemState, emit: Callable[[str, str], None]):
        # emit(line_block, when): when is ANNOUNCE_NOW or ANNOUNCE_DURING_NEXT_COMMAND
        self.state = state
        self.emit = emit
        self.sent: list[SentPart] = []
        self.waiting: list[tuple[str, str | None, str]] = []   # (pdu, storage, announce)
        self.scheduled_reports: list[tuple[float, SentPart, int]] = []   # (monotonic due, part, status)
        self.auto_report_status: int | None = None   # ModemSimulator.auto_report: report every part
        self.auto_report_delay = 0.0
        self.auto_answer: AutoAnswer | None = None   # ModemSimulator.auto_answer: the phones answer

    # -- inbound SMS ----------------------------------------------------------------------
    def deliver(self, deliver_pdu: str, *, storage: str | None = None,
                announce: str = ANNOUNCE_NOW) -> int | None:
        """Hand one SMS-DELIVER to the modem; returns its memory index (None: not stored)."""
        state = self.state
        with state.lock:
            mt = state.cnmi[1]
            if mt == 2 and storage is None:
                self._emit_direct(deliver_pdu, announce)
                return None
            memory = storage or state.cpms[2]
            decoded = pdu.decode_deliver(deliver_pdu)
            message = StoredMessage(pdu=deliver_pdu, stat=REC_UNREAD, tpdu_length=decoded.tpdu_length,
                                    kind="deliver", number=decoded.sender, text=decoded.text,
                                    timestamp=decoded.timestamp)
            try:
                index = state.store[memory].store(message)
            except MemoryFull:
                log.info("simulated %s memory full: the part waits at the SMSC", memory)
                self.waiting.append((deliver_pdu, storage, announce))
                return None
            if mt in (1, 2, 3) and announce != ANNOUNCE_NEVER:
                self.emit(f'+CMTI: "{memory}",{index}', announce)
            return index

    def _emit_direct(self, deliver_pdu: str, announce: str) -> None:
        decoded = pdu.decode_deliver(deliver_pdu)
        if self.state.cmgf == 0:
            self.emit(f"+CMT: ,{decoded.tpdu_length}\r\n{deliver_pdu}", announce)
        else:
            self.emit(f'+CMT: "{decoded.sender}",,"{at_stamp(decoded.timestamp)}"\r\n{decoded.text}', announce)

    def retry_waiting(self) -> None:
        """Called after a delete: parts held for lack of space come in now."""
        with self.state.lock:
            waiting, self.waiting = self.waiting, []
            for deliver_pdu, storage, announce in waiting:
                self.deliver(deliver_pdu, storage=storage, announce=announce)

    # -- outbound -------------------------------------------------------------------------
    def record_submit(self, part: SentPart) -> None:
        with self.state.lock:
            self.sent.append(part)
            auto, answer = self.auto_report_status, self.auto_answer
        if auto is not None and part.status_report_requested:
            # Networks send one report for EACH part that asked (DESIGN.md, measured peers).
            self.scheduled_reports.append((time.monotonic() + self.auto_report_delay, part, auto))
        if answer is not None and (part.concat is None or part.concat[2] == part.concat[1]):
            # The last part of a text (parts go in order): the phone has it all and answers.
            whole = next((m for m in group_sent(self.sent) if m.parts[-1] is part), None)
            report_at = answer.texted(part.destination, whole.text if whole else part.text)
            if auto is None:
                for sent in (whole.parts if whole else (part,)):
                    if sent.status_report_requested:
                        self.scheduled_reports.append((report_at, sent, 0))

    def due_reports(self) -> None:
        """Send the automatic reports whose time has come (the serving thread calls this)."""
        if not self.scheduled_reports:
            return
        now = time.monotonic()
        with self.state.lock:
            due = [r for r in self.scheduled_reports if r[0] <= now]
            self.scheduled_reports = [r for r in self.scheduled_reports if r[0] > now]
        for _, part, status in due:
            self.report_part(part, status)

    def status_report(self, reference: int, status: int = 0) -> str:
        """Send the status report for the latest part with this reference; returns its PDU."""
        with self.state.lock:
            matches = [p for p in self.sent if p.reference == reference]
            if not matches:
                raise ValueError(f"no sent message has reference {reference}")
            part = matches[-1]
            if not part.status_report_requested:
                raise ValueError(f"message {reference} to {part.destination} did not ask for a status report")
            return self.report_part(part, status)

    def report_message(self, message: SentMessage, statuses: list[int]) -> list[str]:
        """One report for each part of `message` that asked for one, with statuses[i] for
        part i+1 (in sequence order); returns the PDUs sent."""
        if len(statuses) != len(message.parts):
            raise ValueError(f"give one status per part: the message has {len(message.parts)}, "
                             f"got {len(statuses)}")
        return [self.report_part(part, status) for part, status in zip(message.parts, statuses)
                if part.status_report_requested]

    def report_part(self, part: SentPart, status: int = 0) -> str:
        """The SMS-STATUS-REPORT for one sent part, where AT+CNMI's <ds> sends it."""
        reference = part.reference
        with self.state.lock:
            now = datetime.now(UTC).replace(microsecond=0)
            report = pdu.encode_status_report(reference, part.destination, status,
                                              part.submitted_at.replace(microsecond=0), now,
                                              smsc=self.state.smsc)
            ds = self.state.cnmi[3]
            if ds == 1:
                length = pdu.tpdu_length(report)
                if self.state.cmgf == 0:
                    self.emit(f"+CDS: {length}\r\n{report}", ANNOUNCE_NOW)
                else:
                    self.emit(f'+CDS: 6,{reference},"{part.destination}",145,'
                              f'"{at_stamp(part.submitted_at)}","{at_stamp(now)}",{status}', ANNOUNCE_NOW)
            elif ds == 2:
                memory = "SR" if "SR" in self.state.store else self.state.cpms[2]
                stored = StoredMessage(pdu=report, stat=REC_UNREAD, tpdu_length=pdu.tpdu_length(report),
                                       kind="status_report", number=part.destination,
                                       timestamp=now, reference=reference, status=status)
                try:
                    index = self.state.store[memory].store(stored)
                except MemoryFull:
                    log.warning("simulated %s memory full: status report %d dropped", memory, reference)
                    return report
                self.emit(f'+CDSI: "{memory}",{index}', ANNOUNCE_NOW)
            return report


def at_stamp(when: datetime | None) -> str:
    """A time as text-mode replies show it (27.005): yy/MM/dd,hh:mm:ss and the offset from
    UTC in quarter-hours, e.g. 24/05/01,12:00:00+08 for +02:00."""
    when = when or datetime.now(UTC)
    offset = when.utcoffset() or (when - when)
    quarters = int(offset.total_seconds() // 900)
    return when.strftime("%y/%m/%d,%H:%M:%S") + f"{quarters:+03d}"
