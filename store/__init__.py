"""The store: schema, database opening, migrations and the queue verbs.

`from store import Store` works, but is lazy: the AGI hook imports
store.fast_record / store.errors / store.facts on every call and must not pay
for peewee, so nothing here is imported until asked for.
"""
from __future__ import annotations

__all__ = ["Store", "open_database", "StoreError", "StoreUnavailable"]


def __getattr__(name: str):
    if name == "Store":
        from store.queue import Store
        return Store
    if name == "open_database":
        from store.database import open_database
        return open_database
    if name in ("StoreError", "StoreUnavailable"):
        from store import errors
        return getattr(errors, name)
    raise AttributeError(f"module 'store' has no attribute {name!r}")
