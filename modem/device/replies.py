"""Reading what the modem answers: +CMGL listings, +CMGR reads, PDUs, error codes, and
the health queries (+CSQ, +CREG, +COPS, +CPMS).

Pure functions over reply lines (no I/O), so modem/device/modem.py stays about the
exchange and these can be tested on their own. PDUs are decoded with modem/sms/pdu.py, never with
the library's decoder (FAULT emoji: it returns lone surrogates for characters above
U+FFFF, which then cannot be stored as UTF-8).
"""
from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterator

from gsmmodem.exceptions import CommandError

from modem.device.errors import ModemError, command_name, describe_error
from modem.device.records import StoredSms
from modem.sms import pdu
from modem.sms.pdu import StatusReport

log = logging.getLogger(__name__)

CMGL = re.compile(r"^\+CMGL:\s*(\d+)\s*,\s*(\d*)\s*,[^,]*,\s*(\d+)\s*$")
CMGR = re.compile(r"^\+CMGR:\s*(\d*)\s*,[^,]*,\s*(\d+)\s*$")
INDEXED_URC = re.compile(r'^\+(CMTI|CDSI):\s*"?([A-Z]{2})"?\s*,\s*(\d+)\s*$')


def read_reply(lines: list[str]) -> tuple[int | None, str] | None:
    """(stat, pdu) from an AT+CMGR reply, or None when the slot is empty."""
    header = next((i for i, line in enumerate(lines) if CMGR.match(line)), None)
    if header is None or header + 1 >= len(lines) or lines[header + 1] in ("OK", ""):
        return None
    match = CMGR.match(lines[header])
    stat = match.group(1) if match else ""
    return (int(stat) if stat else None), lines[header + 1]


def decode_stored(memory: str | None, index: int | None, stat: int | None,
                  pdu_hex: str) -> StoredSms | StatusReport:
    """A received SMS or a status report from its PDU; a garbled PDU gives a StoredSms
    with `error` set (reported, never raised)."""
    pdu_hex = pdu_hex.strip()
    try:
        if message_type(pdu_hex) == 2:
            return dataclasses.replace(pdu.decode_status_report(pdu_hex), memory=memory, index=index)
        deliver = pdu.decode_deliver(pdu_hex)
    except (pdu.PduError, ValueError, IndexError) as exc:
        log.warning("garbled message at %s/%s: %s", memory, index, exc)
        return StoredSms(memory=memory, index=index, sender="", text="", smsc_timestamp=None,
                         concat=None, pdu=pdu_hex, status=stat, error=f"cannot decode PDU: {exc}")
    return StoredSms(memory=memory, index=index, sender=deliver.sender, text=deliver.text,
                     smsc_timestamp=deliver.timestamp, concat=deliver.concat, pdu=pdu_hex,
                     status=stat, encoding=deliver.encoding)


def modem_error(exc: CommandError, at: str) -> ModemError:
    name = command_name(at)
    kind, code = getattr(exc, "type", None), getattr(exc, "code", None)
    if kind in ("CMS", "CME") and code is not None:
        return ModemError(int(code), f"{describe_error(kind, int(code))} for {name}", kind=kind, command=name)
    return ModemError(None, f"modem answered {exc} for {name}", command=name)


def listing(lines: list[str]) -> Iterator[tuple[int, int | None, str]]:
    """(index, stat, pdu) for each +CMGL entry; an entry without its PDU line is skipped
    with a warning (the next sweep reads it again)."""
    i = 0
    while i < len(lines):
        match = CMGL.match(lines[i])
        if match:
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if following and not following.startswith("+CMGL") and following != "OK":
                stat = match.group(2)
                yield int(match.group(1)), (int(stat) if stat else None), following
                i += 2
                continue
            log.warning("modem listed message %s without its PDU", match.group(1))
        i += 1


def message_type(pdu_hex: str) -> int:
    """TP-MTI of a PDU with its SMSC prefix: 0 deliver, 1 submit, 2 status report."""
    data = bytes.fromhex(pdu_hex)
    return data[1 + data[0]] & 0x03


def check_slot(memory: str, index: int) -> None:
    if not isinstance(memory, str) or not re.fullmatch(r"[A-Z]{2}", memory):
        raise ValueError(f"no such message memory {memory!r}: use the memory a StoredSms names (SM, ME, ...)")
    if not isinstance(index, int) or index < 0:
        raise ValueError(f"no such message index {index!r}: use the index a StoredSms names")


# -- health (27.007) ----------------------------------------------------------------------
# §7.2 +CREG <stat>
_REGISTRATION = {0: "not registered", 1: "home", 2: "searching", 3: "denied", 4: "unknown", 5: "roaming"}


def signal_dbm(rssi: int) -> int | None:
    """27.007 §8.5 +CSQ <rssi>: 0 = -113 dBm or less, 31 = -51 dBm or more, 99 unknown."""
    if not 0 <= rssi <= 31:
        return None
    return -113 + 2 * rssi


def signal_of(lines: list[str]) -> int | None:
    """dBm from an AT+CSQ reply; None when unknown."""
    dbm = None
    for line in lines:
        match = re.match(r"^\+CSQ:\s*(\d+)", line)
        if match:
            dbm = signal_dbm(int(match.group(1)))
    return dbm


def registration_of(lines: list[str]) -> tuple[str, bool]:
    """(what the network registration is, whether it lets us send) from an AT+CREG? reply."""
    registration, registered = "unknown", False
    for line in lines:
        numbers = re.findall(r"\d+", line.split(":", 1)[-1]) if line.startswith("+CREG:") else []
        if len(numbers) >= 2:
            stat = int(numbers[1])
            registration = _REGISTRATION.get(stat, f"state {stat}")
            registered = stat in (1, 5)
    return registration, registered


def operator_of(lines: list[str]) -> str | None:
    """The operator's name from an AT+COPS? reply (long form, as set-up asks)."""
    operator = None
    for line in lines:
        match = re.match(r'^\+COPS:\s*\d+\s*,\s*\d+\s*,\s*"([^"]*)"', line)
        if match:
            operator = match.group(1)
    return operator


def memory_counts(lines: list[str]) -> tuple[int, int] | None:
    """(used, total) of the first memory in an AT+CPMS reply, if it says."""
    for line in lines:
        if line.startswith("+CPMS:"):
            numbers = re.findall(r"\d+", line)
            if len(numbers) >= 2:
                return int(numbers[0]), int(numbers[1])
    return None
