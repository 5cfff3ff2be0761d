"""What a technician and a new staff member hit first, each as the exact line they read:
a staging root with no accounts, doctor on the example's placeholders, a configuration or
database they may not touch (run as another user through setpriv, as a real staff login
would be), and durations shown as the example writes them."""
from __future__ import annotations

import os
import subprocess
from datetime import timedelta

from cli_helpers import make_site, run
from click.testing import CliRunner
from user_helpers import STAFF_UID, as_user, program, require_other_users

from textback.cli import main
from textback.commands.config_cmd import example_text
from textback.config_parsers import format_duration, parse_duration


def test_install_into_a_root_without_accounts_says_how_to_stage_them(tmp_path):
    root = tmp_path / "stage"
    root.mkdir()
    result = CliRunner().invoke(main, ["install", "--root", str(root), "--dry-run"])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: --root {root} has no etc/passwd or etc/group: the textback user is added to the accounts "
        f"of the machine it is staged for; copy them first: mkdir -p {root}/etc && "
        f"cp /etc/passwd /etc/group {root}/etc/\n")
    assert list(root.iterdir()) == []                  # nothing written before the refusal


def test_doctor_fails_the_examples_placeholders_naming_the_keys(tmp_path):
    config = tmp_path / "textback.toml"
    config.write_text(example_text().replace("/var/lib/textback/textback.db", str(tmp_path / "t.db"))
                      .replace("/var/spool/textback", str(tmp_path / "spool")), encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "doctor", "--modem-timeout", "0.1"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"[  ok] configuration valid: {config}"
    assert lines[1] == (
        "[FAIL] configuration ready to text callers: "
        "[business] name is still the example's \"Example Plumbing & Heating\": set name to your business's name; "
        "[business] callback_number is still the example's \"(201) 555-0100\": set the number callers should "
        "call back, or callback_number = \"\" for the number they dialled; "
        "[business] own_numbers still holds the example's +12015550100: list your business lines and the "
        "modem's SIM number instead")
    assert lines[2] == f"       fix: edit {config} as each error says, then: textback config check"


def test_doctor_warns_of_a_text_that_would_lose_a_sentence_and_passes_a_complete_one(tmp_path):
    site = make_site(tmp_path)          # no callback_number: the HELP reply loses its sentence
    lines = run(site, "doctor", "--modem-timeout", "0.1").output.splitlines()
    assert lines[1] == (
        "[warn] configuration ready to text callers: HELP reply: uses {callback_number} but [business] "
        "callback_number is empty: the sentence \"{business}: reply here or call us at {callback_number}.\" "
        "would be left out; fill it in or take the placeholder out of the text")
    (tmp_path / "complete").mkdir()
    site = make_site(tmp_path / "complete", create=False)
    site.config.write_text(site.config.read_text(encoding="utf-8").replace(
        'timezone = "America/New_York"\n', 'timezone = "America/New_York"\ncallback_number = "(212) 555-0100"\n'),
        encoding="utf-8")
    lines = run(site, "doctor", "--modem-timeout", "0.1").output.splitlines()
    assert lines[1] == "[  ok] configuration ready to text callers: no example values left, every text complete"


def test_a_config_the_person_may_not_read_says_which_group_to_join(shared_tmp):
    require_other_users()
    config = shared_tmp / "textback.toml"
    config.write_text('[business]\nname = "Café Zoë"\n', encoding="utf-8")
    config.chmod(0o600)
    done = subprocess.run(as_user(STAFF_UID, STAFF_UID) + program("textback") + ["--config", str(config), "inbox"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        f"Error: {config}: permission denied; it is for group textback: staff join it with "
        "sudo usermod -aG textback $USER (then log in again), or run as root "
        "(check it with: textback config check)\n")


def test_staff_not_yet_in_the_group_are_told_how_to_join_it(shared_tmp):
    require_other_users()
    site = make_site(shared_tmp)
    for path in (shared_tmp, site.config, site.db.parent):
        path.chmod(0o755)
    site.config.chmod(0o644)
    site.db.chmod(0o644)
    env = {k: v for k, v in os.environ.items() if k != "SUDO_USER"} | {"LOGNAME": "dana", "USER": "dana"}
    done = subprocess.run(as_user(STAFF_UID, STAFF_UID) + program("textback")
                          + ["--config", str(site.config), "reply", "+12125550123", "On our way"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"Error: cannot write the database {site.db} ")
    assert done.stderr.endswith("; you are dana: staff join group textback with: "
                                "sudo usermod -aG textback dana (then log in again)\n")
    assert "Traceback" not in done.stderr


def test_durations_read_as_the_example_writes_them():
    assert format_duration(timedelta(days=400)) == "400d"       # [store] keep, was "9600h"
    assert format_duration(timedelta(hours=24)) == "24h"        # a day still reads as hours
    assert format_duration(timedelta(hours=49)) == "2d1h"
    for text in ("400d", "24h", "2d1h", "30s", "1h30m"):
        assert format_duration(parse_duration(text)) == text


def test_a_live_install_refuses_a_python_other_users_cannot_run(shared_tmp, monkeypatch):
    # Root's pyenv under /root (0700): the links would point the worker and every call at an
    # interpreter they cannot run. CI's venv is Debian's, so the interpreter is the one thing
    # set by hand here: a real file under a real 0700 folder. --dry-run: nothing is touched.
    home = shared_tmp / "root"
    (home / "bin").mkdir(parents=True)
    home.chmod(0o700)
    python = home / "bin" / "python3"
    python.write_text("")
    python.chmod(0o755)
    monkeypatch.setattr("sys.executable", str(python))
    result = CliRunner().invoke(main, ["install", "--dry-run"])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: textback's Python {python} cannot be run by the textback user or Asterisk's: {home} (drwx------) "
        "is closed to them. Make the virtualenv from Debian's Python: /usr/bin/python3 -m venv /opt/textback && "
        "/opt/textback/bin/pip install -q . && /opt/textback/bin/textback install\n")


def test_a_folder_given_as_the_configuration_names_the_file_to_give(tmp_path):
    result = CliRunner().invoke(main, ["--config", str(tmp_path), "inbox"])
    assert result.exit_code == 1
    assert result.output == (f"Error: {tmp_path}: is a directory, expected the file: give {tmp_path}/textback.toml "
                             "(check it with: textback config check)\n")
