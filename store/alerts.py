"""Alerts: the few things a person must act on, one row per kind of trouble.

The worker raises an alert when it sees the trouble (the hourly cap holding calls, the
receive memory nearly full, the disk nearly full, the database file replaced, the
modem gone, texts failing in a row...) and clears it when the trouble is gone. Raising
an active alert again only refreshes its sentence. `textback status` and `doctor` show
the active ones; the worker texts each to the staff phones at most once an hour
(`due_to_text`), so a flood of forged calls is one text, not hundreds.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from store import events, rows
from store.models import Models
from store.records import AlertRecord

TEXT_EVERY = timedelta(hours=1)


def raise_alert(models: Models, key: str, text: str, now: datetime) -> bool:
    Alert = models.Alert
    with rows.write(models):
        row = Alert.get_or_none(Alert.key == key)
        if row is None:
            Alert.insert(key=key, text=text, active=True, raised_at=now, updated_at=now).execute()
            events.emit(models, "alert.raised", {"key": key, "text": text}, now)
            return True
        fresh = not row.active
        update = {Alert.text: text, Alert.updated_at: now, Alert.active: True, Alert.cleared_at: None}
        if fresh:
            update[Alert.raised_at] = now
        if text != row.text or fresh:
            Alert.update(update).where(Alert.id == row.id).execute()
        if fresh:
            events.emit(models, "alert.raised", {"key": key, "text": text}, now)
        return bool(fresh)


def clear_alert(models: Models, key: str, now: datetime) -> bool:
    Alert = models.Alert
    with rows.write(models):
        row = Alert.get_or_none((Alert.key == key) & Alert.active)
        if row is None:
            return False
        (Alert.update({Alert.active: False, Alert.cleared_at: now, Alert.updated_at: now})
         .where(Alert.id == row.id).execute())
        events.emit(models, "alert.cleared", {"key": key, "text": row.text}, now)
        return True


def active_alerts(models: Models) -> list[AlertRecord]:
    Alert = models.Alert
    return [_record(r) for r in Alert.select().where(Alert.active).order_by(Alert.raised_at, Alert.id)]


def due_to_text(models: Models, now: datetime, every: timedelta) -> list[AlertRecord]:
    Alert = models.Alert
    found = Alert.select().where(Alert.active & (Alert.texted_at.is_null() | (Alert.texted_at <= now - every)))
    return [_record(r) for r in found.order_by(Alert.raised_at, Alert.id)]


def mark_alert_texted(models: Models, key: str, now: datetime) -> None:
    Alert = models.Alert
    with rows.write(models):
        Alert.update({Alert.texted_at: now}).where(Alert.key == key).execute()


def _record(row: rows.Row) -> AlertRecord:
    return AlertRecord(key=row.key, text=row.text, active=row.active, raised_at=row.raised_at,
                       cleared_at=row.cleared_at, texted_at=row.texted_at)
