"""bin/textback answers `--help` from textback/help_pages.py: each page must be click's own."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from textback import help_pages
from textback.cli import COMMANDS
from textback.help_pages_writer import pages, render

SCRIPT = Path(__file__).resolve().parents[1] / "bin" / "textback"
REGENERATE = "pages drifted from click's: run `python -m textback.help_pages_writer` and commit textback/help_pages.py"


def test_every_kept_page_is_what_click_prints_now():
    assert help_pages.PAGES == pages(), REGENERATE


def test_every_command_has_a_page():
    # A command left out (its help read the machine) would be slow again: say which.
    assert set(help_pages.PAGES) == {"", *COMMANDS}


def _script(*args: str, columns: str = "100") -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": columns}
    return subprocess.run([sys.executable, "-X", "importtime", str(SCRIPT), *args], capture_output=True,
                          text=True, env=env, timeout=60)


@pytest.mark.parametrize("words", [[], ["inbox"], ["reply"], ["doctor"]])
def test_the_script_prints_the_page_without_click(words):
    done = _script(*words, "--help")
    assert done.returncode == 0
    assert done.stdout == render(words)
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "click" not in imported and "textback.cli" not in imported and "peewee" not in imported


def test_a_narrow_terminal_or_an_unknown_command_goes_to_click():
    narrow = _script("inbox", "--help", columns="60")
    assert narrow.returncode == 0 and "click" in narrow.stderr
    unknown = _script("no-such-command", "--help")
    assert unknown.returncode == 2 and "No such command" in unknown.stderr
