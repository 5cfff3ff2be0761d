"""Events out to the shop's other systems (issue 16), end to end: the worker in a thread
with the simulator and the real AGI hook, a real HTTP server (http.server on 127.0.0.1)
as the CRM. Every event of a call's life arrives, in order, signed; a target that is
down for a while gets every event once it is back, none twice; texts go as fast with
the target dead as alive; a local command target gets the JSON on stdin."""
from __future__ import annotations

import time
from pathlib import Path

from notify_receiver import BlackHole, Receiver, free_port
from sim_helpers import wait_until
from test_worker_support import STAFF, US, US2, Rig

SECRET = "s3cret-for-tests"


def _target(url: str, *, name: str = "crm", extra: str = "") -> str:
    return (f'\n[[notify]]\nname = "{name}"\nurl = "{url}"\nsecret = "{SECRET}"\ntimeout = "2s"\n'
            f'retry_first = "1s"\nretry_max = "2s"\nalert_after = 3\n{extra}')


def _stored_ids(rig: Rig) -> list[str]:
    return [e.uid for e in rig.store.events_after(0)]


def test_every_event_of_a_calls_life_arrives_in_order_and_signed(tmp_path):
    receiver = Receiver().start()
    rig = Rig(tmp_path, extra=_target(receiver.url)).start()
    rig.sim.auto_report(0, delay=0.5)
    try:
        rig.call(US, "1799000000.1")
        wait_until(lambda: rig.sent_to(US), timeout=10, what="the text-back")
        wait_until(lambda: [m.status for m in rig.messages(kind="text_back")] == ["delivered"], timeout=10,
                   what="its delivery report")
        rig.sim.inject_sms(US, "Can you come Tuesday?")
        wait_until(lambda: rig.sent_to(STAFF), timeout=10, what="the forward to staff")
        [reply] = rig.messages(direction="in")
        rig.store.queue_message(US, "staff_reply", "Tuesday 9am works", rig.clock(), sent_by="ann")
        wait_until(lambda: len(rig.sent_to(US)) == 2, timeout=10, what="the staff answer")
        wanted = ["call.missed", "text.sent", "text.delivered", "reply.received", "staff.answered", "text.sent",
                  "text.delivered"]

        def about_bob() -> list[str]:
            return [e["type"] for e in receiver.events()
                    if US in (e["data"].get("caller"), e["data"].get("to"), e["data"].get("from"))]
        try:
            wait_until(lambda: about_bob() == wanted, timeout=15, what=str(wanted))
        except AssertionError:
            raise AssertionError(f"got {about_bob()}; stored {[e.type for e in rig.store.events_after(0)]}") from None
    finally:
        rig.stop()
        receiver.stop()
    events = receiver.events()
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    missed = events[0]
    assert missed["type"] == "call.missed" and missed["schema"] == 1
    assert (missed["data"]["decision"], missed["data"]["caller"], missed["data"]["disposition"]) == \
        ("text", US, "NOANSWER")
    assert [e["data"]["body"] for e in events if e["type"] == "reply.received"] == ["Can you come Tuesday?"]
    assert reply.body == "Can you come Tuesday?"
    for got in receiver.received:
        assert got.signed_with(SECRET), got.headers
        assert not got.signed_with("another secret")          # a wrong secret is detectable
        assert got.headers["X-Textback-Id"] == got.event["id"]
        assert got.headers["X-Textback-Event"] == got.event["type"]
    tampered = receiver.received[0]
    assert not type(tampered)(tampered.body.replace(b"text", b"skip"), tampered.headers, 0).signed_with(SECRET)


