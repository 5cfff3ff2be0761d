"""Two `textback doctor` checks about who can reach what, as the kernel decides it:
whether Asterisk, with the ids it really runs with, can write the database and the spool
(a run group drops every supplementary group: shared/DESIGN.md), and whether another
process (ModemManager, a second worker, a terminal) holds the modem's port."""
from __future__ import annotations

import os
from pathlib import Path

from textback.commands.doctor_probes import FAIL, OK, SKIP, WARN, Check
from textback.install import acl
from textback.install.accounts import Accounts
from textback.install.asterisk_setup import AsteriskSetup

FIX_ACCESS = "sudo textback install (gives Asterisk's user access by ACL, whatever its groups; no restart needed)"


def _identities(setup: AsteriskSetup, accounts: Accounts) -> list[tuple[str, int, set[int]]]:
    """(who, uid, gids) for each running Asterisk, or as its configuration would run it."""
    if setup.processes:
        return [(f"Asterisk (pid {p.pid})", p.uid, {p.gid, *p.groups}) for p in setup.processes]
    if not setup.user or setup.user == "root":
        return [("Asterisk (as root)", 0, {0})]
    account = accounts.user(setup.user)
    if account is None:
        return []
    if setup.group:
        gid = accounts.gid(setup.group)
        return [(f"Asterisk as configured ({setup.user_from})", account.uid, {gid if gid is not None else account.gid})]
    return [(f"Asterisk as configured ({setup.user_from})", account.uid, accounts.group_ids(setup.user))]


def asterisk_access(setup: AsteriskSetup, accounts: Accounts, data_dir: Path, spool_dir: Path,
                    database: Path) -> Check:
    name = "Asterisk's hook can write the database and the spool"
    if not setup.found:
        return Check(name, SKIP, "no Asterisk found on this machine")
    identities = _identities(setup, accounts)
    if not identities:
        return Check(name, FAIL, f"Asterisk's user {setup.user} ({setup.user_from}) does not exist",
                     "fix runuser in asterisk.conf (or AST_USER), then restart Asterisk")
    problems = []
    for who, uid, gids in identities:
        names = ", ".join(sorted(accounts.group_name(g) for g in gids))
        targets = [(data_dir, acl.W | acl.X), (spool_dir, acl.W | acl.X)]
        if database.exists():
            targets.append((database, acl.R | acl.W))
        blocked = [str(p) for p, want in targets if not p.exists() or not acl.may(str(p), uid, gids, want)]
        if not blocked:
            continue
        lost = str(spool_dir) in blocked
        why = (f"it runs with run group {setup.group} ({setup.group_from}), which drops every supplementary "
               f"group, so membership of group textback does not count" if setup.group else
               "its user has no write access by owner, group or ACL (a group joined since Asterisk started "
               "counts only after a restart)")
        problems.append(f"{who}, user {accounts.user_name(uid)} with groups {names} only, cannot write "
                        f"{' and '.join(blocked)}: {why}; calls are "
                        f"{'LOST (not even spooled)' if lost else 'spooled, not recorded'}")
    if problems:
        return Check(name, FAIL, "; ".join(problems), FIX_ACCESS)
    how = setup.describe()
    return Check(name, OK, how)


def port_holders(port: str, proc: str = "/proc") -> list[tuple[int, str]]:
    """(pid, command) of every process with the port open, this one excepted, and the
    process on the other side of a pseudo-terminal (`textback simulate-modem`, which keeps
    the slave open too): that one is the modem, not a program in its way."""
    try:
        device = os.path.realpath(port)
    except OSError:
        return []
    pty_index = device.removeprefix("/dev/pts/") if device.startswith("/dev/pts/") else None
    holders = []
    me = os.getpid()
    for pid in (p for p in os.listdir(proc) if p.isdigit()):
        if int(pid) == me:
            continue
        try:
            fds = os.listdir(f"{proc}/{pid}/fd")
        except OSError:
            continue
        holds = modem_side = False
        for fd in fds:
            try:
                target = os.readlink(f"{proc}/{pid}/fd/{fd}")
                holds = holds or target == device
                if pty_index is not None and target in ("/dev/ptmx", "/dev/pts/ptmx"):
                    modem_side = modem_side or _pty_index(f"{proc}/{pid}/fdinfo/{fd}") == pty_index
            except OSError:
                continue
        if holds and not modem_side:
            try:
                with open(f"{proc}/{pid}/comm", encoding="utf-8") as fh:
                    holders.append((int(pid), fh.read().strip()))
            except OSError:
                continue
    return holders


def _pty_index(fdinfo: str) -> str | None:
    """Which pty a /dev/ptmx descriptor is the master of ("tty-index:" in its fdinfo)."""
    with open(fdinfo, encoding="ascii", errors="replace") as fh:
        for line in fh:
            if line.startswith("tty-index:"):
                return line.split(":", 1)[1].strip()
    return None


def port_free(port: str, proc: str = "/proc") -> Check:
    name = "modem port not held by another program"
    if not os.path.exists(port):
        return Check(name, SKIP, f"no device {port}")
    holders = port_holders(port, proc)
    if not holders:
        seen = "" if os.geteuid() == 0 else " (as this user; run doctor as root to see every process)"
        return Check(name, OK, f"no other process has {port} open{seen}")
    named = ", ".join(f"{command} (pid {pid})" for pid, command in holders)
    if any(command == "ModemManager" for _, command in holders):
        fix = ("ModemManager sends its own AT commands: reinstall the udev rule, which tells it to leave the modem "
               "alone (sudo textback install && sudo udevadm trigger --subsystem-match=tty), then "
               "sudo systemctl restart ModemManager; or sudo systemctl disable --now ModemManager")
    else:
        fix = f"stop it (sudo kill {holders[0][0]}), or point [modem] port at another device"
    return Check(name, WARN if all(c.startswith("textback") for _, c in holders) else FAIL,
                 f"{port} is held by {named}", fix)


__all__ = ["OK", "asterisk_access", "port_free", "port_holders"]
