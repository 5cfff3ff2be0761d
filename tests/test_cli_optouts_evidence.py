"""`textback optouts` shows each opt-out's evidence; `textback block` sends the one
confirmation unless told not to (CliRunner, real SQLite store)."""
from __future__ import annotations

import json

from cli_helpers import US, US2, fill, make_site, run


def test_block_without_a_confirmation_for_a_prank_number(tmp_path):
    site = make_site(tmp_path)
    fill(site)
    result = run(site, "block", "--no-confirmation", US)
    assert result.output == ("Blocked (212) 555-0123; 1 scheduled text(s) cancelled. "
                             f"Undo with: textback unblock {US}\n")
    with site.store() as store:
        assert not [m for m in store.thread(US) if m.kind == "keyword_reply"]


def test_block_queues_the_confirmation_once(tmp_path):
    site = make_site(tmp_path)
    fill(site)
    first = run(site, "block", US).output
    assert first == ("Blocked (212) 555-0123; 1 scheduled text(s) cancelled; the opt-out confirmation goes "
                     f"out once. Undo with: textback unblock {US}\n")
    assert run(site, "block", US).output == f"Blocked (212) 555-0123. Undo with: textback unblock {US}\n"
    with site.store() as store:
        assert len([m for m in store.thread(US) if m.kind == "keyword_reply"]) == 1


def test_optouts_json_carries_the_evidence(tmp_path):
    site = make_site(tmp_path)
    fill(site)
    [row] = json.loads(run(site, "optouts", "--json").output)
    assert list(row) == ["contact_id", "number", "name", "opted_out", "blocked", "wrong_number", "since", "how", "rule",
                         "matched", "text", "message_id", "evidence_at"]
    assert (row["number"], row["how"], row["message_id"] is not None) == (US2, "opt_out STOP (sms)", True)
    table = run(site, "optouts").output.splitlines()
    for heading in ("WRONG NUMBER", "RULE", "MATCHED", "MESSAGE", "MATCHED AT"):
        assert heading in table[0]


def test_unblock_of_a_callers_own_stop_says_only_they_can_undo_it(tmp_path):
    site = make_site(tmp_path)
    fill(site)                                  # US2 texted STOP
    result = run(site, "unblock", US2)
    assert result.exit_code == 1
    assert result.output == ("Error: (212) 555-0145 is not blocked: the caller opted out themselves, and only "
                             "they can undo that, by texting START to the shop's number\n")
