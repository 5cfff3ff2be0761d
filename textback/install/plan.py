"""What `textback install` does, as a list of steps: each says what it makes, knows whether
it is already so, and makes it. `--dry-run` prints the steps that would change something;
a second run finds every step done and says "nothing to change".

How Asterisk's hook, the worker and staff share one database (and why this way):
- The database folder and the spool are `2770 textback:textback`: the worker (user
  textback) owns them; staff join group textback to read and reply (`usermod -aG
  textback alice`); setgid keeps every new file in group textback whoever creates it.
- Asterisk's user gets in by a POSIX ACL naming that *user* (`user:asterisk:rwx`), set on
  the folders and as their default ACL, so every file made there (the database, -wal,
  -shm, spool files) is writable by Asterisk whoever creates it. A group would not do:
  Asterisk with a run group (`rungroup`, `-G`, Debian's AST_GROUP, FreePBX) keeps only
  that group (setgroups(0, NULL)), and making textback's folders belong to Asterisk's own
  group would hand staff Asterisk's group, which reads its configuration and secrets.
  The ACL depends on the uid alone: the same in all four setups (no run group, rungroup,
  -U/-G, FreePBX), with no Asterisk restart.
- The SQLite files themselves are made group-writable by whoever creates them
  (store/file_modes.py), because SQLite creates them 0644 whatever the umask or ACL allows.
"""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from textback.install import acl
from textback.install.accounts import Accounts
from textback.install.asterisk_setup import AsteriskSetup

USER = GROUP = "textback"
DATA_DIR = "/var/lib/textback"
SPOOL_DIR = "/var/spool/textback"
RUN_DIR = "/run/textback"
RAM_SPOOL_DIR = "/run/textback/spool"     # store/spool.py's last resort on a full disk
CONFIG_DIR = "/etc/textback"
CONFIG_FILE = "/etc/textback/textback.toml"
DATABASE = "/var/lib/textback/textback.db"
BIN_DIR = "/usr/local/bin"
UNIT_DIR = "/etc/systemd/system"
UDEV_RULE = "/etc/udev/rules.d/99-textback-modem.rules"
SYSUSERS = "/usr/lib/sysusers.d/textback.conf"
TMPFILES = "/usr/lib/tmpfiles.d/textback.conf"
DOC_DIR = "/usr/share/doc/textback"
# textback-worker@.service: the template for several modems, one worker each (textback-worker@NAME).
UNITS = ("textback-worker.service", "textback-worker@.service", "textback-fastagi.service",
         "textback-fastagi.socket")
DIALPLAN = "extensions_textback.conf"


@dataclass
class Step:
    description: str
    done: Callable[[], bool]
    apply: Callable[[], None]
    changed: list[str] = field(default_factory=list)


def sources() -> Path:
    """Where the files to install are: beside the package in a checkout, or in the
    virtualenv's share/textback (setup.cfg's data_files) after `pip install .`."""
    for candidate in (Path(__file__).resolve().parents[2], Path(sys.prefix) / "share" / "textback"):
        if (candidate / "systemd" / "textback-worker.service").is_file():
            return candidate
    raise FileNotFoundError("textback's systemd/ and asterisk/ files are missing: reinstall with "
                            "`pip install .` from the source folder")


def programs() -> Path:
    """The folder holding the `textback` and `textback-agi` console scripts of this install."""
    return Path(sys.executable).parent


def closed_to_others(program: str) -> str | None:
    """The first folder (or the file) on the way to `program`'s real interpreter that users
    other than its owner cannot pass: the worker (textback) and the hook (Asterisk's user)
    run this interpreter, so a virtualenv made from root's pyenv (/root is 0700) installs
    links that every call and the worker would die on. None when all of it is open."""
    path = Path(os.path.realpath(program))
    for part in [*reversed(path.parents), path]:
        try:
            mode = part.stat().st_mode
        except OSError:
            return str(part)
        if not mode & stat.S_IXOTH:
            return f"{part} ({stat.filemode(mode)})"
    return None


