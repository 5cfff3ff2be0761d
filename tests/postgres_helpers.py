"""A throwaway PostgreSQL cluster for the tests: Debian's own server binaries, run as an
unprivileged user (initdb refuses root, and CI runs as root), listening on 127.0.0.1 on a
free port, its data in a fresh folder under /tmp that is removed afterwards.

Tests that need it skip, saying why, when the server binaries are not installed -- except
under CI (CI=true), where a missing server must fail loudly: the README's test command
installs `postgresql`, so its absence there is a broken CI, not a choice.
"""
from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

_names = itertools.count(1)


def server_binaries() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin holding initdb and pg_ctl, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    for initdb in reversed(found):
        bindir = Path(initdb).parent
        if (bindir / "pg_ctl").exists():
            return bindir
    return None


def missing(reason: str) -> None:
    """Skip with the reason; under CI, fail: CI installs the server, so it must run there."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true but {reason}: the README's test command installs postgresql", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One temporary PostgreSQL server; `new_database()` gives each test its own database."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="textback-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root: run them as nobody, who owns the folder.
            nobody = pwd.getpwnam("nobody")
            os.chown(self.root, nobody.pw_uid, nobody.pw_gid)
            self._as = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
        os.chmod(self.root, 0o755)

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "LC_ALL": "C.UTF-8", "HOME": str(self.root)})
        if done.returncode != 0:
            said = done.stderr.strip() or done.stdout.strip()
            raise RuntimeError(f"{Path(args[0]).name} {args[-1]} failed ({done.returncode}): {said}")

    def start(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--no-sync")
        self.restart()

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are cut, as a real outage would)."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        """Start the server on the cluster's port (again, after stop())."""
        # fsync off: a test cluster need not survive a power cut, and the suite shares 2 cores.
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root}"
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")

    def remove(self) -> None:
        try:
            self.stop()
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = f"textback_test_{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        try:
            with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.Error:
            pass        # the server is stopped or gone; the whole cluster is removed at the end


def start_cluster() -> Cluster:
    bindir = server_binaries()
    if bindir is None:
        missing("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing("psycopg is not installed (pip install '.[postgresql]')")
    assert bindir is not None
    cluster = Cluster(bindir)
    try:
        cluster.start()
    except BaseException:
        shutil.rmtree(cluster.root, ignore_errors=True)
        raise
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", cluster.port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    return cluster
