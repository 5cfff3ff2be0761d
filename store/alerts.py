"""Alerts: the few things a person must act on, one row per kind of trouble.

The worker raises an alert when it sees the trouble (the hourly cap holding calls, the
receive memory nearly full, the disk nearly full, the database file replaced, the
modem gone, texts failing in a row...) and clears it when the trouble is gone. Raising
an active alert again only refreshes its sentence. `textback status` and `doctor` show
the active ones; the worker texts each to the staff phones at most once an hour
(`due_to_text`), so a flood of forged calls is one text, not hundreds.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from store import times

TEXT_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class AlertRecord:
    key: str
    text: str
    active: bool
    raised_at: datetime
    cleared_at: datetime | None
    texted_at: datetime | None


class AlertVerbs:
    def raise_alert(self, key: str, text: str, now: datetime | None = None) -> bool:
        """Raise (or refresh) the alert `key`; True when it was not active before."""
        Alert = self.models.Alert
        now = now or times.utcnow()
        with self._write():
            row = Alert.get_or_none(Alert.key == key)
            if row is None:
                Alert.insert(key=key, text=text, active=True, raised_at=now, updated_at=now).execute()
                return True
            fresh = not row.active
            update = {Alert.text: text, Alert.updated_at: now, Alert.active: True, Alert.cleared_at: None}
            if fresh:
                update[Alert.raised_at] = now
            if text != row.text or fresh:
                Alert.update(update).where(Alert.id == row.id).execute()
            return fresh

    def clear_alert(self, key: str, now: datetime | None = None) -> bool:
        """The trouble is gone; True when the alert was active."""
        Alert = self.models.Alert
        now = now or times.utcnow()
        with self._write():
            return bool(Alert.update({Alert.active: False, Alert.cleared_at: now, Alert.updated_at: now})
                        .where((Alert.key == key) & Alert.active).execute())

    def active_alerts(self) -> list[AlertRecord]:
        Alert = self.models.Alert
        return [_record(r) for r in Alert.select().where(Alert.active).order_by(Alert.raised_at, Alert.id)]

    def due_to_text(self, now: datetime | None = None, every: timedelta = TEXT_EVERY) -> list[AlertRecord]:
        """Active alerts the staff phones have not been told about in the last `every`."""
        Alert = self.models.Alert
        now = now or times.utcnow()
        rows = Alert.select().where(Alert.active & (Alert.texted_at.is_null() | (Alert.texted_at <= now - every)))
        return [_record(r) for r in rows.order_by(Alert.raised_at, Alert.id)]

    def mark_alert_texted(self, key: str, now: datetime | None = None) -> None:
        Alert = self.models.Alert
        with self._write():
            Alert.update({Alert.texted_at: now or times.utcnow()}).where(Alert.key == key).execute()


def _record(row) -> AlertRecord:
    return AlertRecord(key=row.key, text=row.text, active=row.active, raised_at=row.raised_at,
                       cleared_at=row.cleared_at, texted_at=row.texted_at)
