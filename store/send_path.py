"""The worker's send path in plain SQL: claim the next due text, record it sent.

These run once per text, hundreds of times a second in a burst, and peewee spent most of
the worker's CPU building them (a 38-column SELECT, the contact read lazily after it, a
read-back before each update: 14 statements per text, 45% of the CPU in query building,
measured with cProfile). Here each statement is a fixed string, built once per dialect and
hold shape, that the driver's statement cache prepares once; the claim joins what the send
needs (the thread's number, the recipient's opt-out, whether part of the text already
went, the call's times), so the send issues no reads of its own.

Same transactions, same order, same durability as the peewee verbs they replace
(store/outbound.py): the claim commits the lease before the modem is touched, the sent
record commits its parts and event with it. tests/test_worker_statements.py holds the
statement count per text.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import peewee as pw

from store import routing, sending, times
from store.models import Models
from store.records import ClaimedText, MessageRecord
from store.rows import MESSAGE_COLUMNS
from store.rules.pacing import Hold

# The message's columns as MessageRecord holds them, then what the claim joins.
_CLAIM_COLUMNS = (*MESSAGE_COLUMNS, "call_id")


def _sql(text: str, postgresql: bool) -> str:
    """Our statements are written with `?`; psycopg takes `%s` (none of them holds a `?`
    or `%` of its own)."""
    return text.replace("?", "%s") if postgresql else text


@functools.lru_cache(maxsize=32)
def _claim_select(postgresql: bool, held_kinds: int, known_since: bool, held_modem: bool,
                  modem: bool, takeover: bool) -> str:
    held = sending.held_sql(held_kinds, known_since, held_modem) if held_kinds else ""
    if modem:
        held += routing.claim_sql(takeover)
    columns = ", ".join(f'"m"."{c}"' for c in _CLAIM_COLUMNS)
    # One index walk of message_status_due_at (status, due_at) picks the text; the rest are
    # primary-key and unique-index look-ups of that one row.
    text = (
        f'SELECT {columns}, "c"."number", '
        'COALESCE((SELECT "r"."opted_out" FROM "contact" AS "r" WHERE "r"."number" = "m"."number"), FALSE), '
        'EXISTS (SELECT 1 FROM "sent_part" AS "p" WHERE "p"."message_id" = "m"."id"), '
        '"k"."happened_at", "k"."recorded_at" '
        'FROM "message" AS "m" JOIN "contact" AS "c" ON "c"."id" = "m"."contact_id" '
        'LEFT JOIN "call" AS "k" ON "k"."id" = "m"."call_id" '
        f'WHERE "m"."status" = \'scheduled\' AND "m"."due_at" <= ?{held} '
        'ORDER BY "m"."due_at", "m"."id" LIMIT 1')
    # PostgreSQL: lock only the message row (never the contact or call: another worker may
    # claim that customer's next text), and skip rows another claimer holds.
    return _sql(text + (' FOR UPDATE OF "m" SKIP LOCKED' if postgresql else ""), postgresql)


@functools.lru_cache(maxsize=4)
def _statements(postgresql: bool) -> dict[str, str]:
    return {name: _sql(text, postgresql) for name, text in {
        "lease": ('UPDATE "message" SET "status" = \'sending\', "lease_owner" = ?, "lease_expires_at" = ?, '
                  '"attempts" = "attempts" + 1 WHERE "id" = ? AND "status" = \'scheduled\''),
        # Only the text as the claim left it (leased to us, still sending): anything else is
        # the careful path's to record and warn about.
        "sent": ('UPDATE "message" SET "status" = \'sent\', "modem_reference" = ?, "parts" = ?, "sent_at" = ?, '
                 '"lease_owner" = NULL, "lease_expires_at" = NULL, "error" = NULL, "modem" = COALESCE(?, "modem") '
                 'WHERE "id" = ? AND "status" = \'sending\' AND "lease_owner" = ?'),
        "part": ('INSERT INTO "sent_part" ("message_id", "seq", "reference", "number", "sent_at", "status") '
                 'VALUES (?, ?, ?, ?, ?, \'sent\') ON CONFLICT ("message_id", "seq") DO UPDATE SET '
                 '"reference" = excluded."reference", "sent_at" = excluded."sent_at", "status" = \'sent\''),
        "event": 'INSERT INTO "event" ("uid", "type", "at", "data") VALUES (?, ?, ?, ?)',
    }.items()}


def statement(models: Models, name: str) -> str:
    return _statements(isinstance(models.database, pw.PostgresqlDatabase))[name]


@functools.lru_cache(maxsize=8)
def _converters(message_model: Any) -> tuple[Callable[[Any], Any], ...]:
    """Each claimed column's value as the model reads it (times to aware UTC, ...)."""
    columns = message_model._meta.columns
    return tuple(columns[c].python_value for c in _CLAIM_COLUMNS)


