"""The Store: one object that owns the models and offers the shop's verbs.

Modelled on huey's SQL storage: the loop that uses the queue (modem/worker)
lives elsewhere and never writes SQL. The verbs are grouped by subject in
store/calls.py, store/outbound.py, store/delivery.py, store/inbound.py and store/contacts.py;
this module opens, migrates and closes.
"""
from __future__ import annotations

import logging
import os

import sqlite3

import peewee as pw

from store.alerts import AlertVerbs
from store.calls import CallVerbs
from store.contacts import ContactVerbs
from store.conversations import ConversationVerbs, SearchVerbs
from store.database import open_database
from store.delivery import DeliveryVerbs
from store.health import HealthVerbs
from store.inbound import InboundVerbs
from store.migrations import migrate
from store.models import Models, build_models
from store.outbound import OutboundVerbs
from store.rejected import RejectedVerbs
from store.reports import ReportVerbs
from store.retention import RetentionVerbs
from store.errors import StoreError
from store.url import DEFAULT_URL

log = logging.getLogger(__name__)


class Store(CallVerbs, OutboundVerbs, DeliveryVerbs, InboundVerbs, ContactVerbs, ConversationVerbs, SearchVerbs,
            ReportVerbs, HealthVerbs, RetentionVerbs, AlertVerbs, RejectedVerbs):
    """Open with `Store.open(url)`; use as a context manager or call close()."""

    def __init__(self, database: pw.Database, models: Models, url: str = ""):
        self.db = database
        self.models = models
        self.url = url
        self.is_postgresql = isinstance(database, pw.PostgresqlDatabase)
        self._identity = self._file_identity()

    @classmethod
    def open(cls, url: str = DEFAULT_URL, *, busy_timeout: float = 10.0) -> "Store":
        db = open_database(url, busy_timeout=busy_timeout)
        models = build_models(db)
        try:
            migrate(models)
        except BaseException:
            db.close()
            raise
        return cls(db, models, url)

    # What a failed verb can raise: our own errors and the driver's (a full disk surfaces
    # as sqlite3's "database or disk is full", then "cannot rollback").
    failures: tuple[type[BaseException], ...] = (StoreError, pw.PeeweeException, sqlite3.Error)

    def reset_after_error(self) -> None:
        """After a failed write, start clean: SQLite may have rolled the transaction back
        itself (a full disk does), leaving the connection and peewee's transaction stack
        disagreeing. Reconnect (the pragmas are set again), then give back the space a
        grown WAL holds when a checkpoint can run. Never raises: the next verb tells."""
        try:
            self.db.close()
        except Exception:           # noqa: BLE001 - closing a broken connection may fail; it is gone either way
            log.debug("closing the database after an error failed", exc_info=True)
            self.db._state.reset()
        try:
            self.db.connect(reuse_if_open=True)
            if not self.is_postgresql:
                self.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except Exception as exc:     # noqa: BLE001 - the store is still down; the caller retries later
            log.debug("reconnect after an error: %s", exc)

    # -- the file under us ------------------------------------------------------------------------
    def _file_identity(self) -> tuple[int, int] | None:
        """(device, inode) of the SQLite file at our path; (0, 0) when it is gone; None for
        PostgreSQL or an in-memory database."""
        path = getattr(self.db, "database", None)
        if self.is_postgresql or not path or path == ":memory:":
            return None
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return (0, 0)
        except OSError:
            return self._identity
        return (st.st_dev, st.st_ino)

    def file_replaced(self) -> str | None:
        """How the file at our path changed since we opened it (removed, or another file
        moved there: a restore, a careless `rm`), or None while it is the one we hold.
        A connection keeps the old file open after either, so nothing would fail: every
        write would go to a file nobody else sees any more (the hook writes the new one)."""
        if self._identity is None:
            return None
        now = self._file_identity()
        if now == self._identity:
            return None
        if now == (0, 0):
            return f"{self.db.database} was removed"
        return f"{self.db.database} was replaced by another file (inode {self._identity[1]} -> {now[1]})"

    def reopen(self) -> None:
        """Open the file now at our path (creating and migrating it if it is gone or new)."""
        try:
            self.db.close()
        except Exception:           # noqa: BLE001 - the old file's connection; it is being dropped
            self.db._state.reset()
        self.db.connect()
        migrate(self.models)
        self._identity = self._file_identity()

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _write(self):
        """A write transaction (BEGIN IMMEDIATE on SQLite, set on the database)."""
        return self.db.atomic()
