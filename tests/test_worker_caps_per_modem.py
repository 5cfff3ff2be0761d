"""Per-SIM carrier caps with several modems (issues 13 and 15): each worker counts the
texts that left from its own modem (message.modem), so one SIM at its daily cap holds its
own text-backs while the other SIM still sends; at the cap STOP confirmations and staff
replies still go. Real workers on simulators on ptys, one real SQLite store.

The earlier sent history is written with the store's verbs and then stamped with the modem
it left from, as a worker of that modem stamps what it sends."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from modem_fleet import two_modems
from test_worker_support import STAFF, write_fleet_config

from modem.device.modem import Modem
from modem.simulator.pty_modem import ModemSimulator
from modem.worker.loop import Worker
from store import Store
from textback.config import load_config
from textback.worker_settings import worker_settings

CUSTOMERS = ["+12125550121", "+12125550122", "+12125550123"]
NEW_CALLER, OTHER_CALLER, WRITER = "+12125550131", "+12125550132", "+12125550141"


def two_modem_config(tmp_path, front: str, service: str):
    # Each SIM's daily cap at 3, no gaps: the caps are what is tested here.
    return load_config(str(write_fleet_config(tmp_path, two_modems(front, service), sending={"daily_cap": "3"})))


@pytest.fixture
def shop(tmp_path):
    sims = {name: ModemSimulator().start() for name in ("front-desk", "service")}
    config = two_modem_config(tmp_path, sims["front-desk"].device, sims["service"].device)
    stores, workers = [], {}
    for name, sim in sims.items():
        store = Store.open(config.store.url)
        settings = worker_settings(config, modem_name=name, poll_interval=0.01, lease_seconds=5.0,
                                   health_interval=3600.0, reconnect_delays=(0.05,),
                                   sweep_interval=timedelta(seconds=0.2),
                                   modem_options={"command_timeout": 2.0, "send_timeout": 5.0})
        workers[name] = Worker(store, settings, lambda sim=sim, s=settings, **cb: Modem.open(
            sim.device, **s.modem_options, **cb))
        stores.append(store)
    yield workers, sims, stores[0]
    for worker in workers.values():
        worker._close_modem()
    for store in stores:
        store.close()
    for sim in sims.values():
        sim.stop()


def sent_from(store, modem: str, number: str, at: datetime) -> None:
    message_id = store.queue_message(number, "text_back", "Hi", at)
    claimed = store.claim_due("history", 60, at)
    assert claimed is not None and claimed.id == message_id
    store.mark_sent(message_id, 1, "history", at)
    Message = store.models.Message
    Message.update(modem=modem).where(Message.id == message_id).execute()


def queue_for(store, modem: str, number: str, kind: str, body: str) -> int:
    """A text for `modem`'s SIM, as planning ties a caller's texts to the line they rang."""
    return store.queue_message(number, kind, body, datetime.now(UTC), modem=modem)


def run_until(worker, sim, number: str, seconds: float = 10.0) -> list:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        worker.run_once()
        got = [m for m in sim.sent_messages() if m.destination == number]
        if got:
            return got
        time.sleep(0.02)
    return []


def look(worker) -> None:
    worker.alerts._next_look = 0.0
    worker._look_for_alerts()


def test_one_sim_at_its_cap_holds_its_own_text_backs_while_the_other_still_sends(shop):
    workers, sims, store = shop
    now = datetime.now(UTC)
    for number in CUSTOMERS:                        # the service SIM sent its 3 today
        sent_from(store, "service", number, now)
    assert (store.sent_count_since(now - timedelta(hours=1), "service"),
            store.sent_count_since(now - timedelta(hours=1), "front-desk"),
            store.sent_count_since(now - timedelta(hours=1))) == (3, 0, 3)

    # Both due at once: the front desk's SIM has sent nothing, so its caller is texted; the
    # service SIM's caller waits for the service SIM (no other SIM takes it: no takeover).
    held = queue_for(store, "service", NEW_CALLER, "text_back", "Sorry we missed your call")
    other = queue_for(store, "front-desk", OTHER_CALLER, "text_back", "Sorry we missed your call")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and store.message(other).status == "scheduled":
        for worker in workers.values():
            worker.run_once()
        time.sleep(0.02)
    for _ in range(5):
        for worker in workers.values():
            worker.run_once()
    assert [m.text for m in sims["front-desk"].sent_messages() if m.destination == OTHER_CALLER] == [
        "Sorry we missed your call"]
    assert store.message(other).modem == "front-desk"
    assert store.message(held).status == "scheduled", "held, not dropped"
    assert not [m for sim in sims.values() for m in sim.sent_messages() if m.destination == NEW_CALLER]
    assert store.sent_count_since(now - timedelta(hours=1), "front-desk") == 1

    # At the cap a staff reply and a STOP confirmation still leave the service SIM.
    queue_for(store, "service", CUSTOMERS[0], "staff_reply", "We can come at 3.")
    assert [m.text for m in run_until(workers["service"], sims["service"], CUSTOMERS[0])] == ["We can come at 3."]
    sims["service"].inject_sms(CUSTOMERS[1], "STOP")
    confirmation = run_until(workers["service"], sims["service"], CUSTOMERS[1])
    assert confirmation and "won't get any more texts" in confirmation[0].text
    assert store.message(held).status == "scheduled"

    # Each worker raises and clears only its own modem's alert, which names the modem.
    look(workers["service"])
    look(workers["front-desk"])
    alerts = {a.key: a.text for a in store.active_alerts()}
    sent = store.sent_count_since(now - timedelta(hours=1), "service")     # the staff reply counts too
    assert alerts["carrier_limits:service"] == (
        f"carrier limits of modem service: {sent}/3 texts today, cap reached: 1 text-back(s) held; "
        "STOP replies and staff texts still go")
    assert not [k for k in alerts if k.startswith("carrier_limits") and k != "carrier_limits:service"]
    assert [m.kind for m in store.thread(STAFF) if "modem service" in m.body] == ["alert"], "texted to staff once"


def test_the_recipient_cap_knows_a_number_only_from_its_own_sim(store):
    """A follow-up to a number the other SIM texted adds a recipient to this SIM's count."""
    from store.rules.pacing import PACED_KINDS, Hold

    now = datetime.now(UTC)
    sent_from(store, "front-desk", CUSTOMERS[0], now - timedelta(days=1))
    sent_from(store, "service", CUSTOMERS[1], now - timedelta(days=1))
    for number in CUSTOMERS[:2]:
        queue_for(store, "service", number, "follow_up", "Still need a plumber?")
    hold = Hold(PACED_KINDS, "recipients_cap", known_since=now - timedelta(days=30), modem="service")
    assert store.recipient_count_since(now - timedelta(days=30), "service") == 1
    assert store.recipient_count_since(now - timedelta(days=30)) == 2
    now += timedelta(seconds=1)                     # the follow-ups are due
    claimed = store.claim_due("service-worker", 60, now, hold=hold)
    assert claimed.number == CUSTOMERS[1], "known to the service SIM: goes"
    assert store.claim_due("service-worker", 60, now, hold=hold) is None, "known only to the front desk: held"
    assert store.held_count(hold, now) == 1
    queue_for(store, "front-desk", "+12125550151", "text_back", "Hi")      # the other SIM's: not counted here
    assert store.held_count(hold, now) == 1


def test_one_workers_alert_is_not_cleared_by_another_whose_trouble_is_not_there(store):
    """The hourly cap holds calls on one box and not on the other: each keeps its own alert."""
    from modem.worker.alerts import AlertWatch

    now = datetime.now(UTC)
    front, service = (AlertWatch(store, (STAFF,), [], modem_name=name) for name in ("front-desk", "service"))
    front.seen.held_calls, front.seen.hourly_cap = 4, 30
    front.look(now)
    service.look(now)                       # nothing held here
    front._next_look = service._next_look = 0.0
    service.look(now)
    assert [(a.key, a.text.split(":")[0]) for a in store.active_alerts()] == [
        ("hourly_cap:front-desk", "modem front-desk")]
    front._next_look = 0.0
    front.seen.held_calls = 0
    front.look(now)
    assert store.active_alerts() == []
