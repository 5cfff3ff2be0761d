"""Texts from the modem into the store, and only then off the modem.

One job: take what the modem announces or what a sweep of its memories finds, join the
parts of long texts, hand each whole text to the conversation (which stores it and acts
on it), and delete the modem's copy only after the store has committed it. A copy that
could not be stored stays on the modem, and the next sweep brings it back; the
store's key makes the second time a no-op.

Parts with a copy on the modem stay there until all have come, then are joined here,
where an emoji split across two parts can be put back together.
"""
from __future__ import annotations

import hashlib
import logging
import queue
import threading
from datetime import datetime, timedelta
from typing import Callable

from modem.device.errors import ModemError, ModemLost
from modem.device.records import StoredSms
from modem.sms.pdu import join_texts
from store.errors import StoreError
from store.facts import concat_key

log = logging.getLogger(__name__)

# Parts of a long text still incomplete after this long are stored as they are.
PART_WAIT = timedelta(hours=24)


class Receiver:
    """The loop's receiving side; `take` is called from the modem's notification thread,
    everything else from the loop's thread."""

    def __init__(self, store, conversation, now: Callable[[], datetime], wake: threading.Event):
        self.store = store
        self.conversation = conversation
        self.now = now
        self.wake = wake
        self.last_received_at: datetime | None = None
        self._inbox: queue.Queue[StoredSms] = queue.Queue()
        self._parts: dict[tuple[str, int, int], dict[int, StoredSms]] = {}
        self._garbled_seen: set[str] = set()

    def take(self, sms: StoredSms) -> None:
        """The modem announced a text (its notification thread): queue it, wake the loop."""
        self._inbox.put(sms)
        self.wake.set()

    def pending(self) -> bool:
        return not self._inbox.empty()

    def sweep(self, modem) -> None:
        """Queue every text in the modem's memories: the notices that never came."""
        found = modem.list_stored()
        if found:
            log.debug("sweep found %d message(s) on the modem", len(found))
        for sms in found:
            self._inbox.put(sms)
        self._expire_parts(modem)

    def drain(self, modem) -> None:
        """Store and act on each queued text; `modem` None: its copy stays for later."""
        while True:
            try:
                sms = self._inbox.get_nowait()
            except queue.Empty:
                return
            try:
                self._handle_sms(modem, sms)
            except ModemLost:
                raise
            except StoreError:
                # Not committed: the copy stays on the modem and the next sweep brings it back.
                log.exception("could not store the text at %s/%s; it stays on the modem", sms.memory, sms.index)

    def _handle_sms(self, modem, sms: StoredSms) -> None:
        now = self.now()
        if not sms.ok:
            if sms.pdu not in self._garbled_seen:
                self._garbled_seen.add(sms.pdu)
                log.warning("a received message at %s/%s cannot be read (%s); left on the modem for a person",
                            sms.memory, sms.index, sms.error)
            return
        sender = sms.sender if sms.sender.startswith("+") or not sms.sender.isdigit() else f"+{sms.sender}"
        if sms.concat and sms.concat[1] > 1:
            self._handle_part(modem, sms, sender, now)
            return
        key = f"sms:{sender}:{_stamp(sms)}:{_digest(sms.pdu)}"
        outcome = self.conversation.receive(sender, join_texts([sms.text]), sms.smsc_timestamp or now,
                                            key, now)
        self.last_received_at = now
        self._delete(modem, [sms], duplicate=outcome.action == "duplicate")

    def _handle_part(self, modem, sms: StoredSms, sender: str, now: datetime) -> None:
        reference, total, seq = sms.concat
        if sms.memory is None:
            # Delivered directly (+CMT), with no copy on the modem: commit the part now.
            # A half emoji at a part's edge cannot be stored alone; it becomes U+FFFD.
            whole = self.store.add_inbound_part(sender, reference, total, seq, join_texts([sms.text]),
                                                sms.smsc_timestamp, received_at=now,
                                                kind=self.conversation.kind_of(sender))
            if whole is not None:
                message_id, text = whole
                self.conversation.receive_recorded(sender, text, message_id, now)
                self.last_received_at = now
            return
        # Parts with a copy on the modem stay there until all have come: then the text is
        # joined here, where an emoji split across two parts can be put back together.
        group = self._parts.setdefault((sender, reference, total), {})
        group[seq] = sms
        if len(group) < total:
            return
        self._store_parts(modem, sender, reference, total, now)

    def _store_parts(self, modem, sender: str, reference: int, total: int, now: datetime) -> None:
        group = self._parts.pop((sender, reference, total))
        ordered = [group.get(seq) for seq in range(1, total + 1)]
        texts = [p.text if p else "[…]" for p in ordered]
        first = ordered[0] or min((p for p in ordered if p), key=lambda p: p.smsc_timestamp or now)
        key = concat_key(sender, reference, total, first.smsc_timestamp)
        outcome = self.conversation.receive(sender, join_texts(texts), first.smsc_timestamp or now, key, now,
                                            parts=total)
        self.last_received_at = now
        self._delete(modem, [p for p in ordered if p], duplicate=outcome.action == "duplicate")

    def _expire_parts(self, modem) -> None:
        now = self.now()
        for (sender, reference, total), group in list(self._parts.items()):
            oldest = min((p.smsc_timestamp for p in group.values() if p.smsc_timestamp), default=None)
            if oldest is not None and now - oldest > PART_WAIT:
                log.warning("long text from %s: %d of %d parts came in %s; storing what arrived",
                            sender, len(group), total, PART_WAIT)
                self._store_parts(modem, sender, reference, total, now)

    def _delete(self, modem, parts: list[StoredSms], duplicate: bool) -> None:
        if modem is None:
            return      # the copy stays; the sweep after reconnecting finds it, the key dedupes it
        for sms in parts:
            if sms.memory is None or sms.index is None:
                continue
            if duplicate:
                # Seen before: the slot may have been freed and reused by a new text since.
                # Delete only if it still holds this very message.
                current = modem.read_stored(sms.memory, sms.index)
                if current is None or getattr(current, "pdu", None) != sms.pdu:
                    continue
            try:
                modem.delete_stored(sms.memory, sms.index)
            except ModemLost:
                raise
            except ModemError as exc:
                log.warning("could not delete %s/%s from the modem (%s); the sweep will see it again",
                            sms.memory, sms.index, exc.text)


def _stamp(sms: StoredSms) -> str:
    return sms.smsc_timestamp.isoformat() if sms.smsc_timestamp else ""


def _digest(pdu_hex: str) -> str:
    return hashlib.sha1(pdu_hex.encode()).hexdigest()[:16]
