"""The event outbox: what the shop's other systems (a CRM, a team chat, a script) hear.

Each change they may care about writes one event row *inside the transaction that makes
the change* (the verbs in calls.py, outbound.py, delivery.py, inbound.py, contacts.py,
alerts.py call `emit`), so a crash keeps both or neither. The worker's notifier
(modem/worker/notify.py) reads them in id order for each [[notify]] target and records
how far each target got here. The JSON each event goes out as is `event_json`; its
schema is documented in docs/events.md and versioned by SCHEMA: add fields freely,
never rename or remove one without bumping it.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from store import rows, send_path, times
from store.event_types import EVENT_TYPES
from store.models import Models
from store.records import EventRecord, MessageRecord, NotifyTargetState

SCHEMA = 1


def iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def emit(models: Models, type_: str, data: dict[str, Any], at: datetime | None = None) -> None:
    """Write one event; call it inside the verb's own write transaction."""
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    clean = {k: (iso(v) if isinstance(v, datetime) else v) for k, v in data.items()}
    # A fixed statement, not a peewee insert: every text sent writes one (store/send_path.py).
    models.database.execute_sql(send_path.statement(models, "event"),
                                (uuid.uuid4().hex, type_, times.to_db(at or times.utcnow()),
                                 json.dumps(clean, ensure_ascii=False, sort_keys=True)))


def message_data(row: rows.Row, **extra: Any) -> dict[str, Any]:
    """What every text.* event says about its text."""
    # A forward goes to a staff phone but belongs to the customer's thread: only then is the
    # contact another number (read from its row; for every other text it is the recipient).
    contact = row.contact.number if row.kind == "forward" else row.number
    data: dict[str, Any] = {"message_id": row.id, "to": row.number, "contact": contact,
                            "kind": row.kind, "step": row.step, "call_id": row.call_id, "body": row.body,
                            "parts": row.parts}
    data.update(extra)
    return data


def record_data(record: MessageRecord, **extra: Any) -> dict[str, Any]:
    """message_data from the record a claim returned (the same keys, the same values)."""
    contact = record.contact_number if record.kind == "forward" else record.number
    data: dict[str, Any] = {"message_id": record.id, "to": record.number, "contact": contact,
                            "kind": record.kind, "step": record.step, "call_id": record.call_id,
                            "body": record.body, "parts": record.parts}
    data.update(extra)
    return data


def event_json(record: EventRecord) -> str:
    """The body a target receives: one JSON object (docs/events.md)."""
    return json.dumps({"schema": SCHEMA, "id": record.uid, "seq": record.id, "type": record.type,
                       "at": iso(record.at), "data": json.loads(record.data)},
                      ensure_ascii=False, sort_keys=True)


# -- the notifier's verbs -----------------------------------------------------------------------
def prepare_targets(models: Models, names: Sequence[str], now: datetime) -> None:
    """A target configured for the first time hears what happens from now on, not the
    whole history."""
    T, E = models.NotifyTarget, models.Event
    with rows.write(models):
        for name in names:
            if T.get_or_none(T.name == name) is None:
                last = E.select(E.id).order_by(E.id.desc()).limit(1).scalar() or 0
                T.insert(name=name, cursor=last, created_at=now).execute()


def pending_events(models: Models, name: str, types: Sequence[str], limit: int) -> list[EventRecord]:
    """The target's next events (after its cursor, of the types it takes), oldest first."""
    T, E = models.NotifyTarget, models.Event
    target = T.get(T.name == name)
    where = E.id > target.cursor
    if types:
        where &= E.type.in_(list(types))
    return [EventRecord(id=r.id, uid=r.uid, type=r.type, at=r.at, data=r.data)
            for r in E.select().where(where).order_by(E.id).limit(limit)]


def target_delivered(models: Models, name: str, event_id: int, now: datetime, dropped: bool = False) -> None:
    """The target took event `event_id` (or it was given up on: `dropped`): move past it."""
    T = models.NotifyTarget
    with rows.write(models):
        counter = T.dropped if dropped else T.delivered
        update = {T.cursor: event_id, counter: counter + 1, T.next_try_at: None}
        if not dropped:
            update.update({T.failures: 0, T.failing_since: None, T.last_ok_at: now})
        T.update(update).where((T.name == name) & (T.cursor < event_id)).execute()


def target_failed(models: Models, name: str, error: str, now: datetime, next_try_at: datetime) -> int:
    """One try failed; returns the failures in a row."""
    T = models.NotifyTarget
    with rows.write(models):
        row = T.get(T.name == name)
        T.update({T.failures: T.failures + 1, T.last_error: error, T.next_try_at: next_try_at,
                  T.failing_since: row.failing_since or now}).where(T.id == row.id).execute()
        return int(row.failures) + 1


def target_states(models: Models) -> list[NotifyTargetState]:
    T, E = models.NotifyTarget, models.Event
    out = []
    for r in T.select().order_by(T.name):
        waiting = E.select().where(E.id > r.cursor).count()
        out.append(NotifyTargetState(name=r.name, cursor=r.cursor, failures=r.failures, last_error=r.last_error,
                                     failing_since=r.failing_since, next_try_at=r.next_try_at,
                                     last_ok_at=r.last_ok_at, delivered=r.delivered, dropped=r.dropped,
                                     waiting=waiting))
    return out


def events_after(models: Models, after_id: int = 0, limit: int = 1000) -> list[EventRecord]:
    E = models.Event
    return [EventRecord(id=r.id, uid=r.uid, type=r.type, at=r.at, data=r.data)
            for r in E.select().where(E.id > after_id).order_by(E.id).limit(limit)]
