"""textback's settings: one TOML file parsed into frozen dataclasses.

A leaf module, standard library only: the AGI hook imports it on every call (see
`read_store_settings`), and agi/ and modem/ may both import it. The schema lives in
the dataclasses below: each field's default is the built-in default and its metadata
names the parser that checks a value from the file, so a key cannot exist in one
place and be forgotten in the other. textback/textback.example.toml documents every
key; a test holds the two together. The parsers themselves, one TOML value each, live in
textback/config_values.py; this module names them per key and adds file, section and
key to their messages.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from store.facts import MISSED_DIAL_STATUSES, MISSED_QUEUE_STATUSES, MISSED_REASONS
from store.location import (  # noqa: F401
    DEFAULT_PATH,
    DEFAULT_SPOOL_DIR,
    DEFAULT_STORE_URL,
    ENV_VAR,
    FileProblem,
    StoreSettings,
    read_store_settings,
    read_text,
    resolve_path,
)

# The rules' own types for a follow-up step and quiet hours: [[followups.steps]] and
# [quiet_hours] parse straight into them (the parsers per key are in FOLLOW_UP_KEYS, QUIET_KEYS).
from store.rules.schedule import WEEKDAYS, FollowUpStep, QuietHours
from textback import config_parsers as parse

# Part of this module's API since before the parsers moved out: callers import them from here.
from textback.config_parsers import (  # noqa: F401
    BAUDRATES,
    format_duration,
    format_hours,
    parse_clock,
    parse_duration,
    template_placeholders,
)
from textback.config_toml_errors import toml_error_hint

# What templates may use. Texts to callers: MESSAGE_PLACEHOLDERS; the staff forward: FORWARD_PLACEHOLDERS.
MESSAGE_PLACEHOLDERS = ("business", "caller_name", "callback_number", "booking_link", "opens_at")
FORWARD_PLACEHOLDERS = ("business", "number", "caller_name", "body")


class ConfigError(Exception):
    """The configuration cannot be used; the message names file, key and what is allowed."""


# ---- the schema ----

def _key(default, parser, **extra):
    return field(default=default, metadata={"parse": parser, **extra})


def _table(cls, **extra):
    return field(default_factory=cls, metadata={"table": cls, **extra})


def _parsed(parser, **extra) -> dict:
    """The metadata of a key of a type that is not the configuration's own (the rules')."""
    return {"parse": parser, **extra}


@dataclass(frozen=True)
class BusinessHours:
    """Opening spans per weekday, local time; () means closed."""

    mon: tuple = _key(((time(8), time(18)),), parse.hours)
    tue: tuple = _key(((time(8), time(18)),), parse.hours)
    wed: tuple = _key(((time(8), time(18)),), parse.hours)
    thu: tuple = _key(((time(8), time(18)),), parse.hours)
    fri: tuple = _key(((time(8), time(18)),), parse.hours)
    sat: tuple = _key((), parse.hours)
    sun: tuple = _key((), parse.hours)

    def spans(self, weekday: int) -> tuple[tuple[time, time], ...]:
        """Spans for datetime.weekday() (0 = Monday)."""
        return getattr(self, WEEKDAYS[weekday])



@dataclass(frozen=True)
class BusinessConfig:
    name: str = _key("", parse.text)
    country: str = _key("US", parse.region)
    timezone: str = _key("America/New_York", parse.timezone)
    callback_number: str = _key("", parse.shown_number)   # "" = the line the caller dialled
    booking_link: str = _key("", parse.text)
    own_numbers: tuple = _key((), parse.list_of(parse.phone_digits))
    help_text: str = _key("{business}: reply here or call us at {callback_number}. Reply STOP to opt out.",
                          parse.template, placeholders=MESSAGE_PLACEHOLDERS)
    hours: BusinessHours = _table(BusinessHours)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class LineConfig:
    """Overrides for one business line (DID); None means: as in [business] / [textback]."""

    did: str = field(default="", metadata={"internal": True})
    name: str | None = _key(None, parse.text)
    template: str | None = _key(None, parse.template, placeholders=MESSAGE_PLACEHOLDERS)
    after_hours_template: str | None = _key(None, parse.template, placeholders=MESSAGE_PLACEHOLDERS)
    callback_number: str | None = _key(None, parse.shown_number)


@dataclass(frozen=True)
class TextbackConfig:
    delay: timedelta = _key(timedelta(seconds=30), parse.duration("0s", "1h"))
    template: str = _key("Hi, this is {business}. Sorry we missed your call! How can we help? "
                         "Reply here or call us back at {callback_number}.",
                         parse.template, placeholders=MESSAGE_PLACEHOLDERS)
    after_hours_template: str = _key("Hi, this is {business}. Sorry we missed your call, we're closed "
                                     "right now. Reply here and we'll get back to you {opens_at}.",
                                     parse.template, placeholders=MESSAGE_PLACEHOLDERS)
    stale_after: timedelta = _key(timedelta(hours=2), parse.duration("1m", "7d"))
    dedupe_window: timedelta = _key(timedelta(hours=24), parse.duration("0s", "30d"))
    # A caller who gave up (CANCEL) after ringing less than this misdialled: not texted
    # (too_short). Needs ring=${DIALEDTIME} in the dialplan (asterisk/extensions_textback.conf).
    min_ring: timedelta = _key(timedelta(seconds=3), parse.duration("0s", "1m"))
    text_on: tuple = _key(MISSED_DIAL_STATUSES,
                          parse.list_of(parse.choice(*MISSED_DIAL_STATUSES, fold=str.upper)))
    queue_text_on: tuple = _key(MISSED_QUEUE_STATUSES,
                                parse.list_of(parse.choice(*MISSED_QUEUE_STATUSES, fold=str.upper)))
    reasons: tuple = _key(MISSED_REASONS, parse.list_of(parse.choice(*MISSED_REASONS)))
    emoji: str = _key("keep", parse.choice("keep", "replace"))
    stop_reply: str = _key("You won't get any more texts from {business}. Reply START if you change your mind.",
                           parse.template, placeholders=MESSAGE_PLACEHOLDERS)
    start_reply: str = _key("Welcome back! You'll get texts from {business} again. Reply STOP to opt out.",
                            parse.template, placeholders=MESSAGE_PLACEHOLDERS)

    def __post_init__(self):
        if self.stale_after <= self.delay:
            raise parse.BadValue(f"stale_after ({format_duration(self.stale_after)}) must be longer than delay "
                                 f"({format_duration(self.delay)}), or no call would ever be texted")


@dataclass(frozen=True)
class KeywordsConfig:
    """The shop's own keywords, on top of the built-in English ones (STOP, START, HELP...),
    matched by the same rules: see store/rules/keywords.py."""

    opt_out: tuple = _key((), parse.list_of(parse.keyword))
    opt_in: tuple = _key((), parse.list_of(parse.keyword))
    help: tuple = _key((), parse.list_of(parse.keyword))

    def __post_init__(self):
        seen: dict[str, str] = {}
        for kind in ("opt_out", "opt_in", "help"):
            for word in getattr(self, kind):
                folded = " ".join(word.casefold().split())
                if seen.get(folded, kind) != kind:
                    raise parse.BadValue(f'"{word}" is in both {seen[folded]} and {kind}: '
                                         "a keyword can mean one thing only")
                seen[folded] = kind


FOLLOW_UP_KEYS = {"after": _parsed(parse.duration("1m", "7d")), "at": _parsed(parse_clock),
                  "template": _parsed(parse.template, placeholders=MESSAGE_PLACEHOLDERS)}


def _step_has_text(step: FollowUpStep) -> None:
    if not step.template.strip():
        raise parse.BadValue("template must not be empty")


DEFAULT_STEPS = (
    FollowUpStep(after=timedelta(hours=2),
                 template="Hi again from {business}. Just checking in: can we help with anything? Reply here anytime."),
    FollowUpStep(at=time(9), template="Good morning from {business}! Following up on your missed call. "
                                      "If we can still help, just reply here."),
)


@dataclass(frozen=True)
class FollowupsConfig:
    enabled: bool = _key(True, parse.flag)
    max_messages: int = _key(3, parse.whole_number(1, 10))     # counting the first text
    opt_out_line: str = _key("Reply STOP to opt out.", parse.text)   # appended to each follow-up after a space
    steps: tuple = field(default=DEFAULT_STEPS, metadata={"tables": FollowUpStep, "keys": FOLLOW_UP_KEYS,
                                                          "check": _step_has_text})


QUIET_KEYS = {"start": _parsed(parse_clock), "end": _parsed(parse_clock)}


@dataclass(frozen=True)
class GuardConfig:
    allowed_regions: tuple = _key((), parse.list_of(parse.region))   # () = [business] country
    hourly_cap: int = _key(30, parse.whole_number(1, 10000))
    internal_max_digits: int = _key(6, parse.whole_number(0, 10))
    block_premium: bool = _key(True, parse.flag)
    block_shared_cost: bool = _key(True, parse.flag)
    # Off by default: a toll-free caller costs no more to text, and is often a supplier
    # or a customer's office line; turn it on where toll-free numbers cannot take texts.
    block_toll_free: bool = _key(False, parse.flag)


@dataclass(frozen=True)
class SendingConfig:
    """Carrier-safe sending (store/rules/pacing.py): a consumer SIM that sends like a bulk
    sender gets capped or blocked. 0 turns a cap off."""

    min_gap: timedelta = _key(timedelta(seconds=5), parse.duration("0s", "10m"))
    gap_jitter: timedelta = _key(timedelta(seconds=5), parse.duration("0s", "10m"))
    daily_cap: int = _key(90, parse.whole_number(0, 100000))
    recipients_cap: int = _key(200, parse.whole_number(0, 1000000))
    # Several modems: a modem that is down holds its own texts (a text from another number
    # confuses the caller). After this long past its time, another modem's worker sends it.
    takeover_after: timedelta = _key(timedelta(0), parse.duration("0s", "7d"))


@dataclass(frozen=True)
class StaffConfig:
    numbers: tuple = _key((), parse.list_of(parse.e164))
    forward: bool = _key(True, parse.flag)
    forward_template: str = _key("Text from {number}: {body}", parse.template,
                                 placeholders=FORWARD_PLACEHOLDERS)


MODEM_MODELS = ("auto", "ec25", "sim7600", "a7670", "sim800", "huawei", "generic")


@dataclass(frozen=True)
class ModemConfig:
    """The one [modem], or one [[modem]] entry of several (one worker each: its name, and
    the business lines whose callers it texts, so a reply comes back to the number they rang)."""

    name: str = _key("", parse.modem_name)
    lines: tuple = _key((), parse.list_of(parse.e164))
    port: str = _key("/dev/textback-modem", parse.nonempty)
    baudrate: int = _key(115200, parse.baudrate)
    pin: str = _key("", parse.pin)
    smsc: str = _key("", parse.smsc)
    flow_control: bool = _key(False, parse.flag)
    cnmi: str = _key("auto", parse.cnmi)
    # Which modem family's set-up to use; "auto" asks the modem. The families are
    # modem.device.families.FAMILIES (a leaf module cannot import it; a test keeps them equal).
    model: str = _key("auto", parse.choice(*MODEM_MODELS))
    delivery_reports: bool = _key(True, parse.flag)
    sweep_interval: timedelta = _key(timedelta(seconds=60), parse.duration("5s", "1h"))

    def __post_init__(self):
        ds = "1" if self.cnmi == "auto" else self.cnmi.split(",")[3] if self.cnmi.count(",") >= 3 else "0"
        if self.delivery_reports and ds not in ("1", "2"):
            raise parse.BadValue(f'delivery_reports = true needs ds (the 4th cnmi value) = 1, '
                                 f'got cnmi = "{self.cnmi}"')


@dataclass(frozen=True)
class StoreConfig:
    url: str = _key(DEFAULT_STORE_URL, parse.store_url)
    spool_dir: str = _key(DEFAULT_SPOOL_DIR, parse.nonempty)
    # Calls, texts and opt-out audit rows older than this are deleted by the worker.
    keep: timedelta = _key(timedelta(days=400), parse.duration("30d", "36500d"))


@dataclass(frozen=True)
class NotifyConfig:
    """One [[notify]] target: the shop's CRM, team chat or script hears every event
    (docs/events.md): an HTTP(S) URL gets a signed POST, a command gets the JSON on stdin."""

    name: str = _key("", parse.nonempty)
    url: str = _key("", parse.notify_url)
    command: str = _key("", parse.nonempty)
    secret: str = _key("", parse.nonempty)              # HMAC-SHA256 key for the signature header
    events: tuple = _key((), parse.list_of(parse.event_type))   # () = every type
    timeout: timedelta = _key(timedelta(seconds=10), parse.duration("1s", "5m"))
    retry_for: timedelta = _key(timedelta(hours=24), parse.duration("1m", "30d"))
    retry_first: timedelta = _key(timedelta(seconds=5), parse.duration("1s", "1h"))
    retry_max: timedelta = _key(timedelta(minutes=10), parse.duration("1s", "1d"))
    alert_after: int = _key(5, parse.whole_number(1, 10000))
    cafile: str = _key("", parse.nonempty)              # a CA bundle for a private certificate

    def __post_init__(self):
        if not self.name:
            raise parse.BadValue('needs a name, like name = "crm" (textback status shows it)')
        if bool(self.url) == bool(self.command):
            raise parse.BadValue('give exactly one of url = "https://..." or command = "/path/to/script"')
        if self.url and not self.secret:
            raise parse.BadValue('a url needs a secret = "..." (the receiver checks the signature with it)')
        if self.retry_max < self.retry_first:
            raise parse.BadValue("retry_max must not be shorter than retry_first")


@dataclass(frozen=True)
class LogConfig:
    level: str = _key("info", parse.choice("debug", "info", "warning", "error"))


@dataclass(frozen=True)
class Config:
    business: BusinessConfig = _table(BusinessConfig)
    lines: tuple = field(default=(), metadata={"keyed": LineConfig})
    textback: TextbackConfig = _table(TextbackConfig)
    keywords: KeywordsConfig = _table(KeywordsConfig)
    followups: FollowupsConfig = _table(FollowupsConfig)
    quiet_hours: QuietHours = _table(QuietHours, keys=QUIET_KEYS)
    guard: GuardConfig = _table(GuardConfig)
    sending: SendingConfig = _table(SendingConfig)
    staff: StaffConfig = _table(StaffConfig)
    modem: ModemConfig = _table(ModemConfig)
    store: StoreConfig = _table(StoreConfig)
    log: LogConfig = _table(LogConfig)
    notify: tuple = field(default=(), metadata={"tables": NotifyConfig})
    source: str = field(default="built-in defaults", metadata={"internal": True})
    # Every [[modem]] entry when the file has several; () when it has the one [modem]
    # table (then `modem` is it). parse_config fills both: `modem` is the first entry.
    modem_entries: tuple = field(default=(), metadata={"internal": True})

    def allowed_regions(self) -> tuple[str, ...]:
        return self.guard.allowed_regions or (self.business.country,)

    def modems(self) -> tuple[ModemConfig, ...]:
        """Every modem this configuration names: the [[modem]] entries, or the one [modem]."""
        return self.modem_entries or (self.modem,)

    def modem_named(self, name: str | None) -> ModemConfig:
        """The modem a worker drives: `name` from `textback worker --modem NAME`, or the
        only one. ConfigError says which names there are when it is ambiguous or unknown."""
        entries = self.modems()
        names = ", ".join(m.name for m in entries if m.name)
        if name is None:
            if len(entries) == 1:
                return entries[0]
            first = entries[0].name
            raise ConfigError(f"{self.source} has {len(entries)} modems ({names}): run one worker for each, "
                              f"e.g. textback worker --modem {first} (systemd: textback-worker@{first})")
        for entry in entries:
            if entry.name == name:
                return entry
        if not names:
            raise ConfigError(f'{self.source} has one [modem] without a name: add name = "{name}" to it, '
                              "or run textback worker without --modem")
        raise ConfigError(f'{self.source} has no modem named "{name}": it has {names}')


def section_keys(cls) -> list[str]:
    """The TOML keys a section dataclass accepts (internal fields left out)."""
    return [f.name for f in fields(cls) if not f.metadata.get("internal")]


# ---- loading ----

def _hint(name: str, allowed: list[str]) -> str:
    import difflib  # only on this error path: the AGI hook never pays for it

    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else " (allowed: " + ", ".join(allowed) + ")"


def _known_placeholders(template: str, allowed: tuple[str, ...]) -> None:
    """Refuse a {name} the texts cannot fill: the worker would not know what to send."""
    for name in template_placeholders(template):
        if name not in allowed:
            raise parse.BadValue(f"unknown placeholder {{{name}}}: use "
                                 + ", ".join("{" + a + "}" for a in allowed))


def _build(cls, table: Any, path: str, label: str, file: str, *, keys: dict | None = None,
           check: Any = None, **fixed):
    """Check one TOML table against dataclass `cls`; `path` is its dotted name, `label` how errors show it.
    `keys`: the parser metadata per key when `cls` is not the configuration's own (the rules'
    FollowUpStep, QuietHours); `check`: a test of the whole value (raises BadValue)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: {label} must be a table of settings, got {parse.kind_of(table)}")
    allowed = section_keys(cls)
    metas = keys if keys is not None else {f.name: f.metadata for f in fields(cls)}
    values: dict[str, Any] = dict(fixed)
    for key, value in table.items():
        if key not in allowed:
            raise ConfigError(f'{file}: {label} unknown key "{key}"{_hint(key, allowed)}')
        meta, sub = metas[key], f"{path}.{key}" if path else key
        if "table" in meta:
            values[key] = _build(meta["table"], value, sub, f"[{sub}]", file, keys=meta.get("keys"))
        elif "keyed" in meta:
            if not isinstance(value, dict):
                raise ConfigError(f'{file}: {key} must hold tables like [{key}."+12125550100"]')
            values[key] = tuple(_build(meta["keyed"], v, key, f'[{key}."{did}"]', file, did=did)
                                for did, v in value.items())
        elif "tables" in meta:
            if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
                raise ConfigError(f"{file}: {label} {key}: write each one as a [[{sub}]] table")
            values[key] = tuple(_build(meta["tables"], x, sub, f"[[{sub}]] #{i + 1}", file,
                                       keys=meta.get("keys"), check=meta.get("check"))
                                for i, x in enumerate(value))
        else:
            try:
                values[key] = meta["parse"](value)
                if "placeholders" in meta:
                    _known_placeholders(value, meta["placeholders"])
            except parse.BadValue as e:
                raise ConfigError(f"{file}: {label} {key} = {parse.as_toml(value)}: {e}") from None
    try:
        built = cls(**values)
        if check is not None:
            check(built)
        return built
    except ValueError as e:     # BadValue, or the rules' own types refusing a value
        raise ConfigError(f"{file}: {label} {e}") from None


