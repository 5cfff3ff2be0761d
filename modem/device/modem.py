"""The modem as the worker sees it: open, send, list and delete stored messages, health.

This is the one place that drives python-gsmmodem-new (through link.py, which repairs
its transport); setup.py sets the modem up, replies.py reads its answers. Plain values
come out (records.py, and modem.sms.pdu's StatusReport); the worker glues them to the
store. Every known fault of the library is named where it is handled (grep "FAULT");
DESIGN.md lists them.

Messages are never lost here:
- We stay in PDU mode and code PDUs ourselves with modem/sms/pdu.py. FAULT text-mode:
  the library's text-mode reply ends at any body line that starts with OK/ERROR.
  FAULT emoji: its encoder raises ValueError above U+FFFF and its decoder returns
  lone surrogates.
- FAULT process-stored-deletes: GsmModem.processStoredSms (and its +CMTI handler)
  deletes an SMS before the callback has stored it. We never call either: stored
  messages are handed out with (memory, index) and deleted only by delete_stored(),
  which the worker calls after its store commit.
- FAULT cmt-ignored: the library drops +CMT (direct delivery). We ask for
  store-and-notify (CNMI mt=1) so every SMS has a SIM copy, still decode a +CMT if a
  modem sends one, and the worker sweeps with list_stored().
- FAULT no-reassembly: each part comes out with its concat (ref, total, seq); the
  worker's receiving side joins them.
- FAULT cds-unmatched: the library never matches a +CDS to a message and
  waitForDeliveryReport wakes on any report. We decode +CDS/+CDSI ourselves and hand
  each report to on_status_report; waitForDeliveryReport is never used.
- Huawei sticks expose several ports (e.g. ttyUSB0 modem, ttyUSB2 "PC UI") and send
  unsolicited codes on one only: configure the udev name of the PC UI port
  (systemd/ has the rule). If the wrong one is used, +CMTI never arrives but the
  worker's sweep (list_stored) still finds every message.
"""
from __future__ import annotations

import logging
import queue
import random
import re
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

from gsmmodem.exceptions import CommandError, TimeoutException

from modem.device.checks import ModemChecks
from modem.device.errors import ModemError, ModemLost, command_name
from modem.device.families import Family, act_name
from modem.device.link import ModemLink
from modem.device.records import ModemHealth, StoredSms
from modem.device.replies import (
    INDEXED_URC,
    check_slot,
    decode_stored,
    listing,
    memory_counts,
    modem_error,
    operator_of,
    read_reply,
    registration_of,
    signal_of,
)
from modem.device.setup import ModemSettings, ModemSetup, access_technology, open_link, set_up
from modem.sms import pdu
from modem.sms.pdu import StatusReport

log = logging.getLogger(__name__)

CTRL_Z = "\x1a"
# 27.005 <stat> 4: "all messages"; in PDU mode the listing takes the number, not "ALL".
_LIST_ALL = 4
_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")


