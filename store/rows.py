"""What every subject's verbs share: the write transaction, the two row look-ups that
several subjects need, a contact's shown name, and rows turned into records.

The one place these live: store/calls.py, outbound.py, inbound.py, contacts.py,
reports.py and health.py call only these and each other's public functions.
"""
from __future__ import annotations

from typing import Any

from store import times
from store.errors import UnknownMessage
from store.facts import CALL_FACT_FIELDS, CallFact
from store.models import Models
from store.records import CallRecord, ContactInfo, MessageRecord

# A peewee row of one of the models (peewee ships no type information).
Row = Any


def write(models: Models) -> Any:
    """A write transaction (BEGIN IMMEDIATE on SQLite, set on the database); nested, a savepoint."""
    return models.database.atomic()


def contact_row(models: Models, number: str, create: bool = True) -> Row:
    """The contact row for `number` (inside the caller's transaction), created if asked;
    None when it does not exist and `create` is False."""
    Contact = models.Contact
    row = Contact.get_or_none(Contact.number == number)
    if row is None and create:
        now = times.utcnow()
        row = Contact.create(number=number, created_at=now, updated_at=now)
    return row


def message_row(models: Models, message_id: int) -> Row:
    row = models.Message.get_or_none(models.Message.id == message_id)
    if row is None:
        raise UnknownMessage(f"no message with id {message_id}")
    return row


def shown_name(models: Models, number: str, name: str) -> str:
    """The contact's name, else the caller ID name of their latest call that had one."""
    if name:
        return name
    Call = models.Call
    row = (Call.select(Call.caller_name).where((Call.caller_number == number) & (Call.caller_name != ""))
           .order_by(Call.happened_at.desc()).first())
    return row.caller_name if row else ""


def call_record(row: Row) -> CallRecord:
    fact = CallFact(**{name: getattr(row, name) for name in CALL_FACT_FIELDS})
    return CallRecord(id=row.id, fact=fact, state=row.state, caller_number=row.caller_number,
                      region=row.region, skip_reason=row.skip_reason, recorded_at=row.recorded_at,
                      planned_at=row.planned_at)


def contact_info(row: Row) -> ContactInfo:
    return ContactInfo(number=row.number, name=row.name, opted_out=row.opted_out,
                       opted_out_at=row.opted_out_at, blocked=row.blocked, created_at=row.created_at,
                       wrong_number=row.wrong_number, awaiting_staff_at=row.awaiting_staff_at,
                       opt_out_confirmed_at=row.opt_out_confirmed_at)


MESSAGE_COLUMNS: tuple[str, ...] = tuple(
    name for name in MessageRecord.__dataclass_fields__ if name not in ("contact_number", "call_id"))


def message_record(row: Row) -> MessageRecord:
    values = {name: getattr(row, name) for name in MESSAGE_COLUMNS}
    return MessageRecord(**values, contact_number=row.contact.number, call_id=row.call_id)
