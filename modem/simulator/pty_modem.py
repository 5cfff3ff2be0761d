"""A GSM modem on a pseudo-terminal: real AT commands and PDUs, faults on demand.

    with ModemSimulator(profile="sim800") as sim:
        modem = GsmModem(sim.device); modem.connect()
        sim.inject_sms("+12125550123", "Yes please call me")
        ...
        sim.sent_messages()[0].text

One thread serves the pty like a modem's firmware: it echoes, answers each command
line (interpreter.py), opens the `> ` prompt for AT+CMGS, and writes unsolicited
codes (+CMTI, +CDS...) only between commands, as real modems do, unless a test asks for
the swallowed-notice fault. Control methods are thread-safe and may be called from tests,
the demo, or `textback simulate-modem`.
"""
from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Self

from modem.simulator.auto_answer import DEFAULT_ANSWER, DEFAULT_DELAY, AutoAnswer
from modem.simulator.clutter import clutter_message
from modem.simulator.faults import FaultKnobs
from modem.simulator.handlers import Reply
from modem.simulator.interpreter import CommandProcessor
from modem.simulator.memory import StoredMessage
from modem.simulator.network import (
    ANNOUNCE_DURING_NEXT_COMMAND,
    ANNOUNCE_NEVER,
    ANNOUNCE_NOW,
    Network,
    SentMessage,
    SentPart,
    group_sent,
)
from modem.simulator.profiles import get_profile
from modem.simulator.pty import PtyError, PtyPort
from modem.simulator.shapes import DeliverShape, get_shape
from modem.simulator.state import ModemState, parse_error
from modem.sms import pdu

log = logging.getLogger(__name__)

CTRL_Z, ESC, BACKSPACE = 0x1A, 0x1B, 0x08
__all__ = ["ModemSimulator", "PtyError", "SentMessage", "SentPart"]