class Modem:
    """An opened, set-up modem. Thread-safe: one lock covers each whole exchange."""

    def __init__(self, settings: ModemSettings, link: ModemLink):
        self.settings = settings
        self.port = settings.port
        self._link = link
        # FAULT cmgs-interleave: the library's _txLock covers one write, so a notification
        # handler could slip AT+CMGR between AT+CMGS and its PDU. It is an RLock: we hold
        # it across every multi-command exchange (CMGS + PDU, CPMS + CMGL, CPMS + CMGD).
        self._lock = link.exchange_lock
        self._concat_reference = random.randrange(256)
        # What set-up chose and learnt (_keep): until then, nothing to sweep.
        self.memories: tuple[str, ...] = ()        # where received SMS may sit (swept)
        self.report_memories: tuple[str, ...] = ()  # where status reports may sit
        self.receive_memory: str | None = None      # where new SMS go (AT+CPMS <mem3>)
        self._listing_refused: set[tuple[str, str]] = set()   # (memory, error) already logged
        self.cnmi = ""
        self.manufacturer: str | None = None
        self.model: str | None = None
        self.checks = ModemChecks(self.port)         # its family, radio, and what cannot work
        self._events: queue.Queue[list[str] | None] = queue.Queue()
        self._dispatcher = threading.Thread(target=self._dispatch_loop, daemon=True,
                                            name=f"modem-notifications {self.port}")

    # -- opening and closing -------------------------------------------------------------
    @classmethod
    def open(cls, port: str, *, baudrate: int = 115200, pin: str | None = None,
             smsc: str | None = None, flow_control: bool = False, cnmi: str | None = None,
             model: str = "auto", delivery_reports: bool = True, command_timeout: float = 10.0,
             send_timeout: float = 60.0,
             on_sms: Callable[[StoredSms], None] | None = None,
             on_status_report: Callable[[StatusReport], None] | None = None) -> Modem:
        """Open the port, set the modem up for SMS in PDU mode and return it.

        Raises ModemSetupError with what to do (wrong port, PIN needed or refused, no
        SIM, port busy); nothing is sent before the set-up has succeeded.
        """
        settings = ModemSettings(port=port, baudrate=baudrate, pin=pin, smsc=smsc,
                                 flow_control=flow_control, cnmi=cnmi, model=model,
                                 delivery_reports=delivery_reports,
                                 command_timeout=command_timeout, send_timeout=send_timeout,
                                 on_sms=on_sms, on_status_report=on_status_report)
        return cls.from_settings(settings)

    @classmethod
    def from_settings(cls, settings: ModemSettings) -> Modem:
        pending: list[list[str]] = []
        modem: Modem | None = None

        def on_unsolicited(lines: list[str]) -> None:
            # Notifications that arrive during set-up wait until the modem is ready.
            (modem._events.put(lines) if modem is not None else pending.append(lines))

        link = open_link(settings, on_unsolicited)
        try:
            modem = cls(settings, link)
            modem._keep(set_up(link, modem.command, settings))
        except BaseException:
            link.close()
            raise
        for lines in pending:
            modem._events.put(lines)
        modem._dispatcher.start()
        log.info("modem on %s ready: %s %s; set-up %s (%s, %s), CNMI=%s, memories %s, on %s", settings.port,
                 modem.manufacturer or "?", modem.model or "?", modem.family.name, modem.family.title,
                 modem.checks.chosen_by, modem.cnmi or "none", ",".join(modem.memories),
                 act_name(modem.checks.access_technology))
        return modem

    def _keep(self, setup: ModemSetup) -> None:
        self.memories, self.report_memories = setup.memories, setup.report_memories
        self.receive_memory = setup.receive_memory
        self.cnmi = setup.cnmi
        self.manufacturer, self.model = setup.manufacturer, setup.model
        self.checks.keep(setup)

    @property
    def family(self) -> Family:
        """Whose set-up the modem got (families.py)."""
        return self.checks.family

    @property
    def flags(self) -> tuple[str, ...]:
        """What cannot work as things stand, each a sentence with what to do (doctor shows them)."""
        return self.checks.flags

    def close(self) -> None:
        self._events.put(None)
        self._link.close()
        if self._dispatcher.is_alive() and self._dispatcher is not threading.current_thread():
            self._dispatcher.join(timeout=2)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def is_alive(self) -> bool:
        """False once the port is gone, the reader died or the modem stopped answering."""
        return self._link.is_alive()

    def ping(self) -> None:
        """One AT round trip; ModemLost when the modem does not answer."""
        self.command("AT", timeout=min(2.0, self.settings.command_timeout))

    # -- one command ---------------------------------------------------------------------
    def command(self, at: str, *, timeout: float | None = None, prompt: bool = False,
                term: str = "\r") -> list[str]:
        """Send one command and return its reply lines. Raises ModemError in the modem's
        own words, or ModemLost when the modem is gone or hung."""
        wait = self.settings.command_timeout if timeout is None else timeout
        try:
            return self._link.write(at, timeout=wait, writeTerm=term,
                                    expectedResponseTermSeq="> " if prompt else None)
        except CommandError as exc:
            raise modem_error(exc, at) from None
        except TimeoutException:
            raise self._timed_out(at, wait) from None

    def _timed_out(self, at: str, waited: float) -> ModemError:
        """A command got no reply: tell a slow modem from a hung or unplugged one."""
        name = command_name(at)
        try:
            self._link.write("AT", timeout=min(2.0, self.settings.command_timeout))
        except ModemLost as lost:
            return lost
        except (TimeoutException, CommandError):
            self._link.mark_lost(f"no reply to {name} within {waited:g} s nor to AT")
            return ModemLost(self._link.lost_text(), command=name)
        return ModemError(None, f"modem did not answer {name} within {waited:g} s", command=name)

    # -- sending -------------------------------------------------------------------------
    def send(self, number: str, text: str, *, concat_reference: int | None = None,
             first_part: int = 1) -> list[int]:
        """Send text to number; return the message reference of each part sent.

        Long texts go as concatenated parts; GSM-7 when every character allows it,
        else UCS-2 (emoji included). A bad number or text raises ValueError before
        anything is sent. When a later part fails, the ModemError carries the
        references of the parts already sent (sent_references).

        A send cut off that way resumes with first_part (the first part that did not
        go) and the concat_reference the first attempt used, so the phone joins the
        parts into one text: the same text splits into the same parts every time.
        Parts past the last give nothing to send and return [].
        """
        number = (number or "").strip()
        if not _NUMBER.match(number):
            raise ValueError(f"cannot text {number!r}: give the number in international form, e.g. +12125550123")
        if not isinstance(text, str) or text == "":
            raise ValueError("cannot send an empty text")
        if concat_reference is None:
            if first_part != 1:
                raise ValueError("resuming a text needs the concat_reference its first parts went with")
            self._concat_reference = concat_reference = (self._concat_reference + 1) % 256
        if not (isinstance(concat_reference, int) and 0 <= concat_reference <= 255):
            raise ValueError(f"concat_reference must be 0..255, not {concat_reference!r}")
        if not (isinstance(first_part, int) and first_part >= 1):
            raise ValueError(f"first_part counts from 1, not {first_part!r}")
        try:
            pdus = pdu.submit_parts(number, text, reference=concat_reference,
                                    request_status_report=self.settings.delivery_reports)
        except pdu.PduError as exc:
            raise ValueError(f"cannot code the text for {number}: {exc}") from None
        references: list[int] = []
        with self._lock:
            for pdu_hex in pdus[first_part - 1:]:
                try:
                    references.append(self._submit(pdu_hex))
                except ModemError as exc:
                    exc.sent_references = tuple(references)
                    raise
        log.debug("sent part(s) %d-%d of %d to %s, references %s", first_part, first_part + len(references) - 1,
                  len(pdus), number, references)
        return references

    def _submit(self, pdu_hex: str) -> int:
        """One AT+CMGS exchange, under the lock from the command to the +CMGS reply
        (FAULT cmgs-interleave)."""
        length = pdu.tpdu_length(pdu_hex)
        with self._lock:
            try:
                self.command(f"AT+CMGS={length}", prompt=True)
            except ModemError as exc:
                if not isinstance(exc, ModemLost) and exc.code is None:
                    # No prompt came: cancel, or the modem takes our next command as the PDU.
                    self._cancel_prompt()
                raise
            try:
                reply = self.command(pdu_hex, timeout=self.settings.send_timeout, term=CTRL_Z)
            except ModemError as exc:
                raise self.checks.send_failed(exc, self._ask_or_none) from None
        for line in reply:
            if line.startswith("+CMGS:"):
                try:
                    return int(line.split(":", 1)[1].split(",")[0])
                except ValueError:
                    break
        raise ModemError(None, f"modem accepted the message but gave no reference: {reply!r}",
                         command="AT+CMGS")

    def _ask_or_none(self, at: str) -> list[str] | None:
        try:
            return self.command(at)
        except ModemLost:
            raise
        except ModemError:
            return None

    def _cancel_prompt(self) -> None:
        self._link.cancel_prompt()

    # -- stored messages ----------------------------------------------------------------
    def select_memory(self, memory: str) -> tuple[int, int] | None:
        """Make `memory` the one read and deleted from; return (used, total) if told."""
        with self._lock:
            reply = self.command(f'AT+CPMS="{memory}"')
        return memory_counts(reply)

    def list_stored(self) -> list[StoredSms]:
        """Every received SMS in every memory (the sweep), oldest index first.

        FAULT swallowed-urc / cmt-ignored / Huawei ports: this finds what was never
        announced. Garbled PDUs come back with `error` set. Status reports found in a
        memory go to on_status_report and are deleted once it returns.

        Memory by memory: one the modem refuses to list (phonesim answers +CMS ERROR:
        321 to AT+CMGL on an empty ME) is skipped, logged once, and the others are still
        read; only a lost modem stops the sweep (ModemLost).
        """
        found: list[StoredSms] = []
        with self._lock:
            for memory in self.memories + tuple(m for m in self.report_memories if m not in self.memories):
                for index, stat, pdu_hex in self._list_memory(memory):
                    item = decode_stored(memory, index, stat, pdu_hex)
                    if isinstance(item, StatusReport):
                        self._hand_report(item)
                    elif memory in self.memories:
                        found.append(item)
        return found

    def _list_memory(self, memory: str) -> list[tuple[int, int | None, str]]:
        """(index, stat, pdu) of each message in one memory; [] when the modem will not
        list it (said once per memory and error, until the listing works again)."""
        used = None
        try:
            counts = self.select_memory(memory)
            used = counts[0] if counts else None
            listed = list(listing(self.command(f"AT+CMGL={_LIST_ALL}")))
        except ModemLost:
            raise
        except ModemError as exc:
            if exc.kind == "CMS" and exc.code == 321 and used == 0:
                # "Invalid memory index" for a memory AT+CPMS says is empty: nothing to list.
                log.debug("modem answered %s listing the empty memory %s", exc.text, memory)
                return []
            if (memory, exc.text) not in self._listing_refused:
                self._listing_refused.add((memory, exc.text))
                held = f" though AT+CPMS says it holds {used}" if used else ""
                log.warning("modem would not list memory %s (%s)%s; the other memories are still read, "
                            "and it is tried again at every sweep", memory, exc.text, held)
            return []
        if any(m == memory for m, _ in self._listing_refused):
            log.info("modem lists memory %s again", memory)
            self._listing_refused = {(m, e) for m, e in self._listing_refused if m != memory}
        return listed
    def read_stored(self, memory: str, index: int) -> StoredSms | StatusReport | None:
        """The message at memory/index (AT+CMGR, PDU mode), or None if the slot is empty."""
        check_slot(memory, index)
        with self._lock:
            self.select_memory(memory)
            try:
                lines = self.command(f"AT+CMGR={index}")
            except ModemError as exc:
                if exc.code in (321, 21):  # invalid index: empty or already deleted
                    return None
                raise
        found = read_reply(lines)
        if found is None:
            return None
        return decode_stored(memory, index, found[0], found[1])

    def delete_stored(self, memory: str, index: int) -> None:
        """Delete one stored message; call it only after the store has committed it."""
        check_slot(memory, index)
        with self._lock:
            self.select_memory(memory)
            self.command(f"AT+CMGD={index}")
        log.debug("deleted %s/%d from the modem", memory, index)

    # -- health ---------------------------------------------------------------------------
    def health(self) -> ModemHealth:
        """Signal, registration, operator and storage; ModemLost if the modem is gone.
        A query the modem refuses leaves its field empty and says so in `problem`.
        Used by `textback status`/`doctor` and the worker's periodic log line."""
        problems: list[str] = []

        def ask(at: str) -> list[str]:
            try:
                return self.command(at)
            except ModemLost:
                raise
            except ModemError as exc:
                problems.append(f"{at}: {exc.text}")
                return []

        if not self.is_alive():
            raise ModemLost(f"modem on {self.port} is gone", command="health")
        dbm = signal_of(ask("AT+CSQ"))
        registration, registered = registration_of(ask("AT+CREG?"))
        cops = ask("AT+COPS?")
        operator = operator_of(cops)
        act = access_technology(cops) if registered else None
        if registered:
            self.checks.registered_on(act)
        storage: dict[str, tuple[int, int]] = {}
        receive = (self.receive_memory,) if self.receive_memory else ()
        with self._lock:
            for memory in dict.fromkeys(self.memories + receive + self.report_memories):
                try:
                    counts = self.select_memory(memory)
                except ModemLost:
                    raise
                except ModemError as exc:
                    problems.append(f"memory {memory}: {exc.text}")
                    continue
                if counts is not None:
                    storage[memory] = counts
        return ModemHealth(port=self.port, alive=self.is_alive(), manufacturer=self.manufacturer,
                           model=self.model, signal_dbm=dbm, registered=registered,
                           registration=registration, operator=operator, storage=storage,
                           receive_memory=self.receive_memory, problem="; ".join(problems) or None,
                           family=self.family.name, chosen_by=self.checks.chosen_by, access_technology=act,
                           flags=self.flags)

    # -- notifications ----------------------------------------------------------------------
    def _dispatch_loop(self) -> None:
        """Handle notifications one at a time, away from the reader thread (which must
        keep reading the replies our handlers wait for)."""
        while True:
            lines = self._events.get()
            if lines is None:
                return
            try:
                self._handle_notification(lines)
            except ModemLost:
                log.warning("modem lost while handling %s; the sweep after reconnecting finds it", lines)
            except Exception:
                log.exception("could not handle modem notification %s; the sweep will find the message", lines)

    def _handle_notification(self, lines: list[str]) -> None:
        head = lines[0]
        indexed = INDEXED_URC.match(head)
        if indexed:
            memory, index = indexed.group(2), int(indexed.group(3))
            item = self.read_stored(memory, index)
            if isinstance(item, StatusReport):
                self._hand_report(item)
            elif item is not None:
                self._hand_sms(item)
            return
        if head.startswith(("+CMT:", "+CDS:")) and len(lines) > 1:
            item = decode_stored(None, None, None, lines[1])
            if isinstance(item, StatusReport):
                self._hand_report(item)
            else:
                # FAULT cmt-ignored: a modem that delivers directly keeps no copy; this
                # callback is the message's only chance (we asked for mt=1 to avoid it).
                log.warning("modem delivered an SMS directly (+CMT), without a stored copy")
                self._hand_sms(item)
            return
        log.debug("unsolicited from modem on %s: %s", self.port, lines)

    def _hand_sms(self, sms: StoredSms) -> None:
        callback = self.settings.on_sms
        if callback is None:
            return
        try:
            callback(sms)
        except Exception:
            # The SIM copy stays; the next sweep hands it over again.
            log.exception("on_sms failed for %s/%s; it stays on the modem", sms.memory, sms.index)

    def _hand_report(self, report: StatusReport) -> None:
        callback = self.settings.on_status_report
        if callback is None:
            log.info("status report for reference %d (status %d) with no one to take it",
                     report.reference, report.status)
            return
        try:
            callback(report)
        except Exception:
            log.exception("on_status_report failed for reference %d; kept on the modem", report.reference)
            return
        if report.memory is not None and report.index is not None:
            self.delete_stored(report.memory, report.index)


