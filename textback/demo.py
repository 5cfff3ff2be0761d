"""The `textback demo` scenario: the whole product on one machine in a few seconds.

Nothing is mocked: a real SQLite store in a directory of the caller's choosing, the modem
simulator on a pty opened through modem.device.modem exactly as a USB modem would be, the real
worker loop in a thread, and every call entering through the installed `textback-agi`
hook run as a subprocess with an AGI environment on stdin, answered as Asterisk answers.

The scenario checks its own outcomes as it goes (a text reached the modem, a forged
premium number did not, STOP was confirmed and nothing followed), so `textback demo`
exiting 0 in CI means the chain works; anything missing raises DemoError with what
was expected and the last warnings the worker logged.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import phonenumbers

from store.records import MessageRecord

log = logging.getLogger(__name__)

BUSINESS = "Brightside Plumbing"
SHOP_LINE = "+12125550100"        # the business line (DID) callers dial; also the SIM's number
STAFF = "+12125550188"            # the owner's mobile: replies are forwarded here
WAIT = 10.0                       # seconds to wait for any one step before calling it failed
# How long to watch for a text that must NOT come (after STOP, to a premium number). The
# worker polls every 50 ms here, so a wrong text would leave within a few of its passes.
QUIET_WATCH = 0.5

DEMO_TOML = """\
# Written by `textback demo`. Explore with: textback --config {config} inbox
[business]
name = "{business}"
country = "US"
timezone = "America/New_York"
callback_number = "(212) 555-0100"
own_numbers = ["{shop}"]

# Open around the clock so the demo reads the same whenever it runs
# (outside opening hours the after-hours text would go instead).
[business.hours]
mon = "00:00-23:59"
tue = "00:00-23:59"
wed = "00:00-23:59"
thu = "00:00-23:59"
fri = "00:00-23:59"
sat = "00:00-23:59"
sun = "00:00-23:59"

[textback]
# A real shop waits 30s so staff can call back first; the demo texts at once.
delay = "0s"

[staff]
numbers = ["{staff}"]

[sending]
# The demo plays a day in a minute: no gap between texts (a real SIM keeps the default).
min_gap = "0s"
gap_jitter = "0s"

[modem]
# The simulator's pty: gone once the demo ends (a real worker needs a real modem).
port = "{port}"
sweep_interval = "5s"

[store]
url = "sqlite:///{db}"
spool_dir = "{spool}"
"""


@dataclass(frozen=True)
class Caller:
    """One call the demo plays, as the trunk and the dialplan hand it to the hook."""

    name: str
    number: str                       # caller ID number exactly as Asterisk gives it
    status: str                       # DIALSTATUS
    story: str                        # what happened, in the shop's words
    presentation: str = "allowed_not_screened"   # CALLERID(num-pres)
    skip: str | None = None           # what the rules must decide: None = text it, else the skip reason


CALLS = (
    Caller("Dana", "+12125550142", "NOANSWER", "no answer"),
    Caller("Marco", "+12125550157", "BUSY", "line busy"),
    Caller("Priya", "+12125550163", "CANCEL", "caller gave up while it rang"),
    Caller("", "anonymous", "NOANSWER", "withheld number", presentation="prohib", skip="anonymous"),
    Caller("", "+19005550123", "NOANSWER", "forged caller ID, a premium-rate number", skip="premium"),
)
REPLY = ("+12125550142", "Yes please, my boiler is leaking. Can someone come today?")
STOPPER = "+12125550157"


class DemoError(Exception):
    """A step of the demo did not happen; the message says which and what to check."""


@dataclass
class DemoEvent:
    at: float                 # seconds since the demo started
    kind: str                 # call, skipped, text, delivered, reply, forward, opt_out, silence
    number: str
    text: str                 # the narrative line, without the time
    seconds: float | None = None   # hang-up -> text sent, for kind "text" (first texts)


@dataclass
class DemoResult:
    directory: Path
    config_path: Path
    events: list[DemoEvent] = field(default_factory=list)
    sent: list = field(default_factory=list)        # modem.simulator.network.SentMessage, in order
    seconds: float = 0.0

    def text_back_seconds(self) -> dict[str, float]:
        return {e.number: e.seconds for e in self.events if e.kind == "text" and e.seconds is not None}


def shown(number: str) -> str:
    """+12125550142 -> +1 212-555-0142; anything else (anonymous) as it is."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(number, None),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return number


