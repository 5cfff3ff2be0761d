"""What `textback uninstall` removes: what `textback install` made, as steps like the
install's. The data (database, spool, configuration) and the textback user stay unless
--purge: calls and replies are the shop's records, and files still owned by the user
would otherwise be left to a bare uid."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from textback.install.plan import (
    BIN_DIR,
    CONFIG_DIR,
    DATA_DIR,
    DIALPLAN,
    DOC_DIR,
    RUN_DIR,
    SPOOL_DIR,
    SYSUSERS,
    TMPFILES,
    UDEV_RULE,
    UNIT_DIR,
    UNITS,
    USER,
    Installer,
    Step,
    dialplan_text,
    run,
)


def _remove_file_step(path: Path, shown: str, *, only_if: bytes | tuple[bytes, ...] | None = None) -> Step:
    def done() -> bool:
        if not (path.exists() or path.is_symlink()):
            return True
        if only_if is not None and not path.is_symlink():
            wanted = only_if if isinstance(only_if, tuple) else (only_if,)
            return path.read_bytes() not in wanted      # edited by hand: not ours to remove
        return False

    return Step(f"remove {shown}", done, path.unlink)


def _remove_link_step(path: Path, shown: str) -> Step:
    def done() -> bool:
        # only a link to a textback program is ours
        return not (path.is_symlink() and Path(os.readlink(path)).name in ("textback", "textback-agi"))

    return Step(f"remove {shown}", done, path.unlink)


def _remove_tree_step(path: Path, shown: str) -> Step:
    return Step(f"remove {shown} and everything in it", lambda: not path.exists(),
                lambda: shutil.rmtree(path))


def _stop_step(unit: str) -> Step:
    def done() -> bool:
        return subprocess.run(["systemctl", "is-enabled", "--quiet", unit], check=False).returncode != 0 and \
            subprocess.run(["systemctl", "is-active", "--quiet", unit], check=False).returncode != 0

    return Step(f"stop and disable {unit}", done, lambda: run(["systemctl", "disable", "--now", unit]))


def removal_steps(installer: Installer, *, purge: bool) -> list[Step]:
    at = installer.at
    steps: list[Step] = []
    if installer.live:
        workers = {"textback-worker.service", *installer.worker_units()}     # and each modem's, if several
        steps += [_stop_step(u) for u in ("textback-fastagi.socket", "textback-fastagi.service", *sorted(workers))]
    steps += [_remove_file_step(at(f"{UNIT_DIR}/{u}"), f"{UNIT_DIR}/{u}") for u in UNITS]
    steps.append(_remove_file_step(at(UDEV_RULE), UDEV_RULE))
    steps += [_remove_link_step(at(f"{BIN_DIR}/{n}"), f"{BIN_DIR}/{n}") for n in ("textback", "textback-agi")]
    steps.append(_remove_link_step(at(f"{installer.agi_dir}/textback-agi"), f"{installer.agi_dir}/textback-agi"))
    variants = tuple(dialplan_text(installer.src, f).encode("utf-8") for f in (True, False))
    dialplan = f"{installer.asterisk.etc_dir}/{DIALPLAN}"
    steps.append(_remove_file_step(at(dialplan), f"{dialplan} (unless edited by hand)", only_if=variants))
    steps.append(_remove_tree_step(at(DOC_DIR), DOC_DIR))
    steps.append(_remove_file_step(at(TMPFILES), TMPFILES))
    if purge:
        # (the RAM spool under RUN_DIR may hold calls not yet imported: kept unless purged)
        steps += [_remove_tree_step(at(d), d) for d in (DATA_DIR, SPOOL_DIR, RUN_DIR, CONFIG_DIR)]
        steps.append(_remove_file_step(at(SYSUSERS), SYSUSERS))
        steps.append(_user_removal_step(installer))
    return steps


def _user_removal_step(installer: Installer) -> Step:
    def done() -> bool:
        return installer.accounts.user(USER) is None and installer.accounts.gid(USER) is None

    def apply() -> None:
        chroot = [] if str(installer.root) == "/" else ["--root", str(installer.root)]
        if installer.accounts.user(USER) is not None:
            run(["userdel", *chroot, USER])
        if installer.accounts.gid(USER) is not None:
            run(["groupdel", *chroot, USER])

    return Step(f"remove the user and group {USER}", done, apply)
