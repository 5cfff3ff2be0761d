"""`textback simulate-modem`: bad options cost nothing; the real command prints the device first."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from click.testing import CliRunner
from sim_helpers import AtClient

from textback.cli import main


def test_unknown_profile_is_a_clear_error():
    result = CliRunner().invoke(main, ["simulate-modem", "--profile", "nokia3310"])
    assert result.exit_code == 2
    assert "nokia3310" in result.output and "sim800" in result.output
    assert "Traceback" not in result.output


def test_link_in_a_missing_directory_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["simulate-modem", "--link", str(tmp_path / "nope" / "ttyGSM")])
    assert result.exit_code == 1
    assert "does not exist" in result.output and "--link" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_runs_until_stopped_and_prints_the_device_first(tmp_path):
    link = tmp_path / "ttyGSM"
    proc = subprocess.Popen([sys.executable, "-m", "textback.cli", "simulate-modem", "--profile", "sim800",
                             "--link", str(link)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        first = proc.stdout.readline().strip()
        assert first == str(link) and os.path.islink(link)
        at = AtClient(first)
        at.cmd("ATE0")
        assert at.cmd("AT+CGMI") == ["SIMCOM_Ltd", "OK"]
        at.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert not os.path.exists(link)             # the link goes with the modem


def test_profile_names_a_technician_would_type_are_accepted():
    # "Quectel" is the EC25 profile; the name check lives in one place (get_profile).
    proc = subprocess.Popen([sys.executable, "-m", "textback.cli", "simulate-modem", "--profile", "Quectel"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        at = AtClient(proc.stdout.readline().strip())
        at.cmd("ATE0")
        assert at.cmd("AT+CGMI") == ["Quectel", "OK"]
        at.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert proc.returncode == 0
