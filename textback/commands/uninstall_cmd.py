"""`textback uninstall`: remove what `textback install` made; the database, spool,
configuration and the textback user stay unless --purge (see textback/install/removal.py)."""
from __future__ import annotations

import os

import click

from textback.commands.install_cmd import apply_steps
from textback.install.asterisk_setup import detect
from textback.install.plan import CONFIG_DIR, DATA_DIR, SPOOL_DIR, Installer
from textback.install.removal import removal_steps


@click.command("uninstall")
@click.option("--root", "root", default="/", show_default=True, type=click.Path(file_okay=False),
              help="Remove from this staging folder instead of /.")
@click.option("--dry-run", is_flag=True, help="Print what would be removed; remove nothing.")
@click.option("--purge", is_flag=True, help="Also remove the database, spool, configuration and the textback user.")
@click.option("--agi-bin", default=None, type=click.Path(file_okay=False),
              help="Asterisk's AGI folder [default: astagidir from asterisk.conf].")
def uninstall(root: str, dry_run: bool, purge: bool, agi_bin: str | None) -> None:
    """Remove textback's units, udev rule, links, dialplan file and docs (data kept unless --purge)."""
    staged = os.path.realpath(root) != "/"
    if os.geteuid() != 0 and not dry_run:
        raise click.ClickException("textback uninstall needs root: sudo textback uninstall")
    setup = detect(root, proc=None)
    installer = Installer(root, setup, fastagi=False, agi_dir=agi_bin, live=not staged, log=click.echo)
    changed = apply_steps(removal_steps(installer, purge=purge), dry_run=dry_run)
    if changed == 0:
        click.echo("Nothing to remove.")
    if not purge:
        click.echo(f"Kept: {DATA_DIR} (the database), {SPOOL_DIR}, {CONFIG_DIR} and the user textback; "
                   "textback uninstall --purge removes them too.")
    click.echo("Remove the #include extensions_textback.conf line and the hangup_handler_push lines "
               "from your dialplan by hand, then: asterisk -rx \"dialplan reload\"")
