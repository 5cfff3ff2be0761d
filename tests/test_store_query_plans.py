"""Every hot query uses an index that fits it: EXPLAIN QUERY PLAN on what each verb really
sends to a real SQLite store with history, with and without planner statistics.

A full scan of `call` or `message` is what made a store of years slow (an idle worker
pass 1.8 ms -> 1.95 s at a million rows); this test fails on one, naming the verb.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bench.history_store import build_history, history_number
from modem.worker.planning import Planner
from store import Store
from store.migrations import refresh_statistics
from textback.config import parse_config
from textback.worker_settings import rules_settings

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=timezone.utc)
BIG_TABLES = {"call", "message"}


class _SQL(logging.Handler):
    """Collects the statements peewee sends (it logs each as (sql, params) at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, tuple]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, tuple) and len(record.msg) == 2:
            self.statements.append((record.msg[0], tuple(record.msg[1] or ())))


def _scans(store: Store, sql: str, params: tuple) -> list[str]:
    """The plan lines that read all of `call` or `message` (by table or alias). Walking a
    partial index is no full scan: it holds only the rows its WHERE names (the unread
    replies, the calls still new)."""
    aliases = {alias: table for table, alias in re.findall(r'"(\w+)" AS "(\w+)"', sql)}
    partial = {name for name, text in store.db.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'").fetchall()}
    bad = []
    for row in store.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall():
        detail = row[-1]
        found = re.match(r"SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?", detail)
        if (found and aliases.get(found.group(1), found.group(1)) in BIG_TABLES
                and found.group(2) not in partial):
            bad.append(detail)
        # A bare "SEARCH message" (MAX() over a column no index fits) walks the whole table
        # too: 0.4 s at a million rows for `textback status`'s last reply.
        bare = re.fullmatch(r"SEARCH (\w+)", detail)
        if bare and aliases.get(bare.group(1), bare.group(1)) in BIG_TABLES:
            bad.append(detail)
    return bad


@pytest.fixture(scope="module", params=["no statistics", "analyzed"])
def history(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("plans") / "history.db"
    build_history(path, calls=3000, messages=3000, end=NOW - timedelta(days=1))
    with Store.open(f"sqlite:///{path}") as store:
        if request.param == "analyzed":
            # Statistics as a store of years has them: ANALYZE on this one, every row count
            # scaled up a thousandfold (SQLite reads sqlite_stat1 as given), so the planner
            # weighs an index against a scan as it would on millions of rows.
            refresh_statistics(store.models)
            for idx, stat in store.db.execute_sql("SELECT idx, stat FROM sqlite_stat1").fetchall():
                first, *rest = stat.split()
                store.db.execute_sql("UPDATE sqlite_stat1 SET stat = ? WHERE idx IS ?",
                                     (" ".join([str(int(first) * 1000), *rest]), idx))
            store.db.close()
            store.db.connect()       # statistics are read when a connection opens
        else:
            store.db.execute_sql("DROP TABLE IF EXISTS sqlite_stat1")
            store.db.close()
            store.db.connect()       # statistics are read when a connection opens
        # Today's traffic on top: a new call, a text waiting, an unread reply.
        from store.facts import CallFact
        store.record_call(CallFact(uniqueid="today.1", caller_raw="+12125550142", disposition="NOANSWER",
                                   happened_at=NOW - timedelta(minutes=1)))
        store.queue_message("+12125550143", "text_back", "Sorry we missed you", NOW + timedelta(minutes=5))
        store.record_inbound("+12125550143", "Call me", NOW - timedelta(minutes=2))
        yield store


def _hot_queries(store: Store) -> dict[str, callable]:
    number = history_number(5)
    since = NOW - timedelta(days=7)
    planner = Planner(store, rules_settings(parse_config('')))
    return {
        "cap count": lambda: store.texts_for_cap(NOW - timedelta(hours=1)),
        "idle pass: new calls": lambda: store.new_calls(100),
        "idle pass: next due": lambda: store.next_due_at(),
        "idle pass: leases": lambda: store.recover_expired_leases(NOW),
        "planner": lambda: planner.plan_new_calls(NOW),
        "planner history": lambda: planner.history(number, 0),
        "claim": lambda: store.claim_due("plans", 60, NOW - timedelta(days=1)),
        # Several modems: the modem filter rides in the claim's WHERE, on the same index.
        "claim (one of several modems)": lambda: store.claim_due("plans", 60, NOW - timedelta(days=1),
                                                                 modem="front"),
        "claim (takeover)": lambda: store.claim_due("plans", 60, NOW - timedelta(days=1), modem="front",
                                                    takeover_after=timedelta(minutes=30)),
        "idle pass: next due (one of several modems)": lambda: store.next_due_at(modem="front"),
        "idle pass: next due (takeover)": lambda: store.next_due_at(modem="front",
                                                                    takeover_after=timedelta(minutes=30)),
        "staff answer: the customer's SIM": lambda: store.queue_message(number, "staff_reply", "On our way", NOW),
        "status report": lambda: store.mark_delivered(17, number, True, NOW),
        "staff forward": lambda: store.last_forward_to(number),
        "inbox": lambda: store.inbox(),
        "inbox --all": lambda: store.inbox(include_read=True, limit=50),
        "thread": lambda: store.thread_items(number),
        "calls": lambda: store.call_report(since, limit=500),
        "calls --skipped": lambda: store.call_report(since, skipped_only=True, limit=500),
        "stats": lambda: store.stats(since, ZoneInfo("America/New_York")),
        "status queue": lambda: store.queue_summary(NOW),
        "export --since": lambda: store.export_rows(since),
        "purge": lambda: store.purge_before(NOW - timedelta(days=400), batch=100),
    }


def _statements_of(run) -> list[tuple[str, tuple]]:
    """The SQL statements (with their parameters) that `run()` sends, as peewee logs them."""
    handler = _SQL()
    peewee_log = logging.getLogger("peewee")
    peewee_log.addHandler(handler)
    old_level = peewee_log.level
    peewee_log.setLevel(logging.DEBUG)
    try:
        run()
    finally:
        peewee_log.removeHandler(handler)
        peewee_log.setLevel(old_level)
    return handler.statements


def test_no_hot_query_reads_a_whole_table(history):
    failures = {}
    for verb, run in _hot_queries(history).items():
        statements = _statements_of(run)
        assert statements, f"{verb}: no SQL seen; the capture is broken"
        for sql, params in statements:
            if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
                scans = _scans(history, sql, params)
                if scans:
                    failures.setdefault(verb, []).append(f"{'; '.join(scans)} in {sql[:160]}")
    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in failures.items())


def test_the_modem_filter_rides_in_the_claims_own_statements(history):
    """Several modems: no statement more per text; the filter is in the claim's WHERE, and
    the pick still walks message_status_due_at."""
    at = NOW - timedelta(days=1)
    plain = _statements_of(lambda: history.claim_due("plans", 60, at))
    for takeover in (None, timedelta(minutes=30)):
        filtered = _statements_of(lambda: history.claim_due("plans", 60, at, modem="front",
                                                            takeover_after=takeover))
        assert len(filtered) == len(plain)
        [pick] = [(sql, params) for sql, params in filtered if sql.lstrip().upper().startswith("SELECT")]
        assert '"modem" IS NULL' in pick[0] and '"modem" = ?' in pick[0] and "front" in pick[1]
        plan = " ".join(row[-1] for row in history.db.execute_sql("EXPLAIN QUERY PLAN " + pick[0],
                                                                  pick[1]).fetchall())
        assert "message_status_due_at" in plan, plan
