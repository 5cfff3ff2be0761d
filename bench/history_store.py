"""A store with years of settled history, written with plain SQL into the project's schema.

One job: give the benchmark (and the query-plan and retention tests) a real SQLite file
holding `calls` old calls and `messages` old messages, as a shop would have after years,
fast enough to build a million rows in seconds (one transaction, executemany). The
schema itself comes from `Store.open`, so the file is exactly what textback writes.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from store import Store, times

# Fictional numbers: 555-0100..0199 in many NANP area codes (N0X..N8X, no N11); New York's
# own codes are left for today's callers (live_number), so none of them has a history.
LIVE_AREAS = (212, 646, 718, 917, 347, 332)
_AREAS = [a for a in range(201, 990) if a // 10 % 10 != 9 and a % 100 != 11 and a not in LIVE_AREAS][:400]


def live_number(n: int) -> str:
    """The n-th (0..599) fictional caller with no history: +1 {212,646,...} 555 01NN."""
    return f"+1{LIVE_AREAS[(n // 100) % len(LIVE_AREAS)]}55501{n % 100:02d}"


def history_number(n: int) -> str:
    """The n-th fictional caller: +1 AAA 555 01NN."""
    return f"+1{_AREAS[(n // 100) % len(_AREAS)]}55501{n % 100:02d}"


def build_history(path: str | Path, calls: int, messages: int, *, end: datetime,
                  span: timedelta = timedelta(days=730), opted_out_every: int = 97) -> Path:
    """Create the store at `path` (it must not exist) with `calls` calls and `messages`
    messages spread evenly over `span` before `end`, every one settled (texted and
    delivered, or a reply already read). One contact in `opted_out_every` opted out
    at the start of the span. Returns the path."""
    path = Path(path)
    Store.open(f"sqlite:///{path}").close()
    contacts = max(1, min(max(calls, messages) // 10, len(_AREAS) * 100))
    start = end - span
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # No journal while building a new file (a crash leaves a file to delete anyway): the
        # rows are written once, not to the WAL and then again to the database.
        try:
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute("PRAGMA journal_mode = OFF")
            unjournaled = True
        except sqlite3.OperationalError:     # another connection has it open: through the WAL
            unjournaled = False
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        # Indexes built once after the rows, not kept up row by row: several times faster.
        indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                               "AND sql IS NOT NULL AND tbl_name IN ('call', 'message')").fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        early = times.to_db(start)
        conn.executemany(
            "INSERT INTO contact (id, number, name, opted_out, opted_out_at, blocked, created_at, updated_at) "
            "VALUES (?, ?, '', ?, ?, 0, ?, ?)",
            ((c + 1, history_number(c), c % opted_out_every == 1, early if c % opted_out_every == 1 else None,
              early, early) for c in range(contacts)))
        conn.executemany(
            "INSERT INTO opt_out_event (contact_id, number, action, keyword, source, at) "
            "VALUES (?, ?, 'opt_out', 'STOP', 'sms', ?)",
            ((c + 1, history_number(c), early) for c in range(1, contacts, opted_out_every)))
        step = span / max(calls, messages, 1)

        def at(i: int) -> str:
            return times.to_db(start + step * i)

        conn.executemany(
            "INSERT INTO call (id, uniqueid, linkedid, caller_raw, caller_name, caller_presentation, "
            "business_line, disposition, queue_status, reason, direction, happened_at, source, note, "
            "caller_number, region, contact_id, state, skip_reason, recorded_at, planned_at) "
            "VALUES (?, ?, '', ?, '', 'allowed_passed_screen', '2125550100', 'NOANSWER', '', '', 'in', ?, "
            "'agi', '', ?, 'US', ?, 'planned', NULL, ?, ?)",
            ((i + 1, f"history.{i}", history_number(i % contacts), at(i), history_number(i % contacts),
              i % contacts + 1, at(i), at(i)) for i in range(calls)))
        # Two of three messages are the first text of a call (delivered); the third a reply, read.
        conn.executemany(
            "INSERT INTO message (id, contact_id, call_id, number, direction, kind, step, body, status, "
            "due_at, attempts, modem_reference, created_at, sent_at, delivered_at, read_at, received_at, "
            "inbound_key, parts) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1)",
            (_message(i, contacts, calls, at(i)) for i in range(messages)))
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        # Planner statistics as the migration leaves them (store.migrations.refresh_statistics).
        conn.execute("PRAGMA analysis_limit = 1000")
        conn.execute("ANALYZE")
        if unjournaled:
            conn.execute("PRAGMA journal_mode = WAL")      # as textback runs it
    finally:
        conn.close()
    return path


def _message(i: int, contacts: int, calls: int, at: str) -> tuple:
    contact = i % contacts
    number = history_number(contact)
    if i % 3 != 2:
        return (i + 1, contact + 1, i + 1 if i < calls else None, number, "out", "text_back",
                "Sorry we missed your call! How can we help?", "delivered", at, 1, i % 256, at, at, at,
                None, None)
    return (i + 1, contact + 1, None, number, "in", "reply", "Thanks, call me back please",
            "received", None, 0, None, at, None, None, at, at)


def add_recent_traffic(path: str | Path, *, now: datetime, calls: int = 300, replies: int = 60,
                       unread: int = 20, callers: int = 30) -> None:
    """The same last week on any store: `calls` calls from its first `callers` contacts,
    each texted, `replies` replies of which `unread` not read yet (what the inbox shows)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        call_id = (conn.execute("SELECT max(id) FROM call").fetchone()[0] or 0) + 1
        message_id = (conn.execute("SELECT max(id) FROM message").fetchone()[0] or 0) + 1
        numbers = dict(conn.execute("SELECT id, number FROM contact WHERE id <= ?", (callers,)).fetchall())
        week = timedelta(days=7)
        for i in range(calls):
            contact = i % len(numbers) + 1
            at = times.to_db(now - week + week * i / calls)
            conn.execute(
                "INSERT INTO call (id, uniqueid, linkedid, caller_raw, caller_name, caller_presentation, "
                "business_line, disposition, queue_status, reason, direction, happened_at, source, note, "
                "caller_number, region, contact_id, state, skip_reason, recorded_at, planned_at) "
                "VALUES (?, ?, '', ?, 'Dana', 'allowed_passed_screen', '2125550100', 'NOANSWER', '', '', 'in', "
                "?, 'agi', '', ?, 'US', ?, 'planned', NULL, ?, ?)",
                (call_id + i, f"recent.{i}", numbers[contact], at, numbers[contact], contact, at, at))
            conn.execute(
                "INSERT INTO message (id, contact_id, call_id, number, direction, kind, step, body, status, "
                "due_at, attempts, modem_reference, created_at, sent_at, delivered_at, parts) "
                "VALUES (?, ?, ?, ?, 'out', 'text_back', 0, 'Sorry we missed your call!', 'delivered', "
                "?, 1, ?, ?, ?, ?, 1)",
                (message_id + i, contact, call_id + i, numbers[contact], at, i % 256, at, at, at))
        message_id += calls
        for i in range(replies):
            contact = i % len(numbers) + 1
            at = times.to_db(now - week + week * (i + 0.5) / replies)
            read = None if i >= replies - unread else at
            conn.execute(
                "INSERT INTO message (id, contact_id, number, direction, kind, step, body, status, attempts, "
                "created_at, received_at, read_at, parts) "
                "VALUES (?, ?, ?, 'in', 'reply', 0, 'Yes please, the boiler again', 'received', 0, ?, ?, ?, 1)",
                (message_id + i, contact, numbers[contact], at, at, read))
        conn.execute("COMMIT")
    finally:
        conn.close()