def write_demo_config(directory: Path, port: str) -> Path:
    path = directory / "textback.toml"
    path.write_text(DEMO_TOML.format(config=path, business=BUSINESS, shop=SHOP_LINE, staff=STAFF, port=port,
                                     db=directory / "textback.db", spool=directory / "spool"))
    return path


class _WarningTail(logging.Handler):
    """Keeps the last few warnings (worker, modem, store) for a DemoError's message."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines = (self.lines + [f"{record.name}: {record.getMessage()}"])[-5:]


class Demo:
    """One run of the scenario; `run()` returns the DemoResult or raises DemoError."""

    def __init__(self, directory: Path, say: Callable[[str], None]):
        self.directory = Path(directory)
        self.say = say
        self.started = time.monotonic()
        # Set by _start (the simulator, the store, the worker and its thread), None outside a run.
        self.result: Any = None
        self.sim: Any = None
        self.store: Any = None
        self.worker: Any = None
        self.thread: Any = None
        self.tail = _WarningTail()
        self.calls_made = 0

    # -- life cycle -----------------------------------------------------------------------
    def run(self) -> DemoResult:
        logging.getLogger().addHandler(self.tail)
        try:
            self._start()
            self._play()
            self.result.sent = self.sim.sent_messages()
            self.result.seconds = time.monotonic() - self.started
            return self.result
        finally:
            self._stop()
            logging.getLogger().removeHandler(self.tail)

    def _start(self) -> None:
        from modem.simulator.pty_modem import ModemSimulator, PtyError
        from store import Store
        from store.errors import StoreError
        from textback.config import ConfigError, load_config

        try:
            self.sim = ModemSimulator(profile="generic").start()
        except (PtyError, OSError) as exc:
            raise DemoError(f"cannot start the simulated modem: {exc}; the demo needs /dev/ptmx "
                            "(pseudo-terminals), as in any normal Linux session") from None
        try:
            config_path = write_demo_config(self.directory, self.sim.device)
        except OSError as exc:
            raise DemoError(f"cannot write the demo's configuration in {self.directory}: "
                            f"{exc.strerror or exc}") from None
        self.result = DemoResult(self.directory, config_path)
        try:
            config = load_config(str(config_path))
            self.store = Store.open(config.store.url)
        except (ConfigError, StoreError) as exc:
            raise DemoError(f"cannot set up the demo in {self.directory}: {exc}") from None
        self.config_path = config_path
        self._start_worker(config)

    def _start_worker(self, config) -> None:
        from modem.device.modem import Modem
        from modem.worker.loop import Worker
        from textback.worker_settings import worker_settings

        # A short poll so each step shows at once; everything else as configured.
        settings = worker_settings(config, poll_interval=0.05, lease_seconds=10.0)
        port = config.modem.port

        def open_modem(**callbacks):
            # As `textback worker` opens it (the device layer clears a stale `> ` prompt itself).
            return Modem.open(port, **settings.modem_options, **callbacks)

        self.worker = Worker(self.store, settings, open_modem, owner=f"demo:{os.getpid()}")
        self.thread = threading.Thread(target=self.worker.run, name="textback-demo-worker", daemon=True)
        self.thread.start()
        self._wait(lambda: self.worker.modem is not None, "the worker to open the simulated modem")

    def _stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.thread.join(timeout=10)
            if self.thread.is_alive():
                log.warning("the demo worker did not stop within 10 s")
        if self.sim is not None:
            self.sim.stop()
        if self.store is not None:
            self.store.close()

    # -- the story ------------------------------------------------------------------------
    def _play(self) -> None:
        self.say(f"{BUSINESS} misses five calls; textback texts back the real ones:")
        for caller in CALLS:
            self.missed_call(caller)
        self.say("")
        self.say("The callers answer:")
        number, body = REPLY
        self.reply(number, body)
        self.opt_out(STOPPER, "STOP")
        marco = next(c for c in CALLS if c.number == STOPPER)
        self.missed_call(Caller(marco.name, marco.number, "NOANSWER", "calls again after STOP", skip="opted_out"))
        times = self.result.text_back_seconds()
        slowest = max(times.values())
        self.say("")
        self.say(f"Hang-up to text sent: {', '.join(f'{t:.2f}s' for t in times.values())} "
                 f"(slowest {slowest:.2f}s).")
        self.say("A real shop waits its [textback] delay first (30s by default) so staff can call back.")

    def missed_call(self, caller: Caller) -> None:
        before = len(self._sent_to(caller.number))
        hung_up = datetime.now(timezone.utc)
        call_id, hook_seconds = self._run_hook(caller)
        who = f" ({caller.name})" if caller.name else ""
        self._event("call", caller.number, f"call from {shown(caller.number)}{who}: {caller.story} "
                    f"({caller.status}); hook recorded it in {hook_seconds:.2f}s")
        record = self._wait(lambda: self._planned(call_id), f"the worker to plan call {call_id}")
        if caller.skip:
            if record.state != "skipped" or record.skip_reason != caller.skip:
                raise DemoError(f"call {call_id} from {caller.number} should have been skipped ({caller.skip}) "
                                f"but is {record.state}{f': {record.skip_reason}' if record.skip_reason else ''}")
            self._event("skipped", caller.number, f"  no text: skipped, {record.skip_reason}")
            if caller.number.startswith("+"):
                self._must_stay_quiet(caller.number, before)
            return
        if record.state != "planned":
            raise DemoError(f"call {call_id} from {caller.number} should have been texted but is "
                            f"{record.state}: {record.skip_reason}")
        sent = self._wait(lambda: self._sent_to(caller.number)[before:], f"the text to {caller.number}")[0]
        seconds = (sent.parts[-1].submitted_at - hung_up).total_seconds()
        parts = f"{len(sent.parts)} part{'s' if len(sent.parts) > 1 else ''}"
        self._event("text", caller.number, f"  text sent {seconds:.2f}s after hang-up: \"{_short(sent.text)}\" "
                    f"({sent.parts[0].encoding}, {parts})", seconds=seconds)
        if sum(e.kind == "text" for e in self.result.events) == 1:
            self.say(f"{'':11}the whole text: \"{sent.text}\"")
        # The network confirms delivery, as a real SMS centre does when asked.
        # One report for each part that asked, as networks send them.
        self.sim.deliver_status_reports(sent, 0)
        self._wait(lambda: self._status(caller.number, "text_back") == "delivered",
                   f"the delivery report for {caller.number}")
        self._event("delivered", caller.number, "  delivered (the network's status report)")

    def reply(self, number: str, body: str) -> None:
        staff_before = len(self._sent_to(STAFF))
        self.sim.inject_sms(number, body)
        self._wait(lambda: any(m.direction == "in" and m.body == body for m in self.store.thread(number)),
                   f"the reply from {number} to be stored")
        self._event("reply", number, f"reply from {shown(number)}: \"{_short(body)}\"")
        forward = self._wait(lambda: self._sent_to(STAFF)[staff_before:], "the forward to the staff phone")[0]
        self._event("forward", STAFF, f"  forwarded to the owner's mobile {shown(STAFF)}: \"{_short(forward.text)}\"")
        self._wait(lambda: not self._follow_ups(number, "scheduled"), f"the follow-ups to {number} to be cancelled")
        self._event("cancelled", number, f"  {len(self._follow_ups(number))} follow-ups cancelled: "
                    "a person takes it from here")

    def opt_out(self, number: str, body: str) -> None:
        before = len(self._sent_to(number))
        self.sim.inject_sms(number, body)
        self._event("reply", number, f"reply from {shown(number)}: \"{body}\"")
        confirmation = self._wait(lambda: self._sent_to(number)[before:], f"the STOP confirmation to {number}")[0]
        if not self.store.is_opted_out(number):
            raise DemoError(f"{number} sent STOP and got a reply, but is not marked opted out")
        if self._follow_ups(number, "scheduled"):
            raise DemoError(f"{number} sent STOP but follow-ups are still scheduled")
        self._event("opt_out", number, f"  opted out, {len(self._follow_ups(number))} follow-ups cancelled, "
                    f"one confirmation sent: \"{_short(confirmation.text)}\"")

    # -- the hook, as Asterisk runs it ------------------------------------------------------
    def _run_hook(self, caller: Caller) -> tuple[int, float]:
        from textback.asterisk_stand_in import HookNotRunnable, PretendCall, run_hook

        # Asterisk's shape: epoch seconds . channel counter (unique within this demo's store).
        self.calls_made += 1
        call = PretendCall(caller=caller.number, name=caller.name, status=caller.status,
                           uniqueid=f"{int(time.time())}.{self.calls_made}", line=SHOP_LINE,
                           presentation=caller.presentation,
                           # The dialplan's ring=${DIALEDTIME}: the phones rang 15 s (a
                           # caller who gave up after a second would be a misdial, too_short).
                           ring=15 if caller.status else None)
        try:
            run = run_hook(call, config_path=str(self.config_path), timeout=WAIT)
        except HookNotRunnable as exc:
            raise DemoError(str(exc)) from None
        if run.result != "queued" or run.call_id is None:
            raise DemoError(f"the AGI hook did not record the call from {caller.number} "
                            f"(exit {run.returncode}); its log: {run.log or '(nothing)'}")
        return run.call_id, run.seconds

    # -- looking ----------------------------------------------------------------------------
    def _event(self, kind: str, number: str, text: str, seconds: float | None = None) -> None:
        at = time.monotonic() - self.started
        self.result.events.append(DemoEvent(at, kind, number, text, seconds))
        self.say(f"{at:5.1f}s  {text}")

    def _sent_to(self, number: str) -> list:
        return [m for m in self.sim.sent_messages() if m.destination == number and m.complete]

    def _planned(self, call_id: int):
        record = self.store.call(call_id)
        return record if record is not None and record.state != "new" else None

    def _status(self, number: str, kind: str) -> str | None:
        rows = [m for m in self.store.thread(number) if m.kind == kind]
        return rows[-1].status if rows else None

    def _follow_ups(self, number: str, status: str | None = None) -> list[MessageRecord]:
        return [m for m in self.store.thread(number)
                if m.kind == "follow_up" and (status is None or m.status == status)]

    def _must_stay_quiet(self, number: str, before: int) -> None:
        deadline = time.monotonic() + QUIET_WATCH
        while time.monotonic() < deadline:
            if self._sent_to(number)[before:]:
                raise DemoError(f"a text went to {number}, which must never be texted")
            time.sleep(0.05)

    def _wait(self, predicate, what: str, timeout: float = WAIT):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise DemoError(f"waited {timeout:.0f}s for {what}; it did not happen. "
                                + (f"Last warnings: {' | '.join(self.tail.lines)}" if self.tail.lines
                                   else "Run again with -v for the worker's log."))
            if self.thread is not None and not self.thread.is_alive():
                raise DemoError(f"the worker stopped while waiting for {what}; run again with -v for its log")
            time.sleep(0.02)


def _short(text: str, limit: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def run_demo(directory: Path, say: Callable[[str], None] = print) -> DemoResult:
    """Play the demo in `directory` (it gets textback.toml, textback.db, spool/); print
    each event through `say`. Raises DemoError when a step does not happen."""
    return Demo(directory, say).run()
