"""`textback test-call`, `textback calls` and `textback fastagi` through the real CLI."""
from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from agi_replay import free_port, load_transcripts, make_site, replay_fastagi, wait_listening
from click.testing import CliRunner

from textback.cli import main

BY_NAME = {t.name: t for t in load_transcripts()}


@pytest.fixture
def site(tmp_path):
    return make_site(tmp_path / "site")


def _run(site, *args):
    return CliRunner().invoke(main, ["--config", str(site.config), *args], catch_exceptions=False)


def test_test_call_runs_the_hook_and_shows_the_call(site):
    result = _run(site, "test-call", "--from", "+12125550123", "--status", "noanswer",
                  "--line", "2125550100", "--name", "O'Brien: \"Pro\"")
    assert result.exit_code == 0, result.output
    assert "TEXTBACK_RESULT=queued" in result.output
    assert "Recorded call" in result.output
    rows = site.calls()
    assert len(rows) == 1
    row = rows[0]
    assert (row["caller_raw"], row["disposition"], row["business_line"]) == ("+12125550123", "NOANSWER", "2125550100")
    assert row["caller_name"] == "O'Brien: \"Pro\"" and row["state"] == "new"
    assert row["uniqueid"].startswith("test-call.") and row["linkedid"] == row["uniqueid"]


def test_test_call_after_hours_without_dial(site):
    result = _run(site, "test-call", "--from", "+447700900123", "--status", "NONE", "--reason", "after-hours")
    assert result.exit_code == 0, result.output
    row = site.calls()[0]
    assert (row["disposition"], row["reason"]) == ("", "after-hours")


def test_test_call_rejects_a_number_with_a_newline(site):
    result = CliRunner().invoke(main, ["--config", str(site.config), "test-call", "--from", "+1212\nagi_x: 1"])
    assert result.exit_code == 2
    assert "printable" in result.output and "Traceback" not in result.output
    assert site.calls() == []


def test_test_call_reports_a_spooled_call(tmp_path):
    (tmp_path / "plain-file").write_text("x")
    site = make_site(tmp_path / "site", db_path=tmp_path / "plain-file" / "db")
    result = _run(site, "test-call", "--from", "+12125550123")
    assert result.exit_code == 0, result.output
    assert "spooled" in result.output
    assert len(site.spool_files()) == 1


def test_calls_lists_table_json_and_csv(site):
    for number, status in (("+12125550123", "BUSY"), ("+447700900123", "CANCEL")):
        assert _run(site, "test-call", "--from", number, "--status", status).exit_code == 0
    table = _run(site, "calls")
    assert table.exit_code == 0
    # Numbers of the shop's own country (US) in national form, others international.
    assert "+44 7700 900123" in table.output and "(212) 555-0123" in table.output
    assert "CANCEL" in table.output and "STATUS" in table.output
    as_json = json.loads(_run(site, "calls", "--json").output)
    assert [c["caller"] for c in as_json] == ["+447700900123", "+12125550123"]
    assert as_json[0]["state"] == "new"
    rows = list(csv.DictReader(io.StringIO(_run(site, "calls", "--csv").output)))
    assert {r["status"] for r in rows} == {"BUSY", "CANCEL"}
    both = CliRunner().invoke(main, ["--config", str(site.config), "calls", "--json", "--csv"])
    assert both.exit_code == 2


def test_calls_before_any_call_says_how_to_check(site):
    missing = _run(site, "calls")
    assert missing.exit_code == 1 and "has the worker or the AGI hook run yet" in missing.output
    assert not site.db_path.exists()                 # a read never creates the database
    from store import Store
    Store.open(site.url).close()
    empty = _run(site, "calls")
    assert empty.exit_code == 0 and "test-call" in empty.output


