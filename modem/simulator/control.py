"""The simulated modem's control prompt: a technician plays the customer during a dry run.

`textback simulate-modem` reads these commands on its standard input while it serves
AT commands on the pty, so the reply path can be tried without writing Python:

    text NUMBER MESSAGE     a caller texts the shop's number (alias: sms)
    stop NUMBER             the caller texts STOP
    sent                    what the modem has sent, numbered (newest last)
    delivered [N]           the network reports text N (default: the newest) delivered
    failed [N]              ... or undelivered
    auto-report on|off      the network reports every text delivered by itself
    auto-answer on [TEXT]   the phones answer: each text is reported delivered, then
                            its number texts back TEXT (default "Got it, thanks")
    auto-answer off         the phones stop answering
    network 2g|3g|lte       the modem registers on that radio (2g: as one stuck on GSM)
    help                    this list
    quit                    stop the simulated modem

One line in, one or more lines of answer out; a mistake is answered with what to type,
never an exception (a typo must not take the modem down mid dry run).
"""
from __future__ import annotations

import shlex
import textwrap
from collections.abc import Callable

from modem.simulator.auto_answer import DEFAULT_ANSWER

HELP = textwrap.dedent(__doc__.split("\n\n")[2]).strip() if __doc__ else ""
DELIVERED, UNDELIVERED = 0x00, 0x45    # TP-ST: received by the phone / failed, not retried
QUIT = "quit"


class ControlPrompt:
    """Runs one command line against a started ModemSimulator (see modem/simulator/pty_modem.py)."""

    def __init__(self, sim) -> None:
        self.sim = sim
        self.commands: dict[str, Callable[[list[str]], str]] = {
            "text": self._text, "sms": self._text, "stop": self._stop, "sent": self._sent,
            "delivered": lambda args: self._report(args, DELIVERED),
            "failed": lambda args: self._report(args, UNDELIVERED),
            "auto-report": self._auto_report, "auto-answer": self._auto_answer, "network": self._network,
            "help": lambda args: HELP,
        }

    def run(self, line: str) -> str:
        """The answer to one line ("" for a blank line; QUIT when the person asked to stop)."""
        try:
            words = shlex.split(line.strip())
        except ValueError as exc:
            return f"error: {exc} (quote a text with spaces in \"...\", or do not quote it at all)"
        if not words:
            return ""
        name, args = words[0].lower(), words[1:]
        if name in (QUIT, "exit"):
            return QUIT
        command = self.commands.get(name)
        if command is None:
            return f"error: unknown command {words[0]!r}; type help for the list"
        try:
            return command(args)
        except ValueError as exc:
            return f"error: {exc}"

    # -- the caller's side -----------------------------------------------------------------
    def _text(self, args: list[str]) -> str:
        if len(args) < 2:
            raise ValueError('say who texts and what: text +12125550123 "Can you come today?"')
        number, body = _number(args[0]), " ".join(args[1:])
        indexes = self.sim.inject_sms(number, body)
        where = f" (stored at {', '.join(map(str, indexes))})" if indexes else ""
        return f"{number} texted the modem: {body!r}{where}"

    def _stop(self, args: list[str]) -> str:
        if len(args) != 1:
            raise ValueError("say who: stop +12125550123")
        return self._text([args[0], "STOP"])

    # -- the network's side ----------------------------------------------------------------
    def _sent(self, args: list[str]) -> str:
        messages = self.sim.sent_messages()
        if not messages:
            return "the modem has sent nothing yet"
        lines = []
        for n, m in enumerate(messages, 1):
            refs = ",".join(str(p.reference) for p in m.parts)
            lines.append(f"{n}: to {m.destination} (reference {refs}): {m.text!r}")
        return "\n".join(lines)

    def _report(self, args: list[str], status: int) -> str:
        messages = self.sim.sent_messages()
        if not messages:
            raise ValueError("the modem has sent nothing yet: nothing to report on")
        if len(args) > 1 or (args and not args[0].isdigit()):
            raise ValueError("give the number `sent` shows, e.g. delivered 2 (or nothing for the newest)")
        n = int(args[0]) if args else len(messages)
        if not 1 <= n <= len(messages):
            raise ValueError(f"no text {n}: `sent` lists 1 to {len(messages)}")
        message = messages[n - 1]
        if not message.status_report_requested:
            return f"text {n} to {message.destination} asked for no delivery report: the network sends none"
        self.sim.deliver_status_reports(message, status)
        word = "delivered" if status == DELIVERED else "undelivered"
        return f"the network reported text {n} to {message.destination} {word}"

    def _auto_report(self, args: list[str]) -> str:
        if args not in (["on"], ["off"]):
            raise ValueError("auto-report on, or auto-report off")
        self.sim.auto_report(DELIVERED if args[0] == "on" else None)
        return ("the network now reports every text delivered" if args[0] == "on"
                else "the network reports nothing by itself now (use: delivered N)")

    def _auto_answer(self, args: list[str]) -> str:
        if not args or args[0] not in ("on", "off") or (args[0] == "off" and len(args) > 1):
            raise ValueError('auto-answer on, auto-answer on "the answer\'s text", or auto-answer off')
        if args[0] == "off":
            self.sim.auto_answer(None)
            return "the phones answer nothing by themselves now"
        text = " ".join(args[1:]) or DEFAULT_ANSWER
        self.sim.auto_answer(text)
        return f"the phones now answer each text: reported delivered, then {text!r} from its number"


    def _network(self, args: list[str]) -> str:
        if len(args) != 1:
            raise ValueError("network 2g, network 3g or network lte")
        act = self.sim.register_on(args[0])
        return f"the modem is now registered on {args[0].lower()} (AcT {act})"


def _number(text: str) -> str:
    """The sender as the network gives it: +E.164, or a national number as typed."""
    cleaned = "".join(c for c in text if c.isdigit() or c == "+")
    digits = cleaned.lstrip("+")
    if not digits.isdigit() or not 3 <= len(digits) <= 15 or "+" in cleaned[1:]:
        raise ValueError(f"{text!r} is not a phone number: write it like +12125550123")
    return cleaned
