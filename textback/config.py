"""textback's settings: one TOML file parsed into frozen dataclasses.

A leaf module, standard library only: the AGI hook imports it on every call (see
`read_store_settings`), and agi/ and modem/ may both import it. The schema lives in
the dataclasses below: each field's default is the built-in default and its metadata
names the parser that checks a value from the file, so a key cannot exist in one
place and be forgotten in the other. textback/textback.example.toml documents every
key; a test holds the two together.
"""
from __future__ import annotations

import os
import re
import string
import tomllib
from dataclasses import dataclass, field, fields
from datetime import datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

DEFAULT_PATH = "/etc/textback/textback.toml"
ENV_VAR = "TEXTBACK_CONFIG"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# What templates may use. Texts to callers: MESSAGE_PLACEHOLDERS; the staff forward: FORWARD_PLACEHOLDERS.
MESSAGE_PLACEHOLDERS = ("business", "caller_name", "callback_number", "booking_link", "opens_at")
FORWARD_PLACEHOLDERS = ("business", "number", "caller_name", "body")
DIAL_STATUSES = ("NOANSWER", "BUSY", "CANCEL", "CHANUNAVAIL", "CONGESTION")
QUEUE_STATUSES = ("TIMEOUT", "JOINEMPTY", "LEAVEEMPTY", "FULL", "JOINUNAVAIL", "LEAVEUNAVAIL")


class ConfigError(Exception):
    """The configuration cannot be used; the message names file, key and what is allowed."""


class _Bad(ValueError):
    """A value is wrong; the loader adds the file, section and key."""


# ---- value parsers: each takes a TOML value and returns the typed value or raises _Bad ----

def _kind(v: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list",
            dict: "a table"}.get(type(v), type(v).__name__)


def _text(v: Any) -> str:
    if not isinstance(v, str):
        raise _Bad(f"expected text in quotes, got {_kind(v)}")
    return v


def _flag(v: Any) -> bool:
    if not isinstance(v, bool):
        raise _Bad(f"expected true or false, got {_kind(v)}")
    return v


def _int(lo: int, hi: int):
    def parse(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise _Bad(f"expected a whole number from {lo} to {hi}, got {_kind(v)}")
        if not lo <= v <= hi:
            raise _Bad(f"expected a whole number from {lo} to {hi}")
        return v
    return parse


def _choice(*options: str, fold=str.lower):
    def parse(v: Any) -> str:
        if not isinstance(v, str) or fold(v) not in options:
            raise _Bad("expected one of " + ", ".join(f'"{o}"' for o in options))
        return fold(v)
    return parse


def _list(item):
    def parse(v: Any) -> tuple:
        if not isinstance(v, list):
            raise _Bad(f"expected a list like [\"...\"], got {_kind(v)}")
        out = []
        for i, x in enumerate(v):
            try:
                out.append(item(x))
            except _Bad as e:
                raise _Bad(f"item {i + 1} ({_show(x)}): {e}") from None
        return tuple(out)
    return parse


_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(v: Any) -> timedelta:
    """"30s", "90m", "2h", "1d", "1h30m" -> timedelta."""
    m = _DURATION.fullmatch(v.strip().lower()) if isinstance(v, str) else None
    if not m or not v.strip() or not any(m.groups()):
        raise _Bad('expected a duration like "30s", "90m", "2h" or "1h30m"')
    d, h, mi, s = (int(x or 0) for x in m.groups())
    return timedelta(days=d, hours=h, minutes=mi, seconds=s)


def format_duration(td: timedelta) -> str:
    total, out = int(td.total_seconds()), ""
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):   # "24h" reads better than "1d"
        if total >= size:
            out += f"{total // size}{unit}"
            total %= size
    return out or "0s"


def _duration(lo: str, hi: str):
    low, high = parse_duration(lo), parse_duration(hi)

    def parse(v: Any) -> timedelta:
        td = parse_duration(v)
        if not low <= td <= high:
            raise _Bad(f"expected a duration from {lo} to {hi}")
        return td
    return parse


