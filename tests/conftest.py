"""Shared fixtures: a real SQLite database file per test, a simulated modem on a real pty
(never a mock)."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _ram_spool_in_the_tests(tmp_path_factory):
    """The hook's RAM spool (store/spool.py, /run/textback/spool) inside the tests' own
    directory: no test writes the machine's /run, nor imports calls another left there."""
    os.environ.setdefault("TEXTBACK_RAM_SPOOL", str(tmp_path_factory.mktemp("ram-spool")))


@pytest.fixture
def db_url(tmp_path) -> str:
    """URL of a database file that does not exist yet, in a directory that does not either."""
    return f"sqlite:///{tmp_path}/var/textback.db"


@pytest.fixture
def store(db_url):
    from store import Store

    with Store.open(db_url) as opened:
        yield opened


@pytest.fixture
def sim():
    """A generic GSM modem simulator on a pseudo-terminal, as a USB modem would be."""
    from modem.simulator.pty_modem import ModemSimulator

    with ModemSimulator() as running:
        yield running


# A folder other users can traverse, for the tests that run programs as Asterisk's user,
# textback's and a staff member's (tests/user_helpers.py).
from user_helpers import shared_tmp  # noqa: E402,F401
