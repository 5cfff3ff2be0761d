"""The hostile suite's summary table: one row per scenario, filled by the test itself."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class LedgerRow:
    scenario: str
    calls_in: int = 0
    texts_out: int = 0           # distinct texts the modem (simulator) took
    duplicates: int = 0          # texts taken more than once (the copies)
    lost: int = 0                # calls handed to the hook that never reached the store (must be 0)
    expired: int = 0             # texts not sent because they were too old (message state expired)
    rejected: Counter = field(default_factory=Counter)   # skip reason -> calls
    note: str = ""
    outcome: str = "running"

    def count(self, tally: LedgerRow) -> None:
        """Take the figures of a tally (see hostile_rig.Site.tally) into this row."""
        self.calls_in, self.texts_out = tally.calls_in, tally.texts_out
        self.duplicates, self.lost, self.expired = tally.duplicates, tally.lost, tally.expired
        self.rejected = Counter(tally.rejected)


LEDGER: list[LedgerRow] = []

_HEAD = ("scenario", "calls in", "texts out", "dups", "lost", "expired", "rejected by reason", "result", "note")


def _rejected(counter: Counter) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))) or "-"


def render_table(rows: list[LedgerRow]) -> list[str]:
    body = [(r.scenario, str(r.calls_in), str(r.texts_out), str(r.duplicates), str(r.lost), str(r.expired),
             _rejected(r.rejected), r.outcome, r.note) for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(_HEAD)]
    numeric = {1, 2, 3, 4, 5}

    def line(cells) -> str:
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [line(_HEAD), line(["-" * w for w in widths])]
    out += [line(b) for b in body]
    total = LedgerRow("total", calls_in=sum(r.calls_in for r in rows), texts_out=sum(r.texts_out for r in rows),
                      duplicates=sum(r.duplicates for r in rows), lost=sum(r.lost for r in rows),
                      expired=sum(r.expired for r in rows), rejected=sum((r.rejected for r in rows), Counter()))
    bad = sum(1 for r in rows if r.outcome == "FAILED")
    out.append(line(["-" * w for w in widths]))
    out.append(line((total.scenario, str(total.calls_in), str(total.texts_out), str(total.duplicates),
                     str(total.lost), str(total.expired), _rejected(total.rejected),
                     f"{bad} failed" if bad else "all held", "")))
    return out
