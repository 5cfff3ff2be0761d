"""The schema of textback's settings: the frozen dataclasses a TOML file is parsed into.

Each field's default is the built-in default and its metadata names the parser that checks
a value from the file (textback/config_parsers.py), so a key cannot exist in one place and
be forgotten in the other. textback/textback.example.toml documents every key; a test
holds the two together. Reading a file into these is textback/config_loading.py; callers
import both from textback.config.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from store.facts import MISSED_DIAL_STATUSES, MISSED_QUEUE_STATUSES, MISSED_REASONS
from store.location import DEFAULT_SPOOL_DIR, DEFAULT_STORE_URL

# The rules' own types for a follow-up step and quiet hours: [[followups.steps]] and
# [quiet_hours] parse straight into them (the parsers per key are in FOLLOW_UP_KEYS, QUIET_KEYS).
from store.rules.schedule import WEEKDAYS, FollowUpStep, QuietHours
from textback import config_parsers as parse
from textback.config_parsers import format_duration, parse_clock

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
