"""`textback demo`: the whole product on this machine in seconds, nothing configured.

The scenario lives in textback/demo.py; this module picks the directory, quiets the
worker's own log (the narrative says the same in the shop's words), then shows the
staff's view of the result with the real `inbox` and `stats` commands.
"""
from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import click

# What --keep must not overwrite: a database someone may still want.
_DEMO_FILES = ("textback.toml", "textback.db")


def _keep_directory(path: str) -> Path:
    directory = Path(path).expanduser().resolve()
    if directory.exists() and not directory.is_dir():
        raise click.BadParameter(f"{directory} is a file; give a directory (it is created if missing)",
                                 param_hint="--keep")
    taken = [name for name in _DEMO_FILES if (directory / name).exists()]
    if taken:
        raise click.BadParameter(f"{directory} already holds {', '.join(taken)}; the demo never overwrites "
                                 "a database: choose a new or empty directory", param_hint="--keep")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.BadParameter(f"cannot create {directory}: {exc.strerror or exc}", param_hint="--keep") from None
    return directory


def _staff_view(config_path: Path, name: str, *args: str) -> None:
    """Run a staff command (`inbox`, `stats`) against the demo's configuration, as a person would."""
    from textback.cli import main

    click.echo(f"\n$ textback {name} {' '.join(args)}".rstrip())
    # A fresh context: the demo's own --config (if any) must not leak into these.
    try:
        main.main(["--config", str(config_path), name, *args], prog_name="textback", standalone_mode=False)
    except click.ClickException as exc:
        raise click.ClickException(f"the demo ran, but `textback {name}` failed: {exc.format_message()}") from None


@click.command("demo")
@click.option("--keep", "keep", metavar="DIR", type=click.Path(file_okay=False),
              help="Keep the demo's configuration and database in DIR (a new or empty directory) to explore.")
def demo(keep: str | None) -> None:
    """Play five missed calls through the whole product: hook, worker, simulated modem, inbox, stats.

    Needs nothing configured (any --config is ignored): it runs on a temporary SQLite
    file and a simulated GSM modem, and takes a few seconds.
    """
    directory = _keep_directory(keep) if keep else None
    root = logging.getLogger()
    level = root.level
    if level != logging.DEBUG:
        # The worker logs every send at INFO; the narrative below already tells it.
        root.setLevel(logging.WARNING)
    try:
        _play(directory)
    finally:
        root.setLevel(level)


def _play(directory: Path | None) -> None:
    from textback.demo import DemoError, run_demo

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="textback-demo-") as scratch:
        where = directory or Path(scratch)
        click.echo(f"textback demo: store, simulated modem and worker in {where}\n")
        try:
            result = run_demo(where, say=click.echo)
        except DemoError as exc:
            raise click.ClickException(f"the demo stopped: {exc}") from None
        except Exception as exc:
            # A bug, not a setup problem: one line for the person, the traceback only with -v.
            logging.getLogger(__name__).debug("demo failed", exc_info=True)
            raise click.ClickException(f"the demo failed unexpectedly ({type(exc).__name__}: {exc}); "
                                       "run `textback -v demo` for the details and report it") from None
        click.echo("\nWhat the staff see:")
        _staff_view(result.config_path, "inbox")
        _staff_view(result.config_path, "stats", "--since", "1d")
    click.echo(f"\nDemo finished in {time.monotonic() - started:.1f}s: {len(result.sent)} texts went through "
               "the simulated modem.")
    if directory:
        config = result.config_path
        click.echo(f"The demo's database is kept in {directory}. Try:\n"
                   f"  textback --config {config} inbox --all\n"
                   f"  textback --config {config} thread +12125550142\n"
                   f"  textback --config {config} calls\n"
                   f"  textback --config {config} stats")
    else:
        click.echo("Keep the database to explore with: textback demo --keep DIR")
