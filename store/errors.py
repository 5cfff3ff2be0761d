"""Errors the store raises, in words a technician can act on.

Standard library only: the AGI hook imports this on every call (via
store.fast_record) and must not pay for importing peewee.
"""
from __future__ import annotations


class StoreError(Exception):
    """Something is wrong with the database; the message says what to do."""


class BadDatabaseURL(StoreError):
    """The database URL in the configuration cannot be used."""


class DatabaseNotWritable(StoreError):
    """The database file or its directory cannot be created or written."""


class NotADatabase(StoreError):
    """The file exists but is not an SQLite database (or is damaged)."""


class SchemaTooNew(StoreError):
    """The database was written by a newer textback than this one."""

    def __init__(self, found: int, known: int):
        self.found = found
        self.known = known
        super().__init__(f"database schema v{found} is newer than this textback (v{known}): upgrade textback")


class DriverMissing(StoreError):
    """The database driver for the URL's scheme is not installed."""


class UnknownMessage(StoreError):
    """A verb named a message id that does not exist (or is not in the expected state)."""


class StoreUnavailable(StoreError):
    """The lean write path could not write in time; the caller should spool the fact.

    `reason` is a short, human sentence (locked, read-only, disk full, ...).
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)
