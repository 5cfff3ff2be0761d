"""Opt-outs keep their evidence and get one confirmation however they arrive (keyword,
staff block, both); a possible opt-out pauses the automated texts until staff settle it."""
from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from store import Store
from store.errors import StoreError
from store.records import OptOutEvidence

T0 = datetime(2025, 3, 4, 15, 30, tzinfo=UTC)
BOB = "+12125550123"
SORRY = "You won't get any more texts."
WRONG = OptOutEvidence(rule="keyword", matched="stop", text="Stop. Wrong number", wrong_number=True)


def confirmations(store, number=BOB) -> list[dict]:
    return [m for m in store.thread(number) if m.kind == "keyword_reply"]


def test_an_opt_out_keeps_its_evidence_and_marks_a_wrong_number(store):
    store.queue_message(BOB, "follow_up", "still there?", T0 + timedelta(hours=2))
    message_id, result = store.receive_opt_out(BOB, "Stop. Wrong number", T0, "k1", evidence=WRONG,
                                               confirmation=SORRY, now=T0)
    assert (result.changed, result.cancelled) == (True, 1) and result.confirmation_id
    [event] = store.opt_out_events(BOB)
    assert {k: getattr(event, k) for k in ("action", "rule", "matched", "text", "wrong_number", "message_id", "at")} == {
        "action": "opt_out", "rule": "keyword", "matched": "stop", "text": "Stop. Wrong number",
        "wrong_number": True, "message_id": message_id, "at": T0}
    assert store.message(message_id).flag == "opt_out"
    assert store.contact(BOB).wrong_number and store.contact(BOB).opt_out_confirmed_at == T0
    [confirm] = confirmations(store)
    assert (confirm.body, confirm.status) == (SORRY, "scheduled")


def test_the_same_text_read_again_is_honoured_once(store):
    store.receive_opt_out(BOB, "STOP", T0, "k1", evidence=WRONG, confirmation=SORRY, now=T0)
    again, result = store.receive_opt_out(BOB, "STOP", T0, "k1", evidence=WRONG, confirmation=SORRY, now=T0)
    assert result is None and store.message(again).body == "STOP"
    assert len(store.opt_out_events(BOB)) == 1 and len(confirmations(store)) == 1


@pytest.mark.parametrize("order", ["keyword then staff", "staff then keyword", "keyword twice", "staff twice"])
def test_one_confirmation_whichever_way_the_opt_out_arrived(store, order):
    def keyword():
        return store.honour_opt_out(BOB, evidence=WRONG, confirmation=SORRY, now=T0)

    def staff():
        return store.staff_block(BOB, confirmation=SORRY, now=T0)

    first, second = {"keyword then staff": (keyword, staff), "staff then keyword": (staff, keyword),
                     "keyword twice": (keyword, keyword), "staff twice": (staff, staff)}[order]
    assert first().confirmation_id is not None
    assert second().confirmation_id is None
    [confirm] = confirmations(store)
    assert confirm.status == "scheduled", "the second one must not cancel the first's confirmation"


def test_after_an_opt_in_a_new_opt_out_gets_its_own_confirmation(store):
    store.honour_opt_out(BOB, confirmation=SORRY, now=T0)
    store.opt_in(BOB, "START")
    assert store.contact(BOB).opt_out_confirmed_at is None
    assert store.honour_opt_out(BOB, confirmation=SORRY, now=T0).confirmation_id is not None
    assert len(confirmations(store)) == 2


def test_a_staff_block_names_staff_as_the_rule(store):
    store.staff_block(BOB, now=T0)
    [event] = store.opt_out_events(BOB)
    assert (event.action, event.rule, event.text) == ("block", "staff", "")
    assert confirmations(store) == [], "no confirmation text given, none queued"


def test_a_possible_opt_out_pauses_automated_texts_but_never_the_staffs_own(store):
    follow = store.queue_message(BOB, "follow_up", "still there?", T0 + timedelta(hours=2))
    staff = store.queue_message(BOB, "staff_reply", "We can come at 3", T0 + timedelta(minutes=5))
    message_id, created = store.record_inbound(BOB, "not interested", T0, "k1", flag="possible_opt_out", now=T0)
    assert created and store.message(message_id).flag == "possible_opt_out"
    assert store.message(follow).cancel_reason == "possible_opt_out"
    assert store.message(staff).status == "scheduled"
    assert store.contact(BOB).awaiting_staff_at == T0
    # Settled by staff: as an opt-out (block), or as a plain reply (done).
    store.staff_block(BOB, now=T0)
    assert not store.is_awaiting_staff(BOB)


def test_a_joined_long_text_is_flagged_after_it_was_recorded(store):
    message_id, _ = store.record_inbound(BOB, "Not interested in a new boiler ...", T0, "k1")
    follow = store.queue_message(BOB, "text_back", "Hi", T0)
    assert store.flag_possible_opt_out(message_id, T0) == 1
    assert store.message(follow).cancel_reason == "possible_opt_out" and store.is_awaiting_staff(BOB)
    assert store.settle_possible_opt_out(BOB) is True and not store.is_awaiting_staff(BOB)


def test_an_unknown_flag_is_refused(store):
    with pytest.raises(StoreError, match="unknown inbound flag 'maybe'"):
        store.record_inbound(BOB, "x", T0, "k1", flag="maybe")


def test_numbers_opted_out_before_the_upgrade_never_get_a_second_confirmation(tmp_path):
    copy = tmp_path / "v1.db"
    shutil.copy(Path(__file__).parent / "fixtures" / "v1.db", copy)
    with Store.open(f"sqlite:///{copy}") as store:
        uk = "+447700900124"
        assert store.is_opted_out(uk) and store.contact(uk).opt_out_confirmed_at is not None
        assert store.honour_opt_out(uk, confirmation=SORRY).confirmation_id is None
        assert not store.contact("+12125550123").wrong_number
