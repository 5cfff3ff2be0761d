"""Laying a table out in the terminal's width, without cutting what a customer wrote.

Short columns (times, numbers, states) keep their natural width, capped at their
Column.width. Long text columns (`wrap`: message bodies, details) take what is left
and wrap onto more lines within their column. When even that does not leave a long
column `min_width` cells, the table goes "stacked": the short columns stay on the
row's line and each long column's text follows on its own indented lines, wrapped
to the whole width. Either way every word is shown: a receptionist must be able to
read the customer's whole message without --json.

The width is the terminal's (COLUMNS when set, as `ls` and `git` honour it), else 80.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence

import click

GAP = "  "
STACK_INDENT = "    "
FALLBACK_COLUMNS = 80


def terminal_width() -> int:
    return max(20, shutil.get_terminal_size((FALLBACK_COLUMNS, 24)).columns)


def layout(titles: Sequence[str], cells: list[list[str]], caps: Sequence[int], wraps: Sequence[bool],
           mins: Sequence[int], styles: list[list[dict]], total: int,
           width: Callable[[str], int], truncate: Callable[[str, int], str],
           drops: Sequence[int] | None = None) -> str:
    """The table as text: `cells[row][col]` already human strings; `styles` click.style kwargs.
    `drops`: a column with a higher number is left out first when even the short columns
    do not fit (0: always shown; --json and --csv still have it)."""
    n = len(titles)
    drops = list(drops or [0] * n)
    natural = [max([width(titles[i])] + [width(row[i]) for row in cells]) for i in range(n)]
    widths = [natural[i] if wraps[i] else min(caps[i], natural[i]) for i in range(n)]
    kept = list(range(n))

    def needed(columns: list[int]) -> int:
        return (sum(widths[i] if not wraps[i] else min(natural[i], mins[i]) for i in columns)
                + len(GAP) * (len(columns) - 1))

    while needed(kept) > total and any(drops[i] for i in kept):
        kept.remove(max((i for i in kept if drops[i]), key=lambda i: (drops[i], i)))
    gaps = len(GAP) * (len(kept) - 1)
    stacked = False
    if sum(widths[i] for i in kept) + gaps > total:
        fixed = sum(widths[i] for i in kept if not wraps[i])
        long = [i for i in kept if wraps[i]]
        room = total - fixed - gaps
        wanted = sum(min(natural[i], mins[i]) for i in long)
        if long and room >= wanted:
            _share(widths, long, natural, mins, room)
        elif long:
            stacked = True
    shown = [i for i in kept if not (stacked and wraps[i])]
    header = GAP.join(_pad(titles[i], widths[i], width) for i in shown).rstrip()
    lines = [click.style(header, bold=True)]
    for row, style in zip(cells, styles):
        blocks = {i: (wrap_text(row[i], widths[i], width) if wraps[i] else [truncate(row[i], widths[i])])
                  for i in shown}
        height = max([len(b) for b in blocks.values()] or [1])
        for k in range(height):
            parts = []
            for i in shown:
                text = blocks[i][k] if k < len(blocks[i]) else ""
                styled = click.style(text, **style[i]) if style[i] and text else text
                parts.append(styled + " " * max(0, widths[i] - width(text)))   # pad outside the colour
            lines.append(GAP.join(parts).rstrip())
        if stacked:
            for i in kept:
                if wraps[i] and row[i]:
                    body = wrap_text(row[i], max(10, total - len(STACK_INDENT)), width)
                    lines += [STACK_INDENT + (click.style(t, **style[i]) if style[i] else t) for t in body]
    return "\n".join(lines)


def _share(widths: list[int], long: list[int], natural: list[int], mins: Sequence[int], room: int) -> None:
    """Give the long columns `room` cells: each its minimum first, the rest in turn to those
    that still want more (so a short detail does not take space the message needs)."""
    for i in long:
        widths[i] = min(natural[i], mins[i])
    spare = room - sum(widths[i] for i in long)
    hungry = [i for i in long if widths[i] < natural[i]]
    while spare > 0 and hungry:
        share = max(1, spare // len(hungry))
        for i in list(hungry):
            give = min(share, natural[i] - widths[i], spare)
            widths[i] += give
            spare -= give
            if widths[i] >= natural[i]:
                hungry.remove(i)
            if spare <= 0:
                break


def wrap_text(text: str, limit: int, width: Callable[[str], int]) -> list[str]:
    """Words onto lines of at most `limit` cells; a word longer than a line (a link) is split,
    never dropped. Whitespace runs (newlines too) become one space, as the row shows them."""
    limit = max(1, limit)
    lines: list[str] = []
    line, used = "", 0
    for word in text.split():
        w = width(word)
        if line and used + 1 + w <= limit:
            line, used = f"{line} {word}", used + 1 + w
            continue
        if line:
            lines.append(line)
            line, used = "", 0
        while w > limit:                       # split an over-long word by cells
            piece, taken = "", 0
            for c in word:
                cw = width(c)
                if taken + cw > limit and piece:
                    break
                piece, taken = piece + c, taken + cw
            lines.append(piece)
            word = word[len(piece):]
            w = width(word)
        line, used = word, w
    if line or not lines:
        lines.append(line)
    return lines


def _pad(text: str, limit: int, width: Callable[[str], int]) -> str:
    return text + " " * max(0, limit - width(text))
