"""One datetime format for every path that writes the database.

Times cross the store's API as timezone-aware UTC and are stored as naive UTC
text in one fixed layout ("YYYY-MM-DD HH:MM:SS.ffffff"). The fixed layout matters:
SQLite compares these columns as text, so every row must use the same width,
and the lean AGI write path (stdlib sqlite3) must produce byte-identical values
to the peewee models. Standard library only.
"""
from __future__ import annotations

from datetime import datetime, timezone

DB_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_db(value: datetime) -> str:
    """Aware datetime -> stored text. A naive datetime is a bug in the caller."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} given to the store: pass timezone-aware UTC")
    return value.astimezone(timezone.utc).replace(tzinfo=None).strftime(DB_FORMAT)


def from_db(value) -> datetime | None:
    """Stored text (SQLite) or naive datetime (PostgreSQL) -> aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