def test_a_target_down_for_a_while_gets_every_event_once_and_texts_do_not_wait(tmp_path):
    port = free_port()
    rig = Rig(tmp_path, extra=_target(f"http://127.0.0.1:{port}/hooks/textback")).start()
    rig.sim.auto_report(0, delay=0.5)
    receiver = Receiver(port)
    try:
        for n, number in enumerate((US, US2)):
            rig.call(number, f"1799000001.{n}")
        wait_until(lambda: rig.sent_to(US) and rig.sent_to(US2), timeout=10, what="both texts, target down")
        wait_until(lambda: rig.store.notify_targets()[0].failures >= 3, timeout=15, what="three failed tries")
        state = rig.store.notify_targets()[0]
        assert "connection refused" in state.last_error and state.delivered == 0
        wait_until(lambda: any(a.key == "notify_crm" for a in rig.store.active_alerts()), timeout=5,
                   what="the alert after 3 failures")
        time.sleep(3)                        # down for a while (about 6 s in all), then back
        receiver.start()
        wait_until(lambda: rig.store.notify_targets()[0].waiting == 0, timeout=20, what="every event delivered")
        wait_until(lambda: not any(a.key == "notify_crm" for a in rig.store.active_alerts()), timeout=5,
                   what="the alert cleared")
        wait_until(lambda: rig.store.notify_targets()[0].waiting == 0, timeout=20, what="the clearing delivered")
        time.sleep(0.5)
        stored = _stored_ids(rig)
    finally:
        rig.stop()
        receiver.stop()
    ids = [e["id"] for e in receiver.events()]
    assert len(ids) == len(set(ids))                         # none twice
    assert ids == stored                                     # every one, in order
    types = [e["type"] for e in receiver.events()]
    assert types.count("call.missed") == 2 and "alert.raised" in types and types[-1] == "alert.cleared"


def _hang_up_to_text(rig: Rig, number: str, uniqueid: str) -> float:
    started = time.monotonic()
    rig.call(number, uniqueid)
    wait_until(lambda: rig.sent_to(number), timeout=15, what=f"the text to {number}")
    return time.monotonic() - started


def test_texts_go_as_fast_with_the_target_dead_as_alive(tmp_path):
    receiver = Receiver().start()
    hole = BlackHole()
    up = Rig(tmp_path / "up", extra=_target(receiver.url)).start()
    try:
        fast = [_hang_up_to_text(up, n, f"1799000002.{i}") for i, n in enumerate((US, US2))]
    finally:
        up.stop()
    down = Rig(tmp_path / "down", extra=_target(f"http://127.0.0.1:{hole.port}/x")).start()
    try:
        slow = [_hang_up_to_text(down, n, f"1799000003.{i}") for i, n in enumerate((US, US2))]
        assert down.store.notify_targets()[0].delivered == 0    # the target never answered
    finally:
        down.stop()
        hole.close()
        receiver.stop()
    print(f"\nhang-up to text: target up {max(fast):.2f} s, target not answering {max(slow):.2f} s")
    assert max(slow) < max(fast) + 1.0 and max(slow) < 5.0


def test_a_local_command_gets_each_event_on_stdin(tmp_path):
    script = Path(__file__).resolve().parent.parent / "docs" / "notify-to-csv.sh"
    csv = tmp_path / "events.csv"
    extra = (f'\n[[notify]]\nname = "csv"\ncommand = "sh {script} {csv}"\nevents = ["call.*", "text.sent"]\n'
             'timeout = "5s"\nretry_first = "1s"\n')
    rig = Rig(tmp_path, extra=extra).start()
    try:
        rig.call(US, "1799000004.1")
        wait_until(lambda: csv.exists() and len(csv.read_text().splitlines()) >= 2, timeout=15, what="two rows")
        rig.store.raise_alert("disk_full", "disk nearly full")      # not in the filter: not sent
        time.sleep(0.5)
    finally:
        rig.stop()
    rows = [line.split(",") for line in csv.read_text().splitlines()]
    assert [r[1] for r in rows] == ["call.missed", "text.sent"]
    assert len({r[0] for r in rows}) == 2 and all(len(r[0]) == 32 for r in rows)
