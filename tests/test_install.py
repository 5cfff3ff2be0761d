"""`textback install` into a staging root, checked file by file (owners, modes, ACLs), run a
second time (nothing changes), and then used as the real users would use it: the hook as
Asterisk's user (with and without a run group, as each Asterisk setup runs it) records a
call in the database, the worker as textback texts it through the simulated modem, and a
staff member replies. Needs root (CI runs as root) to own files as other users."""
from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sim_helpers import wait_until
from test_worker_support import missed_call, write_config
from user_helpers import ASTERISK_GID, ASTERISK_UID, STAFF_UID, as_user, program, require_other_users

from textback.install import acl
from textback.install.plan import dialplan_text, programs, sources

CALLER = "+12125550142"
DIALOUT = 20

# Each Asterisk setup: the files that say how it runs, and the groups its hook then has
# (None: no supplementary group at all, as with a run group: setgroups(0, NULL)).
SETUPS = {
    "no-run-group": ({"etc/asterisk/asterisk.conf": "[options]\nrunuser = asterisk\n"}, [ASTERISK_GID]),
    "rungroup": ({"etc/asterisk/asterisk.conf": "[options]\nrunuser = asterisk\nrungroup = asterisk\n"}, None),
    "-U -G": ({"etc/asterisk/asterisk.conf": "[options]\n",
               "etc/default/asterisk": 'AST_USER="asterisk"\nAST_GROUP="asterisk"\n'}, None),
    "freepbx": ({"etc/asterisk/asterisk.conf": "[directories](!)\nastetcdir => /etc/asterisk\n"
                 "astagidir => /var/lib/asterisk/agi-bin\n[options]\nrunuser = asterisk\nrungroup = asterisk\n",
                 "etc/freepbx.conf": "<?php\n$amp_conf['AMPDBUSER'] = 'freepbxuser';\n"}, None),
}


def _stage(base: Path, setup: str) -> Path:
    root = base / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n"
                                     f"asterisk:x:{ASTERISK_UID}:{ASTERISK_GID}::/var/lib/asterisk:/usr/sbin/nologin\n")
    (root / "etc/group").write_text(f"root:x:0:\ndialout:x:{DIALOUT}:\nasterisk:x:{ASTERISK_GID}:\n")
    for name, text in SETUPS[setup][0].items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    agi = root / "var/lib/asterisk/agi-bin"
    agi.mkdir(parents=True)
    os.chown(agi, ASTERISK_UID, ASTERISK_GID)     # as Asterisk's own install leaves it
    return root


def _install(root: Path, *args: str):
    from textback.cli import main

    return CliRunner().invoke(main, ["install", "--root", str(root), *args], catch_exceptions=False)


def _ids(root: Path, name: str) -> tuple[int, int]:
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return int(fields[2]), int(fields[3])
    raise AssertionError(f"no user {name} in the staged passwd")


def _snapshot(root: Path) -> dict[str, tuple]:
    """Every path under root: type, mode, owner, group, ACLs, content or link target."""
    shot = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            body: object = os.readlink(path)
        elif stat.S_ISREG(st.st_mode):
            body = path.read_bytes()
        else:
            body = None
        access = default = None
        if not stat.S_ISLNK(st.st_mode):
            access, default = acl.read(str(path)), acl.read(str(path), acl.DEFAULT)
        shot[str(path.relative_to(root))] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid,
                                             st.st_gid, st.st_mtime_ns, access, default, body)
    return shot


