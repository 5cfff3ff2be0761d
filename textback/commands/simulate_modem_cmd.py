"""`textback simulate-modem`: a GSM modem on a pty, for a dry run before the SIM arrives.

Prints the device path on its first line (point the worker's modem setting at it)
and serves AT commands until Ctrl-C, SIGTERM or `quit`. Meanwhile it reads commands
on its standard input (modem/simulator/control.py), so a person can play the customer:
`text +12125550123 Can you come today?`, `stop +12125550123`, `sent`, `delivered`.
Without a standard input (a service, `< /dev/null`) it just serves the pty.
"""
from __future__ import annotations

import signal
import sys
import threading

import click

from modem.simulator.profiles import PROFILES, get_profile


def _profile(ctx, param, value: str) -> str:
    try:
        return get_profile(value).name
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("simulate-modem")
@click.option("--profile", default="generic", show_default=True, callback=_profile,
              help=f"Which real modem to imitate, quirks included: {', '.join(PROFILES)}.")
@click.option("--link", type=click.Path(dir_okay=False),
              help="Also make this symlink to the pty (a stable name, like a udev rule gives).")
@click.option("--pin", help="Ask for this SIM PIN (AT+CPIN?) until it is entered.")
@click.option("--auto-answer", is_flag=True,
              help="Play the phones: report each text delivered, then answer it from its number "
                   "(what `textback modem test` waits for).")
def simulate_modem(profile: str, link: str | None, pin: str | None, auto_answer: bool) -> None:
    """Run a simulated GSM modem on a pseudo-terminal until stopped."""
    from modem.simulator.pty_modem import ModemSimulator, PtyError

    stop = threading.Event()
    try:
        sim = ModemSimulator(profile=profile, link=link, pin=pin).start()
        if auto_answer:
            sim.auto_answer()
    except PtyError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot open a pseudo-terminal: {exc.strerror}; "
                                   "check /dev/ptmx exists and is writable") from None
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        click.echo(sim.device)
        click.echo(f"simulating a {profile} modem; stop with Ctrl-C. Type help for what you can do "
                   "(a caller texting the shop, STOP, delivery reports).", err=True)
        threading.Thread(target=_prompt, args=(sim, stop), name="simulator-prompt", daemon=True).start()
        while not stop.wait(0.2):
            pass
    finally:
        sim.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _prompt(sim, stop: threading.Event) -> None:
    """Read control commands from stdin until EOF or `quit`; answer each on stdout."""
    from modem.simulator.control import QUIT, ControlPrompt

    control = ControlPrompt(sim)
    interactive = sys.stdin is not None and sys.stdin.isatty()
    while not stop.is_set():
        if interactive:
            click.echo("modem> ", nl=False, err=True)
        try:
            line = sys.stdin.readline() if sys.stdin is not None else ""
        except (OSError, ValueError):
            return
        if not line:            # EOF: keep serving the pty, just stop reading
            return
        answer = control.run(line)
        if answer == QUIT:
            stop.set()
            return
        if answer:
            click.echo(answer)
            sys.stdout.flush()
