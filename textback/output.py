"""The one renderer for every staff listing: a table for people, --json and --csv for programs.

Tables show times in the business's time zone and numbers the way the shop dials
them (national form for its own country, international otherwise); colour is added
with click.style and click strips it when stdout is not a terminal (or NO_COLOR is
set), so pipes and files get plain text. JSON and CSV keep E.164 numbers and ISO
8601 times with the business's UTC offset: a CRM imports those without guessing.
Caller-controlled text (names, message bodies) is printed with control characters
made visible, so a caller name cannot move the cursor or fake a line.
"""
from __future__ import annotations

import csv
import functools
import io
import json
import os
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime, tzinfo
from typing import Any

import click
import phonenumbers

FORMATS = ("table", "json", "csv", "excel")   # excel: CSV with a UTF-8 BOM
BOM = "\ufeff"
ELLIPSIS = "…"
# Bidi overrides/isolates can make a name read backwards on a terminal.
_BIDI = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}


@dataclass(frozen=True)
class Column:
    """One column: `key` in the row dicts, `title` in the table header, `kind` says how to show it.

    kinds: text, number (phone), time, int, seconds, flag, body (long text: wrapped, never cut).
    `width` caps a short column in tables (longer values end in …); a `wrap` column (every
    body) is never cut: it wraps within the terminal's width, down to `min_width` cells,
    and below that goes on its own lines under the row (textback/table.py).
    `style` maps a row to click.style kwargs (colour only ever reaches a terminal).
    `drop` > 0: a table may leave the column out when the terminal is too narrow.
    """

    key: str
    title: str
    kind: str = "text"
    width: int = 40
    style: Callable[[dict], dict] | None = None
    wrap: bool | None = None
    min_width: int = 30
    drop: int = 0               # on a narrow terminal, higher numbers are left out of tables first

    @property
    def wraps(self) -> bool:
        return self.kind == "body" if self.wrap is None else self.wrap


def listing_options(command):
    """Add --json, --csv and --excel to a listing command; the command gets `fmt`
    (table/json/csv/excel; Renderer(fmt=...).fmt says csv for both CSV forms).

    CSV for programs has no BOM (a BOM ends up in the first header name of most CSV
    readers); --excel is the same CSV with the UTF-8 BOM that Excel needs to read
    "José" rather than "JosÃ©".
    """
    @functools.wraps(command)
    def wrapper(*args, as_json: bool = False, as_csv: bool = False, as_excel: bool = False, **kwargs):
        if as_json and as_csv:
            raise click.UsageError("choose one of --json and --csv")
        if as_json and as_excel:
            raise click.UsageError("--excel is CSV for Excel: choose one of --json and --excel")
        fmt = "json" if as_json else "excel" if as_excel else "csv" if as_csv else "table"
        return command(*args, fmt=fmt, **kwargs)

    wrapper = click.option("--excel", "as_excel", is_flag=True,
                           help="CSV with a UTF-8 byte-order mark, so Excel shows accents right "
                                "(implies --csv).")(wrapper)
    wrapper = click.option("--csv", "as_csv", is_flag=True,
                           help="CSV with a header row (E.164 numbers, ISO times).")(wrapper)
    return click.option("--json", "as_json", is_flag=True,
                        help="JSON (E.164 numbers, ISO times with the shop's UTC offset).")(wrapper)


class Renderer:
    """Turns row dicts into text in one of FORMATS, for one business (time zone, country)."""

    def __init__(self, tz: tzinfo, country: str, fmt: str = "table"):
        if fmt not in FORMATS:
            raise ValueError(f"unknown output format {fmt!r}")
        self.tz, self.country = tz, country.upper()
        self.fmt, self.bom = ("csv", True) if fmt == "excel" else (fmt, False)

    # -- single values ----------------------------------------------------------------------------
    def time(self, value: datetime | None, seconds: bool = False) -> str:
        if value is None:
            return ""
        return value.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")

    def number(self, value: str | None) -> str:
        return format_number(value or "", self.country)

    def machine(self, value: Any, kind: str) -> Any:
        """A value for JSON/CSV: ISO local times, a store record as an object, everything else as it is."""
        if isinstance(value, datetime):
            return value.astimezone(self.tz).isoformat(timespec="seconds")
        if is_dataclass(value) and not isinstance(value, type):
            value = as_row(value)
        if isinstance(value, dict):
            return {k: self.machine(v, "text") for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.machine(v, "text") for v in value]
        return value

    def human(self, value: Any, kind: str) -> str:
        if value is None or value == "":
            return "" if kind != "int" else "0"
        if kind == "time":
            return self.time(value)
        if kind == "number":
            return self.number(value)
        if kind == "seconds":
            return format_seconds(value)
        if kind == "flag":
            return "yes" if value else ""
        if kind == "body":
            return visible(" ".join(str(value).split()))
        if isinstance(value, float):
            return f"{value:.0%}" if kind == "rate" else f"{value:g}"
        return visible(str(value))

    # -- listings ---------------------------------------------------------------------------------
    def listing(self, records: Iterable[Any], columns: Iterable[Column], empty: str = "",
                table_columns: Iterable[Column] | None = None, total: int | None = None) -> str:
        """The rows (store records or dicts) in this renderer's format. `empty` is what a table
        says when there are none; `table_columns` (default `columns`) is what a person sees,
        fitted into `total` cells (default: the terminal's width)."""
        columns = list(columns)
        rows = [as_row(r) for r in records]
        if self.fmt == "json":
            return self.json([{c.key: self.machine(r.get(c.key), c.kind) for c in columns} for r in rows])
        if self.fmt == "csv":
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow([c.key for c in columns])
            for r in rows:
                writer.writerow(["" if (v := self.machine(r.get(c.key), c.kind)) is None else v for c in columns])
            return (BOM if self.bom else "") + out.getvalue().rstrip("\n")
        if not rows:
            return empty
        return table(rows, list(table_columns or columns), self, total)

    def json(self, data: Any, compact: bool = False) -> str:
        return json.dumps(self.machine(data, "text"), ensure_ascii=False, indent=None if compact else 2)


