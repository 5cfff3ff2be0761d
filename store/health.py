"""The worker's heartbeat: one `worker_status` row the worker rewrites every few seconds.

`textback status` and `textback doctor` read it to tell a live worker from a dead
one and to show the modem's state without opening the serial port themselves
(the worker holds it; a second reader would steal its replies).
"""
from __future__ import annotations

import json
import logging

from store import times
from store.errors import StoreError

log = logging.getLogger(__name__)

ROW_ID = 1


class HealthVerbs:
    def write_worker_status(self, **fields) -> None:
        """Update the heartbeat row with `fields` (beat_at defaults to now).

        Fields not given keep their last value, so the worker can send only what
        it learnt on this beat. `alerts` is a list of short sentences (it
        replaces the previous list). An unknown field is a bug in the caller.
        """
        known = self._worker_status_fields()
        unknown = sorted(set(fields) - set(known))
        if unknown:
            raise StoreError(f"unknown worker status field(s) {', '.join(unknown)}: "
                             f"use {', '.join(known)}")
        values = dict(fields)
        values.setdefault("beat_at", times.utcnow())
        if "alerts" in values:
            alerts = values["alerts"] or []
            if isinstance(alerts, str):
                alerts = [alerts]
            values["alerts"] = json.dumps([str(a) for a in alerts], ensure_ascii=False)
        WS = self.models.WorkerStatus
        with self._write():
            changed = WS.update({getattr(WS, k): v for k, v in values.items()}).where(WS.id == ROW_ID).execute()
            if not changed:
                WS.insert(id=ROW_ID, **values).execute()

    def _worker_status_fields(self) -> list[str]:
        """The worker may write every column of its row but the id (each optional)."""
        return [n for n in self.models.WorkerStatus._meta.sorted_field_names if n != "id"]

    def worker_status(self) -> dict | None:
        """The last heartbeat as a plain dict (alerts as a list), or None if no worker ever ran."""
        WS = self.models.WorkerStatus
        row = WS.get_or_none(WS.id == ROW_ID)
        if row is None:
            return None
        data = {name: getattr(row, name) for name in self._worker_status_fields()}
        try:
            alerts = json.loads(row.alerts or "[]")
        except ValueError:
            log.warning("worker_status.alerts is not JSON: %r", row.alerts)
            alerts = [row.alerts]
        data["alerts"] = alerts if isinstance(alerts, list) else [str(alerts)]
        return data
