"""Delivery verbs: the parts a text went out in, and the network's reports on them.

A long text is several SMS, each with its own message reference (TP-MR) and, when it
asked, its own status report (networks send one per part). So the store keeps one row
per part sent (store.models.SentPart) and settles the text from its parts:

- delivered when every part is delivered;
- failed when any part fails (the caller got half a text, which is not a delivery);
- otherwise still sent.

References wrap at 256, so a report can carry the reference of an older text as well as
a newer one. A report is matched to the part sent most recently before it, to that
number, that has no final report yet, within REPORT_WINDOW: an SMS centre gives up on a
text within its validity period (hours to a few days), so a report naming a part sent
longer ago than that cannot be about it.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from store import events, rows, send_path
from store.models import Models
from store.records import SentPartRecord

log = logging.getLogger(__name__)

REPORT_WINDOW = timedelta(days=3)


def record_sent_parts(models: Models, message_id: int, references: Sequence[int], first_seq: int,
                      now: datetime, modem: str | None = None) -> None:
    with rows.write(models):
        row = rows.message_row(models, message_id)
        record_parts(models, row, references, first_seq, now)
        if modem is not None and row.modem != modem:
            # The rest must follow from the same SIM, or the phone cannot join the parts.
            models.Message.update({models.Message.modem: modem}).where(models.Message.id == message_id).execute()


def sent_part_count(models: Models, message_id: int) -> int:
    SentPart = models.SentPart
    seqs = {p.seq for p in SentPart.select(SentPart.seq).where(SentPart.message == message_id)}
    count = 0
    while count + 1 in seqs:
        count += 1
    return count


def sent_parts(models: Models, message_id: int) -> list[SentPartRecord]:
    SentPart = models.SentPart
    found = SentPart.select().where(SentPart.message == message_id).order_by(SentPart.seq)
    return [SentPartRecord(seq=p.seq, reference=p.reference, sent_at=p.sent_at, status=p.status,
                           report_status=p.report_status, reported_at=p.reported_at) for p in found]


def mark_delivered(models: Models, reference: int, number: str, ok: bool, at: datetime,
                   reported_at: datetime | None, status: int | None) -> int | None:
    SentPart = models.SentPart
    bound = reported_at or at
    with rows.write(models):
        part = (SentPart.select()
                .where((SentPart.reference == reference) & (SentPart.number == number)
                       & (SentPart.status == "sent") & (SentPart.sent_at <= bound)
                       & (SentPart.sent_at >= bound - REPORT_WINDOW))
                .order_by(SentPart.sent_at.desc(), SentPart.id.desc()).first())
        if part is None:
            log.info("status report for reference %s to %s matches no part sent in the %s before it",
                     reference, number, _days(REPORT_WINDOW))
            return None
        (SentPart.update({SentPart.status: "delivered" if ok else "failed", SentPart.reported_at: at,
                          SentPart.report_status: status})
         .where(SentPart.id == part.id).execute())
        settle(models, part.message_id)
        return int(part.message_id)


# -- inside the caller's write transaction (store/outbound.py's mark_sent uses both) -------------
def record_parts(models: Models, row: rows.Row, references: Sequence[int], first_seq: int, now: datetime) -> None:
    """Keep one row per part the modem took (message `row`, parts first_seq, first_seq+1, ...)."""
    send_path.record_parts(models, row.id, row.number, references, first_seq, now)


def settle(models: Models, message_id: int) -> None:
    """A sent text's status from its parts' reports (see the module docstring)."""
    Message, SentPart = models.Message, models.SentPart
    row = Message.get_by_id(message_id)
    if row.status != "sent":
        return          # not wholly sent yet (resuming), or already settled
    parts = list(SentPart.select().where(SentPart.message == message_id).order_by(SentPart.seq))
    failed = [p for p in parts if p.status == "failed"]
    if failed:
        if len(parts) == 1:
            error = "the network reported it undelivered"
        else:
            error = (f"the network reported part {failed[0].seq} of {len(parts)} undelivered"
                     + (f" (status {failed[0].report_status:#04x})" if failed[0].report_status is not None else "")
                     + "; the caller has only part of the text")
        Message.update({Message.status: "failed", Message.error: error}).where(Message.id == message_id).execute()
        events.emit(models, "text.failed", events.message_data(row, error=error, report_status=failed[0].report_status,
                                                               parts=len(parts)))
        log.warning("text %s to %s failed: %s", message_id, row.number, error)
    elif len(parts) >= row.parts and all(p.status == "delivered" for p in parts):
        delivered_at = max(p.reported_at for p in parts)
        (Message.update({Message.status: "delivered", Message.delivered_at: delivered_at})
         .where(Message.id == message_id).execute())
        events.emit(models, "text.delivered", events.message_data(row, delivered_at=delivered_at, parts=len(parts)))


def _days(window: timedelta) -> str:
    return f"{window.days} days" if window.days > 1 else str(window)
