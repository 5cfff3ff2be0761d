"""The database's modes: whoever creates it first leaves it writable for the next program
(the hook as Asterisk, the worker as textback, staff), and a worker that cannot write it
says so in one line with the fix instead of dying mid-pass."""
from __future__ import annotations

import os
import stat
import subprocess

from user_helpers import NOBODY, as_user, program, require_other_users

from store import Store
from store.file_modes import share_with_folder, writable_problem


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_database_in_a_shared_folder_is_created_group_writable(tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    folder.chmod(0o2770)
    old = os.umask(0o077)       # systemd's UMask=0007 or stricter: SQLite's 0644 would be 0600
    try:
        with Store.open(f"sqlite:///{folder}/textback.db") as store:
            store.db.execute_sql("SELECT 1")
            modes = {s: _mode(f"{folder}/textback.db{s}") for s in ("", "-wal", "-shm")}
    finally:
        os.umask(old)
    assert modes == {"": 0o660, "-wal": 0o660, "-shm": 0o660}


def test_a_private_folder_keeps_sqlite_modes(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    folder.chmod(0o755)
    Store.open(f"sqlite:///{folder}/textback.db").close()
    assert _mode(folder / "textback.db") == 0o644 & ~_umask()
    assert share_with_folder(str(folder / "textback.db")) == []


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_a_wrong_mode_found_later_is_repaired_by_the_owner(tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    folder.chmod(0o2770)
    Store.open(f"sqlite:///{folder}/textback.db").close()
    (folder / "textback.db").chmod(0o600)
    Store.open(f"sqlite:///{folder}/textback.db").close()
    assert _mode(folder / "textback.db") == 0o660
    assert writable_problem(str(folder / "textback.db")) is None


def test_a_worker_that_cannot_write_says_so_in_one_line(shared_tmp):
    require_other_users()
    folder = shared_tmp / "lib"
    folder.mkdir()
    folder.chmod(0o777)
    Store.open(f"sqlite:///{folder}/textback.db").close()       # root first, as `sudo textback ...`
    (folder / "textback.db").chmod(0o644)
    config = shared_tmp / "textback.toml"
    config.write_text(f'[business]\nname = "Acme"\ncountry = "US"\n[modem]\nport = "/dev/null"\n'
                      f'[store]\nurl = "sqlite:///{folder}/textback.db"\nspool_dir = "{shared_tmp}/spool"\n')
    run = subprocess.run([*as_user(NOBODY, NOBODY), *program("textback"), "--config", str(config), "worker"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: the database is read-only for user nobody: {folder}/textback.db (owner root:root, mode 0644). "
        f"Fix it with: sudo chgrp root {folder}/textback.db && sudo chmod g+rwX {folder}/textback.db "
        "(or run: sudo textback install, which repairs the modes)"]
