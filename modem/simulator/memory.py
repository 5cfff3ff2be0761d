"""The simulated modem's message memories (SM on the SIM, ME in the phone, SR for reports).

Each memory has a fixed number of slots, like a real SIM: indexes start at 1, a deleted
slot is reused, and a full memory refuses new messages (the command layer answers
+CMS ERROR: 322). Thread-safe: the serving thread and test code both touch it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime

# 3GPP TS 27.005 <stat> values and their text-mode names.
REC_UNREAD, REC_READ, STO_UNSENT, STO_SENT, ALL = 0, 1, 2, 3, 4
STAT_NAMES = {REC_UNREAD: "REC UNREAD", REC_READ: "REC READ", STO_UNSENT: "STO UNSENT",
              STO_SENT: "STO SENT", ALL: "ALL"}
STAT_BY_NAME = {v: k for k, v in STAT_NAMES.items()}


class MemoryFull(Exception):
    """No free slot in the memory (27.005 error 322)."""


@dataclass(frozen=True)
class StoredMessage:
    """One slot's content: the PDU as the modem keeps it, plus what text mode shows."""

    pdu: str                       # hex, with the SMSC prefix, as +CMGR prints it in PDU mode
    stat: int                      # REC_UNREAD, REC_READ, STO_UNSENT, STO_SENT
    tpdu_length: int               # the <length> field of +CMGR/+CMGL
    kind: str = "deliver"          # deliver | status_report | submit
    number: str = ""               # sender (deliver), recipient (status report / submit)
    text: str = ""                 # decoded text, for text mode
    timestamp: datetime | None = None
    reference: int | None = None   # message reference of a status report
    status: int | None = None      # TP-ST of a status report


class MessageMemory:
    """Numbered slots of one memory; index 1..capacity."""

    def __init__(self, name: str, capacity: int):
        self.name = name
        self.capacity = capacity
        self._slots: dict[int, StoredMessage] = {}
        self._lock = threading.RLock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._slots)

    def store(self, message: StoredMessage) -> int:
        """Put a message in the lowest free slot and return its index."""
        with self._lock:
            for index in range(1, self.capacity + 1):
                if index not in self._slots:
                    self._slots[index] = message
                    return index
            raise MemoryFull(self.name)

    def read(self, index: int, *, mark_read: bool = True) -> StoredMessage | None:
        """The message at `index` (None if empty); reading an unread message marks it read."""
        with self._lock:
            message = self._slots.get(index)
            if message is not None and mark_read and message.stat == REC_UNREAD:
                self._slots[index] = replace(message, stat=REC_READ)
            return message

    def listing(self, stat: int, *, mark_read: bool = True) -> list[tuple[int, StoredMessage]]:
        """(index, message) in index order with this stat (ALL for every one)."""
        with self._lock:
            found = [(i, m) for i, m in sorted(self._slots.items()) if stat == ALL or m.stat == stat]
            if mark_read:
                for i, m in found:
                    if m.stat == REC_UNREAD:
                        self._slots[i] = replace(m, stat=REC_READ)
            return found

    def delete(self, index: int) -> bool:
        with self._lock:
            return self._slots.pop(index, None) is not None

    def delete_flagged(self, delflag: int) -> int:
        """AT+CMGD=<i>,<delflag> with delflag 1-4 (27.005 3.5.4); returns how many went."""
        doomed = {1: {REC_READ}, 2: {REC_READ, STO_SENT}, 3: {REC_READ, STO_SENT, STO_UNSENT},
                  4: {REC_UNREAD, REC_READ, STO_SENT, STO_UNSENT}}[delflag]
        with self._lock:
            gone = [i for i, m in self._slots.items() if m.stat in doomed]
            for i in gone:
                del self._slots[i]
            return len(gone)

    def snapshot(self) -> dict[int, StoredMessage]:
        with self._lock:
            return dict(self._slots)


class MessageStore:
    """All memories of one modem, by name."""

    def __init__(self, capacities: dict[str, int]):
        self.memories = {name: MessageMemory(name, size) for name, size in capacities.items()}

    def __getitem__(self, name: str) -> MessageMemory:
        return self.memories[name]

    def __contains__(self, name: str) -> bool:
        return name in self.memories
