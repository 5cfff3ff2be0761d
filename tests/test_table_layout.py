"""textback/table.py: tables in the terminal's width that never cut a message."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import click

from textback.output import Column, Renderer, width
from textback.table import wrap_text

URL = "https://book.example.com/very/long/booking/link/that/is/longer/than/a/line"


def test_words_wrap_by_cells_and_a_word_longer_than_a_line_is_split_not_lost():
    assert wrap_text("Oui! Can you come at 3? 👍 ça marche", 12, width) == ["Oui! Can you", "come at 3?", "👍 ça marche"]
    pieces = wrap_text(f"Book: {URL}", 20, width)
    assert "".join(pieces[1:]) == URL and all(width(p) <= 20 for p in pieces)
    assert wrap_text("two\nlines\tand  spaces", 40, width) == ["two lines and spaces"]
    assert wrap_text("", 10, width) == [""]
    assert wrap_text("🚀🚀🚀", 3, width) == ["🚀", "🚀", "🚀"]      # a wide character never straddles


def _table(rows, columns, total):
    return click.unstyle(Renderer(ZoneInfo("UTC"), "US").listing(rows, columns, total=total))


def test_a_table_that_fits_is_left_alone_and_one_that_does_not_wraps_its_long_column():
    columns = [Column("n", "N", "int"), Column("body", "TEXT", "body")]
    rows = [{"n": 1, "body": "short"}, {"n": 22, "body": "a much longer message that needs wrapping"}]
    assert _table(rows, columns, 80) == "N   TEXT\n1   short\n22  a much longer message that needs wrapping"
    columns = [Column("n", "N", "int"), Column("body", "TEXT", "body", min_width=10)]
    assert _table(rows, columns, 20) == ("N   TEXT\n1   short\n22  a much longer\n    message that\n"
                                         "    needs wrapping")


def test_below_the_minimum_the_text_goes_under_its_row_and_droppable_columns_go_first():
    columns = [Column("who", "WHO"), Column("extra", "EXTRA", drop=1), Column("body", "TEXT", "body", min_width=20)]
    rows = [{"who": "Zoë", "extra": "x" * 30, "body": "Can you come today? The sink leaks."}]
    narrow = _table(rows, columns, 30)
    assert narrow == "WHO  TEXT\nZoë  Can you come today? The\n     sink leaks."
    stacked = _table(rows, [Column("who", "WHO", width=28), Column("body", "TEXT", "body")], 30)
    assert stacked == "WHO\nZoë\n    Can you come today? The\n    sink leaks."