def parse_clock(v: Any) -> time:
    """"HH:MM" (24-hour) -> time. An unquoted TOML time (21:00:00) is taken too."""
    if isinstance(v, time):
        return v.replace(second=0, microsecond=0)
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", v.strip()) if isinstance(v, str) else None
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise _Bad("expected HH:MM")
    return time(int(m[1]), int(m[2]))


def _hours(v: Any) -> tuple[tuple[time, time], ...]:
    """"08:00-18:00", "08:00-12:00,13:00-17:00" or "closed" -> ((open, close), ...)."""
    if not isinstance(v, str):
        raise _Bad(f'expected "08:00-18:00", "08:00-12:00,13:00-17:00" or "closed", got {_kind(v)}')
    if v.strip().lower() == "closed":
        return ()
    spans = []
    for part in v.split(","):
        bits = part.split("-")
        try:
            start, end = (parse_clock(b) for b in bits) if len(bits) == 2 else (None, None)
        except _Bad:
            start = end = None
        if start is None:
            raise _Bad('expected "08:00-18:00", "08:00-12:00,13:00-17:00" or "closed"')
        if end <= start:
            raise _Bad(f"{part.strip()}: closing must be after opening (use 23:59 for midnight)")
        if spans and start < spans[-1][1]:
            raise _Bad(f"{part.strip()}: spans must be in order and not overlap")
        spans.append((start, end))
    return tuple(spans)


def format_hours(spans: tuple[tuple[time, time], ...]) -> str:
    return ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in spans) or "closed"


