"""The receptionist's day (issue 14), through the real CLI on a real SQLite store.

Tables fit the terminal and never cut a customer's words; a conversation stays in the
inbox until someone answers it or marks it done; every staff text says who sent it;
a second answer within 10 minutes is held back; staff phones are never customers;
ids work wherever a number does; search; the worker's state in reply and status.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from cli_helpers import _call, make_site, run
from click.testing import CliRunner

from store.facts import CallPlan, PlannedMessage
from textback.cli import main

ZOE, MARCO, STAFF = "+12125550123", "+12125550157", "+12125550188"
T0 = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)       # 09:00 in New York
LONG = ("Hello, this is Zoë from the bakery on 5th. Our walk-in fridge stopped cooling overnight and the "
        "compressor makes a loud clicking noise every few seconds; we have about 200 pounds of butter and "
        "cream in there. Could someone come before 11am today? Use the side door on Elm Street, code 4521. "
        "Thank you")


def seed(site, *, answered_by: str | None = None) -> None:
    """Zoë's missed call, the text back (delivered), her 300-character reply; optionally an answer."""
    with site.store() as store:
        call = _call(store, "c1", ZOE, "Zoë 🚀", T0)
        store.plan_call(call, CallPlan(ZOE, region="US", messages=(
            PlannedMessage("text_back", "Hi, this is Café Zoë. Sorry we missed you!", T0 + timedelta(seconds=30)),)),
            now=T0)
        claimed = store.claim_due("t", 60, now=T0 + timedelta(seconds=30))
        store.mark_sent(claimed.id, 7, "t", now=T0 + timedelta(seconds=31))
        store.mark_delivered(7, ZOE, True, T0 + timedelta(seconds=40))
        store.record_inbound(ZOE, LONG, T0 + timedelta(minutes=5), key="k1")
        if answered_by:
            answer = store.queue_message(ZOE, "staff_reply", "On our way, about 40 minutes.",
                                         T0 + timedelta(minutes=8), sent_by=answered_by)
            # Queued "at 09:08": the store stamps created_at with the clock, the test needs a fixed one.
            Message = store.models.Message
            Message.update(created_at=T0 + timedelta(minutes=8)).where(Message.id == answer).execute()


