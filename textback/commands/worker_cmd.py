"""`textback worker`: the long-running loop that texts missed callers (systemd runs it)."""
from __future__ import annotations

import logging
import signal

import click

log = logging.getLogger("textback.worker")


@click.command("worker")
@click.option("--modem", "modem_name", metavar="NAME", default=None,
              help="The [[modem]] this worker drives, when the configuration names several.")
@click.option("--poll-interval", type=click.FloatRange(0.01, 5.0), default=0.1, show_default=True,
              help="Seconds between passes when nothing happens.")
@click.option("--lease-seconds", type=click.FloatRange(0.5, 3600), default=60.0, show_default=True,
              help="How long a claimed text stays ours; after a crash it is sent again once this lapses.")
@click.option("--sweep-seconds", type=click.FloatRange(0.1, 3600), default=None, hidden=True,
              help="Override [modem] sweep_interval (tests).")
@click.option("--reconnect-delay", type=click.FloatRange(0.05, 60), default=None, hidden=True,
              help="First delay before reopening a lost modem (tests).")
@click.option("--allow-fictional", is_flag=True, hidden=True,
              help="Treat +44 7700 900xxx drama numbers as mobiles (demo and tests only).")
@click.pass_context
def worker(ctx: click.Context, modem_name: str | None, poll_interval: float, lease_seconds: float,
           sweep_seconds: float | None, reconnect_delay: float | None, allow_fictional: bool) -> None:
    """Plan texts for missed calls, send them through the modem, store replies. Stops on SIGTERM."""
    from datetime import timedelta

    from modem.device.modem import Modem
    from modem.worker.loop import Worker
    from store import Store
    from store.database import writable_problem
    from store.errors import StoreError
    from textback.config import ConfigError, load_config
    from textback.worker_settings import worker_settings

    try:
        config = load_config((ctx.obj or {}).get("config_path"))
    except ConfigError as exc:
        raise click.ClickException(f"{exc}\nCheck the file with: textback config check") from None
    if logging.getLogger().level != logging.DEBUG:
        logging.getLogger().setLevel(config.log.level.upper())
    timing: dict = {"poll_interval": poll_interval, "lease_seconds": lease_seconds}
    if sweep_seconds is not None:
        timing["sweep_interval"] = timedelta(seconds=sweep_seconds)
    if reconnect_delay is not None:
        timing["reconnect_delays"] = tuple(reconnect_delay * 2 ** i for i in range(5))
    try:
        settings = worker_settings(config, allow_fictional=allow_fictional, modem_name=modem_name, **timing)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        store = Store.open(config.store.url)
    except StoreError as exc:
        raise click.ClickException(f"cannot open the store ({config.store.url}): {exc}") from None
    problem = writable_problem(store.db)
    if problem:
        # Found at start, not as "attempt to write a readonly database" mid-pass: one
        # line with the fix; systemd restarts the worker until the modes are right.
        store.close()
        raise click.ClickException(problem)

    port = settings.modem_port

    def open_modem(**callbacks):
        # The configured path is opened anew each time: after a replug the udev name
        # (/dev/textback-modem) may point at another ttyUSB.
        return Modem.open(port, **settings.modem_options, **callbacks)

    loop = Worker(store, settings, open_modem)

    def on_signal(signum, _frame):
        log.info("%s: finishing the text in flight, then stopping", signal.Signals(signum).name)
        loop.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        loop.run()
    finally:
        store.close()
