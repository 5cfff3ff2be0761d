"""Turn what Asterisk told us (AGI environment, AGI arguments, a few channel variables)
into one `CallFact`. Pure: no I/O, shared by the AGI hook and the FastAGI server.

The argument form (documented in asterisk/README.md) is what the dialplan passes:

    AGI(textback-agi,${DIALSTATUS},queue=${QUEUESTATUS},line=${ARG1},reason=after-hours)

- a bare DIALSTATUS word (NOANSWER, BUSY, CANCEL, ANSWER, ...) is the disposition;
- a bare QUEUESTATUS word (TIMEOUT, JOINEMPTY, ...) is the queue status;
- a bare reason word (after-hours, voicemail, outbound) is the reason;
- key=value pairs: status=, queue=, reason=, line=, direction=in|out, number= (the
  dialled number on the outbound-route hook);
- empty arguments (an unset ${DIALSTATUS}) are skipped; anything else is ignored and
  noted in the call's `note`, so a dialplan typo never loses the call.

Arguments come from the dialplan (trusted); caller ID comes from the caller (not
trusted): it is stored as given and never interpreted here.
"""
from __future__ import annotations

from datetime import datetime, timezone

from store import facts
from store.facts import CallFact

# The statuses a call can carry (store/facts.py holds the one list).
DIAL_STATUSES = frozenset(facts.DIAL_STATUSES)
QUEUE_STATUSES = frozenset(facts.QUEUE_STATUSES)
REASONS = frozenset({"after-hours", "voicemail", "outbound"})
DIRECTIONS = frozenset({"in", "out"})

# The channel variables the session asks for, by the exact command text; every one of
# them is in the recorded Asterisk sessions, so a replay answers them from the record.
VARIABLE_COMMANDS: tuple[tuple[str, str], ...] = (
    ("DIALSTATUS", "GET VARIABLE DIALSTATUS"),
    ("QUEUESTATUS", "GET VARIABLE QUEUESTATUS"),
    ("CALLERID(num-pres)", "GET FULL VARIABLE ${CALLERID(num-pres)}"),
    ("CHANNEL(linkedid)", "GET FULL VARIABLE ${CHANNEL(linkedid)}"),
)

# Asterisk's placeholders for "no number": kept as "" so nobody mistakes them for one.
_NO_VALUE = frozenset({"", "unknown"})
# Extensions that are dialplan plumbing, not the number the caller dialled.
_PLUMBING_EXTENSIONS = frozenset({"s", "h", "i", "t", "failed"})
_MAX_FIELD = 256  # caller ID beyond this is an attack or garbage; cut and noted


def agi_arguments(env: dict[str, str], argv: list[str] | None = None) -> list[str]:
    """The AGI arguments in order: agi_arg_N from the environment (always there for
    FastAGI), else the program's own argv (older Asterisk sent only argv)."""
    numbered = []
    n = 1
    while f"agi_arg_{n}" in env:
        numbered.append(env[f"agi_arg_{n}"])
        n += 1
    if numbered:
        return numbered
    return list(argv or [])


def _clean(value: str | None, notes: list[str], what: str) -> str:
    if value is None:
        return ""
    if len(value) > _MAX_FIELD:
        notes.append(f"{what} cut to {_MAX_FIELD} characters")
        value = value[:_MAX_FIELD]
    return value


