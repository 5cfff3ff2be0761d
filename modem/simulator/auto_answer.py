"""The simulated network playing the phones the modem texts: each text is delivered (its
status report, when it asked for one) and answered from the number it went to.

This is what lets `textback modem test` pass end to end on the simulator: it sends a text
to a staff phone, waits for the delivery report, then for the person's answer.

The worker and the simulated phones must not text each other in a loop (a customer's
answer is forwarded to staff, staff's answer that names no thread gets a note back...):
a text that starts with "textback:" (the worker's notes to staff phones) gets no answer,
and neither does a number that answered less than `quiet_for` seconds ago.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_ANSWER = "Got it, thanks"
DEFAULT_DELAY = 0.5         # seconds from the text to its report; the answer follows as long again
QUIET_FOR = 2.0             # seconds a number stays quiet after answering
NOTE_PREFIX = "textback:"   # how the worker's notes to staff phones begin (modem/worker/conversation.py)


@dataclass(frozen=True)
class Answer:
    due: float              # time.monotonic()
    number: str
    text: str


class AutoAnswer:
    """Decides when the phones answer; the simulator's serving thread delivers what is due."""

    def __init__(self, text: str = DEFAULT_ANSWER, delay: float = DEFAULT_DELAY, quiet_for: float = QUIET_FOR,
                 clock: Callable[[], float] = time.monotonic):
        if not text:
            raise ValueError("give the answer a text")
        self.text = text
        self.delay = float(delay)
        self.quiet_for = float(quiet_for)
        self._clock = clock
        self._lock = threading.Lock()
        self._due: list[Answer] = []
        self._last_answer: dict[str, float] = {}

    def texted(self, number: str, text: str) -> float:
        """A whole text went to `number`: when its report is due. Its answer is queued
        (for twice the delay) unless it is a worker's note or the number just answered."""
        now = self._clock()
        with self._lock:
            last = self._last_answer.get(number)
            if text.startswith(NOTE_PREFIX) or (last is not None and now - last < self.quiet_for):
                return now + self.delay       # reported all the same; only the answer is held back
            answer_at = now + 2 * self.delay
            self._last_answer[number] = answer_at
            self._due.append(Answer(answer_at, number, self.text))
        return now + self.delay

    def due(self) -> list[Answer]:
        """The answers whose time has come, oldest first (each handed out once)."""
        now = self._clock()
        with self._lock:
            ready = [a for a in self._due if a.due <= now]
            self._due = [a for a in self._due if a.due > now]
        return ready
