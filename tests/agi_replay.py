"""A fake Asterisk that replays recorded AGI sessions byte for byte.

The sessions in tests/fixtures/asterisk-agi-transcripts/ (a copy of shared/) were recorded from a real
Asterisk 22.10.1. The harness writes a session's environment exactly as recorded,
then answers each command the program sends with the recorded reply lines. A command
the recording lacks is answered as Asterisk would (unset variable: `200 result=0`,
unknown command: `510 Invalid or unknown command`) and listed in `unrecorded`, so a
test can insist the hook sends nothing the recording cannot vouch for.

Two transports: a subprocess (stdin/stdout pipes, SIGHUP as Asterisk sends it) and a
TCP connection to a FastAGI server (a `HANGUP` line, as Asterisk sends it there).
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

# Real sessions recorded from Asterisk 22.10.1 (shared/asterisk-agi-transcripts), kept
# byte for byte in tests/fixtures so a clone tests alone; TEXTBACK_AGI_TRANSCRIPTS
# points the tests at another set.
TRANSCRIPTS = Path(os.environ.get("TEXTBACK_AGI_TRANSCRIPTS",
                                  Path(__file__).parent / "fixtures" / "asterisk-agi-transcripts"))


@dataclass
class Transcript:
    name: str
    raw_env: list[str]
    exchanges: list[dict]
    argv: list[str] | None
    sighup_received: bool

    @property
    def env(self) -> dict[str, str]:
        pairs = (line.rstrip("\n").split(": ", 1) for line in self.raw_env if ": " in line)
        return {k: v for k, v in pairs}

    def answer(self, command: str) -> tuple[list[str], bool]:
        """The reply lines for a command and whether the recording had it."""
        for exchange in self.exchanges:
            if exchange["sent"] == command:
                return exchange["reply"], True
        if command.startswith('VERBOSE "'):
            # Asterisk answers every VERBOSE alike, whatever its text: a recording that
            # holds one vouches for the hook's own log line.
            for exchange in self.exchanges:
                if exchange["sent"].startswith('VERBOSE "'):
                    return exchange["reply"], True
        verb = command.split(" ", 2)
        if command.startswith(("GET VARIABLE ", "GET FULL VARIABLE ")):
            return ["200 result=0\n"], False
        if command.startswith("SET VARIABLE ") or verb[0] in ("NOOP", "VERBOSE"):
            return ["200 result=1\n"], False
        return ["510 Invalid or unknown command\n"], False


def load_transcripts(directory: Path = TRANSCRIPTS) -> list[Transcript]:
    found = []
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text())
        found.append(Transcript(name=path.stem, raw_env=data["raw_env"], exchanges=data["exchanges"],
                                argv=data.get("argv"), sighup_received=bool(data.get("sighup_received"))))
    return found


@dataclass
class ReplayResult:
    returncode: int | None
    stderr: str
    sent: list[str] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)
    sighup_sent: bool = False
    seconds: float = 0.0


def _converse(transcript: Transcript, read_fd: int, write, *, deadline: float, on_first_command=None,
              result: ReplayResult) -> None:
    """Answer commands until the program closes its side or the deadline passes."""
    buf = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            chunk = os.read(read_fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            command = raw.decode("utf-8", errors="replace")
            result.sent.append(command)
            reply, recorded = transcript.answer(command)
            if not recorded:
                result.unrecorded.append(command)
            if on_first_command is not None and len(result.sent) == 1:
                on_first_command()
            try:
                write("".join(reply).encode())
            except (OSError, ValueError):  # the channel side is closed
                return


def replay_subprocess(transcript: Transcript, command: list[str], *, env: dict[str, str] | None = None,
                      argv: list[str] | None = None, raw_env: bytes | None = None,
                      sighup: bool | None = None, timeout: float = 15.0,
                      close_after_env: bool = False) -> ReplayResult:
    """Run `command` (plus the recorded argv) as Asterisk runs an AGI program.

    `close_after_env` closes the program's stdin right after the environment: the
    channel vanished (EOF), so every later command finds the pipe closed.
    """
    args = list(command) + list(transcript.argv or [] if argv is None else argv)
    started = time.monotonic()
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, start_new_session=True)
    result = ReplayResult(returncode=None, stderr="")
    send_hup = transcript.sighup_received if sighup is None else sighup

    def hang_up():
        # Asterisk sends SIGHUP when the channel hangs up while an inline AGI runs.
        proc.send_signal(signal.SIGHUP)
        result.sighup_sent = True

    def write(data: bytes):
        proc.stdin.write(data)
        proc.stdin.flush()

    try:
        write(raw_env if raw_env is not None else "".join(transcript.raw_env).encode())
        if close_after_env:
            proc.stdin.close()
        _converse(transcript, proc.stdout.fileno(), write, deadline=started + timeout,
                  on_first_command=hang_up if send_hup else None, result=result)
    except OSError:
        pass
    finally:
        try:
            if not proc.stdin.closed:
                proc.stdin.close()
        except OSError:
            pass
        proc.stdin = None  # closed: communicate() must not flush it
    try:
        _, err = proc.communicate(timeout=max(1.0, started + timeout - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    result.returncode = proc.returncode
    result.stderr = err.decode("utf-8", errors="replace")
    result.seconds = time.monotonic() - started
    return result


def replay_fastagi(transcript: Transcript, host: str, port: int, *, hangup_line: bool | None = None,
                   timeout: float = 10.0) -> ReplayResult:
    """Connect to a FastAGI server as Asterisk does and replay the session over TCP."""
    started = time.monotonic()
    result = ReplayResult(returncode=None, stderr="")
    send_hangup = transcript.sighup_received if hangup_line is None else hangup_line
    with socket.create_connection((host, port), timeout=timeout) as sock:
        def write(data: bytes):
            sock.sendall(data)

        def hang_up():
            # Over FastAGI, Asterisk writes a HANGUP line instead of sending SIGHUP.
            sock.sendall(b"HANGUP\n")
            result.sighup_sent = True

        sock.sendall("".join(transcript.raw_env).encode())
        _converse(transcript, sock.fileno(), write, deadline=started + timeout,
                  on_first_command=hang_up if send_hangup else None, result=result)
    result.returncode = 0
    result.seconds = time.monotonic() - started
    return result


# -- helpers shared by the AGI tests ----------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a FastAGI server to take."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """Until the FastAGI server `proc` accepts connections on `port`; fails at once, with its
    stderr, if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"textback fastagi did not start listening on port {port} within {timeout:.0f} s")



