"""Contact verbs: who a number is, and whether we may text it (opt-out, block, a possible
opt-out waiting for a person).

Every opt-out keeps its evidence (the rule that matched, the words, the text, when) and
gets one confirmation text, queued in the same transaction that honours it, so it is
queued exactly once however the opt-out arrived: a keyword, a staff block, or both.
"""
from __future__ import annotations

import logging
from datetime import datetime

from store import events, outbound, rows, times
from store.models import POSSIBLE_OPT_OUT, Models
from store.records import ContactInfo, OptOutEvidence, OptOutRecord, OptOutResult

log = logging.getLogger(__name__)

# The confirmation (and any keyword reply: it answers what the customer just texted) is
# never cancelled by an opt-out or block that comes after it: it may be the only one.
CONFIRMATION_KIND = "keyword_reply"
# What a possible opt-out pauses: the automated texts, never the staff's own replies.
AUTOMATED_KINDS = ("text_back", "follow_up")
STAFF_RULE = "staff"


def contact(models: Models, number: str) -> ContactInfo | None:
    row = rows.contact_row(models, number, create=False)
    return rows.contact_info(row) if row is not None else None


def is_opted_out(models: Models, number: str) -> bool:
    row = rows.contact_row(models, number, create=False)
    return bool(row and row.opted_out)


def is_blocked(models: Models, number: str) -> bool:
    row = rows.contact_row(models, number, create=False)
    return bool(row and row.blocked)


def is_awaiting_staff(models: Models, number: str) -> bool:
    row = rows.contact_row(models, number, create=False)
    return bool(row and row.awaiting_staff_at)


def opt_out(models: Models, number: str, keyword: str, message_id: int | None, source: str) -> int:
    return honour_opt_out(models, number, keyword, message_id, source, OptOutEvidence(), "", times.utcnow()).cancelled


def honour_opt_out(models: Models, number: str, keyword: str, message_id: int | None, source: str,
                   evidence: OptOutEvidence, confirmation: str, now: datetime,
                   modem: str | None = None) -> OptOutResult:
    with rows.write(models):
        row = rows.contact_row(models, number)
        changed = not row.opted_out
        if changed:
            row.opted_out, row.opted_out_at = True, now
        row.wrong_number = row.wrong_number or evidence.wrong_number
        row.awaiting_staff_at, row.updated_at = None, now
        row.save()
        _event(models, row, "opt_out", keyword, message_id, source, now, evidence)
        cancelled = outbound.cancel_pending(models, number, "opted_out", None, keep=(CONFIRMATION_KIND,))
        confirmation_id = _confirm_once(models, row, confirmation, now, modem)
    log.info("opt-out from %s (%s%s): %d scheduled message(s) cancelled%s", number,
             evidence.rule or keyword or source, ", wrong number" if evidence.wrong_number else "", cancelled,
             "; confirmation queued" if confirmation_id else "")
    return OptOutResult(changed, cancelled, confirmation_id)


def opt_in(models: Models, number: str, keyword: str, message_id: int | None, source: str) -> None:
    with rows.write(models):
        now = times.utcnow()
        row = rows.contact_row(models, number)
        row.opted_out, row.opted_out_at, row.updated_at = False, None, now
        if not row.blocked:
            row.opt_out_confirmed_at = None     # a later STOP gets its own confirmation
        row.save()
        _event(models, row, "opt_in", keyword, message_id, source, now)


def block(models: Models, number: str, source: str) -> int:
    return staff_block(models, number, source, "", times.utcnow()).cancelled


def staff_block(models: Models, number: str, source: str, confirmation: str, now: datetime) -> OptOutResult:
    """Staff settle it: never text this number. The evidence names staff as the rule; a
    possible opt-out waiting for a person is settled; `confirmation` goes once."""
    with rows.write(models):
        row = rows.contact_row(models, number)
        changed = not (row.blocked or row.opted_out)
        row.blocked, row.awaiting_staff_at, row.updated_at = True, None, now
        row.save()
        _event(models, row, "block", "", None, source, now, OptOutEvidence(rule=STAFF_RULE))
        cancelled = outbound.cancel_pending(models, number, "blocked", None, keep=(CONFIRMATION_KIND,))
        confirmation_id = _confirm_once(models, row, confirmation, now)
    return OptOutResult(changed, cancelled, confirmation_id)


