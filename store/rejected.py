"""Rejected-SMS verbs: what the worker cleared off the modem without filing it as a text.

A SIM that lived in a phone holds drafts and copies of sent texts; now and then a
received PDU cannot be read. They fill the receive memory until new replies wait at the
network for ever, so the worker clears them, and records each here first (the reason,
the PDU as the modem held it): the modem's copy is deleted only after this commit.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

import peewee as pw

from store import rows
from store.errors import StoreError
from store.models import Models

REASONS = ("draft", "sent_copy", "unreadable")


def record_rejected_sms(models: Models, memory: str, slot: int, stat: int | None, reason: str, pdu: str,
                        found_at: datetime, detail: str) -> bool:
    if reason not in REASONS:
        raise StoreError(f"unknown reason {reason!r} for a rejected SMS: use one of {', '.join(REASONS)}")
    key = hashlib.sha1(f"{memory}:{slot}:{pdu}".encode()).hexdigest()
    Rejected = models.RejectedSms
    with rows.write(models):
        if Rejected.get_or_none(Rejected.key == key) is not None:
            return False
        Rejected.insert(memory=memory, slot=slot, stat=stat, reason=reason, detail=detail[:500],
                        pdu=pdu, found_at=found_at, key=key).execute()
    return True


def rejected_sms_counts(models: Models, since: datetime | None) -> dict[str, int]:
    Rejected = models.RejectedSms
    query = Rejected.select(Rejected.reason, pw.fn.COUNT(Rejected.id).alias("n")).group_by(Rejected.reason)
    if since is not None:
        query = query.where(Rejected.found_at >= since)
    return {row.reason: int(row.n) for row in query}
