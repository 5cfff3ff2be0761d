"""Inbound verbs: store a received text once; keep the parts of a long one that have no
other copy until the whole text is recorded.

The worker joins parts (modem/worker/reassembly.py, where an emoji split across two
parts is put back together); the store only keeps what would otherwise be lost and
drops it in the transaction that records the whole. add_inbound_part does both for a
caller without a modem (the parts' texts simply concatenated).
"""
from __future__ import annotations

import logging
from datetime import datetime

from store import times
from store.errors import StoreError
from store.facts import concat_key
from store.models import IN_KINDS
from store.records import KeptPart

log = logging.getLogger(__name__)


class InboundVerbs:
    def record_inbound(self, sender: str, body: str, received_at: datetime, key: str | None = None,
                       kind: str = "reply", parts: int = 1,
                       joined_from: tuple[int, int] | None = None, late: bool = False) -> tuple[int, bool]:
        """Store a received text (`parts`: how many SMS it came in); with the same `key`
        twice it is stored once. joined_from (reference, total): the text was joined from
        those parts, and any the store kept (keep_inbound_part) are dropped in the same
        transaction. late: found long after it was sent (an old SIM): filed with status
        "late" and read, so it is in the thread's history but not new in the inbox.

        Returns (message_id, created). Delete the SIM copy only after this returns.
        """
        with self._write():
            recorded = self._record_inbound(sender, body, received_at, key, kind, parts=parts, late=late)
            if joined_from is not None:
                reference, total = joined_from
                Part = self.models.InboundPart
                Part.delete().where((Part.sender == sender) & (Part.reference == reference)
                                    & (Part.total == total)).execute()
            return recorded

    def keep_inbound_part(self, sender: str, reference: int, total: int, seq: int, body: str,
                          smsc_timestamp: datetime | None) -> None:
        """Commit one part of a long text that has no other copy (delivered directly, +CMT);
        a part kept twice is kept once. record_inbound(joined_from=...) drops it."""
        if not (1 <= seq <= total):
            raise StoreError(f"part {seq} of {total} from {sender} is out of range: a bad PDU")
        Part = self.models.InboundPart
        with self._write():
            (Part.insert(sender=sender, reference=reference, total=total, seq=seq, body=body,
                         smsc_timestamp=smsc_timestamp, received_at=times.utcnow())
             .on_conflict_ignore().execute())

    def kept_inbound_parts(self, sender: str, reference: int, total: int) -> list[KeptPart]:
        """The parts of one long text the store keeps, in sequence order."""
        Part = self.models.InboundPart
        rows = (Part.select().where((Part.sender == sender) & (Part.reference == reference)
                                    & (Part.total == total)).order_by(Part.seq))
        return [KeptPart(seq=r.seq, body=r.body, smsc_timestamp=r.smsc_timestamp) for r in rows]

    def add_inbound_part(self, sender: str, reference: int, total: int, seq: int, body: str,
                         smsc_timestamp: datetime | None, *, received_at: datetime | None = None,
                         kind: str = "reply") -> tuple[int, str] | None:
        """Keep one part of a concatenated SMS; when the last part arrives, return the
        whole text as recorded: (message id, text). (The worker does not use this: it
        joins parts itself, see the module docstring.)

        The part is committed on its own first (so the SIM copy may be deleted
        after this returns). When all parts are in, the assembled message is
        recorded as an inbound message and the parts deleted, in one
        transaction. A part seen twice is a no-op; a whole message assembled a
        second time (the SIM re-read after a crash) is recognised by its key
        and gives None, so it is handled once.
        """
        if not (1 <= seq <= total):
            raise StoreError(f"part {seq} of {total} from {sender} is out of range: a bad PDU")
        Part = self.models.InboundPart
        now = times.utcnow()
        with self._write():
            (Part.insert(sender=sender, reference=reference, total=total, seq=seq, body=body,
                         smsc_timestamp=smsc_timestamp, received_at=now)
             .on_conflict_ignore().execute())
        with self._write():
            group = (Part.sender == sender) & (Part.reference == reference) & (Part.total == total)
            parts = list(Part.select().where(group).order_by(Part.seq))
            if len(parts) < total:
                return None
            text = "".join(p.body for p in parts)
            key = concat_key(sender, reference, total, parts[0].smsc_timestamp, text)
            message_id, created = self._record_inbound(sender, text, received_at or now, key, kind, parts=total)
            Part.delete().where(group).execute()
        return (message_id, text) if created else None

    def _record_inbound(self, sender, body, received_at, key, kind, parts, late=False) -> tuple[int, bool]:
        if kind not in IN_KINDS:
            raise StoreError(f"unknown inbound kind {kind!r}: use one of {', '.join(IN_KINDS)}")
        Message = self.models.Message
        if key is not None:
            existing = Message.get_or_none(Message.inbound_key == key)
            if existing is not None:
                return existing.id, False
        contact = self._contact_row(sender)
        now = times.utcnow()
        row = Message.create(contact=contact, number=sender, direction="in", kind=kind, body=body,
                             status="late" if late else "received", received_at=received_at, inbound_key=key,
                             parts=parts, created_at=now, read_at=now if late else None)
        log.info("inbound %s from %s stored as message %s%s", kind, sender, row.id, " (late)" if late else "")
        return row.id, True