def test_install_into_a_staging_root_file_by_file_and_a_second_run_changes_nothing(shared_tmp):
    if os.geteuid() != 0:
        pytest.skip("install owns files as textback and root: run as root (CI does)")
    root = _stage(shared_tmp, "rungroup")
    first = _install(root)
    assert first.exit_code == 0, first.output
    bins = programs()
    assert first.output.splitlines() == [
        "Asterisk runs as asterisk (runuser in etc/asterisk/asterisk.conf), run group asterisk (rungroup in "
        "etc/asterisk/asterisk.conf): supplementary groups are dropped.",
        "done: write /usr/lib/sysusers.d/textback.conf",
        "done: system user and group textback (in group dialout, for the modem), with systemd-sysusers",
        "done: write /usr/lib/tmpfiles.d/textback.conf",
        "done: folder /var/lib/textback 2770 textback:textback; Asterisk's user asterisk by ACL may write it and "
        "every file made in it",
        "done: folder /var/spool/textback 2770 textback:textback; Asterisk's user asterisk by ACL may write it and "
        "every file made in it",
        "done: folder /run/textback 2770 textback:textback; Asterisk's user asterisk by ACL may read it and "
        "every file made in it",
        "done: folder /run/textback/spool 2770 textback:textback; Asterisk's user asterisk by ACL may write it and "
        "every file made in it",
        "done: folder /etc/textback 2750 root:textback; Asterisk's user asterisk by ACL may read it and every file "
        "made in it",
        "done: /etc/textback/textback.toml from the example (an existing one is never overwritten): edit it, then "
        "textback config check",
        f"done: link /usr/local/bin/textback -> {bins}/textback",
        f"done: link /usr/local/bin/textback-agi -> {bins}/textback-agi",
        f"done: link /var/lib/asterisk/agi-bin/textback-agi -> {bins}/textback-agi",
        "done: write /etc/asterisk/extensions_textback.conf (the program only, no FastAGI)",
        "done: write /etc/systemd/system/textback-worker.service",
        "done: write /etc/systemd/system/textback-worker@.service",
        "done: write /etc/systemd/system/textback-fastagi.service",
        "done: write /etc/systemd/system/textback-fastagi.socket",
        "done: write /etc/udev/rules.d/99-textback-modem.rules",
        "done: write /usr/share/doc/textback/README.md",
        "done: write /usr/share/doc/textback/asterisk/README.md",
        "done: write /usr/share/doc/textback/asterisk/extensions_custom.conf.sample",
        "Next: edit /etc/textback/textback.toml (name, country, hours), then: textback config check",
        "Add textback to your dialplan (it was not edited): in /etc/asterisk/extensions.conf add",
        "    #include extensions_textback.conf",
        "and in your inbound context, before Dial():",
        "    same => n,Set(CHANNEL(hangup_handler_push)=textback-missed,s,1(${EXTEN}))",
        'then: asterisk -rx "dialplan reload"   (see /usr/share/doc/textback/asterisk/README.md)',
        "Staff who read and answer texts: sudo usermod -aG textback NAME (then log in again)."]
    tb_uid, tb_gid = _ids(root, "textback")
    assert "dialout:x:20:textback" in (root / "etc/group").read_text()
    src = sources()
    rwx, rx, r = 7, 5, 4
    # (path, mode, uid, gid, Asterisk's access ACL entry, its default ACL entry)
    folders = [("var/lib/textback", 0o2770, tb_uid, tb_gid, rwx, rwx),
               ("var/spool/textback", 0o2770, tb_uid, tb_gid, rwx, rwx),
               ("run/textback", 0o2770, tb_uid, tb_gid, rx, rx),
               ("run/textback/spool", 0o2770, tb_uid, tb_gid, rwx, rwx),
               ("etc/textback", 0o2750, 0, tb_gid, rx, r)]
    for name, mode, uid, gid, perm, default in folders:
        st = (root / name).stat()
        assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (mode, uid, gid), name
        assert acl.named_users(str(root / name)) == {ASTERISK_UID: perm}, name
        assert acl.named_users(str(root / name), acl.DEFAULT) == ({ASTERISK_UID: default} if default else {}), name
    config = root / "etc/textback/textback.toml"
    st = config.stat()
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o640, 0, tb_gid)
    assert acl.named_users(str(config)) == {ASTERISK_UID: r}
    from textback.commands.config_cmd import example_text
    assert config.read_text() == example_text()
    copies = {"usr/lib/sysusers.d/textback.conf": "systemd/textback.sysusers.conf",
              "etc/systemd/system/textback-worker.service": "systemd/textback-worker.service",
              "etc/systemd/system/textback-worker@.service": "systemd/textback-worker@.service",
              "etc/systemd/system/textback-fastagi.service": "systemd/textback-fastagi.service",
              "etc/systemd/system/textback-fastagi.socket": "systemd/textback-fastagi.socket",
              "etc/udev/rules.d/99-textback-modem.rules": "systemd/99-textback-modem.rules",
              "usr/share/doc/textback/README.md": "README.md",
              "usr/share/doc/textback/asterisk/README.md": "asterisk/README.md",
              "usr/share/doc/textback/asterisk/extensions_custom.conf.sample": "asterisk/extensions_custom.conf.sample"}
    for target, source in copies.items():
        st = (root / target).stat()
        assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o644, 0, 0), target
        assert (root / target).read_bytes() == (src / source).read_bytes(), target
    # tmpfiles: the shipped file, and Asterisk's ACL on the RAM spool again at every boot
    tmpfiles = root / "usr/lib/tmpfiles.d/textback.conf"
    assert (stat.S_IMODE(tmpfiles.stat().st_mode), tmpfiles.stat().st_uid) == (0o644, 0)
    assert tmpfiles.read_text() == (src / "systemd/textback.tmpfiles.conf").read_text() + (
        "# Asterisk's user asterisk (found by textback install) writes the RAM spool.\n"
        "a+ /run/textback - - - - u:asterisk:r-x,d:u:asterisk:r-x\n"
        "a+ /run/textback/spool - - - - u:asterisk:rwx,d:u:asterisk:rwx\n")
    dialplan = root / "etc/asterisk/extensions_textback.conf"
    assert dialplan.read_text() == dialplan_text(src, fastagi=False)
    assert "agi://" not in dialplan.read_text().split("[textback-missed]")[1]
    links = {"usr/local/bin/textback": bins / "textback", "usr/local/bin/textback-agi": bins / "textback-agi",
             "var/lib/asterisk/agi-bin/textback-agi": bins / "textback-agi"}
    for link, target in links.items():
        assert os.readlink(root / link) == str(target), link
    # Every unit's Documentation= names a file the install made.
    for unit in ("textback-worker.service", "textback-worker@.service", "textback-fastagi.service"):
        text = (root / "etc/systemd/system" / unit).read_text()
        docs = [line.split("=", 1)[1] for line in text.splitlines() if line.startswith("Documentation=")]
        assert docs and all((root / d.removeprefix("file:///")).is_file() for d in docs), (unit, docs)
    before = _snapshot(root)
    second = _install(root)
    assert second.exit_code == 0
    assert second.output.splitlines()[1:] == ["Nothing to change: textback is installed as this version would install it."]
    assert _snapshot(root) == before
    dry = _install(root, "--dry-run")
    assert dry.output.splitlines()[1:] == ["Nothing to change: textback is installed as this version would install it."]


