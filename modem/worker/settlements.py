"""Sends the store has not recorded yet: the modem took a text, then `mark_sent` failed
(a full disk, a replaced database). Forgetting it would send the text again once the
lease lapsed — by this worker, or by the next one after a restart.

So the outcome is kept twice: in memory, and as a small journal file (`sent-<id>.json`)
in the spool directory, or the RAM spool when the disk refuses that too. Every pass the
worker records what is kept before it recovers any lease or claims anything, and deletes
the file once the store has it. A worker started after a crash reads the files first.
Only a kill between the modem's answer and the journal write can still send a text
twice: the one in flight.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from store import times
from store.errors import UnknownMessage

log = logging.getLogger("modem.worker")

PREFIX, SUFFIX = "sent-", ".json"


@dataclass
class Unrecorded:
    message_id: int
    references: list[int]
    owner: str
    sent_at: str                     # ISO, UTC
    first_seq: int = 1
    modem: str | None = None         # the [[modem]] it left from (None: the one [modem])


class Settlements:
    def __init__(self, journal_dirs: list[str]):
        self.journal_dirs = [d for d in journal_dirs if d]
        self.pending: dict[int, Unrecorded] = {}
        self._files: dict[int, Path] = {}

    def keep(self, message_id: int, references: list[int], owner: str, at: datetime, first_seq: int = 1,
             modem: str | None = None) -> None:
        entry = Unrecorded(message_id, [int(r) for r in references], owner, times.to_db(at), first_seq, modem)
        self.pending[message_id] = entry
        payload = json.dumps(asdict(entry)).encode()
        for directory in self.journal_dirs:
            path = Path(directory) / f"{PREFIX}{message_id}{SUFFIX}"
            try:
                Path(directory).mkdir(parents=True, exist_ok=True)
                temp = path.with_name(f".{path.name}.tmp")
                with open(temp, "wb") as fh:
                    fh.write(payload)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(temp, path)
                self._files[message_id] = path
                return
            except OSError as exc:
                log.debug("journal %s not written: %s", path, exc)
        log.error("text %s was sent but neither the store nor a journal file could record it: "
                  "it is kept in memory; a restart before the store is back would send it again", message_id)

    def load(self) -> int:
        """Read the journal files a previous worker left; return how many."""
        for directory in self.journal_dirs:
            try:
                paths = sorted(Path(directory).glob(f"{PREFIX}*{SUFFIX}"))
            except OSError:
                continue
            for path in paths:
                try:
                    entry = Unrecorded(**json.loads(path.read_text()))
                except (OSError, ValueError, TypeError) as exc:
                    log.warning("unreadable send journal %s (%s); left for a person to look at", path, exc)
                    continue
                self.pending.setdefault(entry.message_id, entry)
                self._files[entry.message_id] = path
        return len(self.pending)

    def settle(self, store) -> bool:
        """Record what is kept; True when nothing is left unrecorded."""
        for message_id, entry in list(self.pending.items()):
            try:
                store.mark_sent(message_id, entry.references, entry.owner, times.from_db(entry.sent_at),
                                first_seq=entry.first_seq, modem=entry.modem)
                log.info("text %s: its send is recorded now (it was not sent again)", message_id)
            except UnknownMessage:
                log.warning("send journal names message %s, which the store does not have", message_id)
            except store.failures as exc:
                log.debug("text %s still not recorded: %s", message_id, exc)
                store.reset_after_error()
                return False
            del self.pending[message_id]
            path = self._files.pop(message_id, None)
            if path is not None:
                try:
                    path.unlink()
                except OSError:
                    pass
        return True
