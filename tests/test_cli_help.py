"""`textback --help` lists every command without importing any command module, from
summaries held to each command's own help."""
from __future__ import annotations

import importlib
import json
import subprocess
import sys

from click.testing import CliRunner

from textback.cli import COMMANDS, SUMMARIES, main


def _first_paragraph(help_text: str) -> str:
    end = help_text.find("\n\n")
    return " ".join((help_text[:end] if end != -1 else help_text).split())


def test_every_summary_is_the_first_paragraph_of_its_commands_help():
    found = {}
    for name, target in COMMANDS.items():
        module, attribute = target.split(":")
        found[name] = _first_paragraph(getattr(importlib.import_module(module), attribute).help or "")
    assert SUMMARIES == found


def test_the_listing_is_clicks_own():
    """The same rows click prints when it imports every command to ask it."""
    import click

    listed = CliRunner().invoke(main, ["--help"], terminal_width=80).output
    rows = []
    for name in sorted(COMMANDS):
        module, attribute = COMMANDS[name].split(":")
        command = getattr(importlib.import_module(module), attribute)
        rows.append((name, command.get_short_help_str(80 - 6 - max(map(len, COMMANDS)))))
    formatter = click.HelpFormatter(width=80)
    with formatter.section("Commands"):
        formatter.write_dl(rows)
    assert listed.endswith(formatter.getvalue())


def test_help_imports_no_command_module_nor_logging():
    code = ("import sys, json; sys.argv = ['textback', '--help']\n"
            "from textback.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    modules = set(json.loads(done.stderr))
    floor = set(json.loads(subprocess.run(
        [sys.executable, "-c", "import sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, timeout=30, check=True).stdout))
    assert "Commands:" in done.stdout
    assert {m for m in modules if m.startswith("textback.commands.")} == set()
    assert {"logging", "peewee", "store.queue"} & (modules - floor) == set()