class ModemSimulator(FaultKnobs):
    """A simulated modem serving a pty in a background thread."""

    def __init__(self, profile: str = "generic", link: str | None = None, pin: str | None = None, *,
                 smsc: str = "+447700900100", first_reference: int = 1):
        self.profile = get_profile(profile)
        self.link = link
        self.state = ModemState(self.profile, pin=pin, smsc=smsc, first_reference=first_reference)
        self.network = Network(self.state, self._emit)
        self.state.network = self.network
        self.processor = CommandProcessor(self.state)
        self._port: PtyPort | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._out_lock = threading.Lock()
        self._urcs: deque[bytes] = deque()
        self._during_next: deque[str] = deque()
        self._latency: dict[str, float] = {}
        self._answering = True
        self._input = bytearray()
        # the on_body callback while `> ` is open
        self._prompt: Callable[[str | None], Reply] | None = None
        self._prompt_command = ""
        self.commands_seen: list[str] = []       # every command line received, for tests

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> Self:
        if self._thread is not None:
            return self
        self._port = PtyPort(self.link)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, name=f"modem-sim-{self.profile.name}", daemon=True)
        self._thread.start()
        log.info("simulated %s modem on %s", self.profile.name, self.device)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._port is not None:
            self._port.close()
            self._port = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def device(self) -> str:
        """The path a client opens: the link if one was given, else the pty slave."""
        if self.link:
            return str(self.link)
        if self._port is None:
            raise RuntimeError("the simulator is not started (or is unplugged); call start() or replug()")
        return self._port.path

    # -- inbound traffic ----------------------------------------------------------------------
    def inject_sms(self, sender: str, text: str, *, encoding: str | None = None,
                   parts_order: list[int] | tuple[int, ...] | None = None, drop_parts=(),
                   storage: str | None = None, timestamp: datetime | None = None,
                   announce: str = ANNOUNCE_NOW, shape: str | DeliverShape | None = None) -> list[int]:
        """Have the network deliver an SMS; returns the memory indexes it was stored at.

        Long text is split into concatenated parts with a UDH. parts_order (1-based sequence
        numbers) delivers them out of order; drop_parts never delivers those. storage
        overrides the CPMS receive memory; announce is "now", "during_next_command" (the
        notice lands inside the next command's reply) or "never". shape codes the PDUs as
        another network does (modem/simulator/shapes.py: "other-network", ...).
        """
        if announce not in (ANNOUNCE_NOW, ANNOUNCE_DURING_NEXT_COMMAND, ANNOUNCE_NEVER):
            raise ValueError(f"announce must be now, during_next_command or never, not {announce!r}")
        if storage is not None and storage not in self.state.store:
            raise ValueError(f"no memory {storage!r}; this modem has {', '.join(self.state.store.memories)}")
        coding = get_shape(shape)
        when = (timestamp or datetime.now(UTC)).replace(microsecond=0)
        reference = self.state.take_concat_reference()
        if coding.concat_reference is not None:
            reference = coding.concat_reference
        parts = pdu.deliver_parts(sender, text, when, reference=reference, encoding=encoding,
                                  smsc=coding.smsc(self.state.smsc), first_octet=coding.first_octet,
                                  pid=coding.pid, message_class=coding.message_class)
        order = list(parts_order) if parts_order else list(range(1, len(parts) + 1))
        if sorted(set(order)) != sorted(order) or any(not 1 <= n <= len(parts) for n in order):
            raise ValueError(f"parts_order must name parts 1..{len(parts)} at most once each, got {order}")
        indexes = []
        with self.state.lock:
            for seq in order:
                if seq in drop_parts:
                    continue
                index = self.network.deliver(parts[seq - 1], storage=storage, announce=announce)
                if index is not None:
                    indexes.append(index)
        return indexes

    def deliver_status_report(self, reference: int, status: int = 0) -> str:
        """The network reports on the latest part sent with this reference (0 delivered,
        0x20+ still trying, 0x40+ failed); returns the PDU."""
        return self.network.status_report(reference, status)

    def deliver_status_reports(self, message: SentMessage, status: int | list[int] = 0) -> list[str]:
        """The network reports on EVERY part of `message` that asked for one, as real
        networks do: `status` for all, or a list with one status per part in sequence
        order (e.g. [0, 0x45]: part 2 failed). Returns the PDUs, in part order."""
        statuses = [status] * len(message.parts) if isinstance(status, int) else list(status)
        return self.network.report_message(message, statuses)

    def auto_report(self, status: int | None = 0, delay: float = 0.0) -> None:
        """From now on the network reports on each part that asks, `delay` seconds after
        it was sent, with `status` (None: stop). For tests that run the worker as a process."""
        with self.state.lock:
            self.network.auto_report_status = status
            self.network.auto_report_delay = float(delay)

    def auto_answer(self, text: str | None = DEFAULT_ANSWER, delay: float = DEFAULT_DELAY) -> None:
        """From now on the phones answer: each text is reported delivered `delay` seconds
        after it went (when it asked for a report) and answered with `text` from its number
        as long again (modem/simulator/auto_answer.py; text None: stop answering)."""
        with self.state.lock:
            self.network.auto_answer = AutoAnswer(text, delay) if text is not None else None

    # -- what the memories hold -----------------------------------------------------------------
    def store_message(self, kind: str, memory: str | None = None, count: int | None = 1, *,
                      number: str = "+12125550199", text: str = "Call you back later") -> list[int]:
        """Put `count` drafts ("draft", stat 2), copies of sent texts ("sent", stat 3) or
        unreadable received PDUs ("unreadable") in `memory` (default: the receive memory,
        AT+CPMS's third); count None fills every free slot. Returns the indexes used."""
        memory = memory or self.state.cpms[2]
        if memory not in self.state.store:
            raise ValueError(f"no memory {memory!r}; this modem has {', '.join(self.state.store.memories)}")
        slots = self.state.store[memory]
        message = clutter_message(kind, number, text)
        wanted = slots.capacity - len(slots) if count is None else count
        return [slots.store(message) for _ in range(wanted)]

    def refuse_empty_listing(self, error: str | None = "+CMS ERROR: 321", memories=None) -> None:
        """AT+CMGL with nothing to list answers `error` (as phonesim does on an empty ME),
        in `memories` (None: every memory); error None restores the plain OK."""
        with self.state.lock:
            self.state.empty_listing_error = parse_error(error) if error else None
            self.state.empty_listing_memories = frozenset(memories) if memories else None

    # -- what happened ------------------------------------------------------------------------
    @property
    def sent(self) -> list[SentPart]:
        with self.state.lock:
            return list(self.network.sent)

    def sent_messages(self) -> list[SentMessage]:
        return group_sent(self.sent)

    def stored(self, memory: str = "SM") -> dict[int, StoredMessage]:
        return self.state.store[memory].snapshot()

    # -- unplugging (the other fault knobs are in faults.py) --------------------------------
    def unplug(self) -> None:
        """Close the pty (clients see an I/O error) and remove the link, as a USB unplug."""
        with self.state.lock:
            if self._port is not None:
                self._port.close()
                self._port = None
            self._input.clear()
            self._prompt = None

    def replug(self) -> str:
        """A new pty behind the same link; the modem powers up (settings reset, SIM kept)."""
        with self.state.lock:
            if self._port is not None:
                self.unplug()
            self.state.reset_settings()
            self.state.factory_reset_since_power_up = False
            self.state.sim_locked = self.state.pin is not None
            self._port = PtyPort(self.link)
            return self.device

    # -- the serving thread -------------------------------------------------------------------
    def _emit(self, block: str, when: str) -> None:
        if when == ANNOUNCE_DURING_NEXT_COMMAND:
            self._during_next.append(block)
        else:
            with self._out_lock:
                self._urcs.append(f"\r\n{block}\r\n".encode())

    def _serve(self) -> None:
        while not self._stopping.is_set():
            port = self._port
            if port is None:
                self._stopping.wait(0.02)
                continue
            try:
                ready, _, _ = select.select([port.master], [], [], 0.02)
                if ready:
                    data = os.read(port.master, 4096)
                    for byte in data:
                        self._feed(byte)
                self.network.due_reports()
                self._answer_due()
                if self._answering and not self._input and self._prompt is None:
                    self._flush_urcs()
            except (OSError, ValueError):
                # The pty went away under us (unplug) or was closed: wait for a replug.
                if self._port is port:
                    log.debug("simulated modem pty error", exc_info=True)
                    self._stopping.wait(0.02)
            except Exception:
                # Never die on input: a firmware that crashes proves nothing.
                log.exception("simulated modem loop error; carrying on")
                self._input.clear()
                self._prompt = None

    def _answer_due(self) -> None:
        answering = self.network.auto_answer
        if answering is None:
            return
        for answer in answering.due():
            self.inject_sms(answer.number, answer.text)
            log.info("simulated phone %s answered: %r", answer.number, answer.text)

    def _write(self, data: bytes) -> None:
        port = self._port
        if port is None:
            return
        deadline = time.monotonic() + 1.0
        while data:
            try:
                written = os.write(port.master, data)
                data = data[written:]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    log.warning("simulated modem: client not reading; %d bytes dropped", len(data))
                    return
                time.sleep(0.005)

    def _flush_urcs(self) -> None:
        while True:
            with self._out_lock:
                if not self._urcs:
                    return
                data = self._urcs.popleft()
            self._write(data)

    def _feed(self, byte: int) -> None:
        if not self._answering:
            return
        if self.state.echo:
            self._write(bytes([byte]))
        if self._prompt is not None:
            if byte == CTRL_Z:
                self._finish_prompt(self._input.decode("latin-1"))
            elif byte == ESC:
                self._finish_prompt(None)
            else:
                self._input.append(byte)
            return
        if byte == ord("\r"):
            line = self._input.decode("latin-1").strip()
            self._input.clear()
            if line:
                self._run_line(line)
        elif byte == ord("\n") and not self._input:
            return
        elif byte == BACKSPACE:
            del self._input[-1:]
        else:
            self._input.append(byte)

    def _run_line(self, line: str) -> None:
        self.commands_seen.append(line)
        log.debug("simulated modem <- %r", line)
        with self.state.lock:
            reply = self.processor.execute(line)
        while self._during_next:
            self._write(f"\r\n{self._during_next.popleft()}\r\n".encode())
        if reply.prompt is not None:
            self._prompt = reply.prompt
            self._prompt_command = reply.command
            self._input.clear()
            self._write(b"\r\n> ")
            return
        self._answer(reply)

    def _finish_prompt(self, body: str | None) -> None:
        on_body, self._prompt = self._prompt, None
        self._input.clear()
        if on_body is None:
            return          # no prompt open: nothing typed belongs to a message
        with self.state.lock:
            try:
                reply = on_body(body)
            except Exception:
                log.exception("simulated modem failed on a prompt body")
                reply = Reply(final="ERROR")
        reply.command = reply.command or self._prompt_command
        self._answer(reply)

    def _answer(self, reply: Reply) -> None:
        delay = self._latency.get(reply.command, 0.0)
        if delay > 0 and self._stopping.wait(delay):
            return
        out = ""
        if reply.lines:
            out += "\r\n" + "\r\n".join(reply.lines) + "\r\n"
        out += f"\r\n{reply.final}\r\n"
        log.debug("simulated modem -> %r", out)
        self._write(out.encode("utf-8", errors="surrogatepass"))