def test_dry_run_changes_nothing(shared_tmp):
    if os.geteuid() != 0:
        pytest.skip("install reads a staged root owned by root: run as root (CI does)")
    root = _stage(shared_tmp, "no-run-group")
    before = _snapshot(root)
    result = _install(root, "--dry-run")
    assert result.exit_code == 0
    assert "would: system user and group textback (in group dialout, for the modem), with systemd-sysusers" \
        in result.output.splitlines()
    assert result.output.splitlines()[-1] == "21 step(s) would change something; run without --dry-run to do them."  # + the template unit
    assert _snapshot(root) == before


def test_fastagi_variant_keeps_the_fallback(shared_tmp):
    if os.geteuid() != 0:
        pytest.skip("install owns files as textback and root: run as root (CI does)")
    root = _stage(shared_tmp, "rungroup")
    assert _install(root, "--fastagi").exit_code == 0
    text = (root / "etc/asterisk/extensions_textback.conf").read_text()
    assert text == (sources() / "asterisk/extensions_textback.conf").read_text()
    # switching back to the program-only variant is a change, not a kept hand edit
    result = _install(root)
    assert "done: write /etc/asterisk/extensions_textback.conf (the program only, no FastAGI)" in result.output


def _worker(config: Path, tb: tuple[int, int], log: Path) -> subprocess.Popen:
    fast = ["--poll-interval", "0.05", "--lease-seconds", "2", "--reconnect-delay", "0.05", "--sweep-seconds", "1"]
    with open(log, "ab") as out:
        return subprocess.Popen([*as_user(tb[0], tb[1], [tb[1], DIALOUT]), *program("textback"), "--config",
                                 str(config), "worker", *fast], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_as_the_real_users_hook_records_worker_texts_staff_replies(shared_tmp, sim, setup):
    require_other_users()
    root = _stage(shared_tmp, setup)
    installed = _install(root)
    assert installed.exit_code == 0, installed.output
    if setup == "freepbx":      # FreePBX's dialplan edits go in extensions_custom.conf
        assert installed.output.splitlines()[0].startswith("FreePBX runs as asterisk (runuser in")
        assert "/etc/asterisk/extensions_custom.conf, set your trunk's context to from-pstn-textback" \
            in installed.output
    tb = _ids(root, "textback")
    data, spool = root / "var/lib/textback", root / "var/spool/textback"
    # The installed file (its owner, mode and ACL kept) pointed at the staged folders and
    # the simulator; a real install keeps /var/lib/textback and /dev/textback-modem.
    config = root / "etc/textback/textback.toml"
    write_config(config.parent, port=sim.device, url=f"sqlite:///{data / 'textback.db'}", spool=spool)
    os.chown(sim.device, 0, DIALOUT)          # what the udev rule does for the real modem
    os.chmod(sim.device, 0o660)
    hook_groups = SETUPS[setup][1]
    hook = [*as_user(ASTERISK_UID, ASTERISK_GID, hook_groups), *program("textback-agi")]
    # First the hook, so the hook creates the database: the worker must still open it.
    missed_call(config, CALLER, "1795411999.1", command=hook)
    db = data / "textback.db"
    st = db.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (ASTERISK_UID, tb[1], 0o660)
    assert list(spool.iterdir()) == [], "the call went to the spool, not the database"
    with sqlite3.connect(db) as conn:
        # note "": the hook read the configuration itself (no "permission denied, defaults")
        assert conn.execute("SELECT caller_raw, state, note FROM call").fetchall() == [
            (CALLER, "new", "argument 'hh-noanswer' ignored")]     # the recording's own scenario word
    log = shared_tmp / "worker.log"
    worker = _worker(config, tb, log)
    try:
        wait_until(lambda: any(m.destination == CALLER for m in sim.sent_messages()) or worker.poll() is not None,
                   timeout=30, what="the worker's text to the caller")
        assert worker.poll() is None, log.read_text()
        # A second call while the worker runs: both write the same WAL.
        missed_call(config, "+12125550143", "1795411999.2", command=hook)
        staff = subprocess.run([*as_user(STAFF_UID, STAFF_UID, [STAFF_UID, tb[1]]), *program("textback"),
                                "--config", str(config), "reply", CALLER, "On our way"],
                               capture_output=True, text=True, timeout=30, check=False)
        assert staff.returncode == 0, staff.stderr
        wait_until(lambda: any(m.text == "On our way" for m in sim.sent_messages()), timeout=30,
                   what="the staff reply sent")
        wait_until(lambda: any(m.destination == "+12125550143" for m in sim.sent_messages()), timeout=30,
                   what="the second caller texted")
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    text = log.read_text()
    assert "Traceback" not in text and "readonly" not in text, text
    assert list(spool.iterdir()) == []


def test_uninstall_removes_what_install_made_and_keeps_the_data(shared_tmp):
    if os.geteuid() != 0:
        pytest.skip("install owns files as textback and root: run as root (CI does)")
    from textback.cli import main

    root = _stage(shared_tmp, "rungroup")
    before = set(_snapshot(root))
    assert _install(root).exit_code == 0
    (root / "var/lib/textback/textback.db").write_bytes(b"the shop's records")
    removed = CliRunner().invoke(main, ["uninstall", "--root", str(root)], catch_exceptions=False)
    assert removed.exit_code == 0, removed.output
    left = set(_snapshot(root)) - before
    # the data, the configuration, the user (its sysusers entry, the account files); and the
    # empty folders above what went (var/lib was staged with Asterisk's agi-bin)
    assert left == {"etc/textback", "etc/textback/textback.toml", "var/lib/textback", "var/lib/textback/textback.db",
                    "var/spool/textback", "usr/lib/sysusers.d/textback.conf", "etc/gshadow", "etc/shadow",
                    "etc/group-", "etc/passwd-", "etc/.pwd.lock", "etc/systemd", "etc/systemd/system", "etc/udev",
                    "etc/udev/rules.d", "usr", "usr/lib", "usr/lib/sysusers.d", "usr/lib/tmpfiles.d",
                    "usr/local", "usr/local/bin", "usr/share", "usr/share/doc", "var/spool",
                    "run", "run/textback", "run/textback/spool"}
    again = CliRunner().invoke(main, ["uninstall", "--root", str(root)], catch_exceptions=False)
    assert again.output.splitlines()[0] == "Nothing to remove."
    purged = CliRunner().invoke(main, ["uninstall", "--root", str(root), "--purge"], catch_exceptions=False)
    assert purged.exit_code == 0, purged.output
    assert not (root / "var/lib/textback").exists() and "textback" not in (root / "etc/passwd").read_text()


def test_without_asterisk_the_install_says_so_and_makes_no_asterisk_files(shared_tmp):
    if os.geteuid() != 0:
        pytest.skip("install owns files as textback and root: run as root (CI does)")
    root = shared_tmp / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc/group").write_text(f"root:x:0:\ndialout:x:{DIALOUT}:\n")
    result = _install(root)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "no Asterisk found on this machine."
    assert "No Asterisk found: run `textback install` again once it is installed (or pass --agi-bin)." in lines
    assert not (root / "etc/asterisk").exists() and not (root / "var/lib/asterisk").exists()
    assert acl.read(str(root / "var/lib/textback")) == []          # nobody else to let in


def test_the_program_only_dialplan_keeps_every_handler_and_drops_only_fastagi():
    shipped = (sources() / "asterisk/extensions_textback.conf").read_text()
    plain = dialplan_text(sources(), fastagi=False)
    assert "AGI(agi://" in shipped and "AGI(agi://" not in plain
    for context in ("[textback-missed]", "[textback-outbound]"):
        body = plain.split(context)[1].split("\n[")[0]
        lines = [line for line in body.splitlines() if line and not line.startswith(";")]
        assert lines[0].startswith("exten => s,1,"), lines
        assert any("AGI(textback-agi," in line for line in lines)
        assert lines[-1] == " same => n,Return()"
    # everything outside the two handlers is the shipped text
    assert plain.split("; Examples.")[1] == shipped.split("; Examples.")[1]


def test_install_repairs_a_database_made_before_it(shared_tmp):
    """A database made by an older install (the worker's UMask=0007 gave 0640) or by root,
    without Asterisk's ACL: install gives it group textback, g+rw and the ACL."""
    if os.geteuid() != 0:
        pytest.skip("install owns files as textback and root: run as root (CI does)")
    root = _stage(shared_tmp, "rungroup")
    assert _install(root).exit_code == 0
    db = root / "var/lib/textback/textback.db"
    db.write_bytes(b"")
    os.setxattr(db, acl.ACCESS, b"\x02\x00\x00\x00\x01\x00\x06\x00\xff\xff\xff\xff\x04\x00\x04\x00\xff\xff\xff\xff"
                b"\x20\x00\x00\x00\xff\xff\xff\xff")      # user::rw- group::r-- other::--- (no ACL entries)
    os.chown(db, 0, 0)
    db.chmod(0o640)
    result = _install(root)
    assert result.output.splitlines()[1:2] == [
        "done: writable by group textback and Asterisk: /var/lib/textback/textback.db"]
    st = db.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, _ids(root, "textback")[1], 0o660)
    assert acl.named_users(str(db)) == {ASTERISK_UID: 6}
    assert acl.may(str(db), ASTERISK_UID, {ASTERISK_GID}, acl.R | acl.W)


def test_with_several_modems_install_starts_one_templated_worker_each(tmp_path):
    """The live install's service steps: textback-worker@NAME per [[modem]], else the one unit
    (read from the installed configuration; a broken or missing one gives the one unit)."""
    from textback.install.asterisk_setup import detect
    from textback.install.plan import Installer

    installer = Installer(str(tmp_path), detect(str(tmp_path)), fastagi=False, agi_dir=None, live=False,
                          log=lambda _: None)
    assert installer.worker_units() == ["textback-worker.service"]
    config = tmp_path / "etc/textback/textback.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[[modem]]\nname = "front-desk"\nport = "/dev/textback-modem"\nlines = ["+12125550100"]\n'
                      '[[modem]]\nname = "service"\nport = "/dev/textback-modem-service"\n', encoding="utf-8")
    assert installer.worker_units() == ["textback-worker@front-desk.service", "textback-worker@service.service"]
    config.write_text("[modem\n", encoding="utf-8")
    assert installer.worker_units() == ["textback-worker.service"]
