"""The worker's heartbeat: one `worker_status` row the worker rewrites every few seconds.

`textback status` and `textback doctor` read it to tell a live worker from a dead
one and to show the modem's state without opening the serial port themselves
(the worker holds it; a second reader would steal its replies).
"""
from __future__ import annotations

import json
import logging
from typing import Any

from store import rows, times
from store.errors import StoreError
from store.models import Models
from store.records import WorkerStatus

log = logging.getLogger(__name__)

ROW_ID = 1


def status_fields(models: Models) -> list[str]:
    """The worker may write every column of its row but the id (each optional)."""
    return [n for n in models.WorkerStatus._meta.sorted_field_names if n != "id"]


def write_worker_status(models: Models, fields: dict[str, Any]) -> None:
    known = status_fields(models)
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise StoreError(f"unknown worker status field(s) {', '.join(unknown)}: use {', '.join(known)}")
    values = dict(fields)
    values.setdefault("beat_at", times.utcnow())
    if "alerts" in values:
        alerts = values["alerts"] or []
        if isinstance(alerts, str):
            alerts = [alerts]
        values["alerts"] = json.dumps([str(a) for a in alerts], ensure_ascii=False)
    WS = models.WorkerStatus
    with rows.write(models):
        changed = WS.update({getattr(WS, k): v for k, v in values.items()}).where(WS.id == ROW_ID).execute()
        if not changed:
            WS.insert(id=ROW_ID, **values).execute()


def worker_status(models: Models) -> WorkerStatus | None:
    WS = models.WorkerStatus
    row = WS.get_or_none(WS.id == ROW_ID)
    if row is None:
        return None
    values = {name: getattr(row, name) for name in status_fields(models)}
    try:
        alerts = json.loads(row.alerts or "[]")
    except ValueError:
        log.warning("worker_status.alerts is not JSON: %r", row.alerts)
        alerts = [row.alerts]
    values["alerts"] = tuple(str(a) for a in alerts) if isinstance(alerts, list) else (str(alerts),)
    return WorkerStatus(**values)
