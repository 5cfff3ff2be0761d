"""Group commit for the FastAGI server: the calls arriving together share one write.

One job: the server's session threads hand their CallFact to one writer thread and wait;
the writer takes every fact waiting and records them in one transaction (one fsync,
store.fast_record.record_calls). Sixteen calls at once cost about one write, not sixteen
queued behind each other on SQLite's busy handler (which sleeps up to 100 ms a try:
p99 0.75-1.5 s measured before). A session that waits longer than its timeout gets an
error and spools its call; if the write then lands anyway, the spool import finds the
same uniqueid and keeps one row.
"""
from __future__ import annotations

import queue
import threading

MAX_BATCH = 64


class _Pending:
    __slots__ = ("fact", "done", "call_id", "error")

    def __init__(self, fact) -> None:
        self.fact = fact
        self.done = threading.Event()
        self.call_id: int | None = None
        self.error: BaseException | None = None


class CallWriter:
    def __init__(self, url: str, timeout: float = 2.0):
        self.url = url
        self.timeout = timeout
        self._waiting: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self.batches: list[int] = []       # the size of each write, for the tests and the curious
        self._thread = threading.Thread(target=self._run, name="call-writer", daemon=True)
        self._thread.start()

    def record(self, fact, timeout: float) -> int:
        """The call's id once its batch is committed; raises on a store error or a timeout."""
        pending = _Pending(fact)
        self._waiting.put(pending)
        if not pending.done.wait(timeout):
            raise TimeoutError(f"the store did not take the call within {timeout:g} s")
        if pending.error is not None:
            raise pending.error
        assert pending.call_id is not None
        return pending.call_id

    def _run(self) -> None:
        from store.fast_record import record_calls

        while True:
            batch = [self._waiting.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
            self.batches = (self.batches + [len(batch)])[-100:]
            try:
                ids = record_calls(self.url, [p.fact for p in batch], self.timeout)
                for pending, call_id in zip(batch, ids):
                    pending.call_id = call_id
            except BaseException as exc:  # every waiting session spools its own call
                for pending in batch:
                    pending.error = exc
            for pending in batch:
                pending.done.set()