def test_fastagi_command_serves_calls_and_stops_cleanly_on_sigterm(site):
    port = free_port()
    textback = os.path.join(os.path.dirname(sys.executable), "textback")
    proc = subprocess.Popen([textback, "--config", str(site.config), "fastagi", "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_listening(port, proc)
        transcript = BY_NAME["fastagi"]
        # Start a session and send SIGTERM while it is still open: the call must finish.
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall("".join(transcript.raw_env[:5]).encode())
            time.sleep(0.3)  # let the server accept it: a connection still in the backlog at
            # shutdown is reset, and Asterisk then falls back to the program
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.2)
            sock.sendall("".join(transcript.raw_env[5:]).encode())
            answers = sock.makefile("rb")
            for _ in range(5):  # answer the hook's commands as Asterisk would
                command = answers.readline().decode().strip()
                if not command:
                    break
                reply, _ = transcript.answer(command)
                sock.sendall("".join(reply).encode())
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    assert "stopped" in err.decode() and "Traceback" not in err.decode()
    assert [r["uniqueid"] for r in site.calls()] == [transcript.env["agi_uniqueid"]]


def test_fastagi_command_bad_listen_address(site):
    result = CliRunner().invoke(main, ["--config", str(site.config), "fastagi", "--listen", "localhost"])
    assert result.exit_code == 2 and "HOST:PORT" in result.output


def test_fastagi_socket_activation(site):
    """systemd passes the listening socket as fd 3 with LISTEN_PID/LISTEN_FDS."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    textback = os.path.join(os.path.dirname(sys.executable), "textback")
    fd = listener.fileno()
    # What systemd does: the socket on fd 3, LISTEN_PID = the server's own pid (exec keeps it).
    launcher = ("import os, sys; os.dup2(int(sys.argv[1]), 3); os.environ['LISTEN_PID'] = str(os.getpid()); "
                "os.environ['LISTEN_FDS'] = '1'; os.execv(sys.argv[2], sys.argv[2:])")
    proc = subprocess.Popen([sys.executable, "-c", launcher, str(fd), textback, "--config", str(site.config),
                             "fastagi", "--listen", "127.0.0.1:1"], pass_fds=(fd,), stderr=subprocess.PIPE)
    listener.close()
    try:
        wait_listening(port, proc)
        result = replay_fastagi(BY_NAME["hh-busy"], "127.0.0.1", port)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
        assert result.sent[-1:] == ['SET VARIABLE TEXTBACK_RESULT "queued"'], err.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert f"127.0.0.1:{port}" in err.decode()
    assert len(site.calls()) == 1


def test_fastagi_server_refuses_beyond_its_bound_and_serves_many_at_once(site):
    from agi.fastagi import FastAGIServer
    from store import Store

    Store.open(site.url).close()
    server = FastAGIServer(("127.0.0.1", 0), store_url=site.url, spool_dir=str(site.spool_dir), max_calls=2)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        host, port = server.address
        # Two sessions that stall mid-environment hold both slots...
        stalled = [socket.create_connection((host, port)) for _ in range(2)]
        for s in stalled:
            s.sendall(b"agi_network: yes\n")
        time.sleep(0.2)
        # ...so a third is closed at once: Asterisk would see AGISTATUS=FAILURE and fall back.
        with socket.create_connection((host, port), timeout=2) as third:
            assert third.recv(100) == b""
        assert server.refused == 1
        for s in stalled:
            s.close()
        time.sleep(0.2)
        # With the slots free again, twenty calls from ten threads all land
        # (those refused while both slots are busy retry, as the program fallback would catch them).
        transcript = BY_NAME["hh-noanswer"]
        uid = transcript.env["agi_uniqueid"]

        def one(n):
            t = type(transcript)(name=transcript.name, argv=None, sighup_received=False,
                                 raw_env=[l.replace(uid, f"1795600000.{n}") for l in transcript.raw_env],
                                 exchanges=transcript.exchanges)
            for _ in range(200):  # refused = Asterisk's fallback; here we simply retry
                try:
                    result = replay_fastagi(t, host, port)
                    if result.sent:
                        return result
                except OSError:
                    pass
                time.sleep(0.02)

        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(one, range(20)))
    finally:
        server.shutdown()
        server.server_close()
    assert len(site.calls()) == 20


def test_test_call_to_a_line_no_modem_texts_for_says_it_waits_unplanned(site):
    """Several [[modem]] entries, each with its lines: a test call to another line (or with no
    --line) is never planned; test-call said "The worker is running: it plans the call"."""
    from modem_fleet import SERVICE_LINE, two_modems

    site.config.write_text(site.config.read_text() + two_modems(), encoding="utf-8")
    result = _run(site, "test-call", "--from", "+12125550123")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "No modem of this configuration texts for a call with no line: the call stays "
        "unplanned. Give --line one of +12125550100, +12125550111, or add the line to a [[modem]]'s lines.")
    other = _run(site, "test-call", "--from", "+12125550123", "--line", "+12125550199")
    assert other.output.splitlines()[-1].startswith("No modem of this configuration texts for line +12125550199: ")
    served = _run(site, "test-call", "--from", "+12125550124", "--line", SERVICE_LINE)
    assert served.output.splitlines()[-1] == (
        "No text yet: the worker for modem service has never run on this store; start it with: systemctl "
        "start textback-worker@service (or textback worker --modem service). The call waits in the store "
        "and is texted when the worker runs.")
