"""`textback simulate-modem`'s control prompt, driven as a technician would during a dry run:
the simulator and the worker are real processes, the "customer" is typed on the
simulator's standard input, and the reply lands in `textback inbox`."""
from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path

from click.testing import CliRunner
from sim_helpers import wait_until
from test_worker_support import start_worker_process, stop_process, write_config
from user_helpers import program

from textback.cli import main

CUSTOMER = "+12125550123"


class Typist:
    """A person at the simulator's prompt: types a line, reads the answer lines."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def type(self, line: str) -> str:
        """The answer's lines, joined: the first within 10 s, the rest as they follow it."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = [self.lines.get(timeout=10)]
        while True:
            try:
                answer.append(self.lines.get(timeout=0.3))
            except queue.Empty:
                return "\n".join(answer)


def inbox(config: Path) -> list[dict]:
    result = CliRunner().invoke(main, ["--config", str(config), "inbox", "--all", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_person_plays_the_customer_and_the_reply_reaches_the_inbox(tmp_path):
    sim = subprocess.Popen([*program("textback"), "simulate-modem"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    worker = None
    try:
        device = sim.stdout.readline().strip()
        person = Typist(sim)
        config = write_config(tmp_path, port=device)
        worker = start_worker_process(config, None)
        wait_until(lambda: (tmp_path / "textback.db").exists(), timeout=20, what="the worker's store")
        assert person.type("sent") == "the modem has sent nothing yet"
        assert person.type("frobnicate") == "error: unknown command 'frobnicate'; type help for the list"
        assert person.type("text 12x").startswith("error: say who texts and what")

        answer = person.type(f"text {CUSTOMER} Can you come today? The sink leaks")
        assert answer.startswith(f"{CUSTOMER} texted the modem: 'Can you come today? The sink leaks'")
        row = wait_until(lambda: next((r for r in inbox(config) if r["number"] == CUSTOMER), None),
                         timeout=20, what="the reply in the inbox")
        assert row["last_reply"] == "Can you come today? The sink leaks" and row["state"] == "open"

        # The shop answers from the terminal; the modem sends it; the person reports delivery.
        reply = CliRunner().invoke(main, ["--config", str(config), "reply", str(row["contact_id"]), "On our way"])
        assert reply.exit_code == 0, reply.output
        def sent_answer():
            text = person.type("sent")
            return text if "On our way" in text else None
        listing = wait_until(sent_answer, timeout=20, what="the answer sent")
        number = next(line.split(":")[0] for line in listing.splitlines() if "On our way" in line)
        assert person.type(f"delivered {number}") == f"the network reported text {number} to {CUSTOMER} delivered"

        def answer_state():
            result = CliRunner().invoke(main, ["--config", str(config), "thread", CUSTOMER, "--json"])
            return next((i["state"] for i in json.loads(result.output) if i["body"] == "On our way"), None)
        wait_until(lambda: answer_state() == "delivered", timeout=20, what="the report applied")

        # STOP from the prompt: opted out at once.
        assert person.type(f"stop {CUSTOMER}").startswith(f"{CUSTOMER} texted the modem: 'STOP'")
        wait_until(lambda: next(r for r in inbox(config) if r["number"] == CUSTOMER)["opted_out"],
                   timeout=20, what="the opt-out")
        sim.stdin.write("quit\n")
        sim.stdin.flush()
        assert sim.wait(timeout=10) == 0
    finally:
        for proc in (worker, sim):
            if proc is not None:
                stop_process(proc)