def hook_command() -> list[str]:
    """The installed console script next to this interpreter (as a PBX would run it)."""
    import shutil
    import sys
    beside = os.path.join(os.path.dirname(sys.executable), "textback-agi")
    if os.path.exists(beside):
        return [beside]
    found = shutil.which("textback-agi")
    return [found] if found else [sys.executable, "-m", "agi.hook"]


@dataclass
class HookSite:
    """A configuration file, database and spool directory under one temporary dir."""

    root: Path
    config: Path
    db_path: Path
    spool_dir: Path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["TEXTBACK_CONFIG"] = str(self.config)
        # The hook's last resort (store/spool.py RAM spool) here, never the machine's /run.
        env["TEXTBACK_RAM_SPOOL"] = str(self.root / "ram-spool")
        return env

    def calls(self) -> list[dict]:
        """Rows of the `call` table, read with stdlib sqlite3 (independent of the store code)."""
        import sqlite3
        if not self.db_path.exists():
            return []
        conn = sqlite3.connect(self.db_path)
        try:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute("SELECT * FROM call ORDER BY id")]
        finally:
            conn.close()

    def spool_files(self) -> list[Path]:
        if not self.spool_dir.exists():
            return []
        return sorted(p for p in self.spool_dir.iterdir() if p.name.startswith("call-"))


def make_site(root: Path, *, db_path: Path | None = None, spool_dir: Path | None = None) -> HookSite:
    root.mkdir(parents=True, exist_ok=True)
    db_path = db_path or root / "db" / "textback.db"
    spool_dir = spool_dir or root / "spool"
    config = root / "textback.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{db_path}"\nspool_dir = "{spool_dir}"\n')
    return HookSite(root=root, config=config, db_path=db_path, spool_dir=spool_dir)