def parse_config(text: str, source: str = "textback.toml") -> Config:
    """Parse TOML text; ConfigError names `source`, the section, the key and what is allowed."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {toml_error_hint(text, e)}") from None
    entries = doc.pop("modem") if isinstance(doc.get("modem"), list) else None   # [[modem]]: several
    tables = {f.name: f.metadata.get("table") for f in fields(Config) if not f.metadata.get("internal")}
    for name, value in doc.items():
        if name in tables and tables[name] and not isinstance(value, dict):
            raise ConfigError(f"{source}: {name} = {parse.as_toml(value)}: expected a section [{name}]")
        if name not in tables:
            homes = [s for s, cls in tables.items() if cls and name in section_keys(cls)]
            if homes and not isinstance(value, dict):
                raise ConfigError(f"{source}: {name} = {parse.as_toml(value)} is outside any section: "
                                  f"put it under [{homes[0]}]")
            raise ConfigError(f"{source}: unknown section [{name}]{_hint(name, list(tables))}")
    config = _build(Config, doc, "", "", source, source=source)
    if entries is not None:
        config = _with_modem_entries(config, entries, source)
    names = [t.name for t in config.notify]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f'{source}: [[notify]] name = "{name}" is used twice: each target needs its own name')
    for ln in config.lines:
        if not ln.did.strip():
            raise ConfigError(f'{source}: [lines.""]: a line needs its number, like [lines."+12125550100"]')
    return config


def _with_modem_entries(config: Config, entries: list, source: str) -> Config:
    """Several modems ([[modem]] tables): each needs a name, its own port, and lines no
    other entry claims; at most one may leave `lines` out (it texts for every other line)."""
    import dataclasses

    if not entries or not all(isinstance(x, dict) for x in entries):
        raise ConfigError(f"{source}: write each modem as a [[modem]] table with name, port and lines")
    built = tuple(_build(ModemConfig, x, "modem", f"[[modem]] #{i + 1}", source) for i, x in enumerate(entries))
    seen: dict[str, dict[str, str]] = {"name": {}, "port": {}, "line": {}}
    for i, entry in enumerate(built):
        label = f"[[modem]] #{i + 1}"
        if not entry.name:
            raise ConfigError(f'{source}: {label} needs a name, like name = "front-desk" '
                              "(textback worker --modem NAME runs it)")
        for kind, values in (("name", (entry.name,)), ("port", (entry.port,)), ("line", entry.lines)):
            for value in values:
                if value in seen[kind]:
                    raise ConfigError(f'{source}: {label} {kind} "{value}" is also in [[modem]] '
                                      f'"{seen[kind][value]}": each modem needs its own')
                seen[kind][value] = entry.name
    catch_alls = [m.name for m in built if not m.lines]
    if len(catch_alls) > 1:
        raise ConfigError(f"{source}: [[modem]] {', '.join(catch_alls)} list no lines: give each its "
                          'lines = ["+1..."] (one may leave them out: it texts for every other line)')
    return dataclasses.replace(config, modem=built[0], modem_entries=built)


def load_config(path: str | None = None) -> Config:
    """Load the configuration. A missing default file means built-in defaults;
    a missing file named by --config or $TEXTBACK_CONFIG is an error."""
    path, named = resolve_path(path)
    if not named and not os.path.exists(path):
        return Config()
    try:
        text = read_text(path)
    except FileProblem as e:
        raise ConfigError(str(e)) from None
    return parse_config(text, path)