def template_placeholders(text: str) -> list[str]:
    """The {names} a template uses, in order. Raises _Bad when it cannot be rendered at all."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise _Bad("unbalanced { or }: write {{ or }} for a literal brace") from None
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise _Bad(f"{{{name}}}: placeholders are plain names like {{business}}")
        names.append(name)
    return names


def _template(v: Any) -> str:
    template_placeholders(_text(v))
    return v


def _e164(v: Any) -> str:
    s = re.sub(r"[\s().-]", "", _text(v))
    if not re.fullmatch(r"\+[1-9]\d{6,14}", s):
        raise _Bad("expected an international number like +12125550123")
    return s


def _phone_digits(v: Any) -> str:
    # Own numbers as Asterisk may present them (national or E.164); the rules parse them.
    s = re.sub(r"[\s().-]", "", _text(v))
    if not re.fullmatch(r"\+?\d{2,15}", s):
        raise _Bad("expected a phone number like +12125550100")
    return s


def _shown_number(v: Any) -> str:
    if _text(v) and not re.fullmatch(r"[+(\d][\d\s().-]{2,24}", v.strip()):
        raise _Bad('expected a phone number as callers should see it, like "(212) 555-0100", or ""')
    return v.strip()


def _region(v: Any) -> str:
    if not isinstance(v, str) or not re.fullmatch(r"[A-Za-z]{2}", v.strip()):
        raise _Bad('expected a two-letter ISO country code like "US" or "GB"')
    return v.strip().upper()


def _timezone(v: Any) -> str:
    name = _text(v)
    try:
        ZoneInfo(name)
    except Exception:
        raise _Bad('expected an IANA time zone like "America/New_York" or "Europe/London"') from None
    return name


def _store_url(v: Any) -> str:
    if not re.match(r"(sqlite:///.|postgres(ql)?://.)", _text(v)):
        raise _Bad('expected "sqlite:////absolute/path.db" or "postgresql://user@host/db"')
    return v


def _nonempty(v: Any) -> str:
    if not _text(v).strip():
        raise _Bad("must not be empty")
    return v


def _pin(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        raise _Bad('write the PIN in quotes (a PIN may start with 0), e.g. pin = "1234"')
    if _text(v) and not re.fullmatch(r"\d{4,8}", v):
        raise _Bad('expected 4 to 8 digits in quotes, or "" for a SIM without PIN')
    return v


def _smsc(v: Any) -> str:
    return _e164(v) if _text(v) else ""


BAUDRATES = (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)


def _baudrate(v: Any) -> int:
    if type(v) is not int or v not in BAUDRATES:
        raise _Bad("expected one of " + ", ".join(map(str, BAUDRATES)))
    return v


def _cnmi(v: Any) -> str:
    # python-gsmmodem-new ignores +CMT (direct delivery): new texts must be stored on
    # the SIM and announced with +CMTI (mt=1), and the worker sweeps for missed ones.
    parts = _text(v).replace(" ", "").split(",")
    if not 2 <= len(parts) <= 5 or not all(p.isdigit() for p in parts):
        raise _Bad('expected AT+CNMI parameters like "2,1,0,1,0"')
    if parts[1] != "1":
        raise _Bad("the second value (mt) must be 1: store each text and announce it with +CMTI; "
                   "the modem library drops texts delivered directly (+CMT)")
    return ",".join(parts)


# ---- the schema ----

def _key(default, parse, **extra):
    return field(default=default, metadata={"parse": parse, **extra})


def _table(cls, **extra):
    return field(default_factory=cls, metadata={"table": cls, **extra})


@dataclass(frozen=True)
class BusinessHours:
    """Opening spans per weekday, local time; () means closed."""

    mon: tuple = _key(((time(8), time(18)),), _hours)
    tue: tuple = _key(((time(8), time(18)),), _hours)
    wed: tuple = _key(((time(8), time(18)),), _hours)
    thu: tuple = _key(((time(8), time(18)),), _hours)
    fri: tuple = _key(((time(8), time(18)),), _hours)
    sat: tuple = _key((), _hours)
    sun: tuple = _key((), _hours)

    def spans(self, weekday: int) -> tuple[tuple[time, time], ...]:
        """Spans for datetime.weekday() (0 = Monday)."""
        return getattr(self, WEEKDAYS[weekday])

    def is_open(self, local: datetime) -> bool:
        t = local.time()
        return any(a <= t < b for a, b in self.spans(local.weekday()))

    def next_opening(self, local: datetime) -> datetime | None:
        """The next moment the shop opens after `local` (naive or aware local time); None if never."""
        for days in range(8):
            day = (local + timedelta(days=days)).date()
            for start, _ in self.spans(day.weekday()):
                when = datetime.combine(day, start, tzinfo=local.tzinfo)
                if when > local:
                    return when
        return None


@dataclass(frozen=True)
class BusinessConfig:
    name: str = _key("", _text)
    country: str = _key("US", _region)
    timezone: str = _key("America/New_York", _timezone)
    callback_number: str = _key("", _shown_number)   # "" = the line the caller dialled
    booking_link: str = _key("", _text)
    own_numbers: tuple = _key((), _list(_phone_digits))
    help_text: str = _key("{business}: reply here or call us at {callback_number}. Reply STOP to opt out.",
                          _template, placeholders=MESSAGE_PLACEHOLDERS)
    hours: BusinessHours = _table(BusinessHours)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class LineConfig:
    """Overrides for one business line (DID); None means: as in [business] / [textback]."""

    did: str = field(default="", metadata={"internal": True})
    name: str | None = _key(None, _text)
    template: str | None = _key(None, _template, placeholders=MESSAGE_PLACEHOLDERS)
    after_hours_template: str | None = _key(None, _template, placeholders=MESSAGE_PLACEHOLDERS)
    callback_number: str | None = _key(None, _shown_number)


@dataclass(frozen=True)
class TextbackConfig:
    delay: timedelta = _key(timedelta(seconds=30), _duration("0s", "1h"))
    template: str = _key("Hi, this is {business}. Sorry we missed your call! How can we help? "
                         "Reply here or call us back at {callback_number}.",
                         _template, placeholders=MESSAGE_PLACEHOLDERS)
    after_hours_template: str = _key("Hi, this is {business}. Sorry we missed your call, we're closed "
                                     "right now. Reply here and we'll get back to you {opens_at}.",
                                     _template, placeholders=MESSAGE_PLACEHOLDERS)
    stale_after: timedelta = _key(timedelta(hours=2), _duration("1m", "7d"))
    dedupe_window: timedelta = _key(timedelta(hours=24), _duration("0s", "30d"))
    text_on: tuple = _key(DIAL_STATUSES, _list(_choice(*DIAL_STATUSES, fold=str.upper)))
    queue_text_on: tuple = _key(QUEUE_STATUSES, _list(_choice(*QUEUE_STATUSES, fold=str.upper)))
    reasons: tuple = _key(("after-hours", "voicemail"), _list(_choice("after-hours", "voicemail")))
    emoji: str = _key("keep", _choice("keep", "replace"))
    stop_reply: str = _key("You won't get any more texts from {business}. Reply START if you change your mind.",
                           _template, placeholders=MESSAGE_PLACEHOLDERS)
    start_reply: str = _key("Welcome back! You'll get texts from {business} again. Reply STOP to opt out.",
                            _template, placeholders=MESSAGE_PLACEHOLDERS)

    def __post_init__(self):
        if self.stale_after <= self.delay:
            raise _Bad(f"stale_after ({format_duration(self.stale_after)}) must be longer than delay "
                       f"({format_duration(self.delay)}), or no call would ever be texted")


@dataclass(frozen=True)
class FollowupStep:
    """One follow-up: `after` the previous text, or `at` a clock time on the next business morning."""

    after: timedelta | None = _key(None, _duration("1m", "7d"))
    at: time | None = _key(None, parse_clock)
    template: str = _key("", _template, placeholders=MESSAGE_PLACEHOLDERS)

    def __post_init__(self):
        if (self.after is None) == (self.at is None):
            raise _Bad('give exactly one of after = "2h" or at = "09:00"')
        if not self.template.strip():
            raise _Bad("template must not be empty")


DEFAULT_STEPS = (
    FollowupStep(after=timedelta(hours=2),
                 template="Hi again from {business}. Just checking in: can we help with anything? Reply here anytime."),
    FollowupStep(at=time(9), template="Good morning from {business}! Following up on your missed call. "
                                      "If we can still help, just reply here."),
)


@dataclass(frozen=True)
class FollowupsConfig:
    enabled: bool = _key(True, _flag)
    max_messages: int = _key(3, _int(1, 10))           # counting the first text
    opt_out_line: str = _key("Reply STOP to opt out.", _text)   # appended to each follow-up after a space
    steps: tuple = field(default=DEFAULT_STEPS, metadata={"tables": FollowupStep})


@dataclass(frozen=True)
class QuietHours:
    """No follow-up goes out from start to end (local time); start == end turns it off."""

    start: time = _key(time(21), parse_clock)
    end: time = _key(time(8), parse_clock)

    def contains(self, t: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end


@dataclass(frozen=True)
class GuardConfig:
    allowed_regions: tuple = _key((), _list(_region))   # () = [business] country
    hourly_cap: int = _key(30, _int(1, 10000))
    internal_max_digits: int = _key(6, _int(0, 10))
    block_premium: bool = _key(True, _flag)
    block_shared_cost: bool = _key(True, _flag)
    # Off by default: a toll-free caller costs no more to text, and is often a supplier
    # or a customer's office line; turn it on where toll-free numbers cannot take texts.
    block_toll_free: bool = _key(False, _flag)


@dataclass(frozen=True)
class StaffConfig:
    numbers: tuple = _key((), _list(_e164))
    forward: bool = _key(True, _flag)
    forward_template: str = _key("Text from {number}: {body}", _template, placeholders=FORWARD_PLACEHOLDERS)


@dataclass(frozen=True)
class ModemConfig:
    port: str = _key("/dev/textback-modem", _nonempty)
    baudrate: int = _key(115200, _baudrate)
    pin: str = _key("", _pin)
    smsc: str = _key("", _smsc)
    flow_control: bool = _key(False, _flag)
    cnmi: str = _key("2,1,0,1,0", _cnmi)
    delivery_reports: bool = _key(True, _flag)
    sweep_interval: timedelta = _key(timedelta(seconds=60), _duration("5s", "1h"))

    def __post_init__(self):
        ds = self.cnmi.split(",")[3] if self.cnmi.count(",") >= 3 else "0"
        if self.delivery_reports and ds not in ("1", "2"):
            raise _Bad(f'delivery_reports = true needs ds (the 4th cnmi value) = 1, got cnmi = "{self.cnmi}"')


@dataclass(frozen=True)
class StoreConfig:
    url: str = _key("sqlite:////var/lib/textback/textback.db", _store_url)
    spool_dir: str = _key("/var/spool/textback", _nonempty)


@dataclass(frozen=True)
class LogConfig:
    level: str = _key("info", _choice("debug", "info", "warning", "error"))


class LineSettings(NamedTuple):
    """Effective settings for one business line, [lines] overrides applied."""

    name: str
    template: str
    after_hours_template: str
    callback_number: str


@dataclass(frozen=True)
class Config:
    business: BusinessConfig = _table(BusinessConfig)
    lines: tuple = field(default=(), metadata={"keyed": LineConfig})
    textback: TextbackConfig = _table(TextbackConfig)
    followups: FollowupsConfig = _table(FollowupsConfig)
    quiet_hours: QuietHours = _table(QuietHours)
    guard: GuardConfig = _table(GuardConfig)
    staff: StaffConfig = _table(StaffConfig)
    modem: ModemConfig = _table(ModemConfig)
    store: StoreConfig = _table(StoreConfig)
    log: LogConfig = _table(LogConfig)
    source: str = field(default="built-in defaults", metadata={"internal": True})

    def allowed_regions(self) -> tuple[str, ...]:
        return self.guard.allowed_regions or (self.business.country,)

    def line(self, did: str) -> LineSettings:
        """Settings for the line a caller dialled; DIDs compare by digits, so +1212... matches 1212..."""
        digits = re.sub(r"\D", "", did or "")
        found = next((ln for ln in self.lines if ln.did == did), None) or next(
            (ln for ln in self.lines if digits and re.sub(r"\D", "", ln.did) == digits), LineConfig())
        pick = lambda own, base: base if own is None else own  # noqa: E731
        return LineSettings(pick(found.name, self.business.name), pick(found.template, self.textback.template),
                            pick(found.after_hours_template, self.textback.after_hours_template),
                            pick(found.callback_number, self.business.callback_number))


def section_keys(cls) -> list[str]:
    """The TOML keys a section dataclass accepts (internal fields left out)."""
    return [f.name for f in fields(cls) if not f.metadata.get("internal")]


# ---- loading ----

def _show(v: Any) -> str:
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    return "{...}" if isinstance(v, dict) else str(v)


def _hint(name: str, allowed: list[str]) -> str:
    import difflib   # only on this error path: the AGI hook never pays for it

    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else " (allowed: " + ", ".join(allowed) + ")"


def _build(cls, table: Any, path: str, label: str, file: str, **fixed):
    """Check one TOML table against dataclass `cls`; `path` is its dotted name, `label` how errors show it."""
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: {label} must be a table of settings, got {_kind(table)}")
    allowed = section_keys(cls)
    metas = {f.name: f.metadata for f in fields(cls)}
    values: dict[str, Any] = dict(fixed)
    for key, value in table.items():
        if key not in allowed:
            raise ConfigError(f'{file}: {label} unknown key "{key}"{_hint(key, allowed)}')
        meta, sub = metas[key], f"{path}.{key}" if path else key
        if "table" in meta:
            values[key] = _build(meta["table"], value, sub, f"[{sub}]", file)
        elif "keyed" in meta:
            if not isinstance(value, dict):
                raise ConfigError(f'{file}: {key} must hold tables like [{key}."+12125550100"]')
            values[key] = tuple(_build(meta["keyed"], v, key, f'[{key}."{did}"]', file, did=did)
                                for did, v in value.items())
        elif "tables" in meta:
            if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
                raise ConfigError(f"{file}: {label} {key}: write each one as a [[{sub}]] table")
            values[key] = tuple(_build(meta["tables"], x, sub, f"[[{sub}]] #{i + 1}", file)
                                for i, x in enumerate(value))
        else:
            try:
                values[key] = meta["parse"](value)
            except _Bad as e:
                raise ConfigError(f"{file}: {label} {key} = {_show(value)}: {e}") from None
    try:
        return cls(**values)
    except _Bad as e:
        raise ConfigError(f"{file}: {label} {e}") from None


def parse_config(text: str, source: str = "textback.toml") -> Config:
    """Parse TOML text; ConfigError names `source`, the section, the key and what is allowed."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {e}") from None
    tables = {f.name: f.metadata.get("table") for f in fields(Config) if not f.metadata.get("internal")}
    for name, value in doc.items():
        if name in tables and tables[name] and not isinstance(value, dict):
            raise ConfigError(f"{source}: {name} = {_show(value)}: expected a section [{name}]")
        if name not in tables:
            homes = [s for s, cls in tables.items() if cls and name in section_keys(cls)]
            if homes and not isinstance(value, dict):
                raise ConfigError(f"{source}: {name} = {_show(value)} is outside any section: "
                                  f"put it under [{homes[0]}]")
            raise ConfigError(f"{source}: unknown section [{name}]{_hint(name, list(tables))}")
    config = _build(Config, doc, "", "", source, source=source)
    for ln in config.lines:
        if not ln.did.strip():
            raise ConfigError(f'{source}: [lines.""]: a line needs its number, like [lines."+12125550100"]')
    return config


