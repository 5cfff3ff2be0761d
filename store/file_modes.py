"""The SQLite files' modes: shared with the folder's group, or named with the fix.

Three programs write one database as different users: the AGI hook (as Asterisk's
user), the worker (as textback) and staff running `textback reply`. Measured facts
(shared/DESIGN.md): SQLite creates the database file 0644 less the umask, whatever the
umask allows, and gives `-wal`/`-shm` the database file's mode (and, when root creates
them, its owner). So a database created by any one of them is read-only for the others
unless its creator makes it group-writable once. The rule here: a database inside a
group-writable folder (textback's is `2770 textback:textback`, set up by `textback
install`) is shared with that folder's group, so whoever creates the file (or owns it,
on a later open) adds the group's read and write bits. A program that cannot write a
database and cannot repair it (it is not the owner) gets one line naming the owner, the
mode and the exact command that fixes it.

Standard library only: the hook creates the database through this module on its rare
first call.
"""
from __future__ import annotations

import os
import stat

SIDE_FILES = ("", "-wal", "-shm")


def _shared_folder(path: str) -> bool:
    try:
        mode = os.stat(os.path.dirname(os.path.abspath(path))).st_mode
    except OSError:
        return False
    return bool(mode & stat.S_IWGRP)


def share_with_folder(path: str) -> list[str]:
    """Make the database and its -wal/-shm group-readable and -writable when the folder is
    group-writable and this process owns them. Returns the files changed (for a log line).
    Never raises: a file this process does not own is left for `writable_problem` to name."""
    if not _shared_folder(path):
        return []
    changed = []
    me = os.geteuid()
    for suffix in SIDE_FILES:
        name = path + suffix
        try:
            st = os.stat(name)
        except OSError:
            continue
        wanted = stat.S_IMODE(st.st_mode) | stat.S_IRGRP | stat.S_IWGRP
        if wanted == stat.S_IMODE(st.st_mode) or (st.st_uid != me and me != 0):
            continue
        try:
            os.chmod(name, wanted)
            changed.append(name)
        except OSError:
            pass
    return changed


def _describe(name: str) -> str:
    try:
        st = os.stat(name)
    except OSError as exc:
        return f"{name} ({exc.strerror})"
    owner, group = _name(st.st_uid, "pwd"), _name(st.st_gid, "grp")
    return f"{name} (owner {owner}:{group}, mode {stat.S_IMODE(st.st_mode):04o})"


def _name(number: int, module: str) -> str:
    try:
        if module == "pwd":
            import pwd
            return pwd.getpwuid(number).pw_name
        import grp
        return grp.getgrgid(number).gr_name
    except (KeyError, ImportError):
        return str(number)


def writable_problem(path: str) -> str | None:
    """None when this process can write the database, its -wal/-shm and its folder (SQLite
    creates and deletes -wal/-shm beside the file); else one line naming what is not
    writable and the exact command that fixes it."""
    folder = os.path.dirname(os.path.abspath(path))
    blocked = [path + s for s in SIDE_FILES if os.path.exists(path + s) and not os.access(path + s, os.W_OK)]
    if not os.access(folder, os.W_OK | os.X_OK):
        blocked.insert(0, folder)
    if not blocked:
        return None
    try:
        group = _name(os.stat(folder).st_gid, "grp")
    except OSError:
        group = "textback"
    user = _name(os.geteuid(), "pwd")
    files = " ".join(blocked)
    return (f"the database is read-only for user {user}: {'; '.join(_describe(p) for p in blocked)}. "
            f"Fix it with: sudo chgrp {group} {files} && sudo chmod g+rwX {files} "
            f"(or run: sudo textback install, which repairs the modes)")
