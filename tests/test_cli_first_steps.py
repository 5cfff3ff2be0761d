"""What a technician and a new staff member hit first, each as the exact line they read."""
from __future__ import annotations

from click.testing import CliRunner

from textback.cli import main


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
