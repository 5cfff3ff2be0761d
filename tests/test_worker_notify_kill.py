"""The outbox survives SIGKILL (issue 16): `textback worker` as systemd runs it, a
subprocess, killed after a call was planned and texted but before its events reached
the target (down at the time). Restarted with the target back, every event in the
store arrives, once each by id, in order."""
from __future__ import annotations

import signal

from notify_receiver import Receiver, free_port
from sim_helpers import wait_until
from test_worker_support import US, start_worker_process, write_config

SECRET = "kill-test-secret"


def test_events_committed_before_a_sigkill_arrive_after_the_restart(tmp_path, sim):
    from store import Store

    port = free_port()
    extra = (f'\n[[notify]]\nname = "crm"\nurl = "http://127.0.0.1:{port}/hook"\nsecret = "{SECRET}"\n'
             'timeout = "2s"\nretry_first = "1s"\nretry_max = "1s"\n')
    config = write_config(tmp_path, port=sim.device, extra=extra)
    log_path = tmp_path / "worker.log"
    receiver = Receiver(port)
    proc = start_worker_process(config, log_path)
    try:
        with Store.open(f"sqlite:///{tmp_path / 'textback.db'}") as store:
            wait_until(lambda: store.notify_targets(), timeout=15, what="the worker started its notifier")
            from test_worker_support import missed_call
            missed_call(config, US, "1799000009.1")
            wait_until(lambda: any(m.destination == US for m in sim.sent_messages()), timeout=15, what="the text")
            wait_until(lambda: [e.type for e in store.events_after(0)][:2] == ["call.missed", "text.sent"],
                       timeout=10, what="both events committed")
            wait_until(lambda: store.notify_targets()[0].failures >= 1, timeout=10, what="a failed try")
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            assert store.notify_targets()[0].delivered == 0           # nothing went before the kill
            receiver.start()
            proc = start_worker_process(config, log_path)
            wait_until(lambda: store.notify_targets()[0].waiting == 0, timeout=30, what="every event delivered")
            stored = [e.uid for e in store.events_after(0)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        receiver.stop()
    got = [r.event["id"] for r in receiver.received]
    assert got == stored and len(set(got)) == len(got)
    assert [r.event["type"] for r in receiver.received][:2] == ["call.missed", "text.sent"]
    assert all(r.signed_with(SECRET) for r in receiver.received)
