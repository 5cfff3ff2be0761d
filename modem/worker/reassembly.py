"""Received SMS -> whole texts, whichever way the parts came: the one place parts are joined.

A text in one SMS is whole at once. The parts of a long text (FAULT no-reassembly: the
library hands each part over alone) wait here until all have come, then are joined in
sequence order, where an emoji split across two parts is put back together
(join_texts), and come out as one InboundText with the store's dedupe key:

- a part with a copy on the modem (SIM/ME memory and index) waits in memory; the copy
  stays on the modem until the whole text is recorded, so after a restart the sweep
  brings the part back;
- a part delivered directly (+CMT) has no other copy: it is committed to the store
  (keep_inbound_part) before add() returns, and the store drops it in the transaction
  that records the whole text (InboundText.joined_from).

A long text is one text whichever way each of its parts came (even a mix), and is
stored once: its key (store.facts.concat_key) is the same both ways.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from modem.device.records import StoredSms
from modem.sms.pdu import join_texts
from modem.worker.ports import PartKeeper
from store.facts import concat_key

log = logging.getLogger(__name__)

# Parts of a long text still incomplete after this long are stored as they are.
PART_WAIT = timedelta(hours=24)
# What stands in for a part that never came.
MISSING_PART = "[…]"


@dataclass(frozen=True)
class InboundText:
    """One whole received text, as Conversation.receive takes it."""

    sender: str
    body: str
    received_at: datetime
    key: str                             # the store records a text once per key
    parts: int = 1                       # how many SMS it came in
    joined_from: tuple[int, int] | None = None   # (reference, total) of a long text's parts


@dataclass(frozen=True)
class Whole:
    """A whole text, and the modem's copies of it to delete once the store has it."""

    text: InboundText
    copies: tuple[StoredSms, ...]


@dataclass(frozen=True)
class _Part:
    text: str
    smsc_timestamp: datetime | None
    copy: StoredSms | None               # None: kept by the store, no copy on the modem


_Group = tuple[str, int, int]            # (sender, concat reference, total)
_Parts = dict[int, _Part]                # seq -> part, for one text
# Reference 0 is what some phones put on every long text, so two long texts from one
# phone share (sender, reference, total); their parts are told apart by the service
# centre's time: a phone sends the parts of one text back to back, so each part is
# stamped within a minute of another of its text. (Any other reference names one text.)
PART_SPREAD = timedelta(minutes=1)


class Reassembly:
    """Holds the parts of long texts until they are whole. Called from the loop's thread."""

    def __init__(self, store: PartKeeper):
        self.store = store
        self._groups: dict[_Group, list[_Parts]] = {}    # reference 0: maybe several texts

    def add(self, sms: StoredSms, now: datetime) -> Whole | None:
        """Take one readable SMS; the whole text once it is complete, else None.
        Raises StoreError when a part without a copy could not be kept (or the parts
        kept before could not be read); a part with a copy is then seen again."""
        sender = sender_of(sms)
        if not sms.concat or sms.concat[1] <= 1:
            key = f"sms:{sender}:{_stamp(sms)}:{_digest(sms.pdu)}"
            text = InboundText(sender, join_texts([sms.text]), sms.smsc_timestamp or now, key)
            return Whole(text, (sms,) if sms.memory is not None else ())
        reference, total, seq = sms.concat
        group_id = (sender, reference, total)
        texts = self._groups.get(group_id)
        if texts is None:
            # Parts kept before (by this worker before a restart, say) belong to this text too.
            kept = {kept.seq: _Part(kept.body, kept.smsc_timestamp, None)
                    for kept in self.store.kept_inbound_parts(sender, reference, total)}
            texts = [kept]
        group = _text_for(texts, seq, sms, PART_SPREAD if reference == 0 else None)
        if sms.memory is None:
            # Delivered directly (+CMT), with no copy on the modem: commit the part now.
            # A half emoji at a part's edge cannot be stored alone (it becomes U+FFFD in
            # the store); the part as it came waits here, so the halves still pair up.
            self.store.keep_inbound_part(sender, reference, total, seq, join_texts([sms.text]),
                                         sms.smsc_timestamp)
        group[seq] = _Part(sms.text, sms.smsc_timestamp, sms if sms.memory is not None else None)
        self._groups[group_id] = texts
        if len(group) < total:
            return None
        return self._join(group_id, group, now)

    def expired(self, now: datetime) -> list[Whole]:
        """Long texts whose parts have waited more than PART_WAIT: what arrived, as it is."""
        wholes = []
        for group_id, texts in list(self._groups.items()):
            for group in list(texts):
                oldest = min((p.smsc_timestamp for p in group.values() if p.smsc_timestamp), default=None)
                if oldest is not None and now - oldest > PART_WAIT:
                    sender, _reference, total = group_id
                    log.warning("long text from %s: %d of %d parts came in %s; storing what arrived",
                                sender, len(group), total, PART_WAIT)
                    wholes.append(self._join(group_id, group, now))
        return wholes

    def _join(self, group_id: _Group, group: _Parts, now: datetime) -> Whole:
        sender, reference, total = group_id
        others = self._groups.get(group_id, [])
        others[:] = [other for other in others if other is not group]
        if not others:
            self._groups.pop(group_id, None)
        ordered = [group.get(seq) for seq in range(1, total + 1)]
        present = [part for part in ordered if part is not None]
        first = ordered[0] or min(present, key=lambda part: part.smsc_timestamp or now)
        texts = [part.text if part is not None else MISSING_PART for part in ordered]
        body = join_texts(texts)
        text = InboundText(sender, body, first.smsc_timestamp or now,
                           concat_key(sender, reference, total, first.smsc_timestamp, body),
                           parts=total, joined_from=(reference, total))
        return Whole(text, tuple(part.copy for part in present if part.copy is not None))


def _text_for(texts: list[_Parts], seq: int, sms: StoredSms, spread: timedelta | None) -> _Parts:
    """Which of the texts sharing a (sender, reference, total) this part belongs to; a new
    one (added to `texts`) when none fits. A part seen again (the same copy, or the same
    text and time) goes where it was; else the text still missing this part whose parts
    were stamped nearest to it, within `spread` (None: any distance, one text)."""
    for group in texts:
        known = group.get(seq)
        if known is not None and (known.copy == sms or (known.text, known.smsc_timestamp)
                                  == (sms.text, sms.smsc_timestamp)):
            return group
    best, best_gap = None, None
    for group in texts:
        if seq in group:
            continue
        stamps = [p.smsc_timestamp for p in group.values() if p.smsc_timestamp is not None]
        gap = (min(abs(stamp - sms.smsc_timestamp) for stamp in stamps)
               if stamps and sms.smsc_timestamp is not None else timedelta(0))
        if spread is not None and gap > spread:
            continue
        if best_gap is None or gap < best_gap:
            best, best_gap = group, gap
    if best is None:
        if spread is None and texts:
            # Any other reference names one text: a part seen twice replaces itself.
            return texts[0]
        best = {}
        texts.append(best)
    return best


def sender_of(sms: StoredSms) -> str:
    """The sender in international form when the network gave bare digits."""
    return sms.sender if sms.sender.startswith("+") or not sms.sender.isdigit() else f"+{sms.sender}"


def _stamp(sms: StoredSms) -> str:
    return sms.smsc_timestamp.isoformat() if sms.smsc_timestamp else ""


def _digest(pdu_hex: str) -> str:
    return hashlib.sha1(pdu_hex.encode()).hexdigest()[:16]
