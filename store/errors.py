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


def sqlite_error(exc: Exception, path: str, waited: float | None = None) -> StoreError:
    """Turn an sqlite3/peewee error into a StoreError that says what to do; `waited`: how
    long a writer waited for the lock, when it did."""
    text = str(exc)
    lowered = text.lower()
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return NotADatabase(f"{path} is not a usable SQLite database ({text}): "
                            "restore it from a backup or move it aside to start a new one")
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        return DatabaseNotWritable(f"cannot write the database {path} ({text}): "
                                   "give the textback user write access to the file and its directory")
    if "locked" in lowered or "busy" in lowered:
        how_long = f" for {waited:g}s" if waited is not None else ""
        return StoreError(f"the database {path} stayed locked by another process{how_long} ({text}): "
                          "try again; if it persists, look for a stuck textback process")
    if "disk is full" in lowered or "disk full" in lowered:
        return StoreError(f"the disk holding {path} is full ({text}): free some space")
    return StoreError(f"database error on {path}: {text}")
