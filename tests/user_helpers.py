"""Running textback's programs as other users, as a real install runs them (no tests here).

`setpriv` (util-linux) switches uid, gid and groups for one command, exactly as Asterisk
(setuid + setgid + setgroups/initgroups) or systemd (User=, Group=, SupplementaryGroups=)
would. The uids are plain numbers that need no account on this machine, so nothing is
left behind. Needs root (CI runs as root) and an interpreter other users can reach:
a virtualenv made from a pyenv Python under /root (mode 0700) cannot be run by them.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Numbers no Debian install hands out (below 65534 "nobody", above the dynamic ranges).
ASTERISK_UID = 64011
ASTERISK_GID = 64011
STAFF_UID = 64021
NOBODY = 65534


@functools.cache
def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "needs root to run programs as other users (CI runs as root)"
    if shutil.which("setpriv") is None:
        return "needs setpriv (util-linux) to run programs as other users"
    probe = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                            sys.executable, "-c", "import textback, store, agi"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return (f"the test interpreter {sys.executable} cannot be run by another user "
                f"({probe.stderr.strip()[-120:] or 'exit ' + str(probe.returncode)}): make the "
                "virtualenv from a Python outside /root, e.g. /usr/bin/python3 -m venv .venv")
    return None


def require_other_users() -> None:
    """Skip the test, saying why, where programs cannot run as other users."""
    why = _why_not()
    if why:
        pytest.skip(why)


def as_user(uid: int, gid: int, groups: list[int] | None = None) -> list[str]:
    """The setpriv prefix for a process with exactly these ids: groups=None means no
    supplementary group at all (what Asterisk keeps with a run group: setgroups(0, NULL))."""
    prefix = ["setpriv", f"--reuid={uid}", f"--regid={gid}"]
    prefix += [f"--groups={','.join(map(str, groups))}"] if groups else ["--clear-groups"]
    return prefix


def program(name: str) -> list[str]:
    """The installed console script beside the interpreter (`textback`, `textback-agi`)."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return [str(beside)]
    module = {"textback": "textback.cli", "textback-agi": "agi.hook"}[name]
    return [sys.executable, "-m", module]


@pytest.fixture
def shared_tmp():
    """A fresh folder under /tmp that other users can traverse (pytest's tmp_path is 0700
    under a 0700 parent); removed afterwards."""
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="textback-users-", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
