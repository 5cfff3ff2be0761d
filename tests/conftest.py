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


def pytest_generate_tests(metafunc):
    """The store's own tests (tests/test_store_*.py) run on SQLite and on PostgreSQL: each
    test that takes `db_url` or `store` twice, unless marked sqlite_only (a file's modes,
    its inode, its query plans are SQLite's own)."""
    module = metafunc.module.__name__.rpartition(".")[2]
    if not module.startswith("test_store_") or "db_url" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("sqlite_only"):
        return
    metafunc.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def db_url(request, tmp_path) -> str:
    """URL of a database that does not exist yet: by default a file in a directory that does
    not exist either; a fresh PostgreSQL database when parametrized so."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return request.getfixturevalue("pg_url")
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


@pytest.fixture(scope="session")
def pg_cluster():
    """A temporary PostgreSQL server for the whole session (tests/postgres_helpers.py)."""
    from postgres_helpers import start_cluster

    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def pg_url(pg_cluster):
    """URL of a fresh, empty PostgreSQL database on the session's server."""
    url = pg_cluster.new_database()
    yield url
    pg_cluster.drop_database(url)
