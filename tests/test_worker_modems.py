"""Several modems, end to end: two simulated modems on their own ptys, two Worker loops (one
per [[modem]], as `textback worker --modem NAME` runs them), one SQLite store, calls through
the real AGI hook. A caller is texted from the SIM of the line they rang; a modem that is
unplugged holds only its own texts (they go once it is back, or from the other SIM after
[sending] takeover_after); replies, STOP and staff answers stay on the customer's SIM."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from modem_fleet import SERVICE_LINE, two_modems
from sim_helpers import wait_until
from test_worker_support import SHOP_LINE, STAFF, Clock, missed_call, write_fleet_config

LINE_A, LINE_B = SHOP_LINE, SERVICE_LINE     # front desk's line, the service line
CALLERS = [f"+121255501{i:02d}" for i in range(20, 40)]

class TwoModems:
    """Two simulators behind stable link names (so one can be unplugged and replugged), a
    worker thread for each, one store."""

    def __init__(self, root: Path, sending: dict[str, str] | None = None):
        from modem.simulator.pty_modem import ModemSimulator
        from store import Store
        from textback.config import load_config

        self.sims = {name: ModemSimulator(link=str(root / f"modem-{name}")).start() for name in ("front", "service")}
        self.config_path = write_fleet_config(
            root, two_modems(self.sims["front"].device, self.sims["service"].device, front="front"), sending=sending)
        self.config = load_config(str(self.config_path))
        self.store = Store.open(self.config.store.url)
        self.clock = Clock()
        self.workers: dict = {}
        self.threads: list[threading.Thread] = []

    def start(self) -> TwoModems:
        from modem.device.modem import Modem
        from modem.worker.loop import Worker
        from store import Store
        from textback.worker_settings import worker_settings

        for name, sim in self.sims.items():
            settings = worker_settings(self.config, modem_name=name, poll_interval=0.02, lease_seconds=5.0,
                                       health_interval=0.5, reconnect_delays=(0.05, 0.1, 0.2),
                                       sweep_interval=timedelta(seconds=0.5),
                                       modem_options={"command_timeout": 2.0, "send_timeout": 5.0})

            def open_modem(device=sim.device, settings=settings, **callbacks):
                return Modem.open(device, **settings.modem_options, **callbacks)

            # Each worker its own connection to the one store, as two processes would have.
            worker = Worker(Store.open(self.config.store.url), settings, open_modem, now=self.clock,
                            owner=f"test:{name}")
            self.workers[name] = worker
            thread = threading.Thread(target=worker.run, name=f"worker-{name}", daemon=True)
            thread.start()
            self.threads.append(thread)
        for name in self.sims:
            wait_until(lambda n=name: self.workers[n].modem is not None, what=f"modem {name} open")
        return self

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop()
        for thread in self.threads:
            thread.join(timeout=10)
            assert not thread.is_alive(), "worker did not stop"
        for worker in self.workers.values():
            worker.store.close()
        self.store.close()
        for sim in self.sims.values():
            sim.stop()

    def call(self, number: str, uniqueid: str, line: str) -> None:
        missed_call(self.config_path, number, uniqueid, args=(f"line={line}",))

    def sent_to(self, name: str, number: str) -> list[str]:
        return [m.text for m in self.sims[name].sent_messages() if m.destination == number]

    def thread(self, number: str):
        return self.store.thread(number)


@pytest.fixture
def shop(tmp_path):
    made = TwoModems(tmp_path).start()
    yield made
    made.stop()


def _passes(worker, n: int) -> None:
    """Let the worker make `n` more passes (each one a chance to send what it should not)."""
    before = worker.passes
    wait_until(lambda: worker.passes >= before + n, timeout=10, what=f"{n} more passes")


def test_each_line_is_texted_from_its_own_modem_and_an_unplugged_one_holds_only_its_own(shop):
    a1, b1, a2, b2 = CALLERS[:4]
    shop.call(a1, "1700000001.1", LINE_A)
    shop.call(b1, "1700000001.2", LINE_B)
    wait_until(lambda: shop.sent_to("front", a1) and shop.sent_to("service", b1), timeout=10, what="both first texts")
    assert not shop.sent_to("service", a1) and not shop.sent_to("front", b1)
    first_a = next(m for m in shop.thread(a1) if m.kind == "text_back")
    wait_until(lambda: shop.store.message(first_a.id).status == "sent", what="marked sent")
    assert shop.store.message(first_a.id).modem == "front"
    assert {m.modem for m in shop.thread(b1)} == {"service"}          # the follow-ups too

    # The service modem is unplugged: its caller's text waits, the front desk's goes.
    shop.sims["service"].unplug()
    wait_until(lambda: shop.workers["service"].modem is None, what="service modem lost")
    shop.call(b2, "1700000001.3", LINE_B)
    shop.call(a2, "1700000001.4", LINE_A)
    wait_until(lambda: shop.sent_to("front", a2), what="line A's text with B unplugged")
    waiting = next(m for m in shop.thread(b2) if m.kind == "text_back")
    _passes(shop.workers["front"], 20)
    assert shop.store.message(waiting.id).status == "scheduled"
    assert not shop.sent_to("front", b2), "a text left from a SIM the caller never rang"

    # Back: it goes, from its own SIM, once.
    shop.sims["service"].replug()
    wait_until(lambda: shop.sent_to("service", b2), timeout=10, what="line B's text once B is back")
    wait_until(lambda: shop.store.message(waiting.id).status == "sent", what="marked sent")
    assert shop.store.message(waiting.id).modem == "service"
    assert len(shop.sent_to("service", b2)) == 1 and not shop.sent_to("front", b2)


def test_replies_stop_and_staff_answers_stay_on_the_sim_the_customer_wrote_to(shop):
    from textback.cli import main

    caller, quitter = CALLERS[4], CALLERS[5]
    shop.call(caller, "1700000002.1", LINE_A)
    wait_until(lambda: shop.sent_to("front", caller), what="text-back from front")
    # The customer answers on the service SIM (they had its number from a card).
    shop.sims["service"].inject_sms(caller, "Can you come Tuesday?")
    wait_until(lambda: [m for m in shop.sims["service"].sent_messages() if m.destination == STAFF],
               what="forward to staff from the SIM that received it")
    [reply] = [m for m in shop.thread(caller) if m.direction == "in"]
    assert reply.modem == "service"
    assert not [m for m in shop.sims["front"].sent_messages() if m.destination == STAFF]

    # A staff answer from the CLI leaves from service, the SIM the customer last wrote to ...
    result = CliRunner().invoke(main, ["--config", str(shop.config_path), "reply", caller, "Tuesday at 10"])
    assert result.exit_code == 0, result.output
    wait_until(lambda: "Tuesday at 10" in shop.sent_to("service", caller), what="CLI answer from service")
    # ... and so does one from a staff phone that texts the front desk's SIM ("!": sent although
    # the CLI answered a moment ago).
    shop.sims["front"].inject_sms(STAFF, f"#{reply.id}! Bring the dog in please")
    wait_until(lambda: "Bring the dog in please" in shop.sent_to("service", caller),
               what="staff-phone answer from service")
    assert shop.sent_to("front", caller) == [shop.sent_to("front", caller)[0]]      # only the text-back

    # STOP to the service SIM: confirmed from it.
    shop.call(quitter, "1700000002.2", LINE_A)
    wait_until(lambda: shop.sent_to("front", quitter), what="text-back to the quitter")
    shop.sims["service"].inject_sms(quitter, "STOP")
    wait_until(lambda: len(shop.sent_to("service", quitter)) == 1, what="STOP confirmation from service")
    assert len(shop.sent_to("front", quitter)) == 1


def test_with_takeover_the_other_sim_sends_a_down_modems_text_and_says_so(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="modem.worker")
    shop = TwoModems(tmp_path, sending={"takeover_after": '"10m"'}).start()
    try:
        starts = sorted(r.getMessage() for r in caplog.records if " started" in r.getMessage())
        assert starts == [
            f"worker test:front started for modem front (texts callers of {LINE_A}; sends another modem's text "
            "0:10:00 past its time)",
            f"worker test:service started for modem service (texts callers of {LINE_B}; sends another modem's "
            "text 0:10:00 past its time)"]
        caller = CALLERS[6]
        shop.sims["service"].unplug()
        wait_until(lambda: shop.workers["service"].modem is None, what="service modem lost")
        shop.call(caller, "1700000003.1", LINE_B)
        first = wait_until(lambda: next((m for m in shop.thread(caller) if m.kind == "text_back"), None),
                           what="planned")
        _passes(shop.workers["front"], 20)
        assert not shop.sent_to("front", caller)                 # not before takeover_after
        shop.clock.advance(timedelta(minutes=11))
        wait_until(lambda: shop.sent_to("front", caller), timeout=10, what="taken over by front")
        wait_until(lambda: shop.store.message(first.id).status == "sent", what="marked sent")
        assert shop.store.message(first.id).modem == "front"     # where it really left from
        said = [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"text {first.id} ")
                and "instead" in r.getMessage()]
        assert said == [f"text {first.id} to {caller} was for modem service, which has not sent it for "
                        "0:10:00: sent from modem front instead (its number, not service's)"]
    finally:
        shop.stop()

