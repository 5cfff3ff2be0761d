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
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Callable, Iterable

import click
import phonenumbers

FORMATS = ("table", "json", "csv")
ELLIPSIS = "…"
# Bidi overrides/isolates can make a name read backwards on a terminal.
_BIDI = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}


@dataclass(frozen=True)
class Column:
    """One column: `key` in the row dicts, `title` in the table header, `kind` says how to show it.

    kinds: text, number (phone), time, int, seconds, flag, body (long text, truncated in tables).
    `style` maps a row to click.style kwargs (colour only ever reaches a terminal).
    """

    key: str
    title: str
    kind: str = "text"
    width: int = 40
    style: Callable[[dict], dict] | None = None


def listing_options(command):
    """Add --json and --csv to a listing command; the command gets `fmt` (table/json/csv)."""
    @functools.wraps(command)
    def wrapper(*args, as_json: bool = False, as_csv: bool = False, **kwargs):
        if as_json and as_csv:
            raise click.UsageError("choose one of --json and --csv")
        return command(*args, fmt="json" if as_json else "csv" if as_csv else "table", **kwargs)

    wrapper = click.option("--csv", "as_csv", is_flag=True,
                           help="CSV with a header row (E.164 numbers, ISO times).")(wrapper)
    return click.option("--json", "as_json", is_flag=True,
                        help="JSON (E.164 numbers, ISO times with the shop's UTC offset).")(wrapper)


class Renderer:
    """Turns row dicts into text in one of FORMATS, for one business (time zone, country)."""

    def __init__(self, tz: tzinfo, country: str, fmt: str = "table"):
        if fmt not in FORMATS:
            raise ValueError(f"unknown output format {fmt!r}")
        self.tz, self.country, self.fmt = tz, country.upper(), fmt

    # -- single values ----------------------------------------------------------------------------
    def time(self, value: datetime | None, seconds: bool = False) -> str:
        if value is None:
            return ""
        return value.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")

    def number(self, value: str | None) -> str:
        return format_number(value or "", self.country)

    def machine(self, value: Any, kind: str) -> Any:
        """A value for JSON/CSV: ISO local times, everything else as it is."""
        if isinstance(value, datetime):
            return value.astimezone(self.tz).isoformat(timespec="seconds")
        if isinstance(value, dict):
            return {k: self.machine(v, "text") for k, v in value.items()}
        if isinstance(value, list):
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
    def listing(self, rows: list[dict], columns: Iterable[Column], empty: str = "") -> str:
        """The rows in this renderer's format. `empty` is what a table says when there are none."""
        columns = list(columns)
        if self.fmt == "json":
            return self.json([{c.key: self.machine(r.get(c.key), c.kind) for c in columns} for r in rows])
        if self.fmt == "csv":
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow([c.key for c in columns])
            for r in rows:
                writer.writerow(["" if (v := self.machine(r.get(c.key), c.kind)) is None else v for c in columns])
            return out.getvalue().rstrip("\n")
        if not rows:
            return empty
        return table(rows, columns, self)

    def json(self, data: Any, compact: bool = False) -> str:
        return json.dumps(self.machine(data, "text"), ensure_ascii=False, indent=None if compact else 2)


def table(rows: list[dict], columns: list[Column], renderer: Renderer) -> str:
    cells = [[renderer.human(r.get(c.key), c.kind) for c in columns] for r in rows]
    widths = [min(c.width, max([width(c.title)] + [width(row[i]) for row in cells]))
              for i, c in enumerate(columns)]
    lines = [click.style("  ".join(pad(c.title, w) for c, w in zip(columns, widths)).rstrip(), bold=True)]
    for r, row in zip(rows, cells):
        parts = []
        for c, text, w in zip(columns, row, widths):
            shown = truncate(text, w)
            styled = click.style(shown, **c.style(r)) if c.style and c.style(r) else shown
            parts.append(styled + " " * max(0, w - width(shown)))   # pad outside the colour codes
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def emit(text: str) -> None:
    """Print a rendered listing; colour only reaches a terminal, and never with NO_COLOR."""
    if text:
        click.echo(text, color=False if os.environ.get("NO_COLOR") else None)


# -- helpers, public for commands that print single values -------------------------------------

def format_number(value: str, country: str) -> str:
    """E.164 -> national form for the shop's own country, international form otherwise.

    Anything that is not a number ("anonymous", an extension) is shown as it is.
    Validity is not required: the fictional test ranges must format too.
    """
    text = visible(value)
    if not value.startswith("+"):
        return text
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
