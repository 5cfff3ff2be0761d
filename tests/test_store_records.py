"""The store's verbs hand out frozen records, and each record keeps up with its table."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from store.records import MessageRecord, WorkerStatus

T0 = datetime(2025, 3, 4, 15, 30, tzinfo=timezone.utc)
BOB = "+12125550123"


def test_a_message_record_has_every_column_of_the_message_table(store):
    columns = set(store.models.Message._meta.fields) - {"contact", "call"}
    assert columns | {"contact_number", "call_id"} == {f.name for f in dataclasses.fields(MessageRecord)}


def test_the_worker_status_record_has_every_column_of_its_row(store):
    columns = set(store.models.WorkerStatus._meta.fields) - {"id"}
    assert columns == {f.name for f in dataclasses.fields(WorkerStatus)}


def test_records_are_frozen(store):
    message = store.message(store.queue_message(BOB, "staff_reply", "Hi", T0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.status = "sent"
