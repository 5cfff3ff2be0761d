"""Schema versions: a list of forward steps, each run in its own transaction.

STEPS[i] takes a database from version i to i+1. A database with no tables at
all is built from the current models and stamped current (that is what the
chain produces; tests/test_store_migrations.py proves a real v1 file migrates
to the same columns). To change the schema: edit store/models.py, append a
step here (for example with playhouse.migrate's SchemaMigrator), bump
store.schema.SCHEMA_VERSION, and keep tests/fixtures/v1.db as it is.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import peewee as pw

from store.errors import NotADatabase, SchemaTooNew
from store.models import Models
from store.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)


def _create_all(models: Models) -> None:
    models.database.create_tables(models.all, safe=True)


def _add_worker_status(models: Models) -> None:
    models.database.create_tables([models.WorkerStatus], safe=True)


def _add_history_indexes(models: Models) -> None:
    """Years of history at full speed: the indexes store.models adds in v3 (CREATE INDEX IF
    NOT EXISTS for every model, so it also fills any an older build left out), then fresh
    planner statistics so SQLite picks them (see refresh_statistics)."""
    for model in (models.Call, models.Message, models.OptOutEvent):
        model._schema.create_indexes(safe=True)
    refresh_statistics(models)


def refresh_statistics(models: Models) -> None:
    """ANALYZE, bounded: SQLite samples about 1,000 rows per index, so it takes milliseconds
    even on a store of millions. Without statistics SQLite can pick the status index over
    message.call_id for the stats query (measured: 2.4 s on a million rows)."""
    db = models.database
    if isinstance(db, pw.SqliteDatabase):
        db.execute_sql("PRAGMA analysis_limit = 1000")
    db.execute_sql("ANALYZE")


def _add_sent_parts(models: Models) -> None:
    """One row per SMS part sent (store.models.SentPart). Texts sent before it keep their
    one reference as part 1, so a status report still arriving for one finds it."""
    models.database.create_tables([models.SentPart], safe=True)
    Message, SentPart = models.Message, models.SentPart
    settled = {"delivered": "delivered", "failed": "failed"}
    rows = (Message.select(Message.id, Message.number, Message.modem_reference, Message.sent_at, Message.status)
            .where((Message.direction == "out") & Message.modem_reference.is_null(False)
                   & Message.sent_at.is_null(False)))
    for row in rows:
        SentPart.insert(message=row.id, seq=1, reference=row.modem_reference, number=row.number,
                        sent_at=row.sent_at, status=settled.get(row.status, "sent")).on_conflict_ignore().execute()


def _add_alerts(models: Models) -> None:
    models.database.create_tables([models.Alert], safe=True)


def _add_reception(models: Models) -> None:
    """Who sent each staff text, done conversations, a worker's clean stop. Replies already
    read by the old `thread` (read_at set) stay out of the inbox: they were seen."""
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator
    from playhouse.migrate import migrate as run_migration

    db = models.database
    migrator = PostgresqlMigrator(db) if models.database.__class__.__name__.startswith("Postgres") \
        else SqliteMigrator(db)
    wanted = [(models.Message, ("sent_by",)), (models.Contact, ("done_at", "done_by")),
              (models.WorkerStatus, ("stopped_at", "beat_seconds"))]
    operations = []
    for model, names in wanted:
        have = {c.name for c in db.get_columns(model._meta.table_name)}
        operations += [migrator.add_column(model._meta.table_name, name, model._meta.fields[name])
                       for name in names if name not in have]
    run_migration(*operations)


def _add_opt_out_evidence(models: Models) -> None:
    """Issue 17: wrong numbers, one confirmation, possible opt-outs, each opt-out's evidence."""
    Contact, Message, Event = models.Contact, models.Message, models.OptOutEvent
    columns = [(Contact, "wrong_number"), (Contact, "opt_out_confirmed_at"), (Contact, "awaiting_staff_at"),
               (Message, "flag"), (Event, "rule"), (Event, "matched"), (Event, "text"), (Event, "wrong_number")]
    for model, name in columns:
        _add_column(models, model, name)
    # Numbers already opted out got their confirmation under the old code: never a second.
    Contact.update({Contact.opt_out_confirmed_at: Contact.opted_out_at}).where(Contact.opted_out).execute()


def _add_column(models: Models, model: Any, name: str) -> None:
    """ALTER TABLE ... ADD COLUMN with the model's type and its default in SQL.

    Not playhouse.migrate's add_column: for a NOT NULL column it rebuilds the whole table
    on SQLite, which the foreign keys pointing at contact and message refuse.
    """
    db, field = models.database, model._meta.fields[name]
    if field.column_name in {c.name for c in db.get_columns(model._meta.table_name)}:
        return      # already there (a database stamped back to an older version by hand)
    kind = db._field_types[field.field_type]  # type: ignore[attr-defined]  # the mapping create_tables uses
    modifiers = field.get_modifiers()
    if modifiers:
        kind += "(" + ", ".join(str(m) for m in modifiers) + ")"
    default = field.default
    if field.null:
        tail = ""
    elif isinstance(default, bool):
        tail = " NOT NULL DEFAULT " + ("TRUE" if default else "FALSE")
    else:
        tail = " NOT NULL DEFAULT '" + str(default).replace("'", "''") + "'"
    db.execute_sql(f'ALTER TABLE "{model._meta.table_name}" ADD COLUMN "{field.column_name}" {kind}{tail}')


