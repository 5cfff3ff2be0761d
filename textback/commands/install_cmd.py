"""`textback install`: set up textback on this machine (or in a staging folder), in steps
that say what they do; a second run changes nothing and says so. The steps and the reasons
for the users, groups, modes and ACLs are in textback/install/plan.py."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterable

import click

from textback.install.asterisk_setup import detect
from textback.install.plan import CONFIG_FILE, DIALPLAN, Installer, Step, closed_to_others


def apply_steps(steps: Iterable[Step], *, dry_run: bool) -> int:
    """Apply each step not yet done, printing `done:` (or `would:` on a dry run) for it; how
    many were not done. A step that fails stops the run with what it was doing and why
    (the user or group missing, a file it could not write, systemctl refusing)."""
    changed = 0
    for step in steps:
        try:
            if step.done():
                continue
            changed += 1
            if dry_run:
                click.echo(f"would: {step.description}")
                continue
            step.apply()
            click.echo(f"done: {step.description}")
        except (OSError, LookupError, RuntimeError) as exc:
            raise click.ClickException(f"{step.description}: {exc}") from None
    return changed


def _lines_to_add(installer: Installer) -> list[str]:
    setup = installer.asterisk
    if not setup.found:
        return ["No Asterisk found: run `textback install` again once it is installed (or pass --agi-bin)."]
    if setup.freepbx:
        where = f"{setup.etc_dir}/extensions_custom.conf"
        return [f"Add textback to FreePBX's dialplan: copy the lines of "
                f"/usr/share/doc/textback/asterisk/extensions_custom.conf.sample into {where}, "
                "set your trunk's context to from-pstn-textback, then: fwconsole reload"]
    return [f"Add textback to your dialplan (it was not edited): in {setup.etc_dir}/extensions.conf add",
            f"    #include {DIALPLAN}",
            "and in your inbound context, before Dial():",
            "    same => n,Set(CHANNEL(hangup_handler_push)=textback-missed,s,1(${EXTEN}))",
            'then: asterisk -rx "dialplan reload"   (see /usr/share/doc/textback/asterisk/README.md)']


@click.command("install")
@click.option("--root", "root", default="/", show_default=True, type=click.Path(file_okay=False),
              help="Install into this folder instead of / (staging: nothing is started).")
@click.option("--dry-run", is_flag=True, help="Print the steps that would change something; change nothing.")
@click.option("--fastagi", is_flag=True, help="Also start the FastAGI server and write the FastAGI-first dialplan.")
@click.option("--agi-bin", default=None, type=click.Path(file_okay=False),
              help="Asterisk's AGI folder [default: astagidir from asterisk.conf, else /var/lib/asterisk/agi-bin].")
@click.option("--asterisk-user", default=None, help="The user Asterisk runs as [default: as found].")
@click.option("--no-start", is_flag=True, help="Do not enable or start the services.")
def install(root: str, dry_run: bool, fastagi: bool, agi_bin: str | None, asterisk_user: str | None,
            no_start: bool) -> None:
    """Install textback: user and group, folders, configuration, AGI program, dialplan file,
    systemd units, udev rule; then enable and start the worker."""
    staged = os.path.realpath(root) != "/"
    if os.geteuid() != 0 and not dry_run:
        raise click.ClickException("textback install needs root: sudo textback install (or --dry-run to look)")
    closed = None if staged else closed_to_others(sys.executable)
    if closed:
        raise click.ClickException(
            f"textback's Python {os.path.realpath(sys.executable)} cannot be run by the textback user or "
            f"Asterisk's: {closed} is closed to them. Make the virtualenv from Debian's Python: "
            f"/usr/bin/python3 -m venv /opt/textback && /opt/textback/bin/pip install -q . && "
            "/opt/textback/bin/textback install")
    missing = [name for name in ("etc/passwd", "etc/group") if staged and not os.path.isfile(os.path.join(root, name))]
    if missing:
        # systemd-sysusers adds the textback user to the staged accounts; into none it fails
        # with "Failed to take /etc/passwd lock", which says nothing about the fix.
        raise click.ClickException(
            f"--root {root} has no {' or '.join(missing)}: the textback user is added to the accounts of "
            f"the machine it is staged for; copy them first: mkdir -p {os.path.join(root, 'etc')} && "
            f"cp /etc/passwd /etc/group {os.path.join(root, 'etc')}/")
    setup = detect(root, proc=None if staged else "/proc")
    if asterisk_user:
        setup.user, setup.user_from, setup.found = asterisk_user, "--asterisk-user", True
    notes: list[str] = []
    installer = Installer(root, setup, fastagi=fastagi, agi_dir=agi_bin, live=not staged and not no_start,
                          log=notes.append)
    click.echo(setup.describe() + ".")
    if setup.found and setup.user and installer.asterisk_uid() is None and setup.user != "root":
        raise click.ClickException(f"Asterisk's user {setup.user} ({setup.user_from}) does not exist"
                                   f"{' under ' + root if staged else ''}: fix that setting or pass --asterisk-user")
    changed = apply_steps(installer.steps(), dry_run=dry_run)
    for note in dict.fromkeys(notes):
        click.echo(note)
    if changed == 0:
        click.echo("Nothing to change: textback is installed as this version would install it.")
    elif dry_run:
        click.echo(f"{changed} step(s) would change something; run without --dry-run to do them.")
    if not dry_run and changed:
        click.echo(f"Next: edit {CONFIG_FILE} (name, country, hours), then: textback config check")
        for line in _lines_to_add(installer):
            click.echo(line)
        click.echo("Staff who read and answer texts: sudo usermod -aG textback NAME (then log in again).")
