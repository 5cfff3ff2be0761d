"""Contact verbs: who a number is, and whether we may text it (opt-out, block)."""
from __future__ import annotations

import logging
from datetime import datetime

from store import outbound, rows, times
from store.models import Models
from store.records import ContactInfo, OptOutRecord

log = logging.getLogger(__name__)


def contact(models: Models, number: str) -> ContactInfo | None:
    row = rows.contact_row(models, number, create=False)
    return rows.contact_info(row) if row is not None else None


def is_opted_out(models: Models, number: str) -> bool:
    row = rows.contact_row(models, number, create=False)
    return bool(row and row.opted_out)


def is_blocked(models: Models, number: str) -> bool:
    row = rows.contact_row(models, number, create=False)
    return bool(row and row.blocked)


def opt_out(models: Models, number: str, keyword: str, message_id: int | None, source: str) -> int:
    with rows.write(models):
        now = times.utcnow()
        row = rows.contact_row(models, number)
        if not row.opted_out:
            row.opted_out, row.opted_out_at, row.updated_at = True, now, now
            row.save()
        _event(models, row, "opt_out", keyword, message_id, source, now)
        cancelled = outbound.cancel_pending(models, number, "opted_out", None)
    log.info("opt-out from %s (%s): %d scheduled message(s) cancelled", number, keyword or source, cancelled)
    return cancelled


def opt_in(models: Models, number: str, keyword: str, message_id: int | None, source: str) -> None:
    with rows.write(models):
        now = times.utcnow()
        row = rows.contact_row(models, number)
        row.opted_out, row.opted_out_at, row.updated_at = False, None, now
        row.save()
        _event(models, row, "opt_in", keyword, message_id, source, now)


def block(models: Models, number: str, source: str) -> int:
    with rows.write(models):
        now = times.utcnow()
        row = rows.contact_row(models, number)
        row.blocked, row.updated_at = True, now
        row.save()
        _event(models, row, "block", "", None, source, now)
        return outbound.cancel_pending(models, number, "blocked", None)


def unblock(models: Models, number: str, source: str) -> None:
    with rows.write(models):
        now = times.utcnow()
        row = rows.contact_row(models, number)
        row.blocked, row.updated_at = False, now
        row.save()
        _event(models, row, "unblock", "", None, source, now)


def opt_out_events(models: Models, number: str) -> list[OptOutRecord]:
    E = models.OptOutEvent
    found = E.select().where(E.number == number).order_by(E.at, E.id)
    return [OptOutRecord(action=r.action, keyword=r.keyword, source=r.source, at=r.at, message_id=r.message_id)
            for r in found]


def _event(models: Models, contact_row: rows.Row, action: str, keyword: str, message_id: int | None,
           source: str, at: datetime) -> None:
    models.OptOutEvent.create(contact=contact_row, number=contact_row.number, action=action,
                              keyword=keyword or "", message=message_id, source=source, at=at)
