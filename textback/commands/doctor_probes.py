"""The checks behind `textback doctor`: each returns a Check with a mark and, when it fails, the fix.

Probes touch the real thing (file modes and owners, Asterisk's directories, the
serial port with AT commands) and never change anything.
"""
from __future__ import annotations

import grp
import logging
import os
import pwd
import re
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

OK, FAIL, WARN, SKIP = "ok", "FAIL", "warn", "skip"
INCLUDE = re.compile(r'^\s*#(?:try)?include\s+"?([^"\s]*extensions_textback\.conf)"?', re.MULTILINE)
DIALPLAN_FILES = ("extensions.conf", "extensions_custom.conf")


@dataclass(frozen=True)
class Check:
    name: str
    mark: str           # ok, FAIL, warn, skip
    detail: str
    fix: str = ""


def user_can_write(path: Path, user: str) -> bool | None:
    """Whether `user`, with the groups /etc/group gives it, may write `path` by its mode bits
    and ACL (None: no such user). Asterisk with a run group has fewer groups than this:
    doctor_access.asterisk_access checks the ids it really runs with."""
    from textback.install import acl

    try:
        account = pwd.getpwnam(user)
    except KeyError:
        return None
    groups = {account.pw_gid} | {g.gr_gid for g in grp.getgrall() if user in g.gr_mem}
    want = acl.W | (acl.X if path.is_dir() else 0)
    return acl.may(str(path), account.pw_uid, groups, want)


def database_reachable(url: str) -> Check:
    """A server store (PostgreSQL): reachable, with textback's schema. An SQLite file is
    checked by database_writable instead; its folder, not a server, is what goes wrong."""
    from store import Store, StoreError
    from store.url import parse_database_url

    parsed = parse_database_url(url)
    where = f"PostgreSQL database {parsed.database!r} on {parsed.host or 'localhost'}"
    try:
        with Store.open(url, busy_timeout=5.0) as store:
            version = store.models.Meta.get_by_id("schema_version").value
    except StoreError as exc:
        return Check("database reachable", FAIL, str(exc),
                     "check [store] url, that the server runs and lets this box in (pg_hba.conf)")
    return Check("database reachable", OK, f"{where}, schema v{version}")


def database_writable(db: Path, users: tuple[str, ...]) -> Check:
    name = "database writable by " + " and ".join(users)
    if not db.exists():
        return Check(name, FAIL, f"no database at {db}",
                     "start the worker once (systemctl start textback-worker): it creates the database")
    problems, fixes = [], []
    for user in users:
        for target in (db, db.parent):    # SQLite WAL creates -wal/-shm files beside the database
            allowed = user_can_write(target, user)
            if allowed is None:
                problems.append(f"no user {user!r}")
                which = "asterisk" if user == users[0] else "worker"
                fixes.append(f"create the user or name yours with --{which}-user")
                break
            if not allowed:
                problems.append(f"{user} cannot write {target}")
                fixes.append(f"chgrp textback {target} && chmod g+w {target} && usermod -aG textback {user}")
    if problems:
        return Check(name, FAIL, "; ".join(problems), "; ".join(dict.fromkeys(fixes)))
    return Check(name, OK, f"{db}")


def agi_installed(agi_bin: Path) -> Check:
    name = "AGI program in Asterisk's agi-bin"
    program = agi_bin / "textback-agi"
    fix = f'ln -sf "$(command -v textback-agi)" {program}'
    if not agi_bin.is_dir():
        return Check(name, FAIL, f"no directory {agi_bin}",
                     f"is Asterisk installed? else pass --agi-bin DIR; then {fix}")
    if not program.exists():
        broken = " (a broken link)" if program.is_symlink() else ""
        return Check(name, FAIL, f"{program} missing{broken}", fix)
    if not (program.stat().st_mode & 0o111) or not os.access(program, os.X_OK):
        return Check(name, FAIL, f"{program} is not executable", f"chmod 755 {program}")
    return Check(name, OK, str(program))


def dialplan_included(etc: Path) -> Check:
    name = "dialplan included"
    if not etc.is_dir():
        return Check(name, FAIL, f"no directory {etc}", "is Asterisk installed? else pass --asterisk-etc DIR")
    copy = etc / "extensions_textback.conf"
    for file in DIALPLAN_FILES:
        path = etc / file
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if INCLUDE.search(text):
            if not copy.exists():
                return Check(name, FAIL, f"{path} includes extensions_textback.conf but {copy} is missing",
                             f"cp asterisk/extensions_textback.conf {etc}/ && asterisk -rx 'dialplan reload'")
            return Check(name, OK, f"{path} includes {copy.name}")
    return Check(name, FAIL, f"no #include extensions_textback.conf in {etc}/extensions.conf or extensions_custom.conf",
                 "add the line `#include extensions_textback.conf` (see asterisk/README.md), "
                 "then asterisk -rx 'dialplan reload'")


