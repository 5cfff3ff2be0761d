"""Plain values that cross the store's edge: what the AGI hook knows about a call,
what the rules decide for it, and what the modem hands in.

Standard library only: the AGI hook imports this module on every call, and the
rules (pure functions) build and return these values without touching I/O.
All datetimes here are timezone-aware UTC.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone


@dataclass(frozen=True)
class CallFact:
    """One call as the PBX saw it, before anyone decided anything.

    The field names are the columns the hook writes into the `call` table; the
    peewee model in store/models.py has every one of them (a test checks it), so
    the lean write path in store/ and the model keep one schema.
    """

    uniqueid: str                      # agi_uniqueid: idempotency key (one row per call)
    linkedid: str = ""                 # CHANNEL(linkedid): ties the legs of one call together
    caller_raw: str = ""               # caller ID number exactly as Asterisk gave it
    caller_name: str = ""              # caller ID name, raw (may hold quotes, colons, anything)
    caller_presentation: str = ""      # CALLERID(num-pres), e.g. allowed_not_screened, prohib
    business_line: str = ""            # the DID / line the caller dialled
    disposition: str = ""              # DIALSTATUS: NOANSWER, BUSY, CANCEL, ANSWER, ... or ""
    queue_status: str = ""             # QUEUESTATUS: TIMEOUT, JOINEMPTY, ... or ""
    reason: str = ""                   # a reason the dialplan passes: after-hours, voicemail, outbound
    direction: str = "in"              # "in" for a caller; "out" for a staff call-back (outbound route hook)
    happened_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    source: str = "agi"                # agi, fastagi, spool, test-call
    note: str = ""                     # what the hook could not read, for the record

    def to_dict(self) -> dict:
        d = asdict(self)
        d["happened_at"] = self.happened_at.astimezone(timezone.utc).isoformat()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "CallFact":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in d.items() if k in known}
        when = values.get("happened_at")
        if isinstance(when, str):
            values["happened_at"] = datetime.fromisoformat(when)
        if values.get("happened_at") is not None and values["happened_at"].tzinfo is None:
            values["happened_at"] = values["happened_at"].replace(tzinfo=timezone.utc)
        return cls(**values)


def concat_key(sender: str, reference: int, total: int, first_sent_at: datetime | None) -> str:
    """What makes a long (concatenated) text the same text however it arrives (its parts
    read off the SIM, or delivered straight to the worker) and however often (a SIM read
    again after a crash): recording it twice under this key stores it once.
    `first_sent_at`: the service centre's time of its first part."""
    stamp = first_sent_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if first_sent_at else ""
    return f"concat:{sender}:{reference}:{total}:{stamp}"


CALL_FACT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(CallFact))
# Fields a second record of the same call may fill when the first left them empty (the
# hook may run twice: inline and in the hangup handler). Both write paths use it.
FILLABLE_FIELDS: tuple[str, ...] = tuple(n for n in CALL_FACT_FIELDS if n not in ("uniqueid", "happened_at"))


@dataclass(frozen=True)
class PlannedMessage:
    """One outbound text the rules want sent for a call."""

    kind: str            # text_back | follow_up
    body: str
    due_at: datetime     # aware UTC
    step: int = 0        # 0 = the first text, 1.. = follow-ups in order


@dataclass(frozen=True)
class CallPlan:
    """What the rules decided for one recorded call; the store applies it in one transaction."""

    caller_number: str | None            # E.164 when the caller ID parsed as a real number
    skip_reason: str | None = None       # None when the call is texted; else anonymous, opted_out, duplicate, ...
    messages: tuple[PlannedMessage, ...] = ()
    cancel_pending: str | None = None    # a reason ("answered", "called_back") to cancel this number's scheduled texts
    region: str | None = None            # phonenumbers region code of the caller, for the record
