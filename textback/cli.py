"""The `textback` command: a click group whose subcommands live in textback/commands/.

Subcommands are imported only when run, so `textback --help` stays quick on a
Raspberry Pi and one broken command module cannot take the others down.
"""
from __future__ import annotations

import importlib
import importlib.util
import logging

import click

# name -> "module:attribute"; each module owns one job (see textback/commands/).
COMMANDS: dict[str, str] = {
    "config": "textback.commands.config_cmd:config",
    "simulate-modem": "textback.commands.simulate_modem_cmd:simulate_modem",
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

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy_commands and name in self._available():
            module_name, attr = self.lazy_commands[name].split(":", 1)
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="TEXTBACK_CONFIG", type=click.Path(dir_okay=False),
              help="Configuration file [default: /etc/textback/textback.toml; env TEXTBACK_CONFIG].")
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail to stderr.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """textback: missed-call text-back on your own phone system and GSM modem."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path


if __name__ == "__main__":  # pragma: no cover
    main()
