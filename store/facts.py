"""Plain values that cross the store's edge: what the AGI hook knows about a call.

Standard library only, and no dataclasses: the AGI hook imports this module on every
call, and `dataclasses` (with the `inspect` it imports) cost it about 8 ms each time.
What the rules decide (CallPlan, PlannedMessage) lives in store/plans.py; importing it
from here still works. All datetimes here are timezone-aware UTC.
"""
from __future__ import annotations

from datetime import datetime, timezone

TYPE_CHECKING = False       # not typing's: importing typing costs the hook ~8 ms (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

    from store.plans import CallPlan, PlannedMessage  # noqa: F401

# The field names are the columns the hook writes into the `call` table; the peewee model
# in store/models.py has every one of them (a test checks it), so the lean write path in
# store/ and the model keep one schema.
CALL_FACT_FIELDS: tuple[str, ...] = (
    "uniqueid",             # agi_uniqueid: idempotency key (one row per call)
    "linkedid",             # CHANNEL(linkedid): ties the legs of one call together
    "caller_raw",           # caller ID number exactly as Asterisk gave it
    "caller_name",          # caller ID name, raw (may hold quotes, colons, anything)
    "caller_presentation",  # CALLERID(num-pres), e.g. allowed_not_screened, prohib
    "business_line",        # the DID / line the caller dialled
    "disposition",          # DIALSTATUS: NOANSWER, BUSY, CANCEL, ANSWER, ... or ""
    "queue_status",         # QUEUESTATUS: TIMEOUT, JOINEMPTY, ... or ""
    "reason",               # a reason the dialplan passes: after-hours, voicemail, outbound
    "direction",            # "in" for a caller; "out" for a staff call-back (outbound route hook)
    "happened_at",          # aware UTC; now when not given
    "source",               # agi, fastagi, spool, test-call
    "note",                 # what the hook could not read, for the record
    "ring_seconds",         # how long it rang (the dialplan's ${DIALEDTIME}), None when not given
)


class CallFact:
    """One call as the PBX saw it, before anyone decided anything. Immutable; compare,
    hash, `replace(**changes)`, `to_dict()` / `from_dict()` as a frozen dataclass would."""

    __slots__ = CALL_FACT_FIELDS

    uniqueid: str
    linkedid: str
    caller_raw: str
    caller_name: str
    caller_presentation: str
    business_line: str
    disposition: str
    queue_status: str
    reason: str
    direction: str
    happened_at: datetime
    source: str
    note: str
    ring_seconds: int | None

    def __init__(self, uniqueid: str, linkedid: str = "", caller_raw: str = "", caller_name: str = "",
                 caller_presentation: str = "", business_line: str = "", disposition: str = "",
                 queue_status: str = "", reason: str = "", direction: str = "in",
                 happened_at: datetime | None = None, source: str = "agi", note: str = "",
                 ring_seconds: int | None = None):
        values = (uniqueid, linkedid, caller_raw, caller_name, caller_presentation, business_line,
                  disposition, queue_status, reason, direction,
                  datetime.now(timezone.utc) if happened_at is None else happened_at, source, note, ring_seconds)
        for name, value in zip(CALL_FACT_FIELDS, values):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"CallFact is immutable: use fact.replace({name}=...)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("CallFact is immutable")

    def _values(self) -> tuple:
        return tuple(getattr(self, n) for n in CALL_FACT_FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return "CallFact(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in CALL_FACT_FIELDS) + ")"

    def replace(self, **changes: Any) -> CallFact:
        """A copy with `changes` (dataclasses.replace for this class)."""
        unknown = set(changes) - set(CALL_FACT_FIELDS)
        if unknown:
            raise TypeError(f"CallFact has no field(s) {', '.join(sorted(unknown))}")
        values = {n: getattr(self, n) for n in CALL_FACT_FIELDS}
        values.update(changes)
        return CallFact(**values)

    def to_dict(self) -> dict:
        d = {n: getattr(self, n) for n in CALL_FACT_FIELDS}
        d["happened_at"] = self.happened_at.astimezone(timezone.utc).isoformat()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> CallFact:
        values = {k: v for k, v in d.items() if k in CALL_FACT_FIELDS}
        when = values.get("happened_at")
        if isinstance(when, str):
            values["happened_at"] = datetime.fromisoformat(when)
        if values.get("happened_at") is not None and values["happened_at"].tzinfo is None:
            values["happened_at"] = values["happened_at"].replace(tzinfo=timezone.utc)
        return cls(**values)


def concat_key(sender: str, reference: int, total: int, first_sent_at: datetime | None,
               body: str | None = None) -> str:
    """What makes a long (concatenated) text the same text however it arrives (its parts
    read off the SIM, or delivered straight to the worker) and however often (a SIM read
    again after a crash): recording it twice under this key stores it once.
    `first_sent_at`: the service centre's time of its first part.

    Reference 0 is what some phones put on every long text (DESIGN.md, measured peers), so
    it tells two texts apart no better than nothing: two sent in the same second would
    share a key, and the second be taken for the first and deleted unstored. For it the
    key also carries a digest of the whole text (`body`), the same however it arrived."""
    stamp = first_sent_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if first_sent_at else ""
    key = f"concat:{sender}:{reference}:{total}:{stamp}"
    if reference == 0 and body is not None:
        import hashlib  # here, not at the top: the AGI hook imports this module per call

        key += ":" + hashlib.sha1(body.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return key


# The statuses Asterisk leaves on a call, and the ones that mean "missed" by default: one
# vocabulary for the hook (agi/environment.py), the rules (store/rules/dialstatus.py) and
# the configuration's choices (textback/config_schema.py).
DIAL_STATUSES: tuple[str, ...] = ("ANSWER", "BUSY", "NOANSWER", "CANCEL", "CONGESTION", "CHANUNAVAIL",
                                  "DONTCALL", "TORTURE", "INVALIDARGS")
QUEUE_STATUSES: tuple[str, ...] = ("TIMEOUT", "FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL",
                                   "CONTINUE", "WITHDRAW")
MISSED_DIAL_STATUSES: tuple[str, ...] = ("NOANSWER", "BUSY", "CANCEL", "CHANUNAVAIL", "CONGESTION")
MISSED_QUEUE_STATUSES: tuple[str, ...] = ("TIMEOUT", "JOINEMPTY", "LEAVEEMPTY", "FULL", "JOINUNAVAIL", "LEAVEUNAVAIL")
MISSED_REASONS: tuple[str, ...] = ("after-hours", "voicemail")     # what the dialplan may pass

# Fields a second record of the same call may fill when the first left them empty (the
# hook may run twice: inline and in the hangup handler). Both write paths use it.
FILLABLE_FIELDS: tuple[str, ...] = tuple(n for n in CALL_FACT_FIELDS if n not in ("uniqueid", "happened_at"))


def __getattr__(name: str) -> Any:
    # CallPlan and PlannedMessage moved to store/plans.py (dataclasses); the old import works.
    if name in ("CallPlan", "PlannedMessage"):
        from store import plans
        return getattr(plans, name)
    raise AttributeError(f"module 'store.facts' has no attribute {name!r}")