def resolve_path(path: str | None) -> tuple[str, bool]:
    """(path, named): --config, then $TEXTBACK_CONFIG, then the default (not named)."""
    if path:
        return path, True
    env = os.environ.get(ENV_VAR, "").strip()
    return (env, True) if env else (DEFAULT_PATH, False)


def _read(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file; give an existing file with --config or {ENV_VAR}, "
                          f"or write one with: textback config example > {path}") from None
    except PermissionError:
        raise ConfigError(f"{path}: permission denied; run as the textback user or make the file readable") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, expected the textback.toml file") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None


def load_config(path: str | None = None) -> Config:
    """Load the configuration. A missing default file means built-in defaults;
    a missing file named by --config or $TEXTBACK_CONFIG is an error."""
    path, named = resolve_path(path)
    if not named and not os.path.exists(path):
        return Config()
    return parse_config(_read(path), path)


class StoreSettings(NamedTuple):
    url: str
    spool_dir: str
    warning: str    # "" when the file was read cleanly


def read_store_settings(path: str | None = None) -> StoreSettings:
    """The AGI hook's lenient read of [store]: never raises. On any problem it returns the
    defaults and a warning, because the call must be recorded even when the file is broken.
    Only [store] is checked: a typo in [textback] must not send calls to the wrong database."""
    default = StoreConfig()
    try:
        path, named = resolve_path(path)
        if not named and not os.path.exists(path):
            return StoreSettings(default.url, default.spool_dir, "")
        try:
            doc = tomllib.loads(_read(path))
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: not valid TOML: {e}") from None
        table = doc.get("store", {})
        # Unknown keys are the full check's business; here only what the hook needs.
        known = {k: v for k, v in table.items() if k in ("url", "spool_dir")} if isinstance(table, dict) else table
        store = _build(StoreConfig, known, "store", "[store]", path)
        return StoreSettings(store.url, store.spool_dir, "")
    except Exception as e:  # noqa: BLE001 - by contract: a broken config must not lose the call
        return StoreSettings(default.url, default.spool_dir,
                             f"{e}; using the default store settings until it is fixed (run: textback config check)")
