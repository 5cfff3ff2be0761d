"""How Asterisk really runs on this machine: its user, its run group, its folders.

Read from what decides it, in Asterisk's own order of precedence: the command line of a
running asterisk process (`-U`/`-G`, and its real ids in /proc/PID/status), Debian's
/etc/default/asterisk (AST_USER/AST_GROUP, which its init script turns into -U/-G), then
asterisk.conf's [options] runuser/rungroup and [directories] astagidir/astetcdir. FreePBX
is recognised by /etc/freepbx.conf (or /etc/amportal.conf); it runs Asterisk as
asterisk:asterisk with a run group and keeps its dialplan edits in extensions_custom.conf.

What matters for textback (shared/DESIGN.md): with a run group, Asterisk calls
setgroups(0, NULL) and keeps only that group, so group memberships in /etc/group do not
reach the AGI hook; without one it calls initgroups() and they do (after a restart).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_AGI_DIR = "/var/lib/asterisk/agi-bin"
DEFAULT_ETC_DIR = "/etc/asterisk"


@dataclass(frozen=True)
class AsteriskProcess:
    pid: int
    uid: int
    gid: int
    groups: tuple[int, ...]     # supplementary groups, as the kernel has them


@dataclass
class AsteriskSetup:
    user: str | None = None           # None: Asterisk runs as root (no runuser)
    group: str | None = None          # the run group; None: initgroups() of the user
    user_from: str = ""               # where `user` was read
    group_from: str = ""
    agi_dir: str = DEFAULT_AGI_DIR    # as Asterisk sees it (not under --root)
    etc_dir: str = DEFAULT_ETC_DIR
    freepbx: bool = False
    found: bool = False               # any sign of Asterisk at all
    processes: list[AsteriskProcess] = field(default_factory=list)

    @property
    def run_group(self) -> bool:
        return self.group is not None

    def describe(self) -> str:
        if not self.found:
            return "no Asterisk found on this machine"
        who = self.user or "root"
        how = (f"run group {self.group} ({self.group_from}): supplementary groups are dropped"
               if self.group else "no run group: its user's groups from /etc/group apply after a restart")
        kind = "FreePBX" if self.freepbx else "Asterisk"
        return f"{kind} runs as {who} ({self.user_from or 'no runuser: root'}), {how}"


def _conf_values(path: Path) -> dict[tuple[str, str], str]:
    """(section, key) -> value from an Asterisk .conf file (`key = value` or `key => value`)."""
    values: dict[tuple[str, str], str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return values
    section = ""
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        header = re.match(r"\[([^\]]+)\]", line)
        if header:
            section = header.group(1).strip().lower()
            continue
        key, sep, value = line.partition("=")
        if sep:
            values[(section, key.strip().lower())] = value.lstrip(">").strip()
    return values


def _shell_values(path: Path) -> dict[str, str]:
    """KEY=value lines of a shell defaults file (quotes dropped; nothing is run)."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return values
    for raw in text.splitlines():
        match = re.match(r"\s*(?:export\s+)?([A-Z_]+)=(.*)$", raw)
        if match:
            values[match.group(1)] = match.group(2).split("#", 1)[0].strip().strip("'\"")
    return values


def running_asterisks(proc: str = "/proc") -> list[AsteriskProcess]:
    """Every process whose command is asterisk, with its real ids from /proc/PID/status."""
    found: list[AsteriskProcess] = []
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return found
    for pid in pids:
        try:
            with open(f"{proc}/{pid}/comm", encoding="utf-8") as fh:
                if fh.read().strip() != "asterisk":
                    continue
            with open(f"{proc}/{pid}/status", encoding="utf-8") as fh:
                status = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue
        uid = int(status["Uid"].split()[0])
        gid = int(status["Gid"].split()[0])
        groups = tuple(int(g) for g in status.get("Groups", "").split())
        found.append(AsteriskProcess(int(pid), uid, gid, groups))
    return found


def _command_line_ids(pid: int, proc: str) -> tuple[str | None, str | None]:
    try:
        with open(f"{proc}/{pid}/cmdline", "rb") as fh:
            args = fh.read().decode("utf-8", "replace").split("\0")
    except OSError:
        return None, None
    user = group = None
    for i, arg in enumerate(args):
        if arg in ("-U", "-G") and i + 1 < len(args):
            if arg == "-U":
                user = args[i + 1]
            else:
                group = args[i + 1]
    return user, group


def detect(root: str = "/", *, proc: str | None = "/proc") -> AsteriskSetup:
    """Read how Asterisk runs, with every path under `root`; `proc=None` skips the
    running processes (a staged root is not this machine's)."""
    base = Path(root)
    setup = AsteriskSetup()
    conf_path = base / "etc/asterisk/asterisk.conf"
    conf = _conf_values(conf_path)
    setup.found = conf_path.exists() or (base / "etc/default/asterisk").exists()
    setup.agi_dir = conf.get(("directories", "astagidir"), DEFAULT_AGI_DIR)
    setup.etc_dir = conf.get(("directories", "astetcdir"), DEFAULT_ETC_DIR)
    setup.freepbx = (base / "etc/freepbx.conf").exists() or (base / "etc/amportal.conf").exists()
    setup.found = setup.found or setup.freepbx
    if conf.get(("options", "runuser")):
        setup.user, setup.user_from = conf[("options", "runuser")], f"runuser in {conf_path.relative_to(base)}"
    if conf.get(("options", "rungroup")):
        setup.group, setup.group_from = conf[("options", "rungroup")], f"rungroup in {conf_path.relative_to(base)}"
    defaults = _shell_values(base / "etc/default/asterisk")
    # The init script passes these as -U/-G, which win over asterisk.conf.
    if defaults.get("AST_USER"):
        setup.user, setup.user_from = defaults["AST_USER"], "AST_USER in etc/default/asterisk"
    if defaults.get("AST_GROUP"):
        setup.group, setup.group_from = defaults["AST_GROUP"], "AST_GROUP in etc/default/asterisk (-G)"
    if proc is not None:
        setup.processes = running_asterisks(proc)
        for process in setup.processes:
            user, group = _command_line_ids(process.pid, proc)
            if user:
                setup.user, setup.user_from = user, f"-U of running asterisk (pid {process.pid})"
            if group:
                setup.group, setup.group_from = group, f"-G of running asterisk (pid {process.pid})"
        setup.found = setup.found or bool(setup.processes)
    return setup
