"""The `textback` command: a click group whose subcommands live in textback/commands/.

Subcommands are imported only when run, so `textback --help` stays quick on a
Raspberry Pi and one broken command module cannot take the others down.
"""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import cast

import click
from click.utils import make_default_short_help as _short_help

# click 8.2 serves this name through a deprecating __getattr__ (typed as object).
make_default_short_help = cast(Callable[[str, int], str], _short_help)

# name -> "module:attribute"; each module owns one job (see textback/commands/).
COMMANDS: dict[str, str] = {
    "config": "textback.commands.config_cmd:config",
    "simulate-modem": "textback.commands.simulate_modem_cmd:simulate_modem",
    "modem": "textback.commands.modem_cmd:modem",
    "test-call": "textback.commands.test_call_cmd:test_call",
    "calls": "textback.commands.calls_cmd:calls",
    "fastagi": "textback.commands.fastagi_cmd:fastagi",
    "worker": "textback.commands.worker_cmd:worker",
    "inbox": "textback.commands.inbox_cmd:inbox",
    "thread": "textback.commands.thread_cmd:thread",
    "reply": "textback.commands.reply_cmd:reply",
    "done": "textback.commands.done_cmd:done",
    "undone": "textback.commands.done_cmd:undone",
    "search": "textback.commands.search_cmd:search",
    "stats": "textback.commands.stats_cmd:stats",
    "report": "textback.commands.report_cmd:report",
    "optouts": "textback.commands.optouts_cmd:optouts",
    "block": "textback.commands.optouts_cmd:block",
    "unblock": "textback.commands.optouts_cmd:unblock",
    "status": "textback.commands.status_cmd:status",
    "doctor": "textback.commands.doctor_cmd:doctor",
    "install": "textback.commands.install_cmd:install",
    "uninstall": "textback.commands.uninstall_cmd:uninstall",
    "export": "textback.commands.export_cmd:export",
    "demo": "textback.commands.demo_cmd:demo",
}


# Each command's summary for `textback --help`, so listing the commands imports none of
# their modules (that took the help from about 1x the interpreter's start to 10x).
# tests/test_cli_help.py holds each to the first paragraph of the command's own help.
SUMMARIES: dict[str, str] = {
    "config": 'Check the configuration, or print a commented example to start from.',
    "simulate-modem": 'Run a simulated GSM modem on a pseudo-terminal until stopped.',
    "modem": 'The modem itself: a live self-test once the SIM is in (textback modem test).',
    "test-call": 'Run the installed AGI hook exactly as Asterisk would, without placing a call.',
    "calls": 'Each call, newest first, and what happened: texted, or skipped and why.',
    "fastagi": 'Record missed calls sent by Asterisk as AGI(agi://HOST:PORT/missed,...).',
    "worker": 'Plan texts for missed calls, send them through the modem, store replies. Stops on SIGTERM.',
    "inbox": 'Conversations waiting for an answer (read one with: textback thread ID).',
    "thread": "The calls and messages of one contact, oldest first, with each message's state.",
    "reply": 'Queue a text from the shop to NUMBER or contact ID (refused for numbers that opted out or are blocked).',
    "done": 'Mark conversations done: they leave the inbox until the customer writes again.',
    "undone": 'Put conversations back in the inbox until someone answers them or marks them done.',
    "search": 'Contacts whose name or number holds TEXT, and messages that say it (newest first).',
    "stats": 'Missed calls, texts sent, reply rate, leads recovered and speed, by business line and by day.',
    "report": ('A page for the owner: missed, texted, replied and recovered per day, hang-up-to-text times, '
               'reply rate per line, skipped calls by reason. Opens in any browser, offline.'),
    "optouts": 'Numbers that opted out (STOP) or that staff blocked: nothing is ever texted to them.',
    "block": 'Never text NUMBER (or contact ID) again (cancels what is scheduled for it; settles a possible opt-out).',
    "unblock": 'Allow texts to NUMBER (or contact ID) again (an opt-out by the caller stays: only they can undo it).',
    "status": 'Worker heartbeat, modem signal/operator/registration, queue, last texts, spool, alerts.',
    "doctor": 'Check config, database, Asterisk hook, modem, SIM, network and worker; say how to fix each.',
    "install": ("Install textback: user and group, folders, configuration, AGI program, dialplan file, "
                "systemd units, udev rule; then enable and start the worker."),
    "uninstall": "Remove textback's units, udev rule, links, dialplan file and docs (data kept unless --purge).",
    "export": "Calls and messages, oldest first: E.164 numbers, ISO times in the shop's time zone.",
    "demo": 'Play five missed calls through the whole product: hook, worker, simulated modem, inbox, stats.',
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that command is used."""

    def __init__(self, *args, lazy_commands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | self._available())

    def _available(self) -> set[str]:
        names = set()
        for name, target in self.lazy_commands.items():
            module = target.split(":", 1)[0]
            if importlib.util.find_spec(module) is not None:
                names.add(name)
        return names

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's own listing, from SUMMARIES where they have the command (no import)."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in SUMMARIES and name in self.lazy_commands:
                rows.append((name, make_default_short_help(SUMMARIES[name], limit).strip()))
                continue
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy_commands and name in self._available():
            module_name, attr = self.lazy_commands[name].split(":", 1)
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="TEXTBACK_CONFIG",
              # no readable=True or dir_okay=False: load_config says who may read it and what to give
              type=click.Path(readable=False), metavar="FILE",
              help="Configuration file [default: /etc/textback/textback.toml; env TEXTBACK_CONFIG].")
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail to stderr.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """textback: missed-call text-back on your own phone system and GSM modem."""
    import logging  # here, not at the top: `textback --help` never needs it (~7 ms)

    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path


if __name__ == "__main__":  # pragma: no cover
    main()
