"""What the worker clears off the modem (issue 11, case 5), and texts filed late: a real
SQLite file, the store's own verbs."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from store.errors import StoreError

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=timezone.utc)
PDU = "0011000B912121550521F30000A70568656C6C6F"


def test_a_cleared_copy_is_recorded_once_per_slot(store):
    assert store.record_rejected_sms("ME", 3, 2, "draft", PDU, T0, detail="expected SMS-DELIVER")
    assert not store.record_rejected_sms("ME", 3, 2, "draft", PDU, T0 + timedelta(seconds=1))   # seen again
    assert store.record_rejected_sms("ME", 4, 2, "draft", PDU, T0)                 # the same draft twice
    assert store.record_rejected_sms("SM", 1, 1, "unreadable", "0791", T0)
    assert store.rejected_sms_counts() == {"draft": 2, "unreadable": 1}
    assert store.rejected_sms_counts(since=T0 + timedelta(hours=1)) == {}
    with pytest.raises(StoreError, match="unknown reason 'junk' for a rejected SMS: use one of draft, sent_copy"):
        store.record_rejected_sms("ME", 5, 1, "junk", PDU, T0)


def test_a_late_text_is_history_not_a_waiting_reply(store):
    message_id, created = store.record_inbound("+12125550123", "Yes call me", T0 - timedelta(days=30),
                                               key="k-late", late=True)
    row = store.message(message_id)
    assert created and (row.status, row.read_at is not None) == ("late", True)
    assert store.inbox() == []
    assert [c.number for c in store.inbox(include_read=True)] == ["+12125550123"]
