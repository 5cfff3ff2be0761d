"""Staff listings through the real CLI (CliRunner) on a real SQLite store: table, --json, --csv."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest
from cli_helpers import UK, US, US2, fill, make_site, run


@pytest.fixture
def site(tmp_path):
    site = make_site(tmp_path)
    site.ids = fill(site)
    return site


def rows_of(output: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(output)))


def test_inbox_table_shows_unread_first_with_local_numbers_and_non_ascii(site):
    result = run(site, "inbox")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["ID", "NUMBER", "NAME", "UNREAD"]
    assert "(212) 555-0123" in result.output and "Zoë 🚀" in result.output
    assert "👍 ça marche" in result.output and "Jürgen" in result.output


def test_inbox_json_and_csv_keep_e164_and_offset_times(site):
    data = json.loads(run(site, "inbox", "--json").output)
    assert {r["number"] for r in data} == {US, US2}
    zoe = next(r for r in data if r["number"] == US)
    assert zoe["unread"] == 1 and zoe["name"] == "Zoë 🚀"
    assert zoe["last_reply_at"].endswith(("-05:00", "-04:00"))   # America/New_York, not UTC
    rows = rows_of(run(site, "inbox", "--csv").output)
    assert [r["number"] for r in rows] == [r["number"] for r in data]
    assert rows[0].keys() == data[0].keys()


def test_thread_lists_calls_and_messages_in_order_and_changes_nothing(site):
    data = json.loads(run(site, "thread", "212-555-0123", "--json").output)
    assert [(i["item"], i["kind"], i["state"]) for i in data] == [
        ("call", "NOANSWER", "planned"), ("message", "text_back", "delivered"),
        ("message", "reply", "received"), ("message", "follow_up", "scheduled")]
    # Issue 14: opening a thread used to mark it read and take it out of the inbox.
    assert [r["number"] for r in json.loads(run(site, "inbox", "--json").output)] == [US2, US]
    table = run(site, "thread", US).output
    assert "Thread with (212) 555-0123 (Zoë 🚀)" in table and "delivered" in table
    assert rows_of(run(site, "thread", US, "--csv").output)[1]["state"] == "delivered"


def test_thread_by_contact_id_and_failed_reason(site):
    with site.store() as store:
        msg = store.queue_message(US2, "staff_reply", "Réponse", due_at=datetime.now(timezone.utc))
        store.mark_failed(msg, "+CMS ERROR: 500 unknown error")
    contact_id = next(r["contact_id"] for r in json.loads(run(site, "inbox", "--all", "--json").output)
                      if r["number"] == US2)
    data = json.loads(run(site, "thread", str(contact_id), "--json").output)
    failed = next(i for i in data if i["id"] == msg)
    assert failed["state"] == "failed" and "CMS ERROR: 500" in failed["detail"]
    bad = run(site, "thread", "99999")
    assert bad.exit_code == 2 and "no contact with ID 99999" in bad.output
    junk = run(site, "thread", "not-a-number")
    assert junk.exit_code == 2 and "not a phone number" in junk.output


def test_reply_queues_a_staff_reply_due_now_and_warns_about_ucs2(site):
    result = run(site, "reply", "(212) 555-0123", "Bien sûr, à 15h 😊")
    assert result.exit_code == 0
    assert "UCS-2" in result.output and "Queued reply" in result.output
    with site.store() as store:
        last = store.thread(US)[-1]
    assert (last.kind, last.status, last.body) == ("staff_reply", "scheduled", "Bien sûr, à 15h 😊")
    long = run(site, "reply", US, "x" * 200)
    assert "2 SMS parts" in long.output


def test_reply_refuses_opted_out_and_blocked_numbers_and_queues_nothing(site):
    with site.store() as before:
        count = len(before.thread(US2))
    refused = run(site, "reply", US2, "hello")
    assert refused.exit_code == 1 and "opted out" in refused.output and "nothing was queued" in refused.output
    run(site, "block", US)
    assert "blocked" in run(site, "reply", US, "hello").output
    with site.store() as after:
        assert len(after.thread(US2)) == count
    assert run(site, "reply", US, "  ").exit_code == 2


def test_calls_listing_says_what_happened(site):
    table = run(site, "calls").output
    assert "texted (delivered)" in table and "skipped: blocked_region" in table
    assert "Old" not in table                      # 20 days ago: outside the default 7d
    data = json.loads(run(site, "calls", "--skipped", "--since", "30d", "--json").output)
    assert [(r["caller"], r["skip_reason"]) for r in data] == [(UK, "blocked_region"), ("+12125550188", "stale")]
    rows = rows_of(run(site, "calls", "--csv").output)
    assert {r["outcome"] for r in rows} == {"texted", "texted (delivered)", "skipped: blocked_region"}


def test_stats_totals_speed_and_chart(site):
    data = json.loads(run(site, "stats", "--json").output)
    t = data["totals"]
    assert (t["missed_calls"], t["texted"], t["replied"], t["opt_outs"]) == (4, 2, 1, 1)
    assert t["reply_rate"] == 0.5                     # the STOP is not counted as a reply
    assert (t["median_seconds"], t["p90_seconds"]) == (86.0, 130.0)
    assert t["skipped"] == {"blocked_region": 1, "stale": 1}
    assert {r["line"]: r["missed_calls"] for r in data["by_line"]} == {"+12125550100": 3, "+12125550199": 1}
    table = run(site, "stats", "--since", "7d").output
    assert "reply rate 50%" in table and "median 86s" in table and "##." in table
    rows = rows_of(run(site, "stats", "--csv").output)
    assert rows[0]["scope"] == "total" and {r["scope"] for r in rows} == {"total", "line", "day"}
    assert run(site, "stats", "--since", "soon").exit_code == 2


def test_optouts_block_and_unblock(site):
    result = run(site, "block", "212 555 0123")
    assert result.exit_code == 0 and "1 scheduled text(s) cancelled" in result.output
    data = json.loads(run(site, "optouts", "--json").output)
    assert {(r["number"], r["opted_out"], r["blocked"]) for r in data} == {(US, False, True), (US2, True, False)}
    assert "Jürgen" in run(site, "optouts").output
    assert rows_of(run(site, "optouts", "--csv").output)[0].keys() == data[0].keys()
    assert run(site, "unblock", US).exit_code == 0
    again = run(site, "unblock", US)
    assert again.exit_code == 1 and "not blocked" in again.output
    assert [r["number"] for r in json.loads(run(site, "optouts", "--json").output)] == [US2]


def test_export_csv_and_json_for_a_crm(site, tmp_path):
    rows = rows_of(run(site, "export").output)
    assert [r["record"] for r in rows].count("call") == 4
    reply = next(r for r in rows if r["body"].startswith("Oui!"))
    assert reply["number"] == US and reply["name"] == "Zoë 🚀" and reply["direction"] == "in"
    target = tmp_path / "crm.csv"
    run(site, "export", "--since", "7d", "-o", str(target))
    written = target.read_text(encoding="utf-8-sig")
    assert "Åsa" in written and "Old" not in written
    assert json.loads(run(site, "export", "--json").output)[0]["record"] == "call"
    bad = run(site, "export", "-o", str(tmp_path / "no" / "dir" / "x.csv"))
    assert bad.exit_code == 1 and "cannot write" in bad.output


def test_json_and_csv_together_is_a_usage_error(site):
    result = run(site, "inbox", "--json", "--csv")
    assert result.exit_code == 2 and "choose one of --json and --csv" in result.output


def test_reply_measures_the_text_the_modem_will_get(tmp_path):
    # With [textback] emoji = "replace" the 🙂 becomes ":)" before sending: GSM-7, no warning.
    site = make_site(tmp_path, extra='[textback]\nemoji = "replace"\n')
    result = run(site, "reply", US, "See you at 3 🙂")
    assert result.exit_code == 0, result.output
    assert "UCS-2" not in result.output and "GSM-7" in result.output
    with site.store() as store:
        assert store.thread(US)[-1].body == "See you at 3 🙂"     # stored as staff wrote it
