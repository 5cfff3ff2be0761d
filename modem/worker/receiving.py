"""Texts from the modem into the store, and only then off the modem.

One job: take what the modem announces or what a sweep of its memories finds, make
whole texts of it (reassembly.py, the one place parts are joined), hand each whole text
to the conversation (which stores it and acts on it), and delete the modem's copies
only after the store has committed it. A copy that could not be stored stays on the
modem, and the next sweep brings it back; the store's key makes the second time a no-op.
"""
from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from modem.device.errors import ModemError, ModemLost
from modem.device.records import StoredSms
from modem.worker.conversation import Conversation
from modem.worker.ports import ModemPort, ReceivingStore
from modem.worker.reassembly import Reassembly, Whole
from store.errors import StoreError

log = logging.getLogger(__name__)


class Receiver:
    """The loop's receiving side; `take` is called from the modem's notification thread,
    everything else from the loop's thread."""

    def __init__(self, store: ReceivingStore, conversation: Conversation, now: Callable[[], datetime],
                 wake: threading.Event):
        self.store = store
        self.conversation = conversation
        self.now = now
        self.wake = wake
        self.reassembly = Reassembly(store)
        self.last_received_at: datetime | None = None
        self._inbox: queue.Queue[StoredSms] = queue.Queue()
        self._cleared: Counter[tuple[str, str]] = Counter()    # (memory, reason) since the last log line

    def take(self, sms: StoredSms) -> None:
        """The modem announced a text (its notification thread): queue it, wake the loop."""
        self._inbox.put(sms)
        self.wake.set()

    def pending(self) -> bool:
        return not self._inbox.empty()

    def sweep(self, modem: ModemPort) -> None:
        """Queue every text in the modem's memories: the notices that never came."""
        found = modem.list_stored()
        if found:
            log.debug("sweep found %d message(s) on the modem", len(found))
        for sms in found:
            self._inbox.put(sms)
        now = self.now()
        for whole in self.reassembly.expired(now):
            self._handle_whole(modem, whole, now)

    def drain(self, modem: ModemPort | None) -> None:
        """Store and act on each queued text; `modem` None: its copy stays for later."""
        while True:
            try:
                sms = self._inbox.get_nowait()
            except queue.Empty:
                self._say_cleared()
                return
            try:
                self._handle_sms(modem, sms)
            except ModemLost:
                raise
            except StoreError:
                # Not committed: the copy stays on the modem and the next sweep brings it back.
                log.exception("could not store the text at %s/%s; it stays on the modem", sms.memory, sms.index)

    def _handle_sms(self, modem: ModemPort | None, sms: StoredSms) -> None:
        now = self.now()
        if sms.draft or not sms.ok:
            self._clear(modem, sms, now)
            return
        whole = self.reassembly.add(sms, now)
        if whole is not None:
            self._handle_whole(modem, whole, now)

    def _handle_whole(self, modem: ModemPort | None, whole: Whole, now: datetime) -> None:
        outcome = self.conversation.receive(whole.text, now)
        self.last_received_at = now
        self._delete(modem, whole.copies, duplicate=outcome.action == "duplicate")

    def _clear(self, modem: ModemPort | None, sms: StoredSms, now: datetime) -> None:
        """A draft, a copy of a sent text, or a PDU nobody can read: not a text to file. Left
        on the modem it takes a slot for ever, and a full receive memory keeps new replies
        at the network, so it is recorded in the store (reason, PDU) and only then deleted."""
        reason = ("draft" if sms.status == 2 else "sent_copy") if sms.draft else "unreadable"
        memory, slot = sms.memory or "", sms.index or 0
        self.store.record_rejected_sms(memory, slot, sms.status, reason, sms.pdu, now, detail=sms.error or "")
        self._cleared[(memory or "direct", reason)] += 1
        if sms.memory is None or sms.index is None:
            log.warning("the modem handed over a message nobody can read (%s); recorded, it had no copy to clear",
                        sms.error)
            return
        self._delete(modem, (sms,), duplicate=False)

    def _say_cleared(self) -> None:
        """One line for all that a pass cleared (a full memory is a hundred of them)."""
        if not self._cleared:
            return
        words = {"draft": "draft(s)", "sent_copy": "copy(ies) of sent texts", "unreadable": "unreadable message(s)"}
        said = "; ".join(f"{memory}: " + ", ".join(f"{n} {words[reason]}" for (m, reason), n in sorted(
            self._cleared.items()) if m == memory) for memory in sorted({m for m, _ in self._cleared}))
        log.warning("cleared off the modem, not texts to file (recorded in the store, rejected_sms): %s", said)
        self._cleared.clear()

    def _delete(self, modem: ModemPort | None, copies: Sequence[StoredSms], duplicate: bool) -> None:
        if modem is None:
            return      # the copy stays; the sweep after reconnecting finds it, the key dedupes it
        for sms in copies:
            if sms.memory is None or sms.index is None:
                continue
            if duplicate:
                # Seen before: the slot may have been freed and reused by a new text since.
                # Delete only if it still holds this very message.
                current = modem.read_stored(sms.memory, sms.index)
                if current is None or current.pdu != sms.pdu:
                    continue
            try:
                modem.delete_stored(sms.memory, sms.index)
            except ModemLost:
                raise
            except ModemError as exc:
                log.warning("could not delete %s/%s from the modem (%s); the sweep will see it again",
                            sms.memory, sms.index, exc.text)
