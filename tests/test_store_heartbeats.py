"""Several workers on one store (issue 15): each writes and reads its own heartbeat row,
by the name of the modem it drives; the one [modem] keeps row 1 (modem_name "")."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

T = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def test_each_worker_beats_in_its_own_row(store):
    store.write_worker_status(modem_name="service", pid=20, host="pi-b", beat_at=T, modem_port="/dev/ttyUSB6")
    store.write_worker_status(modem_name="front-desk", pid=10, host="pi-a", beat_at=T, signal_dbm=-70)
    store.write_worker_status(modem_name="service", beat_at=T + timedelta(seconds=5), signal_dbm=-91)
    front, service = store.worker_status("front-desk"), store.worker_status("service")
    assert (front.pid, front.host, front.signal_dbm, front.beat_at) == (10, "pi-a", -70, T)
    assert (service.pid, service.modem_port, service.signal_dbm, service.beat_at) == (
        20, "/dev/ttyUSB6", -91, T + timedelta(seconds=5))
    assert store.worker_status() is None, "no worker drives the one [modem] here"
    assert [(s.modem_name, s.pid) for s in store.worker_statuses()] == [("front-desk", 10), ("service", 20)]


def test_the_one_modem_keeps_row_1_beside_named_workers(store):
    store.write_worker_status(modem_name="service", pid=20, beat_at=T)     # first to beat: still not row 1
    store.write_worker_status(pid=1, beat_at=T)
    store.write_worker_status(modem_name="", registration="home")
    assert (store.worker_status().pid, store.worker_status().registration) == (1, "home")
    assert store.worker_status("service").pid == 20
    assert [(s.modem_name, s.pid) for s in store.worker_statuses()] == [("", 1), ("service", 20)]
    WS = store.models.WorkerStatus
    assert WS.get(WS.id == 1).pid == 1


def test_a_clean_stop_is_written_to_the_stopping_workers_row_only(store):
    for name, pid in (("front-desk", 10), ("service", 20)):
        store.write_worker_status(modem_name=name, pid=pid, beat_at=T, stopped_at=None)
    store.write_worker_status(modem_name="service", beat_at=T, stopped_at=T, modem_alive=False)
    assert store.worker_status("front-desk").stopped_at is None
    assert store.worker_status("service").stopped_at == T
