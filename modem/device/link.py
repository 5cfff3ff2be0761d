"""The serial link to the modem: python-gsmmodem-new's GsmModem with its transport repaired.

We keep the library's command machinery (write, the response terminators, the
+CMS/+CME parsing, its retry on "SIM busy") and replace the parts that lose
messages or hang. Each fault is named where it is handled:

- FAULT flow-control: SerialComms.connect hard-wires rtscts=True and dsrdtr=True;
  boards without CTS wired (SIM800 breakouts) then never send. open_port() opens the
  port with flow control only when asked.
- FAULT non-utf8-reader: SerialComms._readLoop decodes each line with bytes.decode();
  one byte that is not UTF-8 raises UnicodeDecodeError, the reader thread dies and
  `alive` stays True, so every later command waits out its timeout. Our reader decodes
  with errors="replace" (the line is kept, the bad byte becomes U+FFFD) and, should it
  die of anything else, marks the link lost and wakes the waiting command.
- FAULT swallowed-urc: while a command waits, SerialComms._handleLineRead appends
  every line to that command's reply, so a +CMTI arriving then is never announced.
  _handleLineRead here diverts unsolicited result codes to the notification queue.
  (The device layer still sweeps the SIM: a modem may drop a URC for its own reasons.)
- FAULT split-pdu-urc: +CMT/+CDS announce a PDU on the next line; the library treats
  "no more bytes waiting" as the end of a notification and can split the pair.
- FAULT no-reconnect: after an unplug the library's write waits out its timeout.
  Here a dead reader or a failed write marks the link lost; write() then raises
  ModemLost at once.
- FAULT threaded-notifications: GsmModem._handleModemNotification starts one thread per
  notification, with its own handlers (which delete an SMS before it is stored, and
  never match +CDS). We hand the lines to one callback instead; modem/device/modem.py
  decides.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

import serial
from gsmmodem.exceptions import CommandError, TimeoutException
from gsmmodem.modem import GsmModem

from modem.device.errors import ModemError, ModemLost, command_name

log = logging.getLogger(__name__)

# Lines a modem sends on its own. None of them is ever a reply to a command we send
# (we send no voice, USSD or vendor ^ commands), so diverting them is safe.
_UNSOLICITED = ("+CMTI:", "+CDSI:", "+CBMI:", "+CMT:", "+CDS:", "+CBM:", "RING", "+CRING:",
                "+CLIP:", "+CUSD:", "+CIEV:", "^")
# These announce a PDU on the following line.
_WITH_PDU = ("+CMT:", "+CDS:", "+CBM:")

# How often the reader wakes to notice close(); short so close() is quick.
_READ_TIMEOUT = 0.1


# Cancels a "> " prompt (AT+CMGS waiting for its PDU) without sending anything.
ESC = "\x1b"


class ModemLink(GsmModem):
    """A GsmModem that opens the port as told, survives bad bytes and reports its death.

    on_unsolicited(lines) is called from the reader thread with one notification
    (a list of lines); it must only queue them: the reader must keep reading.
    """

    def __init__(self, port: str, baudrate: int = 115200, *, flow_control: bool = False,
                 on_unsolicited: Callable[[list[str]], None] | None = None):
        super().__init__(port, baudrate)
        self.flow_control = flow_control
        self.on_unsolicited = on_unsolicited or (lambda lines: None)
        self.lost_reason: str | None = None
        self._urc_head: str | None = None
        self.rxThread: threading.Thread | None = None
        self.serial: serial.Serial | None = None

    # -- opening (FAULT flow-control) ---------------------------------------------------
    def open_port(self) -> None:
        """Open the serial port and start the reader. Replaces SerialComms.connect, which
        forces rtscts/dsrdtr on; GsmModem.connect (which calls it) is not used at all:
        modem/device/setup.py runs its own SMS-only set-up."""
        self.serial = serial.Serial(port=self.port, baudrate=self.baudrate, timeout=_READ_TIMEOUT,
                                    rtscts=self.flow_control, dsrdtr=self.flow_control)
        self.alive = True
        self.rxThread = threading.Thread(target=self._readLoop, name=f"modem-reader {self.port}",
                                         daemon=True)
        self.rxThread.start()

    def connect(self, *args, **kwargs):  # pragma: no cover - guard against misuse
        raise RuntimeError("ModemLink.connect is not used: call open_port(); modem/device/setup.py sets the modem up")

    def close(self) -> None:
        self.alive = False
        if self.rxThread is not None and self.rxThread is not threading.current_thread():
            self.rxThread.join(timeout=2)
        if self.serial is not None:
            # Closing a port that vanished may raise anything pyserial has: nothing left to do.
            with contextlib.suppress(Exception):
                self.serial.close()

    @property
    def exchange_lock(self) -> threading.RLock:
        """The library's lock around one write (GsmModem._txLock, an RLock); the Modem holds
        it across whole exchanges (FAULT cmgs-interleave, in modem.py)."""
        return self._txLock

    def cancel_prompt(self) -> None:
        """ESC: cancels a "> " prompt left waiting for a PDU without sending anything;
        anywhere else a modem ignores it. A gone modem is not an error here."""
        try:
            self.write(ESC, waitForResponse=False, writeTerm="")
        except ModemError:
            pass

    # -- liveness (FAULT no-reconnect, FAULT non-utf8-reader) -----------------------------
    def is_alive(self) -> bool:
        return (self.lost_reason is None and self.alive and self.serial is not None
                and self.serial.is_open and self.rxThread is not None and self.rxThread.is_alive())

    def mark_lost(self, reason: str) -> None:
        """Declare the link dead: later writes raise ModemLost at once and a command
        waiting for its reply is woken now rather than at its timeout."""
        if self.lost_reason is None:
            self.lost_reason = reason
            log.warning("modem on %s lost: %s", self.port, reason)
        self.alive = False
        event = self._responseEvent
        if event is not None:
            event.set()

    # -- reading ----------------------------------------------------------------------------
    def _readLoop(self) -> None:
        buffer = bytearray()
        port = self.serial
        assert port is not None     # open_port() opens it before starting this thread
        try:
            while self.alive:
                data = port.read(port.in_waiting or 1)
                if data:
                    buffer += data
                    buffer = self._take_lines(buffer)
        except Exception as exc:  # noqa: BLE001 - SerialException on unplug; anything else is a bug we must not hide
            if self.alive:
                self.mark_lost(f"the serial port failed: {exc}")
                with contextlib.suppress(Exception):
                    port.close()

    def _take_lines(self, buffer: bytearray) -> bytearray:
        while True:
            end = buffer.find(b"\r\n")
            if end >= 0:
                raw, buffer = buffer[:end], buffer[end + 2:]
                if raw:
                    self._handleLineRead(self._decode(raw))
                continue
            term = self._expectResponseTermSeq
            if term and buffer.endswith(term):
                # The "> " prompt of AT+CMGS has no line end.
                line, buffer = self._decode(buffer), bytearray()
                self._handleLineRead(line, checkForResponseTerm=False)
            return buffer

    def _decode(self, raw: bytes | bytearray) -> str:
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            # FAULT non-utf8-reader: keep the line and the thread; log what came in.
            log.warning("modem on %s sent bytes that are not UTF-8: %r", self.port, bytes(raw))
            return bytes(raw).decode("utf-8", errors="replace")

    def _handleLineRead(self, line: str, checkForResponseTerm: bool = True) -> None:
        if self._urc_head is not None:
            # FAULT split-pdu-urc: the line after +CMT/+CDS is its PDU.
            head, self._urc_head = self._urc_head, None
            self.on_unsolicited([head, line])
            return
        stripped = line.strip()
        if checkForResponseTerm and stripped.startswith(_UNSOLICITED):
            # FAULT swallowed-urc: never let a notification become part of a reply.
            if stripped.startswith(_WITH_PDU):
                self._urc_head = stripped
            else:
                self.on_unsolicited([stripped])
            return
        if self._responseEvent is not None and not self._responseEvent.is_set():
            super()._handleLineRead(line, checkForResponseTerm)
        else:
            self.on_unsolicited([stripped])

    def _handleModemNotification(self, lines):  # FAULT threaded-notifications
        self.on_unsolicited(list(lines))

    # -- writing ------------------------------------------------------------------------------
    def write(self, data, waitForResponse=True, timeout=10, parseError=True, writeTerm="\r",
              expectedResponseTermSeq=None):
        if not self.is_alive():
            raise ModemLost(self.lost_text(), command=command_name(data))
        try:
            reply = super().write(data, waitForResponse=waitForResponse, timeout=timeout,
                                  parseError=parseError, writeTerm=writeTerm,
                                  expectedResponseTermSeq=expectedResponseTermSeq)
        except (serial.SerialException, OSError) as exc:
            self.mark_lost(f"writing to the port failed: {exc}")
            raise ModemLost(self.lost_text(), command=command_name(data)) from exc
        except (TimeoutException, CommandError):
            if self.lost_reason is not None:
                raise ModemLost(self.lost_text(), command=command_name(data)) from None
            raise
        except Exception as exc:
            # GsmModem.write indexes the reply; a reply cut short by mark_lost() is empty.
            if self.lost_reason is not None:
                raise ModemLost(self.lost_text(), command=command_name(data)) from exc
            raise
        if self.lost_reason is not None:
            raise ModemLost(self.lost_text(), command=command_name(data))
        return reply

    def lost_text(self) -> str:
        """What ModemLost says: the port, why it went, what happens next."""
        reason = self.lost_reason or "the port is closed"
        return f"modem on {self.port} is gone ({reason}); reconnecting builds a new one"
