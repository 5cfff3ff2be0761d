"""A full or deaf FastAGI server (issue 11, case 1), with `textback fastagi` as a process
and Asterisk's side played by the test: res_agi's AGISTATUS rule, and the shipped
dialplan's own fallback test read from asterisk/extensions_textback.conf."""
from __future__ import annotations

import fcntl
import re
import socket
import subprocess
import time
from pathlib import Path

from agi_replay import free_port, wait_listening
from hostile_rig import Site
from test_worker_support import hh_noanswer
from user_helpers import program

DIALPLAN = Path(__file__).resolve().parents[2] / "asterisk" / "extensions_textback.conf"
CONDITION = re.compile(r'GotoIf\(\$\["\$\{(\w+)\}" (=|!=) "(\w*)"\]\?program\)')


def dialplan_falls_back(variables: dict[str, str]) -> bool:
    """Evaluate the shipped [textback-missed] fallback test, as Asterisk would."""
    text = DIALPLAN.read_text()
    section = text.split("[textback-missed]", 1)[1].split("\n[", 1)[0]
    name, op, value = CONDITION.search(section).groups()
    seen = variables.get(name, "")
    return (seen == value) if op == "=" else (seen != value)


def asterisk_hands_over(site: Site, number: str) -> str:
    """One call through the dialplan: FastAGI first; the program if the dialplan says so.
    Returns who kept it ("fastagi" or "program")."""
    uniqueid_before = len(site.uniqueids)
    result = site.call_fastagi(number)
    uniqueid = site.uniqueids[uniqueid_before]
    # res_agi: the connection was accepted, so AGISTATUS is SUCCESS whatever followed.
    variables = {"AGISTATUS": "SUCCESS", "TEXTBACK_RESULT": ""}
    for command in result.sent:
        found = re.fullmatch(r'SET VARIABLE (\w+) "(.*)"', command)
        if found:
            variables[found.group(1)] = found.group(2)
    if not dialplan_falls_back(variables):
        return "fastagi"
    site.uniqueids.pop()                    # the same call, handed to the program now
    site.call(number, uniqueid=uniqueid)
    return "program"


def test_full_fastagi_server_does_not_lose_the_call(site, ledger_row):
    ledger_row.scenario = "case 1: FastAGI full"
    site.start_fastagi("--max-calls", "1")
    site.start_worker()
    # A session that stalls mid-environment holds the only slot.
    stalled = socket.create_connection(("127.0.0.1", site.fastagi_port))
    stalled.sendall(b"agi_network: yes\n")
    time.sleep(0.2)
    try:
        kept = [asterisk_hands_over(site, f"+121255501{i:02d}") for i in range(30, 35)]
    finally:
        stalled.close()
    time.sleep(0.5)                                           # its session ends on the EOF
    kept += [asterisk_hands_over(site, "+12125550140")]      # the slot is free again
    site.wait_sent(6, timeout=15)
    site.wait_settled()
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = f"{kept.count('program')} fell back to the program"
    # Today's main: the dialplan tested AGISTATUS = FAILURE, so 5 of 6 calls were lost.
    assert tally.lost == 0 and tally.duplicates == 0 and tally.texts_out == 6
    # The five that met the full server went to the program; the last one is the server's
    # (or, on a machine too loaded to end the stalled session in time, the program's: still kept).
    assert kept[:5] == ["program"] * 5


def test_fastagi_sessions_do_not_hang_on_a_blocked_log(site, ledger_row):
    """stderr is a pipe nobody reads (a stuck journald, a terminal on ^S): today's main hung
    every session on the logging lock once the pipe was full."""
    ledger_row.scenario = "case 1: FastAGI log blocked"
    port = free_port()
    server = subprocess.Popen([*program("textback"), "--config", str(site.config), "fastagi",
                               "--listen", f"127.0.0.1:{port}", "--max-calls", "4"],
                              env=site.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        fcntl.fcntl(server.stderr.fileno(), 1031, 4096)     # F_SETPIPE_SZ: the smallest pipe
        site.fastagi_port = port
        wait_listening(port, server, timeout=10)
        slowest = 0.0
        for i in range(60):                                  # ~200 bytes of log each: 3x the pipe
            started = time.monotonic()
            result = site.call_fastagi(f"+12125550{150 + i}")
            slowest = max(slowest, time.monotonic() - started)
            assert result.sent[-1:] == ['SET VARIABLE TEXTBACK_RESULT "queued"'], (i, result.sent)
    finally:
        server.kill()
        server.wait()
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = f"slowest session {slowest:.2f} s"
    assert tally.lost == 0 and slowest < 3


def test_sixteen_calls_at_once_find_room_in_the_listen_backlog(site, ledger_row):
    """socketserver's backlog of 5 overflowed with 16 calls arriving together (1 s SYN
    retries); the server's is 128, read back from the kernel (`ss`: Send-Q of a
    listening socket is its backlog)."""
    import shutil
    from concurrent.futures import ThreadPoolExecutor

    ledger_row.scenario = "case 1: FastAGI 16 at once"
    site.start_fastagi("--max-calls", "32")
    if shutil.which("ss"):
        listing = subprocess.run(["ss", "-ltnH", f"sport = :{site.fastagi_port}"], capture_output=True,
                                 text=True, check=False).stdout.split()
        assert listing and int(listing[2]) >= 128, listing
    with ThreadPoolExecutor(16) as pool:
        timed = list(pool.map(lambda n: (time.monotonic(), site.call_fastagi(n), time.monotonic()),
                              [f"+12125550{160 + i}" for i in range(16)]))
    slowest = max(end - start for start, _, end in timed)
    assert all(r.sent[-1:] == ['SET VARIABLE TEXTBACK_RESULT "queued"'] for _, r, _ in timed)
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = f"slowest {slowest:.2f} s"
    assert tally.lost == 0 and slowest < 5.0


def test_the_hook_does_not_hang_on_a_full_stderr(site, ledger_row):
    """The program's stderr is Asterisk's own: a pipe nobody reads (Asterisk in the
    foreground on a stuck terminal) must cost the hook its stderr line, not the call."""
    import os

    from agi_replay import ReplayResult, _converse, hook_command

    ledger_row.scenario = "case 1: hook stderr full"
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, 1031, 4096)                       # F_SETPIPE_SZ: one page
    os.set_blocking(write_end, False)
    try:
        while True:
            os.write(write_end, b"x" * 512)
    except BlockingIOError:
        pass                                                 # full: every later write would block
    os.set_blocking(write_end, True)
    uniqueid = "1795499999.1"
    site.uniqueids.append(uniqueid)
    transcript = hh_noanswer("+12125550170", uniqueid)
    started = time.monotonic()
    proc = subprocess.Popen([*hook_command(), *transcript.argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=write_end, env=site.env())
    os.close(write_end)
    result = ReplayResult(returncode=None, stderr="")

    def write(data: bytes) -> None:
        proc.stdin.write(data)
        proc.stdin.flush()
    try:
        write("".join(transcript.raw_env).encode())
        _converse(transcript, proc.stdout.fileno(), write, deadline=started + 10, result=result)
        proc.stdin.close()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(read_end)
    took = time.monotonic() - started
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = f"hook done in {took:.2f} s"
    assert result.sent[-1:] == ['SET VARIABLE TEXTBACK_RESULT "queued"'] and proc.returncode == 0
    assert tally.lost == 0 and took < 5
