"""The workers' heartbeats: one `worker_status` row per worker, rewritten every few seconds.

`textback status` and `textback doctor` read them to tell a live worker from a dead
one and to show each modem's state without opening the serial port themselves
(the worker holds it; a second reader would steal its replies).

With the one [modem] the row is id 1, modem_name "" (as before schema v11, so an
existing store keeps its row). With several modems ([[modem]] entries, one worker
each) each worker has its own row, found by its modem_name.
"""
from __future__ import annotations

import json
import logging
from typing import Any

import peewee as pw

from store import rows, times
from store.errors import StoreError
from store.models import Models
from store.records import WorkerStatus

log = logging.getLogger(__name__)

ROW_ID = 1          # the one [modem]'s row (modem_name "")
# Columns holding a JSON list of sentences.
_LISTS = ("alerts", "modem_flags")


def status_fields(models: Models) -> list[str]:
    """The worker may write every column of its row but the id (each optional)."""
    return [n for n in models.WorkerStatus._meta.sorted_field_names if n != "id"]


def write_worker_status(models: Models, fields: dict[str, Any]) -> None:
    """Update the row of `fields["modem_name"]` ("" or absent: the one [modem]'s row 1)."""
    known = status_fields(models)
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise StoreError(f"unknown worker status field(s) {', '.join(unknown)}: use {', '.join(known)}")
    values = dict(fields)
    name = values.pop("modem_name", "") or ""
    values.setdefault("beat_at", times.utcnow())
    for column in _LISTS:
        if column in values:
            items = values[column] or []
            if isinstance(items, str):
                items = [items]
            values[column] = json.dumps([str(a) for a in items], ensure_ascii=False)
    WS = models.WorkerStatus
    with rows.write(models):
        changed = WS.update({getattr(WS, k): v for k, v in values.items()}).where(_row_of(models, name)).execute()
        if changed:
            return
        if not name:
            WS.insert(id=ROW_ID, modem_name="", **values).execute()
            return
        # Row 1 stays the one [modem]'s even before it first beats: a named worker takes
        # the next free id. Two first beats at once may pick the same id; the loser's beat
        # fails (logged) and its next beat, a few seconds on, finds the id taken and moves on.
        top = WS.select(pw.fn.MAX(WS.id)).scalar() or 0
        WS.insert(id=max(top, ROW_ID) + 1, modem_name=name, **values).execute()


def _row_of(models: Models, name: str) -> Any:
    WS = models.WorkerStatus
    return (WS.id == ROW_ID) if not name else ((WS.modem_name == name) & (WS.id != ROW_ID))


def worker_status(models: Models, modem_name: str = "") -> WorkerStatus | None:
    """The heartbeat of the worker driving `modem_name` ("": the one [modem]), or None."""
    row = models.WorkerStatus.get_or_none(_row_of(models, modem_name or ""))
    return None if row is None else _record(models, row)


def worker_statuses(models: Models) -> list[WorkerStatus]:
    """Every worker's heartbeat, the one [modem]'s first, then by modem name."""
    WS = models.WorkerStatus
    found = [_record(models, row) for row in WS.select().order_by(WS.id)]
    return sorted(found, key=lambda s: (s.modem_name != "", s.modem_name))


def _record(models: Models, row: Any) -> WorkerStatus:
    values = {name: getattr(row, name) for name in status_fields(models)}
    values["modem_name"] = "" if row.id == ROW_ID else (row.modem_name or "")
    for column in _LISTS:
        text = getattr(row, column)
        try:
            items = json.loads(text or "[]")
        except ValueError:
            log.warning("worker_status.%s is not JSON: %r", column, text)
            items = [text]
        values[column] = tuple(str(a) for a in items) if isinstance(items, list) else (str(items),)
    return WorkerStatus(**values)