def claim(models: Models, owner: str, lease_seconds: float, now: datetime, hold: Hold | None,
          modem: str | None = None, takeover_before: datetime | None = None) -> ClaimedText | None:
    """Inside the caller's write transaction: lease the next due text to `owner` (of
    `modem`: its texts and those for any modem, store/routing.py)."""
    db = models.database
    postgresql = isinstance(db, pw.PostgresqlDatabase)
    known = hold is not None and hold.known_since is not None
    takeover = modem is not None and takeover_before is not None
    shape = (len(hold.kinds) if hold is not None else 0, known, bool(known and hold is not None and hold.modem),
             modem is not None, takeover)
    params = [times.to_db(now), *sending.held_params(hold)]
    if modem is not None:
        params.append(modem)
        if takeover_before is not None:
            params.append(times.to_db(takeover_before))
    found = db.execute_sql(_claim_select(postgresql, *shape), params).fetchone()
    if found is None:
        return None
    expires = now + timedelta(seconds=lease_seconds)
    message_id = found[0]
    changed = db.execute_sql(_statements(postgresql)["lease"],
                             (owner, times.to_db(expires), message_id)).rowcount
    if changed != 1:
        return None
    n = len(_CLAIM_COLUMNS)
    values = dict(zip(_CLAIM_COLUMNS, (convert(v) for convert, v in zip(_converters(models.Message), found[:n]))))
    values.update(status="sending", lease_owner=owner, lease_expires_at=expires, attempts=values["attempts"] + 1)
    thread_number, opted_out, resumes, happened_at, recorded_at = found[n:]
    return ClaimedText(message=MessageRecord(**values, contact_number=thread_number),
                       opted_out=bool(opted_out), resumes=bool(resumes),
                       call_happened_at=times.from_db(happened_at), call_recorded_at=times.from_db(recorded_at))


def mark_sent(models: Models, claimed: MessageRecord, references: Sequence[int], owner: str, now: datetime,
              first_seq: int, modem: str | None = None) -> bool:
    """Inside the caller's write transaction: record the text sent (from `modem`'s SIM, kept
    on the text; None: leave it), if it is still as the claim left it (leased to `owner`,
    sending). False, having written nothing, otherwise."""
    if first_seq != 1:
        return False      # a resumed text: part 1's reference is in the store (the careful path)
    db = models.database
    first_reference = references[0] if references else None
    changed = db.execute_sql(statement(models, "sent"),
                             (first_reference, len(references), times.to_db(now), modem,
                              claimed.id, owner)).rowcount
    if changed != 1:
        return False
    record_parts(models, claimed.id, claimed.number, references, first_seq, now)
    return True


def record_parts(models: Models, message_id: int, number: str, references: Sequence[int], first_seq: int,
                 now: datetime) -> None:
    """One sent_part row per part the modem took (parts first_seq, first_seq+1, ...)."""
    sql, at = statement(models, "part"), times.to_db(now)
    for seq, reference in enumerate(references, start=first_seq):
        models.database.execute_sql(sql, (message_id, seq, reference, number, at))
