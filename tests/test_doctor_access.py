"""`textback doctor` on who can reach what: a run-group Asterisk that would lose calls is
reported with the fix (and passes once `textback install` has given it its ACL), and a
modem port held by ModemManager is named."""
from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
from sim_helpers import port_held_by
from test_install import _install, _stage
from user_helpers import ASTERISK_GID, ASTERISK_UID, as_user

from textback.commands.doctor_access import asterisk_access, port_free
from textback.install.accounts import Accounts
from textback.install.asterisk_setup import detect


def _old_style(root) -> int:
    """The README's old manual install: folders 2770 textback:textback and
    `usermod -aG textback asterisk`, no ACL."""
    tb_gid = 64031
    with open(root / "etc/group", "a") as fh:
        fh.write(f"textback:x:{tb_gid}:asterisk\n")
    for name in ("var/lib/textback", "var/spool/textback"):
        (root / name).mkdir(parents=True)
        os.chown(root / name, 0, tb_gid)
        (root / name).chmod(0o2770)
    return tb_gid


def _check(root, proc=None):
    return asterisk_access(detect(str(root), proc=proc), Accounts(str(root)), root / "var/lib/textback",
                           root / "var/spool/textback", root / "var/lib/textback/textback.db")


def test_a_run_group_that_would_lose_calls_is_reported_with_the_fix(shared_tmp):
    if os.geteuid() != 0:
        pytest.skip("stages files owned by other users: run as root (CI does)")
    root = _stage(shared_tmp, "rungroup")
    _old_style(root)
    check = _check(root)
    assert (check.mark, check.detail, check.fix) == (
        "FAIL",
        f"Asterisk as configured (runuser in etc/asterisk/asterisk.conf), user asterisk with groups asterisk only, "
        f"cannot write {root}/var/lib/textback and {root}/var/spool/textback: it runs with run group asterisk "
        "(rungroup in etc/asterisk/asterisk.conf), which drops every supplementary group, so membership of group "
        "textback does not count; calls are LOST (not even spooled)",
        "sudo textback install (gives Asterisk's user access by ACL, whatever its groups; no restart needed)")
    # Without the run group the same /etc/group membership works (initgroups).
    (root / "etc/asterisk/asterisk.conf").write_text("[options]\nrunuser = asterisk\n")
    assert _check(root).mark == "ok"


def test_a_running_asterisk_is_judged_by_its_real_groups_and_passes_after_install(shared_tmp):
    if os.geteuid() != 0:
        pytest.skip("runs a process as Asterisk's user: run as root (CI does)")
    root = _stage(shared_tmp, "no-run-group")      # the config says no run group...
    _old_style(root)
    fake = shared_tmp / "asterisk"                 # ...but it was started with -G: no groups
    shutil.copy("/bin/sleep", fake)
    fake.chmod(0o755)
    proc = subprocess.Popen([*as_user(ASTERISK_UID, ASTERISK_GID), str(fake), "30"])
    try:
        deadline = time.monotonic() + 5
        while not detect(str(root), proc="/proc").processes and time.monotonic() < deadline:
            time.sleep(0.05)
        check = _check(root, proc="/proc")
        assert check.mark == "FAIL"
        assert check.detail.startswith(f"Asterisk (pid {proc.pid}), user asterisk with groups asterisk only, "
                                       f"cannot write {root}/var/lib/textback")
        for name in ("var/lib/textback", "var/spool/textback"):
            shutil.rmtree(root / name)
        assert _install(root).exit_code == 0
        after = _check(root, proc="/proc")
        assert after.mark == "ok", after.detail
    finally:
        proc.kill()
        proc.wait()


def test_a_port_held_by_modemmanager_is_named(tmp_path, sim):
    with port_held_by("ModemManager", sim.device, tmp_path) as holder:
        check = port_free(sim.device)
        assert (check.mark, check.detail) == ("FAIL", f"{sim.device} is held by ModemManager (pid {holder.pid})")
        assert "ID_MM_DEVICE_IGNORE" not in check.fix and "sudo systemctl disable --now ModemManager" in check.fix
    assert port_free(sim.device).mark == "ok"
