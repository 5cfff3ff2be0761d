"""Inbound verbs: store a received text once; keep the parts of a long one that have no
other copy until the whole text is recorded.

The worker joins parts (modem/worker/reassembly.py, where an emoji split across two
parts is put back together); the store only keeps what would otherwise be lost and
drops it in the transaction that records the whole. add_inbound_part does both for a
caller without a modem (the parts' texts simply concatenated).
"""
from __future__ import annotations

import logging
from datetime import datetime

from store import contacts, events, rows, times
from store.errors import StoreError
from store.facts import concat_key
from store.models import IN_FLAGS, IN_KINDS, POSSIBLE_OPT_OUT, Models
from store.records import KeptPart, OptOutEvidence, OptOutResult

log = logging.getLogger(__name__)


def record_inbound(models: Models, sender: str, body: str, received_at: datetime, key: str | None,
                   kind: str, parts: int, joined_from: tuple[int, int] | None, late: bool,
                   flag: str | None = None, now: datetime | None = None,
                   modem: str | None = None) -> tuple[int, bool]:
    with rows.write(models):
        recorded = _record(models, sender, body, received_at, key, kind, parts, late, flag, modem)
        _drop_kept_parts(models, sender, joined_from)
        if recorded[1] and flag == POSSIBLE_OPT_OUT:
            contacts.hold_for_staff(models, rows.contact_row(models, sender), now or times.utcnow())
        return recorded


def receive_opt_out(models: Models, sender: str, body: str, received_at: datetime, key: str | None, parts: int,
                    joined_from: tuple[int, int] | None, late: bool, evidence: OptOutEvidence,
                    confirmation: str, now: datetime, modem: str | None = None) -> tuple[int, OptOutResult | None]:
    """Store a received opt-out text and honour it, in one transaction: a crash keeps both
    or neither, so a text read again from the SIM is honoured exactly once. The
    confirmation leaves from the SIM that received the keyword (`modem`)."""
    with rows.write(models):
        message_id, created = _record(models, sender, body, received_at, key, "reply", parts, late, "opt_out",
                                      modem)
        _drop_kept_parts(models, sender, joined_from)
        if not created:
            return message_id, None
        result = contacts.honour_opt_out(models, sender, body.strip()[:40], message_id, "sms", evidence,
                                         confirmation, now, modem)
    return message_id, result


def _drop_kept_parts(models: Models, sender: str, joined_from: tuple[int, int] | None) -> None:
    if joined_from is not None:
        reference, total = joined_from
        Part = models.InboundPart
        Part.delete().where((Part.sender == sender) & (Part.reference == reference)
                            & (Part.total == total)).execute()


def keep_inbound_part(models: Models, sender: str, reference: int, total: int, seq: int, body: str,
                      smsc_timestamp: datetime | None) -> None:
    if not (1 <= seq <= total):
        raise StoreError(f"part {seq} of {total} from {sender} is out of range: a bad PDU")
    Part = models.InboundPart
    with rows.write(models):
        (Part.insert(sender=sender, reference=reference, total=total, seq=seq, body=body,
                     smsc_timestamp=smsc_timestamp, received_at=times.utcnow())
         .on_conflict_ignore().execute())


def kept_inbound_parts(models: Models, sender: str, reference: int, total: int) -> list[KeptPart]:
    Part = models.InboundPart
    found = (Part.select().where((Part.sender == sender) & (Part.reference == reference)
                                 & (Part.total == total)).order_by(Part.seq))
    return [KeptPart(seq=r.seq, body=r.body, smsc_timestamp=r.smsc_timestamp) for r in found]


def add_inbound_part(models: Models, sender: str, reference: int, total: int, seq: int, body: str,
                     smsc_timestamp: datetime | None, received_at: datetime | None,
                     kind: str) -> tuple[int, str] | None:
    if not (1 <= seq <= total):
        raise StoreError(f"part {seq} of {total} from {sender} is out of range: a bad PDU")
    Part = models.InboundPart
    now = times.utcnow()
    with rows.write(models):
        (Part.insert(sender=sender, reference=reference, total=total, seq=seq, body=body,
                     smsc_timestamp=smsc_timestamp, received_at=now)
         .on_conflict_ignore().execute())
    with rows.write(models):
        group = (Part.sender == sender) & (Part.reference == reference) & (Part.total == total)
        parts = list(Part.select().where(group).order_by(Part.seq))
        if len(parts) < total:
            return None
        text = "".join(p.body for p in parts)
        key = concat_key(sender, reference, total, parts[0].smsc_timestamp, text)
        message_id, created = _record(models, sender, text, received_at or now, key, kind, total, False)
        Part.delete().where(group).execute()
    return (message_id, text) if created else None


def _record(models: Models, sender: str, body: str, received_at: datetime, key: str | None, kind: str,
            parts: int, late: bool, flag: str | None = None, modem: str | None = None) -> tuple[int, bool]:
    if kind not in IN_KINDS:
        raise StoreError(f"unknown inbound kind {kind!r}: use one of {', '.join(IN_KINDS)}")
    if flag is not None and flag not in IN_FLAGS:
        raise StoreError(f"unknown inbound flag {flag!r}: use one of {', '.join(IN_FLAGS)}")
    Message = models.Message
    if key is not None:
        existing = Message.get_or_none(Message.inbound_key == key)
        if existing is not None:
            return int(existing.id), False
    contact = rows.contact_row(models, sender)
    now = times.utcnow()
    row = Message.create(contact=contact, number=sender, direction="in", kind=kind, body=body,
                         status="late" if late else "received", received_at=received_at, inbound_key=key,
                         parts=parts, created_at=now, read_at=now if late else None, flag=flag, modem=modem)
    if kind == "reply":
        events.emit(models, "reply.received", {"message_id": row.id, "from": sender, "body": body,
                                               "received_at": received_at, "parts": parts, "late": late,
                                               "flag": flag}, now)
    log.info("inbound %s from %s stored as message %s%s", kind, sender, row.id, " (late)" if late else "")
    return int(row.id), True
