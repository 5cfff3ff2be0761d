"""Opening databases: URLs, SQLite settings, and clear errors for bad setups."""
from __future__ import annotations

import os
import sqlite3
import sys
import time

import pytest

from store import Store, open_database
from store.errors import BadDatabaseURL, DatabaseNotWritable, DriverMissing, NotADatabase, SchemaTooNew, StoreError
from store.schema import SCHEMA_VERSION
from store.url import DEFAULT_URL, parse_database_url


def test_urls_parse():
    assert parse_database_url("sqlite:////var/lib/textback/textback.db").path == "/var/lib/textback/textback.db"
    assert parse_database_url("sqlite:///relative.db").path == "relative.db"
    assert parse_database_url(DEFAULT_URL).path == "/var/lib/textback/textback.db"
    pg = parse_database_url("postgresql://tb:s%40cret@db.example:5433/textback")
    assert (pg.scheme, pg.user, pg.password, pg.host, pg.port, pg.database) == (
        "postgresql", "tb", "s@cret", "db.example", 5433, "textback")


@pytest.mark.parametrize("url, words", [
    ("mysql://u@h/db", "unknown database URL scheme 'mysql'"),
    ("/var/lib/textback.db", "has no scheme"),
    ("sqlite://", "names no file"),
    ("postgresql://u@h:5432/", "names no database"),
    ("postgresql://u@h:notaport/db", "cannot be read"),
    ("", "empty database URL"),
])
def test_bad_urls_say_what_to_use(url, words):
    with pytest.raises(BadDatabaseURL, match=words) as info:
        Store.open(url)
    assert "use " in str(info.value)


@pytest.mark.sqlite_only
def test_sqlite_settings(store):
    db = store.db
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 2      # FULL
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10000


def test_creates_parent_directory_and_relative_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Store.open("sqlite:///rel/dir/t.db").close()
    assert (tmp_path / "rel" / "dir" / "t.db").is_file()


def test_unwritable_directory(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(DatabaseNotWritable, match="cannot create the database directory .* write access"):
        Store.open(f"sqlite:///{blocker}/sub/textback.db")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere; the file-in-path case above covers it")
def test_read_only_directory(tmp_path):
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    with pytest.raises(DatabaseNotWritable, match="not writable"):
        Store.open(f"sqlite:///{locked}/textback.db")


def test_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("shopping list: pipes, washers\n" * 200)
    with pytest.raises(NotADatabase, match="not a usable SQLite database.*backup"):
        Store.open(f"sqlite:///{path}")


def test_someone_elses_database(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.close()
    with pytest.raises(NotADatabase, match="no textback schema version"):
        Store.open(f"sqlite:///{path}")


def test_newer_schema_is_refused(db_url):
    with Store.open(db_url) as store, store.db.atomic():
        store.db.execute_sql(f"UPDATE meta SET value = '{SCHEMA_VERSION + 1}' WHERE key = 'schema_version'")
    with pytest.raises(SchemaTooNew) as info:
        Store.open(db_url)
    assert str(info.value) == (f"database schema v{SCHEMA_VERSION + 1} is newer than this textback "
                               f"(v{SCHEMA_VERSION}): upgrade textback")


def test_postgresql_without_driver_says_what_to_install(monkeypatch):
    # None in sys.modules is how Python itself marks a module as not importable.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(DriverMissing) as info:
        open_database("postgresql://tb:pw@127.0.0.1:5432/textback")
    assert str(info.value) == ("a postgresql:// database needs psycopg 3, which is not installed: "
                               "pip install 'textback[postgresql]' (in a checkout: pip install '.[postgresql]'), "
                               "or use an sqlite:// URL")


def test_unreachable_postgresql_says_so_within_the_connect_timeout():
    port = _closed_port()
    started = time.monotonic()
    with pytest.raises(StoreError, match=r"cannot connect to PostgreSQL database 'textback' on 127.0.0.1 .*"
                                         r"check the URL and that the server runs"):
        open_database(f"postgresql://tb@127.0.0.1:{port}/textback")
    assert time.monotonic() - started < 6


def _closed_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_errors_are_store_errors():
    for cls in (BadDatabaseURL, DatabaseNotWritable, DriverMissing, NotADatabase, SchemaTooNew):
        assert issubclass(cls, StoreError)
