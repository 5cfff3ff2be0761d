"""One inbound path: a long text is one text whichever way its parts came.

End to end, a modem that delivers straight to the worker (+CMT, no copy on the SIM:
FAULT cmt-ignored's other side) against the simulator; and modem/worker/reassembly.py
against a real SQLite store for what a pty cannot stage in a test's time: a worker
restarting between the parts, parts that came both ways, parts that never all come.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from sim_helpers import wait_until
from test_worker_support import STAFF, US, Rig

from modem.device.records import StoredSms
from modem.worker.reassembly import MISSING_PART, PART_WAIT, Reassembly
from store.facts import concat_key

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
# UCS-2, three parts of 67 UTF-16 units; the first emoji is cut between parts 1 and 2.
LONG = "Hi! " + "x" * 62 + "\U0001F600" + " we need the boiler looked at. " + "y" * 60 + " thanks \U0001F44D"


@pytest.fixture
def direct(tmp_path):
    """The worker with a modem told to deliver SMS directly (AT+CNMI mt=2; reports too, ds=1)."""
    made = Rig(tmp_path)
    made.config = dataclasses.replace(made.config, modem=dataclasses.replace(made.config.modem,
                                                                           cnmi="2,2,0,1,0"))
    yield made.start()
    made.stop()


def test_a_long_text_delivered_directly_is_one_message_with_its_emoji(direct):
    wait_until(lambda: direct.worker.modem is not None, what="modem open")
    assert direct.worker.modem.cnmi == "2,2,0,1,0"                     # +CMT, no SIM copy
    direct.sim.inject_sms(US, LONG, parts_order=[3, 1, 2])
    wait_until(lambda: direct.messages(number=US, direction="in"), what="joined reply stored")
    [stored] = direct.messages(number=US, direction="in")
    assert (stored.body, stored.parts) == (LONG, 3)
    wait_until(lambda: direct.sent_to(STAFF), what="forwarded")
    assert direct.store.models.InboundPart.select().count() == 0      # the kept parts went with it
    assert not direct.sim.stored("SM")                                 # nothing was ever on the SIM


def test_a_long_stop_delivered_directly_is_honoured_once(direct):
    wait_until(lambda: direct.worker.modem is not None, what="modem open")
    stop = "STOP " + "please take me off your list, I have had the boiler fixed elsewhere. " * 3
    direct.sim.inject_sms(US, stop.strip())
    wait_until(lambda: direct.store.is_opted_out(US), what="opted out")
    wait_until(lambda: direct.sent_to(US), what="confirmation sent")
    [stored] = direct.messages(number=US, direction="in")
    assert stored.parts > 1 and stored.body == stop.strip()
    assert len(direct.sent_to(US)) == 1 and not direct.sent_to(STAFF)


# -- the component on its own, over a real store ---------------------------------------------
def _part(seq: int, text: str, *, total: int = 3, memory: str | None = None, index: int | None = None,
          at: datetime = T0, reference: int = 9) -> StoredSms:
    return StoredSms(memory=memory, index=index, sender="12125550123", text=text, smsc_timestamp=at,
                     concat=(reference, total, seq), pdu=f"PDU{reference}-{seq}")


def test_parts_kept_before_a_restart_complete_the_text(store):
    before = Reassembly(store)
    assert before.add(_part(1, "Hello "), T0) is None              # direct: kept in the store
    assert before.add(_part(2, "there, "), T0) is None
    after = Reassembly(store)                                      # the worker restarted
    whole = after.add(_part(3, "three!"), T0)
    assert whole is not None and whole.copies == ()
    text = whole.text
    assert (text.sender, text.body, text.parts, text.joined_from) == (US, "Hello there, three!", 3, (9, 3))
    assert text.key == concat_key(US, 9, 3, T0) and text.received_at == T0
    store.record_inbound(text.sender, text.body, text.received_at, text.key, parts=text.parts,
                         joined_from=text.joined_from)
    assert store.kept_inbound_parts(US, 9, 3) == []                 # dropped with the recording


def test_parts_that_came_both_ways_are_one_text_and_only_sim_copies_are_handed_back(store):
    joining = Reassembly(store)
    sim_part = _part(2, "\ude00 b", memory="SM", index=4)
    assert joining.add(_part(1, "a \ud83d"), T0) is None           # direct, ends in half an emoji
    assert joining.add(sim_part, T0) is None
    whole = joining.add(_part(3, " c", memory="ME", index=1), T0)
    assert whole is not None
    assert whole.text.body == "a \U0001F600 b c"                    # the halves pair up again
    assert [(c.memory, c.index) for c in whole.copies] == [("SM", 4), ("ME", 1)]
    # What the store kept of the direct part is storable on its own (U+FFFD for the half).
    assert [p.body for p in store.kept_inbound_parts(US, 9, 3)] == ["a \ufffd"]


def test_a_text_whose_parts_never_all_come_is_stored_as_it_came(store):
    joining = Reassembly(store)
    assert joining.add(_part(1, "first ", memory="SM", index=1), T0) is None
    assert joining.add(_part(3, " last", memory="SM", index=3), T0) is None
    assert joining.expired(T0 + PART_WAIT) == []
    [whole] = joining.expired(T0 + PART_WAIT + timedelta(seconds=1))
    assert whole.text.body == f"first {MISSING_PART} last"
    assert [c.index for c in whole.copies] == [1, 3]
    assert joining.expired(T0 + 2 * PART_WAIT) == []                # handed out once


def test_a_single_sms_is_whole_at_once(store):
    sms = StoredSms(memory="SM", index=2, sender="+12125550123", text="Thanks!", smsc_timestamp=T0,
                    concat=None, pdu="ABCD")
    whole = Reassembly(store).add(sms, T0)
    assert whole is not None and whole.copies == (sms,)
    assert (whole.text.body, whole.text.parts, whole.text.joined_from) == ("Thanks!", 1, None)
    assert whole.text.key.startswith(f"sms:{US}:")


def test_two_long_texts_with_reference_0_are_told_apart_by_time(store):
    # Some phones put reference 0 on every long text: two from one phone share sender,
    # reference and total. Their parts came in crossed (A1 B2 B1 A2); today's main joined
    # A1+B2 and B1+A2 and deleted the copies.
    later = T0 + timedelta(minutes=2)
    joining = Reassembly(store)
    a1 = _part(1, "Boiler ", total=2, memory="SM", index=1, reference=0)
    b2 = _part(2, "kitchen.", total=2, memory="SM", index=2, reference=0, at=later)
    b1 = _part(1, "Radiator in the ", total=2, memory="SM", index=3, reference=0, at=later)
    a2 = _part(2, "knocks.", total=2, memory="SM", index=4, reference=0)
    b2 = dataclasses.replace(b2, pdu="PDU0-2b")
    b1 = dataclasses.replace(b1, pdu="PDU0-1b")
    assert joining.add(a1, later) is None and joining.add(b2, later) is None
    first = joining.add(b1, later)
    second = joining.add(a2, later)
    assert (first.text.body, [c.index for c in first.copies]) == ("Radiator in the kitchen.", [3, 2])
    assert (second.text.body, [c.index for c in second.copies]) == ("Boiler knocks.", [1, 4])
    assert first.text.key != second.text.key
    # Seen again by the next sweep before its delete: the same part, not a third text.
    again = Reassembly(store)
    assert again.add(a1, later) is None and again.add(a1, later) is None
    assert again.add(a2, later).text.body == "Boiler knocks."