class ATPort:
    """A brief AT conversation over pyserial: send a line, collect lines to the final result code."""

    FINALS = ("OK", "ERROR", "+CME ERROR", "+CMS ERROR")

    def __init__(self, port: str, baudrate: int, timeout: float):
        import serial
        self.timeout = timeout
        self.serial = serial.Serial(port, baudrate, timeout=0.05, rtscts=False, dsrdtr=False)
        self.serial.reset_input_buffer()

    def ask(self, command: str) -> list[str] | None:
        """The reply lines (echo removed, final code last), or None when nothing final came in time."""
        self.serial.write(command.encode("ascii") + b"\r")
        buf, deadline = b"", time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            buf += self.serial.read(max(1, self.serial.in_waiting))
            lines = [ln.strip() for ln in buf.decode("latin-1").split("\r\n")]
            lines = [ln for ln in lines if ln and ln != command]
            if lines and lines[-1].startswith(self.FINALS) and buf.endswith(b"\r\n"):
                return lines
        return None

    def close(self) -> None:
        self.serial.close()


def only_2g(link: ATPort, model: str) -> list[Check]:
    """A warning line when an LTE-capable modem is registered on 2G only (none otherwise):
    its family from AT+CGMI/CGMM (or [modem] model), the radio from AT+COPS?'s <AcT>."""
    from modem.device.families import choose_family, only_2g_warning
    from modem.device.setup import access_technology

    said = [line for at in ("AT+CGMI", "AT+CGMM") for line in (link.ask(at) or [])[:1]
            if not line.startswith(("OK", "ERROR", "+CME", "+CMS"))]
    try:
        family, _ = choose_family(model, *said)
    except ValueError:
        return []
    warning = only_2g_warning(family, access_technology(link.ask("AT+COPS?") or []))
    return [] if warning is None else [flag_check(warning, WARN)]


def flag_check(flag: str, mark: str) -> Check:
    """A modem flag (modem/device/checks.py: "what: why; what to do") as one doctor line."""
    head, _, rest = flag.partition(": ")
    detail, _, fix = rest.partition("; ")
    return Check(head, mark, detail or head, fix)


def probe_modem(port: str, baudrate: int, timeout: float, model: str = "auto") -> list[Check]:
    """Port present, answering AT, SIM ready, registered (and not on 2G only), SMSC set."""
    names = ("modem answers AT", "SIM ready", "registered on the network", "SMSC set")
    if not os.path.exists(port):
        return [Check(names[0], FAIL, f"no device {port}",
                      "plug the modem in; check the udev rule (systemd/) or [modem] port in the configuration")] + \
               [Check(n, SKIP, "no modem to ask") for n in names[1:]]
    try:
        link = ATPort(port, baudrate, timeout)
    except Exception as exc:  # noqa: BLE001 - pyserial raises SerialException or OSError; both mean: cannot open
        return [Check(names[0], FAIL, f"cannot open {port}: {exc}",
                      "is another program (ModemManager, a second worker) holding it? "
                      "systemctl disable --now ModemManager")] + [Check(n, SKIP, "no modem to ask") for n in names[1:]]
    try:
        answer = link.ask("AT")
        if not answer or answer[-1] != "OK":
            from modem.device.families import at_port_hint
            return [Check(names[0], FAIL, f"{port} did not answer AT within {timeout:g}s",
                          f"check [modem] baudrate ({baudrate}) and that {port} is the modem's AT port "
                          f"(most modems have several: {at_port_hint()})")] + \
                [Check(n, SKIP, "modem silent") for n in names[1:]]
        checks = [Check(names[0], OK, f"{port} answered OK")]
        cpin = " ".join(link.ask("AT+CPIN?") or [])
        checks.append(Check(names[1], OK, "READY") if "READY" in cpin else
                      Check(names[1], FAIL, cpin or "no answer",
                            'insert the SIM, or set [modem] pin = "1234" if it asks for a PIN'))
        creg = " ".join(link.ask("AT+CREG?") or [])
        numbers = re.findall(r"\d+", creg.split(":", 1)[-1]) if "+CREG:" in creg else []
        stat_code = int(numbers[1]) if len(numbers) >= 2 else None
        checks.append(Check(names[2], OK, "home" if stat_code == 1 else "roaming") if stat_code in (1, 5) else
                      Check(names[2], FAIL, f"not registered ({creg or 'no answer'})",
                            "check the antenna, the signal (AT+CSQ) and that the SIM is active with credit"))
        if stat_code in (1, 5):
            checks += only_2g(link, model)
        csca = " ".join(link.ask("AT+CSCA?") or [])
        smsc = re.search(r'\+CSCA:\s*"([^"]*)"', csca)
        checks.append(Check(names[3], OK, smsc.group(1)) if smsc and smsc.group(1).strip("+") else
                      Check(names[3], FAIL, csca or "no answer",
                            'set [modem] smsc = "+..." to your operator\'s SMS centre number'))
        return checks
    finally:
        link.close()
