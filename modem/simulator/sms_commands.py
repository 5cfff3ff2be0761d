"""The simulated modem's SMS commands (3GPP TS 27.005): settings, send, store, read, delete.

Registered in the handler table (handlers.py) on import.

PDU mode is the real thing (PDUs are decoded by modem.sms.pdu and checked against the
<length> the client gave); text mode is simulated well enough for clients that use it.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from modem.simulator.handlers import Reply, command, int_arg
from modem.simulator.memory import (
    STAT_BY_NAME,
    STAT_NAMES,
    STO_UNSENT,
    MemoryFull,
    StoredMessage,
)
from modem.simulator.network import SentPart, at_stamp
from modem.simulator.state import AtError
from modem.sms import pdu
from modem.sms.gsm7 import is_gsm7

log = logging.getLogger(__name__)
CHARSETS = ("GSM", "UCS2", "IRA")


def _sms_ready(proc) -> None:
    proc.state.require_sim(sms=True)


@command("+CMGF")
def _cmgf(proc, suffix, args, raw):
    if suffix == "?":
        return [f"+CMGF: {proc.state.cmgf}"]
    if suffix == "=?":
        return ["+CMGF: (0,1)"]
    if suffix == "=":
        proc.state.cmgf = int_arg(args, 0, default=0, allowed=(0, 1), error=("CMS", 302))
        return []
    proc.state.cmgf = 0
    return []


@command("+CSMS")
def _csms(proc, suffix, args, raw):
    if suffix == "?":
        return ["+CSMS: 0,1,1,1"]
    if suffix == "=?":
        return ["+CSMS: (0,1)"]
    int_arg(args, 0, allowed=(0, 1), error=("CMS", 302))
    return ["+CSMS: 1,1,1"]


@command("+CSCA")
def _csca(proc, suffix, args, raw):
    state = proc.state
    if suffix == "?":
        _sms_ready(proc)
        kind = 145 if state.smsc.startswith("+") else 129
        return [f'+CSCA: "{state.smsc}",{kind}']
    if suffix == "=?":
        return []
    if suffix == "=" and args and args[0]:
        _sms_ready(proc)
        number = args[0]
        if state.cscs == "UCS2" and all(c in "0123456789ABCDEFabcdef" for c in number) and len(number) % 4 == 0:
            number = bytes.fromhex(number).decode("utf-16-be")
        state.smsc = number
        return []
    raise AtError("CMS", 302)


@command("+CSMP")
def _csmp(proc, suffix, args, raw):
    state = proc.state
    if suffix == "?":
        return ["+CSMP: " + ",".join(str(v) for v in state.csmp)]
    if suffix == "=?":
        return []
    if suffix == "=":
        values = list(state.csmp)
        for i in range(min(len(args), 4)):
            if args[i] != "":
                values[i] = int_arg(args, i, allowed=range(256), error=("CMS", 305))
        state.csmp = tuple(values)
        return []
    raise AtError("CMS", 302)


@command("+CSCS")
def _cscs(proc, suffix, args, raw):
    state = proc.state
    if suffix == "?":
        return [f'+CSCS: "{state.cscs}"']
    if suffix == "=?":
        return ["+CSCS: (" + ",".join(f'"{c}"' for c in CHARSETS) + ")"]
    if suffix == "=" and args and args[0].upper() in CHARSETS:
        state.cscs = args[0].upper()
        return []
    raise AtError("CME", 4)


@command("+CPMS")
def _cpms(proc, suffix, args, raw):
    state = proc.state
    mems = state.profile.memories
    if suffix == "=?":
        first = mems + (("SR",) if "SR" in state.store else ())

        def quoted(names: tuple[str, ...]) -> str:
            return "(" + ",".join(f'"{m}"' for m in names) + ")"
        return [f"+CPMS: {quoted(first)},{quoted(mems)},{quoted(mems)}"]
    _sms_ready(proc)
    if suffix == "?":
        parts = [f'"{m}",{len(state.store[m])},{state.store[m].capacity}' for m in state.cpms]
        return ["+CPMS: " + ",".join(parts)]
    if suffix == "=" and 1 <= len(args) <= 3:
        chosen = list(state.cpms)
        for i, name in enumerate(args):
            name = name.upper()
            allowed = mems + (("SR",) if i == 0 and "SR" in state.store else ())
            if name not in allowed:
                raise AtError("CMS", 302)
            chosen[i] = name
        state.cpms = chosen
        return ["+CPMS: " + ",".join(f"{len(state.store[m])},{state.store[m].capacity}" for m in chosen)]
    raise AtError("CMS", 302)


@command("+CNMI")
def _cnmi(proc, suffix, args, raw):
    state = proc.state
    ds_values = state.profile.cnmi_ds_values
    if suffix == "?":
        return ["+CNMI: " + ",".join(str(v) for v in state.cnmi)]
    if suffix == "=?":
        return [f"+CNMI: (0-3),(0-3),(0,2),({','.join(map(str, ds_values))}),(0,1)"]
    if suffix == "=":
        err = ("CMS", 303)
        values = (int_arg(args, 0, 0, range(4), err), int_arg(args, 1, 0, range(4), err),
                  int_arg(args, 2, 0, (0, 2), err), int_arg(args, 3, 0, ds_values, err),
                  int_arg(args, 4, 0, (0, 1), err))
        state.cnmi = values
        return []
    raise AtError("CMS", 302)


# -- sending and writing -----------------------------------------------------------------
def _decode_text_body(proc, body: str) -> str:
    if proc.state.cscs == "UCS2":
        try:
            return bytes.fromhex(body.strip()).decode("utf-16-be", errors="surrogatepass")
        except ValueError:
            raise AtError("CMS", 305) from None
    return body


def _submit_from_pdu(body: str, length: int) -> pdu.Submit:
    hex_text = "".join(body.split())
    try:
        submit = pdu.decode_submit(hex_text, has_smsc=True)
        actual = pdu.tpdu_length(hex_text)
    except pdu.PduError as exc:
        log.info("simulated modem refused a PDU: %s", exc)
        raise AtError("CMS", 304) from None
    if actual != length:
        log.info("simulated modem: AT+CMGS length %d but the PDU has %d octets", length, actual)
        raise AtError("CMS", 304)
    return submit


def _text_mode_encoding(state, text: str) -> str:
    # Text mode codes the message as AT+CSMP's <dcs> says (27.005 3.3.2), UCS-2 if the
    # text will not fit the GSM alphabet.
    if (state.csmp[3] & 0x0C) == 0x08 or not is_gsm7(text):
        return pdu.UCS2
    return pdu.GSM7


@command("+CMGS")
def _cmgs(proc, suffix, args, raw):
    state = proc.state
    if suffix == "=?":
        return []
    if suffix != "=" or not args or not args[0]:
        raise AtError("CMS", 302)
    _sms_ready(proc)
    if state.cmgf == 0:
        length = int_arg(args, 0, allowed=range(1, 177), error=("CMS", 304))
    else:
        destination = args[0]

    def on_body(body: str | None) -> Reply:
        if body is None:
            return Reply()          # ESC: nothing sent, and a real modem says OK
        part_fields: dict[str, Any]
        try:
            if state.cmgf == 0:
                submit = _submit_from_pdu(body, length)
                part_fields = {"destination": submit.destination, "text": submit.text,
                               "encoding": submit.encoding, "concat": submit.concat,
                               "status_report_requested": submit.status_report_requested,
                               "pdu": "".join(body.split()).upper(), "mode": "pdu"}
            else:
                text = _decode_text_body(proc, body)
                part_fields = {"destination": destination, "text": text,
                               "encoding": _text_mode_encoding(state, text), "concat": None,
                               "status_report_requested": bool(state.csmp[0] & 0x20),
                               "pdu": None, "mode": "text"}
            if not state.registered:
                raise AtError("CMS", 331)
            refusal = state.send_refusal()
            if refusal is not None:
                raise refusal
        except AtError as err:
            return Reply(final=proc.render_error(err))
        reference = state.take_reference()
        state.network.record_submit(SentPart(reference=reference, submitted_at=datetime.now(UTC),
                                             **part_fields))
        return Reply(lines=[f"+CMGS: {reference}"])

    return Reply(prompt=on_body)


@command("+CMGW")
def _cmgw(proc, suffix, args, raw):
    state = proc.state
    if suffix == "=?":
        return []
    _sms_ready(proc)
    if state.cmgf == 0:
        length = int_arg(args, 0, allowed=range(1, 177), error=("CMS", 304))
        stat = int_arg(args, 1, default=STO_UNSENT, allowed=range(4), error=("CMS", 304))
    else:
        destination = args[0] if args else ""
        stat = STAT_BY_NAME.get(args[2].upper(), None) if len(args) > 2 and args[2] else STO_UNSENT
        if stat is None:
            raise AtError("CMS", 305)

    def on_body(body: str | None) -> Reply:
        if body is None:
            return Reply()
        try:
            if state.cmgf == 0:
                submit = _submit_from_pdu(body, length)
                message = StoredMessage(pdu="".join(body.split()).upper(), stat=stat, tpdu_length=length,
                                        kind="submit", number=submit.destination, text=submit.text)
            else:
                text = _decode_text_body(proc, body)
                hex_pdu = pdu.encode_submit(destination, text, reference=0, request_status_report=False)
                message = StoredMessage(pdu=hex_pdu, stat=stat, tpdu_length=pdu.tpdu_length(hex_pdu),
                                        kind="submit", number=destination, text=text)
            index = state.store[state.cpms[1]].store(message)
        except MemoryFull:
            return Reply(final=proc.render_error(AtError("CMS", 322)))
        except (AtError, pdu.PduError) as err:
            err = err if isinstance(err, AtError) else AtError("CMS", 305)
            return Reply(final=proc.render_error(err))
        return Reply(lines=[f"+CMGW: {index}"])

    return Reply(prompt=on_body)


# -- reading, listing, deleting ------------------------------------------------------------
def _text_header(message: StoredMessage, prefix: str) -> str:
    stat = STAT_NAMES[message.stat]
    if message.kind == "status_report":
        return (f'{prefix}"{stat}",6,{message.reference},"{message.number}",145,'
                f'"{at_stamp(message.timestamp)}","{at_stamp(message.timestamp)}",{message.status}')
    if message.kind == "submit":
        return f'{prefix}"{stat}","{message.number}",'
    return f'{prefix}"{stat}","{message.number}",,"{at_stamp(message.timestamp)}"'


def _text_body(proc, message: StoredMessage) -> list[str]:
    if message.kind == "status_report":
        return []
    if proc.state.cscs == "UCS2":
        return [message.text.encode("utf-16-be", errors="surrogatepass").hex().upper()]
    return [message.text]


@command("+CMGR")
def _cmgr(proc, suffix, args, raw):
    state = proc.state
    if suffix == "=?":
        return []
    _sms_ready(proc)
    index = int_arg(args, 0, error=("CMS", 321))
    message = state.store[state.cpms[0]].read(index)
    if message is None:
        raise AtError("CMS", 321)
    if state.cmgf == 0:
        return [f"+CMGR: {message.stat},,{message.tpdu_length}", message.pdu]
    return [_text_header(message, "+CMGR: ")] + _text_body(proc, message)


@command("+CMGL")
def _cmgl(proc, suffix, args, raw):
    state = proc.state
    if suffix == "=?":
        if state.cmgf == 0:
            return ["+CMGL: (0-4)"]
        return ["+CMGL: (" + ",".join(f'"{n}"' for n in STAT_NAMES.values()) + ")"]
    _sms_ready(proc)
    if state.cmgf == 0:
        stat = int_arg(args, 0, default=0, allowed=range(5), error=("CMS", 302))
    else:
        wanted = args[0].upper() if args and args[0] else "REC UNREAD"
        if wanted not in STAT_BY_NAME:
            raise AtError("CMS", 302)
        stat = STAT_BY_NAME[wanted]
    lines: list[str] = []
    memory = state.cpms[0]
    listed = state.store[memory].listing(stat)
    error = state.empty_listing_error
    if not listed and error is not None and (state.empty_listing_memories is None
                                             or memory in state.empty_listing_memories):
        raise error
    for index, message in listed:
        if state.cmgf == 0:
            lines += [f"+CMGL: {index},{message.stat},,{message.tpdu_length}", message.pdu]
        else:
            lines += [_text_header(message, f"+CMGL: {index},")] + _text_body(proc, message)
    return lines


@command("+CMGD")
def _cmgd(proc, suffix, args, raw):
    state = proc.state
    memory = state.store[state.cpms[0]]
    if suffix == "=?":
        used = ",".join(str(i) for i in sorted(memory.snapshot()))
        return [f"+CMGD: ({used}),(0-4)"]
    _sms_ready(proc)
    if suffix != "=":
        raise AtError("CMS", 302)
    delflag = int_arg(args, 1, default=0, allowed=range(5), error=("CMS", 302))
    if delflag == 0:
        index = int_arg(args, 0, error=("CMS", 321))
        if not 1 <= index <= memory.capacity:
            raise AtError("CMS", 321)
        memory.delete(index)
    else:
        memory.delete_flagged(delflag)
    state.network.retry_waiting()
    return []