def unblock(models: Models, number: str, source: str) -> None:
    with rows.write(models):
        now = times.utcnow()
        row = rows.contact_row(models, number)
        row.blocked, row.updated_at = False, now
        if not row.opted_out:
            row.opt_out_confirmed_at = None
        row.save()
        _event(models, row, "unblock", "", None, source, now)


# -- a possible opt-out, waiting for a person ---------------------------------------------------
def flag_possible_opt_out(models: Models, message_id: int, now: datetime) -> int:
    """A recorded reply that may mean "stop texting me": flag it, pause the automated texts
    to its sender until staff settle it; returns how many were cancelled."""
    Message = models.Message
    with rows.write(models):
        row = rows.message_row(models, message_id)
        Message.update({Message.flag: POSSIBLE_OPT_OUT}).where(Message.id == message_id).execute()
        return hold_for_staff(models, row.contact, now)


def hold_for_staff(models: Models, contact_row: rows.Row, now: datetime) -> int:
    """Inside the caller's transaction: pause the automated texts to this contact."""
    if contact_row.awaiting_staff_at is None:
        contact_row.awaiting_staff_at, contact_row.updated_at = now, now
        contact_row.save()
    return outbound.cancel_pending(models, contact_row.number, POSSIBLE_OPT_OUT, AUTOMATED_KINDS)


def settle_possible_opt_out(models: Models, number: str, source: str) -> bool:
    """Staff read it and it is not an opt-out (`textback done`): the automation may text this
    number again. False when nothing was waiting."""
    with rows.write(models):
        row = rows.contact_row(models, number, create=False)
        if row is None or row.awaiting_staff_at is None:
            return False
        now = times.utcnow()
        row.awaiting_staff_at, row.updated_at = None, now
        row.save()
        _event(models, row, "settle", "", None, source, now)
    # debug: the staff command that settled it prints its own one line.
    log.debug("possible opt-out from %s settled by %s: not an opt-out", number, source)
    return True


def _confirm_once(models: Models, contact_row: rows.Row, text: str, now: datetime,
                  modem: str | None = None) -> int | None:
    if not text or contact_row.opt_out_confirmed_at is not None:
        return None
    contact_row.opt_out_confirmed_at = now
    contact_row.save()
    # From the SIM that received the keyword; without one (staff, the CLI), the SIM the
    # customer last wrote to (store/routing.py).
    return outbound.queue_message(models, contact_row.number, CONFIRMATION_KIND, text, now, None, None, None,
                                  modem)


def opt_out_events(models: Models, number: str) -> list[OptOutRecord]:
    E = models.OptOutEvent
    found = E.select().where(E.number == number).order_by(E.at, E.id)
    return [OptOutRecord(action=r.action, keyword=r.keyword, source=r.source, at=r.at, message_id=r.message_id,
                         rule=r.rule, matched=r.matched, text=r.text, wrong_number=r.wrong_number)
            for r in found]


def _event(models: Models, contact_row: rows.Row, action: str, keyword: str, message_id: int | None,
           source: str, at: datetime, evidence: OptOutEvidence | None = None) -> None:
    evidence = evidence or OptOutEvidence()
    models.OptOutEvent.create(contact=contact_row, number=contact_row.number, action=action,
                              keyword=keyword or "", message=message_id, source=source, at=at,
                              rule=evidence.rule, matched=evidence.matched, text=evidence.text,
                              wrong_number=evidence.wrong_number)
    events.emit(models, _EVENT_TYPES[action], {"number": contact_row.number, "keyword": keyword or "",
                                               "source": source, "message_id": message_id, "rule": evidence.rule,
                                               "wrong_number": evidence.wrong_number}, at)


_EVENT_TYPES = {"opt_out": "contact.opted_out", "opt_in": "contact.opted_in", "block": "contact.blocked",
                "unblock": "contact.unblocked", "settle": "contact.settled"}
