"""POSIX ACLs, read and written through their extended attributes (standard library only).

Why textback needs them: Asterisk started with a run group (`rungroup` in asterisk.conf,
`-G`, Debian's AST_GROUP) calls setgroups(0, NULL), so the only ids that count for its AGI
hook are its uid and its run group's gid; `usermod -aG textback asterisk` does nothing. A
named-user ACL entry (`user:asterisk:rwx`) is checked against the uid alone, so it works
with or without a run group, and as a *default* ACL on the folder it is inherited by every
file created in it — the database, its -wal/-shm, the spool files — whoever creates them.
Linux stores an ACL in `system.posix_acl_access` / `system.posix_acl_default` in this
format (linux/posix_acl_xattr.h): a little-endian u32 version (2), then one
(u16 tag, u16 perm, u32 id) entry per line, sorted by tag then id. No `acl` package and
no compiler needed; `getfacl` shows the result. ext4, XFS, Btrfs and tmpfs on Debian and
Raspberry Pi OS support it.
"""
from __future__ import annotations

import errno
import os
import stat
import struct
from dataclasses import dataclass

ACCESS = "system.posix_acl_access"
DEFAULT = "system.posix_acl_default"
_VERSION = 2
_UNDEFINED = 0xFFFFFFFF
USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
R, W, X = 4, 2, 1


class ACLUnsupported(OSError):
    """The filesystem holding the path keeps no POSIX ACLs."""


@dataclass(frozen=True, order=True)
class Entry:
    tag: int
    id: int
    perm: int


def _decode(raw: bytes) -> list[Entry]:
    if len(raw) < 4 or struct.unpack_from("<I", raw)[0] != _VERSION:
        return []
    return [Entry(tag, ident, perm) for tag, perm, ident in struct.iter_unpack("<HHI", raw[4:])]


def _encode(entries: list[Entry]) -> bytes:
    ordered = sorted(entries, key=lambda e: (e.tag, e.id))
    return struct.pack("<I", _VERSION) + b"".join(struct.pack("<HHI", e.tag, e.perm, e.id) for e in ordered)


def read(path: str, which: str = ACCESS) -> list[Entry]:
    """The ACL's entries; [] when the path has only its mode bits (or no ACL support)."""
    try:
        return _decode(os.getxattr(path, which, follow_symlinks=False))
    except OSError as exc:
        if exc.errno in (errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP):
            return []
        raise


def named_users(path: str, which: str = ACCESS) -> dict[int, int]:
    """uid -> permission bits of the `user:NAME:` entries."""
    return {e.id: e.perm for e in read(path, which) if e.tag == USER}


def grant_user(path: str, uid: int, perm: int, *, default: int | None = None) -> bool:
    """Add or change `user:<uid>:<perm>` (and, on a folder, `default:user:<uid>:<default>`,
    inherited by what is made in it, with the owner, group and other entries from its
    mode). Returns whether anything changed. Raises ACLUnsupported on a filesystem without
    ACLs."""
    changed = _grant(path, ACCESS, uid, perm)
    if default is not None:
        changed = _grant(path, DEFAULT, uid, default) or changed
    return changed


def _grant(path: str, which: str, uid: int, perm: int) -> bool:
    mode = stat.S_IMODE(os.stat(path).st_mode)
    entries = read(path, which)
    if not entries:
        entries = [Entry(USER_OBJ, _UNDEFINED, (mode >> 6) & 7), Entry(GROUP_OBJ, _UNDEFINED, (mode >> 3) & 7),
                   Entry(OTHER, _UNDEFINED, mode & 7)]
    named = {e.id: e for e in entries if e.tag == USER}
    if uid in named and named[uid].perm == perm and any(e.tag == MASK and e.perm & perm == perm for e in entries):
        return False
    kept = [e for e in entries if not (e.tag == USER and e.id == uid) and e.tag != MASK]
    kept.append(Entry(USER, uid, perm))
    # The mask caps every named entry and the owning group: make it let both through.
    group_perm = next(e.perm for e in kept if e.tag == GROUP_OBJ)
    mask = group_perm
    for e in kept:
        if e.tag in (USER, GROUP):
            mask |= e.perm
    kept.append(Entry(MASK, _UNDEFINED, mask))
    try:
        os.setxattr(path, which, _encode(kept), follow_symlinks=False)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            raise ACLUnsupported(exc.errno, f"{path}: the filesystem keeps no ACLs (mount it with acl)") from None
        raise
    return True


def revoke_user(path: str, uid: int) -> bool:
    """Remove `user:<uid>` from the access and default ACLs; whether anything changed."""
    changed = False
    for which in (ACCESS, DEFAULT):
        entries = read(path, which)
        if not any(e.tag == USER and e.id == uid for e in entries):
            continue
        kept = [e for e in entries if not (e.tag == USER and e.id == uid)]
        os.setxattr(path, which, _encode(kept), follow_symlinks=False)
        changed = True
    return changed


def may(path: str, uid: int, gids: set[int], want: int) -> bool:
    """Whether a process with this uid and these gids (its primary and supplementary
    groups, exactly as /proc/PID/status lists them) gets `want` on `path`, by the kernel's
    rules: owner, then named user (masked), then the groups (masked), then other."""
    st = os.stat(path)
    if uid == 0:
        return not (want & X) or stat.S_ISDIR(st.st_mode) or bool(st.st_mode & 0o111)
    mode = stat.S_IMODE(st.st_mode)
    entries = read(path)
    if uid == st.st_uid:
        return (mode >> 6) & want == want
    mask = next((e.perm for e in entries if e.tag == MASK), 7)
    for e in entries:
        if e.tag == USER and e.id == uid:
            return e.perm & mask & want == want
    group_perms = []
    if st.st_gid in gids:
        group_perms.append(((mode >> 3) & 7) if not entries else
                           next(e.perm for e in entries if e.tag == GROUP_OBJ) & mask)
    group_perms += [e.perm & mask for e in entries if e.tag == GROUP and e.id in gids]
    if group_perms:
        return any(p & want == want for p in group_perms)
    return mode & want == want