def table(rows: list[dict], columns: list[Column], renderer: Renderer, total: int | None = None) -> str:
    """A table that fits `total` terminal cells (default: the terminal's width)."""
    from textback.table import layout, terminal_width

    cells = [[renderer.human(r.get(c.key), c.kind) for c in columns] for r in rows]
    styles = [[(c.style(r) or {}) if c.style else {} for c in columns] for r in rows]
    return layout([c.title for c in columns], cells, [c.width for c in columns], [c.wraps for c in columns],
                  [c.min_width for c in columns], styles, total or terminal_width(), width, truncate,
                  [c.drop for c in columns])


def emit(text: str) -> None:
    """Print a rendered listing; colour only reaches a terminal, and never with NO_COLOR."""
    if text:
        click.echo(text, color=False if os.environ.get("NO_COLOR") else None)


# -- helpers, public for commands that print single values -------------------------------------

def as_row(record: Any) -> dict[str, Any]:
    """A store record (a frozen dataclass) as a row dict, its fields in order; a dict as it is."""
    if isinstance(record, dict):
        return record
    return {f.name: getattr(record, f.name) for f in fields(record)}


def format_number(value: str, country: str) -> str:
    """E.164 -> national form for the shop's own country, international form otherwise.

    Anything that is not a number ("anonymous", an extension) is shown as it is.
    Validity is not required: the fictional test ranges must format too.
    """
    text = visible(value)
    if not value.startswith("+"):
        # A line as the trunk gave it ("2125550100"): the shop's own country's number.
        # Short digit strings are extensions and stay as they are.
        if not (value.isdigit() and len(value) >= 8):
            return text
        try:
            parsed = phonenumbers.parse(value, country.upper())
        except phonenumbers.NumberParseException:
            return text
        if not phonenumbers.is_possible_number(parsed):
            return text
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return text
    own = parsed.country_code == phonenumbers.country_code_for_region(country.upper())
    form = phonenumbers.PhoneNumberFormat.NATIONAL if own else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(parsed, form)


def format_seconds(value: float | None) -> str:
    if value is None:
        return ""
    value = float(value)
    if value < 10:
        return f"{value:.1f}s"      # the first text goes out in seconds: tenths matter
    if value < 120:
        return f"{value:.0f}s"
    if value < 7200:
        return f"{value / 60:.0f}m"
    return f"{value / 3600:.1f}h"


def visible(text: str) -> str:
    """Control and bidi characters as escapes; letters, accents and emoji unchanged."""
    if text.isprintable() and not (_BIDI & set(text)):
        return text
    return "".join(c.encode("unicode_escape").decode("ascii")
                   if (unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") or c in _BIDI) and c != "\u200d"
                   else c for c in text)


def width(text: str) -> int:
    """Terminal cells: wide (East Asian, most emoji) count 2, combining marks and ZWJ 0."""
    total = 0
    for c in text:
        if unicodedata.combining(c) or c in ("\u200d", "\ufe0f"):
            continue
        total += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return total


def truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())    # a multi-line message body stays on its row
    if width(text) <= limit:
        return text
    out, used = "", 0
    for c in text:
        w = width(c)
        if used + w > limit - 1:
            break
        out, used = out + c, used + w
    return out + ELLIPSIS


def pad(text: str, limit: int) -> str:
    return text + " " * max(0, limit - width(text))
