"""The renderer's rules: numbers in the shop's country form, local times, terminal widths."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import click
import pytest

from textback.output import Column, Renderer, format_number, truncate, visible, width


def test_numbers_are_national_at_home_and_international_abroad():
    assert format_number("+12125550123", "US") == "(212) 555-0123"
    assert format_number("+447700900123", "US") == "+44 7700 900123"
    assert format_number("+447700900123", "GB") == "07700 900123"
    assert format_number("+12125550123", "GB") == "+1 212-555-0123"
    assert format_number("anonymous", "US") == "anonymous"


def test_times_in_the_business_time_zone_across_dst():
    winter = datetime(2025, 1, 15, 17, 0, tzinfo=timezone.utc)
    summer = datetime(2025, 7, 15, 17, 0, tzinfo=timezone.utc)
    ny = Renderer(ZoneInfo("America/New_York"), "US")
    assert (ny.time(winter), ny.time(summer)) == ("2025-01-15 12:00", "2025-07-15 13:00")
    assert ny.machine(summer, "time") == "2025-07-15T13:00:00-04:00"
    london = Renderer(ZoneInfo("Europe/London"), "GB", "csv")
    out = london.listing([{"at": summer, "n": "+447700900123"}], [Column("at", "AT", "time"), Column("n", "N", "number")])
    assert out == "at,n\n2025-07-15T18:00:00+01:00,+447700900123"


def test_widths_count_emoji_and_accents_as_the_terminal_does():
    assert width("Zoë") == 3 and width("🚀") == 2 and width("e\u0301") == 1
    assert truncate("Zoë 🚀 says hello", 8) == "Zoë 🚀 …"
    assert truncate("two\nlines", 20) == "two lines"
    assert visible("ok é 🚀") == "ok é 🚀" and visible("a\x07b") == "a\\x07b"


def test_table_columns_line_up_with_wide_characters():
    out = Renderer(ZoneInfo("UTC"), "US").listing(
        [{"name": "🚀🚀", "n": 1}, {"name": "ab", "n": 2}], [Column("name", "NAME"), Column("n", "N", "int")])
    lines = click.unstyle(out).splitlines()   # the header is bold; click strips that off a pipe
    # The N column starts at the same terminal cell on every row, emoji or not.
    starts = [width(line[:line.rindex(ch)]) for line, ch in zip(lines, "N12")]
    assert starts == [6, 6, 6]


@pytest.mark.parametrize("seconds, shown", [(0.13, "0.1s"), (4.96, "5.0s"), (86, "86s"), (600, "10m"), (9000, "2.5h")])
def test_durations_keep_tenths_while_they_matter(seconds, shown):
    from textback.output import format_seconds
    assert format_seconds(seconds) == shown
