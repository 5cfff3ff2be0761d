"""Shared rig for the worker tests (no tests of its own): a real SQLite store, the modem
simulator on a pty opened through modem.device.modem, the worker loop in a thread with an
injectable clock, and missed calls entering through the real `textback-agi` hook run as
a subprocess with an AGI environment on stdin. Also `textback worker` as its own process
(start_worker_process, stop_process) for the tests that kill it or run it beside others."""
from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from agi_replay import TRANSCRIPTS, Transcript, hook_command, replay_subprocess
from user_helpers import program

from store.records import MessageRecord

US = "+12125550123"
US2 = "+12125550145"
STAFF = "+12125550177"
SHOP_LINE = "+12125550100"

BASE_TOML = """
[business]
name = "Acme Plumbing"
country = "US"
timezone = "America/New_York"
callback_number = "(212) 555-0100"
own_numbers = ["{shop}"]

[business.hours]
mon = "00:00-23:59"
tue = "00:00-23:59"
wed = "00:00-23:59"
thu = "00:00-23:59"
fri = "00:00-23:59"
sat = "00:00-23:59"
sun = "00:00-23:59"

[textback]
delay = "{delay}"
emoji = "{emoji}"

[staff]
numbers = ["{staff}"]

[sending]
# The worker tests send bursts (the kill test alone 200 texts, more than a day's cap: the
# cap's alert to staff would then be one text more than the test sent);
# tests/test_worker_pacing.py sets its own gaps and caps.
min_gap = "0s"
gap_jitter = "0s"
daily_cap = 0
recipients_cap = 0

[modem]
port = "{port}"

[store]
url = "{url}"
spool_dir = "{spool}"
"""


class Clock:
    """The worker's `now`: real time plus an offset a test can move forward."""

    def __init__(self):
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


def write_config(root: Path, *, port: str, delay: str = "0s", emoji: str = "keep", extra: str = "",
                 url: str | None = None, spool: Path | None = None) -> Path:
    """The shop's config; its store an SQLite file in `root` unless `url` names another, its
    spool `root`/spool unless `spool` names another."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "textback.toml"
    path.write_text(BASE_TOML.format(shop=SHOP_LINE, delay=delay, emoji=emoji, staff=STAFF, port=port,
                                     url=url or f"sqlite:///{root / 'textback.db'}",
                                     spool=spool or root / "spool") + extra)
    return path


def write_fleet_config(root: Path, modems: str, *, url: str | None = None, sending: dict[str, str] | None = None,
                       extra: str = "") -> Path:
    """write_config's shop with several modems: `modems` (its [[modem]] entries, from
    tests/modem_fleet.py) in place of the one [modem]; `sending` sets keys of [sending], each
    value as TOML writes it (e.g. {"takeover_after": '"10m"'}); `extra` adds tables."""
    path = write_config(root, port="unused", url=url, extra=extra)
    text = path.read_text()
    for key, value in (sending or {}).items():
        line = f"{key} = {value}\n"
        text, swapped = re.subn(rf"^{key} = .*\n", line, text, count=1, flags=re.M)
        if not swapped:
            text = text.replace("[sending]\n", "[sending]\n" + line, 1)
    path.write_text(text.replace('[modem]\nport = "unused"\n', modems.lstrip("\n")))
    return path


# The worker as a process with its timings shrunk for tests: a 20 ms poll, a 1 s lease (a
# killed worker's claim comes back quickly), a 50 ms reconnect, a sweep every second.
WORKER_FAST = ["--poll-interval", "0.02", "--lease-seconds", "1", "--reconnect-delay", "0.05",
               "--sweep-seconds", "1"]


def start_worker_process(config: Path, log_path: Path | None, *extra: str,
                         env: dict[str, str] | None = None) -> subprocess.Popen:
    """`textback worker` as systemd runs it, in its own session (so SIGKILL reaches only it),
    its stdout and stderr appended to `log_path` (None: discarded)."""
    command = [*program("textback"), "--config", str(config), "worker", *WORKER_FAST, *extra]
    if log_path is None:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> int:
    """SIGTERM as systemd stops a service, SIGKILL if it has not exited within `timeout`;
    its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


_TEMPLATE = "hh-noanswer"


