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
        self._garbled_seen: set[str] = set()

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
        if not sms.ok:
            if sms.pdu not in self._garbled_seen:
                self._garbled_seen.add(sms.pdu)
                log.warning("a received message at %s/%s cannot be read (%s); left on the modem for a person",
                            sms.memory, sms.index, sms.error)
            return
        whole = self.reassembly.add(sms, now)
        if whole is not None:
            self._handle_whole(modem, whole, now)

    def _handle_whole(self, modem: ModemPort | None, whole: Whole, now: datetime) -> None:
        outcome = self.conversation.receive(whole.text, now)
        self.last_received_at = now
        self._delete(modem, whole.copies, duplicate=outcome.action == "duplicate")

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
