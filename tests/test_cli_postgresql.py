"""The staff commands on a PostgreSQL store print exactly what they print on SQLite: the
same shop's day (tests/cli_helpers.py fill) in both, every listing in its three forms."""
from __future__ import annotations

import re

import pytest
from cli_helpers import fill, make_site, run

COMMANDS = [
    ("inbox",), ("inbox", "--all", "--json"), ("inbox", "--csv"),
    ("thread", "212-555-0123"), ("thread", "212-555-0123", "--json"),
    ("calls",), ("calls", "--skipped", "--since", "30d", "--json"), ("calls", "--csv"),
    ("stats",), ("stats", "--json"), ("stats", "--since", "7d", "--csv"),
    ("optouts",), ("optouts", "--json"),
]


@pytest.fixture
def sites(tmp_path, pg_url):
    for name in ("sqlite", "postgresql"):
        (tmp_path / name).mkdir()
    on_sqlite = make_site(tmp_path / "sqlite")
    on_postgresql = make_site(tmp_path / "postgresql", url=pg_url)
    fill(on_sqlite)
    fill(on_postgresql)
    return on_sqlite, on_postgresql


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_listing_is_the_same_on_postgresql(sites, args):
    on_sqlite, on_postgresql = sites
    expected = run(on_sqlite, *args)
    got = run(on_postgresql, *args)
    assert expected.exit_code == 0, expected.output
    assert (got.exit_code, _when_masked(args, got.output)) == (0, _when_masked(args, expected.output))


def _when_masked(args: tuple[str, ...], output: str) -> str:
    """An opt-out's time is the moment fill() ran, which differs between the two sites by
    the second or so filling one takes; stats' "since" is the moment each run began (now
    minus 30 days), a second apart when the clock ticks between the two."""
    return re.sub(r"\d{1,2}:\d{2}(:\d{2})?", "hh:mm", output) if args[0] in ("optouts", "stats") else output


def test_reply_block_and_unblock_on_postgresql(sites):
    _, site = sites
    assert run(site, "reply", "(212) 555-0123", "Bien sûr, à 15h 😊").exit_code == 0
    assert run(site, "block", "212 555 0123").exit_code == 0
    assert "blocked" in run(site, "reply", "+12125550123", "hello").output
    assert run(site, "unblock", "+12125550123").exit_code == 0


def test_doctor_checks_the_postgresql_server(tmp_path, pg_url):
    from test_cli_status import doctor

    (tmp_path / "agi-bin").mkdir()
    (tmp_path / "asterisk").mkdir()
    pbx = (tmp_path / "agi-bin", tmp_path / "asterisk")
    site = make_site(tmp_path, url=pg_url, extra='[modem]\nport = "/dev/textback-no-such-modem"\n')
    name = pg_url.rsplit("/", 1)[1]
    assert f"[  ok] database reachable: PostgreSQL database '{name}' on 127.0.0.1, schema v" in doctor(site, pbx).output
    (tmp_path / "down").mkdir()
    down = make_site(tmp_path / "down", url=pg_url.replace(name, "no_such_database"), create=False)
    out = doctor(down, pbx).output
    assert "[FAIL] database reachable: cannot connect to PostgreSQL database 'no_such_database' on 127.0.0.1" in out
    assert "fix: check [store] url, that the server runs and lets this box in (pg_hba.conf)" in out
