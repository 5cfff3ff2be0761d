"""The lean writers' rare path (store/fast_record.py for SQLite, fast_record_postgresql.py
for PostgreSQL): a database with no schema, or an older one, is created or migrated through
the full Store. It imports peewee, so the hook imports this module only when it needs it."""
from __future__ import annotations

from store.errors import StoreError, StoreUnavailable


def create_with_store(url: str, timeout: float) -> None:
    from store.queue import Store

    try:
        Store.open(url, busy_timeout=timeout).close()
    except StoreError as exc:
        raise StoreUnavailable(str(exc)) from None