def _add_receive_memory_hygiene(models: Models) -> None:
    """What the worker clears off a full receive memory (store.models.RejectedSms), and the
    name of the memory whose fill the heartbeat shows (worker_status.receive_memory)."""
    from playhouse.migrate import SchemaMigrator
    from playhouse.migrate import migrate as run

    db = models.database
    db.create_tables([models.RejectedSms], safe=True)
    if "receive_memory" not in {c.name for c in db.get_columns("worker_status")}:
        migrator = SchemaMigrator.from_database(db)
        run(migrator.add_column("worker_status", "receive_memory", models.WorkerStatus.receive_memory))


def _add_events(models: Models) -> None:
    """The outbox of events for the shop's other systems, and each notify target's progress."""
    models.database.create_tables([models.Event, models.NotifyTarget], safe=True)


def _add_ring_time(models: Models) -> None:
    """How long a call rang (${DIALEDTIME}): a caller who gave up within seconds misdialled."""
    _add_column(models, models.Call, "ring_seconds")


def _add_modems(models: Models) -> None:
    """Several modems sharing one store: which SIM a text leaves from (or came in on), and
    whose heartbeat a worker_status row is."""
    _add_column(models, models.Message, "modem")
    _add_column(models, models.WorkerStatus, "modem_name")


def _add_modem_checks(models: Models) -> None:
    """Which modem family's set-up the worker used, and what cannot work (2G only, SMS
    over LTE not provisioned): doctor shows them from the heartbeat."""
    _add_column(models, models.WorkerStatus, "modem_model")
    _add_column(models, models.WorkerStatus, "modem_flags")


STEPS: list[Callable[[Models], None]] = [
    _create_all,          # v0 -> v1: everything
    _add_worker_status,   # v1 -> v2: the worker's heartbeat row (textback status / doctor)
    _add_history_indexes,  # v2 -> v3: indexes for the hot queries on a store of years
    _add_sent_parts,      # v3 -> v4: one reference per part of a long text (issue 11, case 9)
    _add_alerts,          # v4 -> v5: alerts raised by the worker (store/alerts.py)
    _add_reception,       # v5 -> v6: message.sent_by, contact done_at/done_by, worker_status stopped/beat
    _add_receive_memory_hygiene,  # v6 -> v7: drafts and junk cleared off the modem; which memory fills
    _add_opt_out_evidence,  # v7 -> v8: wrong numbers, one confirmation, possible opt-outs, evidence
    _add_events,          # v8 -> v9: the event outbox and [[notify]] delivery state (issue 16)
    _add_ring_time,       # v9 -> v10: call.ring_seconds, for [textback] min_ring (issue 13)
    _add_modems,          # v10 -> v11: message.modem, worker_status.modem_name (issue 15)
    _add_modem_checks,    # v11 -> v12: worker_status.modem_model, modem_flags (issue 13)
]

CURRENT_VERSION = len(STEPS)
assert CURRENT_VERSION == SCHEMA_VERSION, "bump store.schema.SCHEMA_VERSION with each new step"


def schema_version(models: Models) -> int:
    """0 for an empty database; else the stored schema_version."""
    db = models.database
    tables = db.get_tables()
    if "meta" not in tables:
        if tables:
            raise NotADatabase(f"this database holds tables ({', '.join(tables[:5])}) but no textback "
                               "schema version: point textback at its own database file")
        return 0
    row = models.Meta.get_or_none(models.Meta.key == "schema_version")
    return int(row.value) if row else 0


def migrate(models: Models) -> int:
    """Bring the database to CURRENT_VERSION; return the version it had before."""
    db = models.database
    found = schema_version(models)
    if found > CURRENT_VERSION:
        raise SchemaTooNew(found, CURRENT_VERSION)
    if found == CURRENT_VERSION:
        return found
    while True:
        with db.atomic():
            _lock_schema(db)
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = schema_version(models)
            if version >= CURRENT_VERSION:
                return found
            if version == 0:
                log.info("creating the textback schema v%d", CURRENT_VERSION)
                _create_all(models)
                _stamp(models, CURRENT_VERSION)
                return found
            log.info("migrating the database schema v%d -> v%d", version, version + 1)
            STEPS[version](models)
            _stamp(models, version + 1)


# Any constant both sides agree on: the key of the advisory lock that serialises migrations.
_SCHEMA_LOCK = 0x7465787462        # "textb"


def _lock_schema(db: pw.Database) -> None:
    """Hold the schema for this transaction. SQLite's BEGIN IMMEDIATE already does; on
    PostgreSQL two programs finding an empty database would both CREATE TABLE and one
    would fail (reproduced in tests/test_store_migrations_postgresql.py), so they queue on
    an advisory lock that COMMIT releases."""
    if isinstance(db, pw.PostgresqlDatabase):
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))


def _stamp(models: Models, version: int) -> None:
    (models.Meta.insert(key="schema_version", value=str(version))
     .on_conflict(conflict_target=[models.Meta.key], update={models.Meta.value: str(version)})
     .execute())