def parse_arguments(args: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split the dialplan's arguments into known fields and notes about the rest."""
    fields: dict[str, str] = {}
    notes: list[str] = []
    for raw in args:
        arg = raw.strip()
        if not arg:
            continue
        key, sep, value = arg.partition("=")
        if sep:
            key, value = key.strip().lower(), value.strip()
            if key in ("status", "dialstatus"):
                if value.upper() in DIAL_STATUSES:
                    fields.setdefault("disposition", value.upper())
                elif value:
                    notes.append(f"unknown dial status {value[:32]!r} ignored")
            elif key in ("queue", "queuestatus"):
                if value.upper() in QUEUE_STATUSES:
                    fields["queue_status"] = value.upper()
                elif value:
                    notes.append(f"unknown queue status {value[:32]!r} ignored")
            elif key == "reason":
                if value and len(value) <= 32 and value.replace("-", "").replace("_", "").isalnum():
                    fields["reason"] = value.lower()
                elif value:
                    notes.append("unreadable reason ignored")
            elif key == "line":
                if value:
                    fields["business_line"] = value[:64]
            elif key == "direction":
                if value.lower() in DIRECTIONS:
                    fields["direction"] = value.lower()
                else:
                    notes.append(f"unknown direction {value[:8]!r} ignored")
            elif key == "number":
                if value:
                    fields["number"] = value[:64]
            elif key in ("ring", "dialedtime"):
                # ${DIALEDTIME}: whole seconds from Dial() to its end (the ringing, for a
                # call nobody answered). Empty when the call never reached a Dial().
                if value.isdigit() and len(value) <= 6:
                    fields["ring_seconds"] = value
                elif value:
                    notes.append(f"unreadable ring time {value[:16]!r} ignored")
            else:
                notes.append(f"unknown argument {key[:32]!r} ignored")
            continue
        if arg.upper() in DIAL_STATUSES:
            fields.setdefault("disposition", arg.upper())
        elif arg.upper() in QUEUE_STATUSES:
            fields.setdefault("queue_status", arg.upper())
        elif arg.lower() in REASONS:
            fields.setdefault("reason", arg.lower())
        else:
            notes.append(f"argument {arg[:32]!r} ignored")
    return fields, notes


def channel_age(uniqueid: str, now: datetime) -> int | None:
    """Whole seconds since Asterisk made the channel, or None. Its uniqueid is
    "<epoch>.<n>" ("<systemname>-<epoch>.<n>" with asterisk.conf's systemname; recorded as
    1795411959.45 with ${EPOCH} 1795411961 at the hangup in shared/asterisk-agi-transcripts),
    so the hangup time minus it is how long the caller waited: the ring time when the call
    never reached a Dial() (a queue, an IVR) and ${DIALEDTIME} is empty. It counts any IVR
    time too, so it can only make a call look longer: never a reason to skip a real one."""
    stamp = uniqueid.rpartition("-")[2].partition(".")[0]
    if not (stamp.isdigit() and 9 <= len(stamp) <= 10):
        return None
    age = int(now.timestamp()) - int(stamp)
    return age if 0 <= age <= 86400 else None      # a clock far off, or a forged id: no guess


def build_call_fact(env: dict[str, str], args: list[str], variables: dict[str, str | None], *,
                    source: str = "agi", problems: list[str] | None = None,
                    now: datetime | None = None) -> tuple[CallFact | None, str]:
    """One call from one AGI session, or (None, reason) when there is nothing to keep.

    `variables` maps the names in VARIABLE_COMMANDS to what Asterisk answered (None
    when unset or not asked). Arguments win over channel variables: the dialplan
    author chose them. A call is rejected only when it carries neither a uniqueid
    nor a caller number, i.e. nothing that could ever be texted or traced.
    """
    fields, notes = parse_arguments(args)
    notes = list(problems or []) + notes

    dial_var = (variables.get("DIALSTATUS") or "").strip().upper()
    disposition = fields.get("disposition", "")
    if not disposition and dial_var in DIAL_STATUSES:
        disposition = dial_var
    elif disposition and dial_var and dial_var != disposition:
        notes.append(f"DIALSTATUS variable says {dial_var[:16]}")

    queue_var = (variables.get("QUEUESTATUS") or "").strip().upper()
    queue_status = fields.get("queue_status", "")
    if not queue_status and queue_var in QUEUE_STATUSES:
        queue_status = queue_var

    direction = fields.get("direction", "in")
    reason = fields.get("reason", "")
    if direction == "out" and not reason:
        reason = "outbound"

    caller_raw = _clean(env.get("agi_callerid"), notes, "caller number")
    if "agi_callerid" not in env:
        notes.append("no agi_callerid")
    if caller_raw in _NO_VALUE:
        caller_raw = ""
    if direction == "out":
        # A staff call-back: the number that matters is the one dialled.
        caller_raw = fields.get("number", caller_raw)
    caller_name = _clean(env.get("agi_calleridname"), notes, "caller name")
    if caller_name in _NO_VALUE:
        caller_name = ""

    business_line = fields.get("business_line", "")
    if not business_line:
        dnid = env.get("agi_dnid", "")
        exten = env.get("agi_extension", "")
        if dnid not in _NO_VALUE:
            business_line = dnid
        elif exten not in _NO_VALUE and exten not in _PLUMBING_EXTENSIONS:
            business_line = exten
    business_line = _clean(business_line, notes, "business line")[:64]

    uniqueid = env.get("agi_uniqueid", "").strip()[:64]
    moment = now or datetime.now(timezone.utc)
    ring = int(fields["ring_seconds"]) if "ring_seconds" in fields else channel_age(uniqueid, moment)
    if not uniqueid:
        if not caller_raw:
            return None, "no agi_uniqueid and no caller number"
        uniqueid = f"nouid-{moment.timestamp():.6f}-{caller_raw[:32]}"
        notes.append("no agi_uniqueid")

    fact = CallFact(
        uniqueid=uniqueid,
        linkedid=(variables.get("CHANNEL(linkedid)") or "").strip()[:64],
        caller_raw=caller_raw,
        caller_name=caller_name,
        caller_presentation=(variables.get("CALLERID(num-pres)") or "").strip()[:32],
        business_line=business_line,
        disposition=disposition,
        queue_status=queue_status,
        reason=reason,
        direction=direction,
        happened_at=moment,
        source=source,
        note="; ".join(notes)[:500],
        ring_seconds=ring,
    )
    return fact, ""