def at_width(site, columns: int, *args: str):
    result = CliRunner().invoke(main, ["--config", str(site.config), *args], env={"COLUMNS": str(columns)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.fixture
def site(tmp_path):
    site = make_site(tmp_path, extra=f'[staff]\nnumbers = ["{STAFF}"]\n')
    seed(site)
    return site


def test_long_text_is_whole_in_every_row(site):
    assert len(LONG) == 300


INBOX_80 = """\
ID  NUMBER          NAME    UNREAD  LAST REPLY        OPTED OUT
1   (212) 555-0123  Zoë 🚀  1       2026-11-23 09:05
    Hello, this is Zoë from the bakery on 5th. Our walk-in fridge stopped
    cooling overnight and the compressor makes a loud clicking noise every few
    seconds; we have about 200 pounds of butter and cream in there. Could
    someone come before 11am today? Use the side door on Elm Street, code 4521.
    Thank you
textback thread ID to read one, reply ID "text" to answer, done ID to close it
"""

INBOX_200 = """\
ID  NUMBER          NAME    UNREAD  LAST REPLY        OPTED OUT  TEXT
1   (212) 555-0123  Zoë 🚀  1       2026-11-23 09:05             Hello, this is Zoë from the bakery on 5th. Our walk-in fridge stopped cooling overnight and the compressor makes a loud clicking noise
                                                                 every few seconds; we have about 200 pounds of butter and cream in there. Could someone come before 11am today? Use the side door on
                                                                 Elm Street, code 4521. Thank you
textback thread ID to read one, reply ID "text" to answer, done ID to close it
"""


@pytest.mark.parametrize("columns, expected", [(80, INBOX_80), (200, INBOX_200)])
def test_inbox_fits_the_terminal_and_shows_the_whole_text(site, columns, expected):
    out = at_width(site, columns, "inbox").output
    assert out == expected
    assert max(len(line) for line in out.splitlines()[:-1]) <= columns
    assert " ".join(" ".join(out.split()).split()).count("Thank you") == 1


THREAD_80 = """\
Thread with (212) 555-0123 (Zoë 🚀): answered by alice at 2026-11-23 09:08
WHEN              DIR  WHAT           STATE               ID
2026-11-23 09:00  in   call NOANSWER  texted (delivered)  1
    Zoë 🚀
2026-11-23 09:00  out  text_back      delivered           1
    Hi, this is Café Zoë. Sorry we missed you!
2026-11-23 09:05  in   reply          received            2
    Hello, this is Zoë from the bakery on 5th. Our walk-in fridge stopped
    cooling overnight and the compressor makes a loud clicking noise every few
    seconds; we have about 200 pounds of butter and cream in there. Could
    someone come before 11am today? Use the side door on Elm Street, code 4521.
    Thank you
2026-11-23 09:08  out  staff_reply    scheduled           3
    by alice
    On our way, about 40 minutes.
Answer with: textback reply 1 "your text"
"""

THREAD_200 = """\
Thread with (212) 555-0123 (Zoë 🚀): answered by alice at 2026-11-23 09:08
WHEN              DIR  WHAT           STATE               ID  DETAIL    TEXT
2026-11-23 09:00  in   call NOANSWER  texted (delivered)  1   Zoë 🚀
2026-11-23 09:00  out  text_back      delivered           1             Hi, this is Café Zoë. Sorry we missed you!
2026-11-23 09:05  in   reply          received            2             Hello, this is Zoë from the bakery on 5th. Our walk-in fridge stopped cooling overnight and the compressor makes a loud clicking
                                                                        noise every few seconds; we have about 200 pounds of butter and cream in there. Could someone come before 11am today? Use the
                                                                        side door on Elm Street, code 4521. Thank you
2026-11-23 09:08  out  staff_reply    scheduled           3   by alice  On our way, about 40 minutes.
Answer with: textback reply 1 "your text"
"""


@pytest.mark.parametrize("columns, expected", [(80, THREAD_80), (200, THREAD_200)])
def test_thread_fits_the_terminal_and_never_cuts_the_customer(tmp_path, columns, expected):
    site = make_site(tmp_path)
    seed(site, answered_by="alice")
    out = at_width(site, columns, "thread", "1").output
    assert out == expected
    assert max(len(line) for line in out.splitlines()) <= columns


def test_json_and_csv_do_not_depend_on_the_terminal(site):
    narrow, wide = at_width(site, 40, "thread", "1", "--json").output, at_width(site, 250, "thread", "1", "--json").output
    assert narrow == wide and json.loads(narrow)[2]["body"] == LONG
    assert at_width(site, 40, "inbox", "--csv").output == at_width(site, 250, "inbox", "--csv").output


def inbox_numbers(site, *args: str) -> list[str]:
    return [r["number"] for r in json.loads(run(site, "inbox", "--json", *args).output)]


def states(site) -> dict[str, str]:
    return {r["number"]: r["state"] for r in json.loads(run(site, "inbox", "--all", "--json").output)}


def test_a_conversation_stays_until_answered_or_done(site):
    assert inbox_numbers(site) == [ZOE]
    run(site, "thread", "1")
    run(site, "thread", ZOE, "--json")
    assert inbox_numbers(site) == [ZOE]                        # reading changes nothing
    assert run(site, "reply", "1", "On our way", "--as", "alice").exit_code == 0
    assert inbox_numbers(site) == [] and states(site) == {ZOE: "answered"}
    with site.store() as store:                                 # she writes again: back in the inbox
        store.record_inbound(ZOE, "Thanks! Side door is open.", datetime.now(timezone.utc), key="k2")
    assert inbox_numbers(site) == [ZOE]
    assert json.loads(run(site, "inbox", "--json").output)[0]["unread"] == 1
    done = run(site, "done", "1")
    assert done.exit_code == 0 and "Undo with: textback undone 1" in done.output
    assert inbox_numbers(site) == [] and states(site) == {ZOE: "done"}
    assert "done" in run(site, "inbox", "--all").output
    assert run(site, "undone", ZOE).exit_code == 0
    assert inbox_numbers(site) == [ZOE] and states(site) == {ZOE: "open"}
    nobody = run(site, "done", MARCO)
    assert nobody.exit_code == 1 and "never replied" in nobody.output


def test_every_staff_text_says_who_sent_it(site, monkeypatch):
    monkeypatch.setenv("SUDO_USER", "maria")
    assert run(site, "reply", "1", "Booked for 10:30").exit_code == 0
    item = json.loads(run(site, "thread", "1", "--json").output)[-1]
    assert (item["kind"], item["sent_by"]) == ("staff_reply", "maria")
    assert "by maria" in run(site, "thread", "1").output
    rows = list(csv.DictReader(io.StringIO(run(site, "export", "--csv").output)))
    assert [r["sent_by"] for r in rows if r["kind"] == "staff_reply"] == ["maria"]
    assert json.loads(run(site, "inbox", "--all", "--json").output)[0]["answered_by"] == "maria"


def test_a_second_answer_within_ten_minutes_is_held_until_forced(site):
    assert run(site, "reply", "1", "On our way", "--as", "alice").exit_code == 0
    again = run(site, "reply", "1", "Coming now!", "--as", "bob")
    assert again.exit_code == 1
    assert 'alice already answered (212) 555-0123 less than a minute ago: "On our way"' in again.output
    assert "--force" in again.output
    assert run(site, "reply", "1", "Me again", "--as", "alice").exit_code == 0     # the same person: no warning
    forced = run(site, "reply", "1", "Coming now!", "--as", "bob", "--force")
    assert forced.exit_code == 0
    sent = [(i["sent_by"], i["body"]) for i in json.loads(run(site, "thread", "1", "--json").output)
            if i["kind"] == "staff_reply"]
    assert sent == [("alice", "On our way"), ("alice", "Me again"), ("bob", "Coming now!")]


def test_a_staff_phone_answer_records_its_number_and_is_held_after_a_terminal_answer(site):
    from modem.worker.conversation import Conversation
    from modem.worker.reassembly import InboundText
    from textback.config import load_config
    from textback.worker_settings import worker_settings

    settings = worker_settings(load_config(str(site.config)), allow_fictional=True)
    assert settings.staff_numbers == (STAFF,)
    now = datetime.now(timezone.utc)
    with site.store() as store:
        talk = Conversation(store, settings)
        first = talk.receive(InboundText(STAFF, f"#{ZOE} Be there at 10", now, "s1"), now)
        assert first.action == "staff_reply"
        assert store.message(first.queued[0]).sent_by == STAFF
    assert run(site, "reply", "1", "Or 10:15", "--as", "alice", "--force").exit_code == 0
    with site.store() as store:
        talk = Conversation(store, settings)
        held = talk.receive(InboundText(STAFF, f"#{ZOE} Make it 10:30", now, "s2"), now)
        assert held.action == "staff_held"
        note = store.message(held.queued[0])
        assert note.number == STAFF and "alice answered" in note.body and f"#{ZOE}!" in note.body
        forced = talk.receive(InboundText(STAFF, f"#{ZOE}! Make it 10:30", now, "s3"), now)
        assert forced.action == "staff_reply" and store.message(forced.queued[0]).body == "Make it 10:30"
    # The staff phone's own texts to the modem never make it a customer.
    assert inbox_numbers(site, "--all") == [ZOE]


def test_a_staff_phone_is_never_listed_as_a_customer(site):
    with site.store() as store:
        # Filed as a customer reply (as it would be before the number was in [staff] numbers).
        store.record_inbound(STAFF, "#12 On our way", datetime.now(timezone.utc), key="s1", kind="reply")
        store.record_inbound(STAFF, "#12 again", datetime.now(timezone.utc), key="s2", kind="staff")
    assert inbox_numbers(site, "--all") == [ZOE]
    assert "555-0188" not in run(site, "inbox", "--all").output
    assert STAFF not in {r["number"] for r in json.loads(run(site, "search", "again", "--json").output)}


def test_ids_work_wherever_a_number_does(site):
    assert "Queued reply" in run(site, "reply", "#1", "Hello").output
    blocked = run(site, "block", "1")
    assert blocked.exit_code == 0 and "Blocked (212) 555-0123" in blocked.output
    assert run(site, "unblock", "1").exit_code == 0
    assert run(site, "reply", "42", "Hello").exit_code == 2
    assert "no contact with ID 42" in run(site, "reply", "42", "Hello").output


def test_follow_lines_carry_the_contact_id(site):
    import threading

    def later():
        with site.store() as store:
            store.record_inbound(MARCO, "Are you open Sunday?", datetime.now(timezone.utc), key="f1")
    threading.Timer(0.3, later).start()
    result = run(site, "inbox", "--follow", "--interval", "0.05", "--count", "1", "--for", "10", "--json")
    reply = json.loads(result.output.splitlines()[-1])
    assert reply["body"] == "Are you open Sunday?" and reply["contact_id"] == 2


def test_search_by_name_number_and_text(site):
    by_name = json.loads(run(site, "search", "zoë", "--json").output)
    assert (by_name[0]["number"], by_name[0]["match"]) == (ZOE, "name")
    by_number = json.loads(run(site, "search", "555-0123", "--json").output)
    assert [(r["contact_id"], r["match"]) for r in by_number] == [(1, "number")]
    by_text = json.loads(run(site, "search", "walk-in fridge", "--json").output)
    assert [(r["match"], r["text"]) for r in by_text] == [("message", LONG)]
    table = run(site, "search", "FRIDGE").output
    assert "Thank you" in table and "textback thread ID" in table
    assert "Nothing found" in run(site, "search", "100%").output       # a LIKE wildcard is just a character
    assert run(site, "search", "x").exit_code == 2


def test_export_takes_csv_and_excel_gets_a_bom(site):
    plain = run(site, "export", "--csv").output
    assert plain.startswith("record,id,at,")
    excel = run(site, "export", "--excel").output
    assert excel.startswith("\ufeffrecord,id,at,") and excel[1:] == plain
    assert run(site, "inbox", "--excel").output.startswith("\ufeffcontact_id,")
    assert run(site, "inbox", "--csv").output.startswith("contact_id,")
    assert run(site, "inbox", "--json", "--excel").exit_code == 2


def test_reply_says_plainly_when_the_worker_is_not_running(site):
    never = run(site, "reply", "1", "Hello")
    assert "it waits until the worker runs: the worker has never run" in never.output
    now = datetime.now(timezone.utc)
    with site.store() as store:
        store.write_worker_status(beat_at=now, beat_seconds=5.0, stopped_at=None, pid=1)
    assert "the worker sends it within seconds" in run(site, "reply", "1", "Hi", "--force").output
    with site.store() as store:                     # three intervals and a bit without a beat
        store.write_worker_status(beat_at=now - timedelta(seconds=16))
    stale = run(site, "reply", "1", "Hi", "--force").output
    assert "the worker is NOT RUNNING" in stale and "systemctl start textback-worker" in stale
    assert "NOT RUNNING" in run(site, "status").output
    with site.store() as store:
        store.write_worker_status(beat_at=now, stopped_at=now)
    assert "the worker is STOPPED" in run(site, "reply", "1", "Hi", "--force").output
    assert "STOPPED cleanly" in run(site, "status").output
    assert json.loads(run(site, "status", "--json").output)["worker_state"] == "stopped"


def test_thread_by_name_when_it_names_one_customer(site):
    with site.store() as store:
        store.record_inbound(MARCO, "Hi", datetime.now(timezone.utc), key="m1")
        call = _call(store, "c9", MARCO, "Marco Rossi", T0 + timedelta(hours=1))
        store.plan_call(call, CallPlan(MARCO, region="US"), now=T0)
    assert json.loads(run(site, "thread", "marco", "--json").output)[0]["detail"] == "Marco Rossi"
    assert "Thread with (212) 555-0123 (Zoë 🚀)" in run(site, "thread", "Zoë").output
    nobody = run(site, "thread", "Quentin")
    assert nobody.exit_code == 2 and "nor a name anyone called with" in nobody.output
    with site.store() as store:
        other = _call(store, "c10", "+12125550177", "Zoë Martin", T0 + timedelta(hours=2))
        store.plan_call(other, CallPlan("+12125550177", region="US"), now=T0)
    two = run(site, "thread", "Zoë")
    assert two.exit_code == 2 and "2 customers are called 'Zoë'" in two.output and "ID 1 Zoë 🚀" in two.output


def test_a_cancelled_follow_up_sits_where_it_was_cancelled_not_at_its_due_time(tmp_path):
    site = make_site(tmp_path)
    with site.store() as store:
        call = _call(store, "c1", ZOE, "Zoë", T0)
        store.plan_call(call, CallPlan(ZOE, region="US", messages=(
            PlannedMessage("text_back", "Hi from Café Zoë", T0),
            PlannedMessage("follow_up", "Still need help?", T0 + timedelta(days=1), 1))), now=T0)
        claimed = store.claim_due("t", 60, now=T0)
        store.mark_sent(claimed.id, 1, "t", now=T0 + timedelta(seconds=2))
        store.record_inbound(ZOE, "Yes, tomorrow", T0 + timedelta(minutes=5), key="r")
        store.cancel_pending(ZOE, "replied", kinds=("follow_up",))
    items = json.loads(run(site, "thread", ZOE, "--json").output)
    assert [(i["kind"], i["state"]) for i in items] == [
        ("NOANSWER", "planned"), ("text_back", "sent"), ("reply", "received"), ("follow_up", "cancelled")]
    follow_up = items[-1]
    assert follow_up["at"] == items[-2]["at"] and follow_up["due_at"] == "2026-11-24T09:00:00-05:00"
    assert items[0]["outcome"] == "texted"
    table = at_width(site, 200, "thread", ZOE).output
    assert "replied; was due 2026-11-24 09:00" in table and "call NOANSWER  texted" in table


def test_lines_as_the_trunk_gives_them_are_shown_as_numbers(tmp_path):
    site = make_site(tmp_path)
    with site.store() as store:
        call = _call(store, "c1", ZOE, "Zoë", T0, line="2125550100")
        store.plan_call(call, CallPlan(None, skip_reason="stale"), now=T0)
    out = at_width(site, 200, "calls", "--since", "3650d").output
    assert "(212) 555-0100" in out and "2125550100" not in out
    assert json.loads(run(site, "calls", "--since", "3650d", "--json").output)[0]["business_line"] == "2125550100"


def test_the_calls_table_fits_80_columns_and_shows_everything_at_200(site):
    narrow = at_width(site, 80, "calls", "--since", "3650d").output
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert narrow.splitlines()[0].split() == ["ID", "WHEN", "CALLER", "NAME", "STATUS", "WHAT", "HAPPENED"]
    wide = at_width(site, 200, "calls", "--since", "3650d").output
    assert "LINE" in wide and "TEXT SENT" in wide and "(212) 555-0100" in wide


def test_test_call_says_the_worker_is_not_running(site):
    result = run(site, "test-call", "--from", "+12125550143")
    assert result.exit_code == 0, result.output
    assert "No text yet: the worker has never run on this store" in result.output