def hh_noanswer(number: str, uniqueid: str, *, status: str = "NOANSWER", when: datetime | None = None,
                args: tuple[str, ...] = ()) -> Transcript:
    """The recorded hh-noanswer session with this caller, call id, status and time put in
    (the recording's own caller ID is a 555-1234 number that no real shop could text), and
    `args` as more dialplan arguments."""
    source = json.loads((TRANSCRIPTS / f"{_TEMPLATE}.json").read_text())
    epoch = str(int((when or datetime.now(timezone.utc)).timestamp()))
    swap = {"+15551234567": number, "1795411943.17": uniqueid, "1795411946": epoch, "NOANSWER": status}

    def fix(text: str) -> str:
        for old, new in swap.items():
            text = text.replace(old, new)
        return text

    raw_env = [fix(x) for x in source["raw_env"]]
    if args:
        # More dialplan arguments (e.g. ring=${DIALEDTIME}), as Asterisk numbers them.
        last = max(i for i, line in enumerate(raw_env) if line.startswith("agi_arg_"))
        raw_env[last + 1:last + 1] = [f"agi_arg_{len(source['argv']) + n}: {a}\n" for n, a in enumerate(args, 1)]
    return Transcript(name=f"call-{uniqueid}", raw_env=raw_env,
                      exchanges=[{"sent": fix(e["sent"]), "reply": [fix(r) for r in e["reply"]]}
                                 for e in source["exchanges"]],
                      argv=[fix(a) for a in source["argv"]] + list(args), sighup_received=False)


def missed_call(config: Path, number: str, uniqueid: str, *, status: str = "NOANSWER",
                when: datetime | None = None, command: list[str] | None = None,
                args: tuple[str, ...] = ()) -> None:
    """One call through the real hook, as Asterisk runs it (the hh-noanswer session)."""
    transcript = hh_noanswer(number, uniqueid, status=status, when=when, args=args)
    env = dict(os.environ, TEXTBACK_CONFIG=str(config))
    result = replay_subprocess(transcript, command or hook_command(), env=env, timeout=10)
    assert result.returncode == 0, result.stderr


class Rig:
    """Store + simulator + worker thread, torn down in order."""

    def __init__(self, tmp_path: Path, *, delay: str = "0s", emoji: str = "keep", extra: str = "",
                 profile: str = "generic", link: bool = False, url: str | None = None, **timing):
        from modem.simulator.pty_modem import ModemSimulator
        from store import Store
        from textback.config import load_config

        self.root = tmp_path
        link_path = str(tmp_path / "textback-modem") if link else None
        self.sim = ModemSimulator(profile=profile, link=link_path).start()
        self.config_path = write_config(tmp_path, port=self.sim.device, delay=delay, emoji=emoji, extra=extra,
                                        url=url)
        self.config = load_config(str(self.config_path))
        self.store = Store.open(self.config.store.url)
        self.clock = Clock()
        self.timing = {"poll_interval": 0.02, "lease_seconds": 5.0, "health_interval": 0.5,
                       "reconnect_delays": (0.05, 0.1, 0.2), "sweep_interval": timedelta(seconds=0.5)}
        self.timing.update(timing)
        self.worker = None
        self.thread = None

    def start(self) -> Rig:
        from modem.device.modem import Modem
        from modem.worker.loop import Worker
        from textback.worker_settings import worker_settings

        settings = worker_settings(self.config, **dict(self.timing, modem_options={
            "command_timeout": 2.0, "send_timeout": 5.0}))
        device = self.sim.device

        def open_modem(**callbacks):
            return Modem.open(device, **settings.modem_options, **callbacks)

        self.worker = Worker(self.store, settings, open_modem, now=self.clock)
        self.thread = threading.Thread(target=self.worker.run, name="worker", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.thread.join(timeout=10)
            assert not self.thread.is_alive(), "worker did not stop"
        self.store.close()
        self.sim.stop()

    def call(self, number: str, uniqueid: str, **kw) -> None:
        missed_call(self.config_path, number, uniqueid, **kw)

    def sent_to(self, number: str) -> list[str]:
        return [m.text for m in self.sim.sent_messages() if m.destination == number]

    def messages(self, **where) -> list[MessageRecord]:
        """Every message (through the store's public verbs), filtered."""
        rows = []
        message_id = 1
        misses = 0
        while misses < 5:
            row = self.store.message(message_id)
            message_id += 1
            if row is None:
                misses += 1
                continue
            misses = 0
            if all(getattr(row, k) == v for k, v in where.items()):
                rows.append(row)
        return rows


logging.getLogger("modem.simulator").setLevel(logging.INFO)
