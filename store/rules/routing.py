"""Which SIM a caller is texted from, when a shop has several modems ([[modem]] entries).

A caller who rang one of the shop's lines is texted from the SIM of that line, so their
reply comes back to the number they know. Each [[modem]] lists the lines (DIDs) it
texts for; one entry may list none and texts for every line no other entry lists.

Pure: plain values in, a modem name out.
"""
from __future__ import annotations

from collections.abc import Sequence

from store.rules.guard import GuardSettings, to_e164

# Every modem of a configuration as (name, the lines it texts for); () for the one [modem].
ModemLines = Sequence[tuple[str, Sequence[str]]]


def line_key(line: str, guard: GuardSettings) -> str:
    """A dialled line as the config writes lines (E.164), whatever form the PBX gave it in
    ("2125550100", "+12125550100", "12125550100"); as given when it is no number."""
    return to_e164(line, guard.country, guard.allow_fictional) or (line or "").strip()


def modem_for_line(line: str, modems: ModemLines, guard: GuardSettings) -> str | None:
    """The name of the modem that texts callers of `line`: the one that lists it, else the
    one that lists no lines (the catch-all); None when no modem of `modems` serves it."""
    wanted = line_key(line, guard)
    catch_all = None
    for name, lines in modems:
        if not lines:
            catch_all = name
        elif wanted and any(line_key(x, guard) == wanted for x in lines):
            return name
    return catch_all
