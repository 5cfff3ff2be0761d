"""The owner's `stats` (issue 14): leads recovered and the rate, unanswered replies, staff
response time, periods by date and by name, lines shown as numbers."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from cli_helpers import make_site, run
from owner_shop import LINE1, LINE2, seed_owner_shop

from textback.commands.periods import parse_period

NY = ZoneInfo("America/New_York")
NOVEMBER = ("--since", "2026-11-01", "--until", "2026-11-30")


@pytest.fixture
def site(tmp_path):
    site = make_site(tmp_path)
    with site.store() as store:
        seed_owner_shop(store)
    return site


def test_stats_counts_leads_recovered_unanswered_replies_and_staff_speed(site):
    data = json.loads(run(site, "stats", *NOVEMBER, "--json").output)
    t = data["totals"]
    assert (t["missed_calls"], t["texted"], t["replied"]) == (7, 4, 2)
    # A replied, B got through on a second call, D replied, F was called back; G never reached.
    assert (t["leads"], t["recovered"], t["recovery_rate"]) == (5, 4, 0.8)
    assert t["unanswered_replies"] == 1                      # D's, nobody answered it
    assert t["staff_response_median_seconds"] == 240.0       # A waited 4 minutes
    assert [(d["day"], d["missed_calls"], d["recovered"]) for d in data["by_day"]] == [
        ("2026-11-02", 3, 2), ("2026-11-03", 4, 2)]
    assert {r["line"]: r["recovered"] for r in data["by_line"]} == {"": 0, LINE1: 2, LINE2: 2}
    assert data["since"] == "2026-11-01T00:00:00-04:00" and data["until"] == "2026-12-01T00:00:00-05:00"


def test_stats_table_says_it_in_words_and_lines_as_numbers(site):
    out = run(site, "stats", *NOVEMBER).output
    assert out.startswith("From 2026-11-01 00:00 to 2026-12-01 00:00 (2026-11-01 to 2026-11-30):")
    assert ("  leads recovered 4 of 5 caller(s) (80%): replied, were called back, or called again and got through"
            in out)
    assert "  unanswered replies 1 (see them with: textback inbox)" in out
    assert "  staff answered a text in: median 4m" in out
    assert "(212) 555-0100" in out and "(212) 555-0199" in out and "(no line)" in out
    assert "2125550100" not in out
    rows = list(csv.DictReader(io.StringIO(run(site, "stats", *NOVEMBER, "--csv").output)))
    assert rows[0]["recovered"] == "4" and rows[0]["staff_response_median_seconds"] == "240.0"


def test_a_period_outside_the_calls_is_empty_and_bad_periods_say_what_to_write(site):
    assert "No missed calls" in run(site, "stats", "--since", "2026-10-01", "--until", "2026-10-31").output
    one_day = json.loads(run(site, "stats", "--since", "2026-11-03", "--until", "2026-11-03", "--json").output)
    assert one_day["totals"]["missed_calls"] == 4
    bad = run(site, "stats", "--since", "sometime")
    assert bad.exit_code == 2 and '"2026-11-01"' in bad.output and "last-month" in bad.output
    backwards = run(site, "stats", "--since", "2026-11-05", "--until", "2026-11-01")
    assert backwards.exit_code == 2 and "is not after" in backwards.output


@pytest.mark.parametrize("since, until, expected", [
    ("this-month", None, ("2026-12-01 00:00", None)),
    ("last-month", None, ("2026-11-01 00:00", "2026-12-01 00:00")),
    ("last-month", "2026-11-15", ("2026-11-01 00:00", "2026-11-16 00:00")),
    ("yesterday", None, ("2026-12-09 00:00", "2026-12-10 00:00")),
    ("this-week", None, ("2026-12-07 00:00", None)),
    ("2026-11-01 09:30", None, ("2026-11-01 09:30", None)),
    ("7d", None, ("2026-12-03 12:00", None)),
])
def test_periods_are_the_shops_days_and_months(since, until, expected):
    now = datetime(2026, 12, 10, 17, 0, tzinfo=timezone.utc)        # Thursday, 12:00 in New York
    period = parse_period(since, until, NY, now=now)
    shown = tuple(p.astimezone(NY).strftime("%Y-%m-%d %H:%M") if p else None for p in (period.since, period.until))
    assert shown == expected
