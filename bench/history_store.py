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

# Fictional numbers: 555-0100..0199 in many NANP area codes (N0X..N8X, no N11).
_AREAS = [a for a in range(201, 990) if a // 10 % 10 != 9 and a % 100 != 11][:400]


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
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
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
        conn.execute("COMMIT")
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
