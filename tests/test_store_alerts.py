"""Alerts in the store (store/alerts.py) and the worker's watch over them (modem/worker/alerts.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from modem.worker.alerts import AlertWatch

T = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def test_raise_refresh_clear_and_text_once_an_hour(store):
    assert store.raise_alert("hourly_cap", "cap reached: 3 held", T) is True
    assert store.raise_alert("hourly_cap", "cap reached: 5 held", T + timedelta(seconds=5)) is False
    [active] = store.active_alerts()
    assert (active.key, active.text, active.raised_at) == ("hourly_cap", "cap reached: 5 held", T)
    assert [a.key for a in store.due_to_text(T)] == ["hourly_cap"]
    store.mark_alert_texted("hourly_cap", T)
    assert store.due_to_text(T + timedelta(minutes=59)) == []
    assert [a.key for a in store.due_to_text(T + timedelta(hours=1))] == ["hourly_cap"]
    assert store.clear_alert("hourly_cap", T + timedelta(hours=2)) is True
    assert store.active_alerts() == [] and store.clear_alert("hourly_cap") is False
    assert store.raise_alert("hourly_cap", "again", T + timedelta(hours=3)) is True


def test_watch_raises_conditions_clears_them_and_texts_each_staff_phone_once(store):
    watch = AlertWatch(store, ("+12125550177", "+12125550178"), [])
    watch.seen.held_calls, watch.seen.hourly_cap = 4, 30
    out = watch.look(T)
    assert [n for n, _ in out] == ["+12125550177", "+12125550178"]
    assert "hourly cap of 30 texts reached: 4 call(s) held" in out[0][1]
    watch._next_look = 0
    watch.seen.held_calls = 9
    assert watch.look(T + timedelta(seconds=3)) == []          # refreshed, not texted again
    assert "9 call(s) held" in store.active_alerts()[0].text
    watch._next_look = 0
    watch.seen.held_calls = 0
    watch.look(T + timedelta(seconds=6))
    assert store.active_alerts() == [] and watch.texts() == []


def test_an_event_stays_an_hour_and_a_restarted_watch_clears_it(store):
    watch = AlertWatch(store, (), [])
    watch.event("database_replaced", "the database file was replaced", T)
    watch.look(T)
    assert [a.key for a in store.active_alerts()] == ["database_replaced"]
    later = AlertWatch(store, (), [])           # the worker restarted
    later.look(T + timedelta(minutes=59))
    assert [a.key for a in store.active_alerts()] == ["database_replaced"]
    later._next_look = 0
    later.look(T + timedelta(minutes=61))
    assert store.active_alerts() == []


def test_watch_conditions_modem_gone_failing_receive_memory_and_disk(store, tmp_path, monkeypatch):
    import modem.worker.alerts as alerts

    watch = AlertWatch(store, (), [str(tmp_path)])

    def look(at):
        watch._next_look = 0
        watch.look(at)
        return {a.key for a in store.active_alerts()}

    watch.seen.modem_lost_for = 299.0
    watch.seen.failing_in_a_row = 2
    watch.seen.receive_memory = ("ME", 80, 100)
    assert look(T) == set()
    watch.seen.modem_lost_for = 301.0
    watch.seen.failing_in_a_row = 3
    watch.seen.last_failure = "+CMS ERROR: 38"
    watch.seen.receive_memory = ("ME", 81, 100)
    assert look(T) == {"modem_gone", "texts_failing", "receive_memory"}
    assert any("+CMS ERROR: 38" in a.text for a in store.active_alerts())
    monkeypatch.setattr(alerts, "DISK_LOW_BYTES", 1 << 62)     # every disk is "nearly full" now
    assert "disk_full" in look(T + timedelta(seconds=3))
    monkeypatch.setattr(alerts, "DISK_LOW_BYTES", 0)
    monkeypatch.setattr(alerts, "DISK_LOW_FRACTION", 0.0)
    watch.seen.modem_lost_for, watch.seen.failing_in_a_row, watch.seen.receive_memory = None, 0, ("ME", 1, 100)
    assert look(T + timedelta(seconds=6)) == set()


def test_a_store_that_cannot_be_written_is_texted_straight_once_then_recorded_when_it_can(store, monkeypatch):
    import modem.worker.alerts as alerts

    watch = AlertWatch(store, ("+12125550177",), [])
    watch.store_failed("database or disk is full", T)
    assert watch.unwritable_text() is None                    # not yet: a hiccup is not an alert
    monkeypatch.setattr(alerts, "UNWRITABLE_SECONDS", 0.0)
    text = watch.unwritable_text()
    assert "cannot write its database (database or disk is full)" in text
    assert watch.unwritable_text() is None                    # once an hour, not every pass
    watch.store_ok(T + timedelta(minutes=2))
    [alert] = store.active_alerts()
    assert alert.key == "store_unwritable" and "writing again" in alert.text