def dialplan_text(src: Path, fastagi: bool) -> str:
    """extensions_textback.conf as shipped (FastAGI first, the program as fallback) or, with
    FastAGI not installed, the program alone: no connection attempt and no two WARNING lines
    in Asterisk's log on every call."""
    text = (src / "asterisk" / DIALPLAN).read_text(encoding="utf-8")
    if fastagi:
        return text
    out = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if "AGI(agi://" in line:
            # From the FastAGI attempt down to the program's `(program)` label, whatever
            # the fallback test looks like, the lines go; the program line stays.
            skipping = True
            if line.startswith("exten =>"):
                out.append(line.split("AGI(agi://")[0] + "NoOp(textback: FastAGI not installed)\n")
            continue
        if skipping and "(program)" not in line:
            continue
        skipping = False
        out.append(line)
    return ("; Written by `textback install` without FastAGI: the program only, so no call tries\n"
            "; a server that is not there (`textback install --fastagi` writes the FastAGI variant).\n"
            + "".join(out))


class Installer:
    """Builds the steps for one machine (or a staged root)."""

    def __init__(self, root: str, asterisk: AsteriskSetup, *, fastagi: bool, agi_dir: str | None,
                 live: bool, log: Callable[[str], None]):
        self.root = Path(root)
        self.asterisk = asterisk
        self.fastagi = fastagi
        self.agi_dir = agi_dir or asterisk.agi_dir
        self.live = live            # the real machine: run systemctl and udevadm
        self.log = log
        self.accounts = Accounts(root)
        self.src = sources()

    def at(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    # -- ids -------------------------------------------------------------------------
    def _uid(self, name: str) -> int:
        account = self.accounts.user(name)
        if account is None:
            raise LookupError(f"no user {name} under {self.root}")
        return account.uid

    def _gid(self, name: str) -> int:
        gid = self.accounts.gid(name)
        if gid is None:
            raise LookupError(f"no group {name} under {self.root}")
        return gid

    def asterisk_uid(self) -> int | None:
        """The uid the ACLs name; None when Asterisk runs as root (it needs none) or is absent."""
        if not self.asterisk.found or not self.asterisk.user or self.asterisk.user == "root":
            return None
        account = self.accounts.user(self.asterisk.user)
        return account.uid if account else None

    # -- step makers -----------------------------------------------------------------
    def file_step(self, source: Path | str, target: str, mode: int = 0o644, *, text: str | None = None,
                  after: Callable[[], None] | None = None) -> Step:
        path = self.at(target)
        content = text.encode("utf-8") if text is not None else Path(source).read_bytes()

        def done() -> bool:
            try:
                return path.read_bytes() == content and stat.S_IMODE(path.stat().st_mode) == mode
            except OSError:
                return False

        def apply() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".{path.name}.textback-new")
            temp.write_bytes(content)
            temp.chmod(mode)
            temp.replace(path)
            if after:
                after()

        return Step(f"write {target}", done, apply)

    def link_step(self, target: str, points_to: Path) -> Step:
        path = self.at(target)

        def done() -> bool:
            return path.is_symlink() and os.readlink(path) == str(points_to)

        def apply() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink() or path.exists():
                path.unlink()
            path.symlink_to(points_to)

        return Step(f"link {target} -> {points_to}", done, apply)

    def folder_step(self, target: str, mode: int, owner: str, group: str, asterisk_perm: int,
                    inherit: int) -> Step:
        """`inherit`: the default ACL entry for Asterisk's user, passed on to what is made inside."""
        path = self.at(target)
        who = f"; Asterisk's user {self.asterisk.user} by ACL" if self.asterisk_uid() is not None else ""
        what = ("may write it and every file made in it" if asterisk_perm & acl.W else
                "may read it and every file made in it")

        def done() -> bool:
            try:
                st = path.stat()
                # (with an ACL the group bits show its mask, which the grant keeps at the group's)
                right = stat.S_IMODE(st.st_mode) == mode and \
                    (st.st_uid, st.st_gid) == (self._uid(owner), self._gid(group))
            except (OSError, LookupError):
                return False
            uid = self.asterisk_uid()
            if uid is None:
                return right
            return right and acl.named_users(str(path)).get(uid) == asterisk_perm and (
                acl.named_users(str(path), acl.DEFAULT).get(uid) == inherit) \
                and acl.may(str(path), uid, set(), asterisk_perm)

        def apply() -> None:
            path.mkdir(parents=True, exist_ok=True)
            os.chown(path, self._uid(owner), self._gid(group))
            path.chmod(mode)
            uid = self.asterisk_uid()
            if uid is not None:
                acl.grant_user(str(path), uid, asterisk_perm, default=inherit)

        return Step(f"folder {target} {mode:04o} {owner}:{group}{who} {what if who else ''}".rstrip(), done, apply)

    def shared_file_step(self, target: str, mode: int, owner: str, group: str, asterisk_perm: int,
                         label: str) -> Step:
        """An existing file made to match its folder: owner/group, mode, Asterisk's ACL entry
        (a database created before `textback install`, or by a program as root)."""
        path = self.at(target)

        def done() -> bool:
            if not path.exists():
                return True
            st = path.stat()
            try:
                ids = (st.st_uid == self._uid(owner) or owner == "*") and st.st_gid == self._gid(group)
            except LookupError:
                return False
            uid = self.asterisk_uid()
            ok_acl = uid is None or acl.may(str(path), uid, set(), asterisk_perm)
            return ids and stat.S_IMODE(st.st_mode) & mode == mode and ok_acl

        def apply() -> None:
            if owner != "*":
                os.chown(path, self._uid(owner), self._gid(group))
            else:
                os.chown(path, -1, self._gid(group))
            path.chmod(stat.S_IMODE(path.stat().st_mode) | mode)
            uid = self.asterisk_uid()
            if uid is not None:
                acl.grant_user(str(path), uid, asterisk_perm)

        return Step(f"{label} {target}", done, apply)

    def users_step(self) -> Step:
        conf = self.at(SYSUSERS)

        def done() -> bool:
            return self.accounts.user(USER) is not None and USER in self.accounts.members("dialout")

        def apply() -> None:
            command = ["systemd-sysusers"] + ([] if str(self.root) == "/" else [f"--root={self.root}"]) + [str(conf)]
            run(command)

        return Step(f"system user and group {USER} (in group dialout, for the modem), with systemd-sysusers",
                    done, apply)

    def service_step(self, unit: str) -> Step:
        def done() -> bool:
            # asked quietly: on a box not booted with systemd, --dry-run printed its complaints
            def ok(*args: str) -> bool:
                return subprocess.run(["systemctl", *args, "--quiet", unit], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, check=False).returncode == 0
            enabled, active = ok("is-enabled"), ok("is-active")
            return enabled and active

        def apply() -> None:
            run(["systemctl", "daemon-reload"])
            run(["systemctl", "enable", "--now", unit])

        return Step(f"enable and start {unit}", done, apply)

    # -- the plan --------------------------------------------------------------------
    def tmpfiles_text(self) -> str:
        """systemd/textback.tmpfiles.conf, plus Asterisk's ACL on the RAM spool: /run is empty
        after every boot, so the ACL install grants there must be granted again by tmpfiles
        (an Asterisk with a run group could not write the spool otherwise)."""
        text = (self.src / "systemd/textback.tmpfiles.conf").read_text(encoding="utf-8")
        if self.asterisk_uid() is None:
            return text
        user = self.asterisk.user
        return text + (f"# Asterisk's user {user} (found by textback install) writes the RAM spool.\n"
                       f"a+ {RUN_DIR} - - - - u:{user}:r-x,d:u:{user}:r-x\n"
                       f"a+ {RAM_SPOOL_DIR} - - - - u:{user}:rwx,d:u:{user}:rwx\n")

    def steps(self) -> list[Step]:
        src, bins = self.src, programs()
        reload_udev = self._reload_udev if self.live else None
        reload_units = (lambda: run(["systemctl", "daemon-reload"])) if self.live else None
        steps = [
            self.file_step(src / "systemd/textback.sysusers.conf", SYSUSERS),
            self.users_step(),
            self.file_step(src / "systemd/textback.tmpfiles.conf", TMPFILES, text=self.tmpfiles_text()),
            self.folder_step(DATA_DIR, 0o2770, USER, GROUP, acl.R | acl.W | acl.X, acl.R | acl.W | acl.X),
            self.folder_step(SPOOL_DIR, 0o2770, USER, GROUP, acl.R | acl.W | acl.X, acl.R | acl.W | acl.X),
            self.folder_step(RUN_DIR, 0o2770, USER, GROUP, acl.R | acl.X, acl.R | acl.X),
            self.folder_step(RAM_SPOOL_DIR, 0o2770, USER, GROUP, acl.R | acl.W | acl.X, acl.R | acl.W | acl.X),
            # inherited too: an editor that saves by rename makes a new textback.toml
            self.folder_step(CONFIG_DIR, 0o2750, "root", GROUP, acl.R | acl.X, acl.R),
            self.config_step(),
            self.shared_file_step(CONFIG_FILE, 0o640, "root", GROUP, acl.R, "readable by group textback and Asterisk:"),
        ]
        for suffix in ("", "-wal", "-shm"):
            steps.append(self.shared_file_step(DATABASE + suffix, 0o660, "*", GROUP, acl.R | acl.W,
                                               "writable by group textback and Asterisk:"))
        steps += [self.link_step(f"{BIN_DIR}/{name}", bins / name) for name in ("textback", "textback-agi")]
        if self.asterisk.found or self.agi_dir != self.asterisk.agi_dir:
            steps.append(self.link_step(f"{self.agi_dir}/textback-agi", bins / "textback-agi"))
            steps.append(self.dialplan_step())
        steps += [self.file_step(src / "systemd" / unit, f"{UNIT_DIR}/{unit}", after=reload_units) for unit in UNITS]
        steps.append(self.file_step(src / "systemd/99-textback-modem.rules", UDEV_RULE, after=reload_udev))
        steps += [self.file_step(src / "README.md", f"{DOC_DIR}/README.md"),
                  self.file_step(src / "asterisk/README.md", f"{DOC_DIR}/asterisk/README.md"),
                  self.file_step(src / "asterisk/extensions_custom.conf.sample",
                                 f"{DOC_DIR}/asterisk/extensions_custom.conf.sample")]
        if self.live:
            steps += [self.service_step(unit) for unit in self.worker_units()]
            if self.fastagi:
                steps.append(self.service_step("textback-fastagi.socket"))
        return steps

    def worker_units(self) -> list[str]:
        """The worker units to run: textback-worker@NAME for each [[modem]] the installed
        configuration names, else the one textback-worker.service (also when the file
        cannot be read yet: `textback config check` says why)."""
        from textback.config import ConfigError, parse_config

        path = self.at(CONFIG_FILE)
        try:
            config = parse_config(path.read_text(encoding="utf-8"), str(path))
        except (OSError, ConfigError):
            return ["textback-worker.service"]
        return [f"textback-worker@{m.name}.service" for m in config.modem_entries] or ["textback-worker.service"]

    @staticmethod
    def _reload_udev() -> None:
        run(["udevadm", "control", "--reload"])
        run(["udevadm", "trigger", "--subsystem-match=tty"])

    def config_step(self) -> Step:
        path = self.at(CONFIG_FILE)

        def apply() -> None:
            from textback.commands.config_cmd import example_text

            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(example_text())

        return Step(f"{CONFIG_FILE} from the example (an existing one is never overwritten): edit it, "
                    "then textback config check", path.exists, apply)

    def dialplan_step(self) -> Step:
        target = f"{self.asterisk.etc_dir}/{DIALPLAN}"
        wanted = dialplan_text(self.src, self.fastagi)
        other = dialplan_text(self.src, not self.fastagi)
        path = self.at(target)
        step = self.file_step("", target, 0o644, text=wanted)
        plain = step.done

        def done() -> bool:
            if plain():
                return True
            try:
                current = path.read_text(encoding="utf-8")
            except OSError:
                return False
            # a file the technician edited is theirs: kept, and said so once
            if current not in (wanted, other):
                self.log(f"kept {target}: it differs from textback's (edited by hand?); "
                         f"textback's is in {DOC_DIR}/asterisk/")
                return True
            return False

        kind = "FastAGI first, the program as fallback" if self.fastagi else "the program only, no FastAGI"
        return Step(f"write {target} ({kind})", done, step.apply)


def run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise FileNotFoundError(f"{command[0]} not found: is this a systemd machine (Debian 12, Raspberry Pi OS)?")
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"`{' '.join(command)}` failed: {(result.stderr or result.stdout).strip()}")
