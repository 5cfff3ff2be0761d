"""`textback fastagi`: serve agi://HOST:PORT/missed until stopped (SIGTERM/SIGINT)."""
from __future__ import annotations

import logging
import signal
import threading

import click

log = logging.getLogger("textback.fastagi")


def store_settings_for(config_path: str | None) -> tuple[str, str, str | None]:
    """(url, spool dir, warning) from the configuration file; lenient, never raises."""
    from textback.config import read_store_settings
    return read_store_settings(config_path)


@click.command("fastagi")
@click.option("--listen", default="127.0.0.1:4573", show_default=True, metavar="HOST:PORT",
              help="Address to listen on (ignored when systemd passes a socket).")
@click.option("--max-calls", default=32, show_default=True, type=click.IntRange(1, 1024),
              help="Calls handled at once; more are refused so Asterisk falls back to the program.")
@click.pass_context
def fastagi(ctx: click.Context, listen: str, max_calls: int) -> None:
    """Record missed calls sent by Asterisk as AGI(agi://HOST:PORT/missed,...)."""
    from agi.fastagi import BoundedLogging, FastAGIServer, parse_listen, systemd_socket

    config_path = (ctx.obj or {}).get("config_path")
    url, spool_dir, warning = store_settings_for(config_path)
    if warning:
        log.warning("%s", warning)
    # Handlers first: a SIGTERM that arrives while the server is being built must still
    # mean "stop cleanly", not the default "die at once".
    holder: dict = {"server": None, "stop": False}

    def stop(signum, frame):
        holder["stop"] = True
        if holder["server"] is not None:
            # shutdown() waits for serve_forever to notice, so it cannot run in its thread.
            threading.Thread(target=holder["server"].shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    passed = systemd_socket()
    try:
        where = passed if passed is not None else parse_listen(listen)
        server = FastAGIServer(where, store_url=url, spool_dir=spool_dir, max_calls=max_calls,
                               warning=warning)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {listen}: {exc.strerror or exc}. Is another server on that port? "
            "Choose another with --listen HOST:PORT.") from None
    holder["server"] = server
    if holder["stop"]:
        threading.Thread(target=server.shutdown, daemon=True).start()
    host, port = server.address
    click.echo(f"textback fastagi: listening on {host}:{port} (agi://{host}:{port}/missed), "
               f"at most {max_calls} calls at once; store {url}, spool {spool_dir}", err=True)
    log_writer = BoundedLogging().start()     # a blocked stderr must not hang the sessions
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()  # waits for the calls in progress
        log_writer.stop()
    click.echo("textback fastagi: stopped; calls in progress were finished", err=True)
