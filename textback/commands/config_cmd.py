"""`textback config`: check the configuration and print the commented example.

`config check` is what a technician runs after every edit: it shows the settings in
effect, renders every text a caller or staff member can receive with sample values,
and says how each one travels (GSM-7 or UCS-2, how many billed SMS parts) before the
first real caller pays for a mistake. The texts are rendered by the worker's own
rules, so what is shown is what a caller would get.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime, time, timedelta, timezone
from importlib import resources

import click

from modem.sms.measure import as_sent, describe, explain_non_gsm
from modem.worker.conversation import forward_text
from store.facts import CallFact
from store.rules import keywords
from store.rules.guard import own_number_problems
from store.rules.plan import plan_messages, profile_for_line
from store.rules.schedule import next_opening
from store.rules.templates import render, unfilled
from textback import config as cfg
from textback.worker_settings import shop_keywords, shop_settings

log = logging.getLogger(__name__)

SAMPLE_CALLER_NUMBER = "+12125550123"
SAMPLE_CALLER_NAME = "Sam"
SAMPLE_MESSAGE_ID = 42              # the thread number a forward shows staff
SAMPLE_REPLY = "Hi, do you do boiler repairs on Saturdays?"
MAX_SEGMENTS = 2


@dataclass(frozen=True)
class Rendered:
    label: str
    text: str
    warnings: tuple[str, ...]


def _measure(label: str, text: str, config: cfg.Config, *, template: str = "",
             names_business: str | None = None) -> Rendered:
    """`text` as the worker would send it: its encoding, parts and what to warn about."""
    warnings = []
    text = as_sent(text, config.textback.emoji)
    if names_business and names_business.lower() not in text.lower():
        warnings.append(f'does not name the business ("{names_business}"): callers ignore texts '
                        "from numbers they cannot place; use {business}")
    measure = describe(text)
    if measure.has_emoji:
        warnings.append('contains emoji: sent as UCS-2 (70 characters per SMS, not 160); '
                        'remove them or set [textback] emoji = "replace"')
    elif measure.encoding == "UCS-2":
        warnings.append(f"sent as UCS-2 (70 characters per SMS, not 160) because of: {explain_non_gsm(text)}")
    if measure.segments > MAX_SEGMENTS:
        warnings.append(f"{measure.segments} SMS parts (each one is billed); shorten it to {MAX_SEGMENTS} or fewer")
    return Rendered(f"{label} [{measure.summary()}]", text, tuple(warnings))


def _sample_call(did: str, *, closed: bool, when: datetime) -> CallFact:
    return CallFact(uniqueid="config-check", caller_raw=SAMPLE_CALLER_NUMBER, caller_name=SAMPLE_CALLER_NAME,
                    business_line=did, disposition="NOANSWER", reason="after-hours" if closed else "",
                    happened_at=when)


def render_all(config: cfg.Config, now: datetime | None = None) -> list[Rendered]:
    """Every text the configuration can produce, rendered by the same rules the worker
    uses (store.rules.plan.plan_messages, the keyword replies, the staff forward), for a
    sample caller."""
    settings = shop_settings(config)
    rules = settings.rules
    now = now or datetime.now(timezone.utc)
    opening = next_opening(rules.hours, now)
    b, fu = config.business, config.followups
    out: list[Rendered] = []
    follow_ups: tuple = ()
    lines = [("", "first text, ")] + [(ln.did, f'first text for line "{ln.did}", ') for ln in config.lines]
    for did, heading in lines:
        profile = profile_for_line(rules, did)
        for closed, label in ((False, "business hours"), (True, "after hours")):
            if not closed and opening is None:
                continue                    # never open: general_warnings says so
            when = now if closed or opening is None else opening + timedelta(minutes=1)
            planned = plan_messages(_sample_call(did, closed=closed, when=when), rules, when)
            template = profile.closed_template if closed else profile.open_template
            first = planned[0].body if planned else ""
            out.append(_measure(f"{heading}{label}", first, config, template=template or "",
                                names_business=profile.business))
            if not did and not closed:
                follow_ups = planned[1:]
    steps = fu.steps if fu.enabled else ()
    for message in follow_ups:
        step = steps[min(message.step, len(steps)) - 1]
        timing = (f"after {cfg.format_duration(step.after)}" if step.after
                  else f"next business morning {step.at:%H:%M}")
        r = _measure(f"follow-up {message.step} ({timing})", message.body, config, template=step.template)
        if "stop" not in r.text.lower():
            r = Rendered(r.label, r.text, r.warnings + (
                'has no opt-out line: set [followups] opt_out_line = "Reply STOP to opt out."',))
        out.append(r)
    out.append(_measure("HELP reply", settings.reply_text(b.help_text), config))
    out.append(_measure("STOP confirmation", settings.reply_text(config.textback.stop_reply), config))
    out.append(_measure("START confirmation", settings.reply_text(config.textback.start_reply), config))
    if config.staff.forward:
        out.append(_measure("reply forwarded to staff",
                            forward_text(settings, SAMPLE_CALLER_NUMBER, SAMPLE_REPLY, SAMPLE_MESSAGE_ID), config))
    return out


def general_warnings(config: cfg.Config) -> list[str]:
    """Settings that are valid but probably not what the shop wants."""
    b, fu, staff = config.business, config.followups, config.staff
    warnings = []
    if not any(b.hours.spans(d) for d in range(7)):
        warnings.append("[business.hours] closed every day: every caller gets the after-hours text")
    if fu.enabled and len(fu.steps) > fu.max_messages - 1:
        warnings.append(f"[followups] {len(fu.steps)} steps but max_messages = {fu.max_messages} (counting the "
                        f"first text) leaves room for {fu.max_messages - 1}: the rest are never sent")
    for i, step in enumerate(fu.steps if fu.enabled else (), start=1):
        if step.at is not None and config.quiet_hours.contains(step.at):
            warnings.append(f"[[followups.steps]] #{i} at = \"{step.at:%H:%M}\" falls in quiet hours "
                            f"({config.quiet_hours.start:%H:%M}-{config.quiet_hours.end:%H:%M}): "
                            "it waits until they end")
    # Own numbers the abuse guard cannot read are not recognised as the shop's own.
    warnings += own_number_problems(shop_settings(config).rules.guard)
    warnings += keyword_problems(config)
    if staff.forward and not staff.numbers:
        warnings.append("[staff] forward = true but no numbers: replies are only kept for `textback` on this box")
    return warnings


def example_values() -> cfg.Config:
    """The shipped example, as loaded: its name and numbers are placeholders to replace."""
    return cfg.parse_config(example_text())


def identity_errors(config: cfg.Config) -> list[str]:
    """A name or number the shop has not made its own yet: texting as "Example Plumbing &
    Heating", or telling callers to ring the example's number, is worse than not texting."""
    b, example = config.business, example_values().business
    errors = []
    if not b.name.strip():
        errors.append('[business] name is empty: every text would start "Hi, this is ." Set name to your '
                      "business's name")
    elif b.name.strip() == example.name:
        errors.append(f'[business] name is still the example\'s "{example.name}": set name to your business\'s name')
    if example.callback_number and b.callback_number == example.callback_number:
        errors.append(f'[business] callback_number is still the example\'s "{example.callback_number}": set the '
                      'number callers should call back, or callback_number = "" for the number they dialled')
    stale = [n for n in b.own_numbers if n in example.own_numbers]
    if stale:
        errors.append(f"[business] own_numbers still holds the example's {', '.join(stale)}: list your business "
                      "lines and the modem's SIM number instead")
    # The example's [[modem]] entries are comments, so their numbers are read from its text.
    example_numbers = set(re.findall(r"\+\d{8,15}", example_text()))
    for modem in config.modem_entries:
        kept = [n for n in modem.lines if n in example_numbers]
        if kept:
            errors.append(f"[[modem]] {modem.name} lines still holds the example's {', '.join(kept)}: list the "
                          "business lines (the numbers callers dial) this SIM texts for")
    for ln in config.lines:
        if ln.name is not None and not ln.name.strip():
            errors.append(f'[lines."{ln.did}"] name is empty: texts for that line would name no business; '
                          "set it or remove the key to use [business] name")
    return errors


# Which key gives each placeholder its value, for a message that names it.
_FILLED_BY = {"business": "name", "callback_number": "callback_number", "booking_link": "booking_link",
              "opens_at": None}


def template_value_errors(config: cfg.Config, now: datetime | None = None) -> list[str]:
    """Each text that renders empty or loses a sentence because a placeholder has no value,
    naming the placeholder and the key that fills it."""
    settings = shop_settings(config)
    rules = settings.rules
    opening = next_opening(rules.hours, now or datetime.now(timezone.utc))
    errors: list[str] = []

    def check(label: str, template: str | None, values: dict, section: str) -> None:
        if not template:
            return
        if not render(template, values).strip():
            missing = [f for f in cfg.template_placeholders(template) if f != "caller_name" and not values.get(f)]
            errors.append(f"{label}: renders EMPTY: " + "; ".join(_why(f, section) for f in missing)
                          + "; fill it in or take the placeholder out of the text")
            return
        for sentence, field in unfilled(template, values):
            errors.append(f'{label}: {_why(field, section)}: the sentence "{sentence}" would be left out; '
                          "fill it in or take the placeholder out of the text")

    opens = "tomorrow at 9:00" if opening else ""
    line_configs = {ln.did: ln for ln in config.lines}
    for did in [""] + [ln.did for ln in config.lines]:
        profile = profile_for_line(rules, did)
        section = f'[lines."{did}"]' if did and line_configs[did].name is not None else "[business]"
        # The first text's callback number falls back to the line the caller dialled.
        values = {"business": profile.business or "", "caller_name": SAMPLE_CALLER_NAME,
                  "callback_number": profile.callback_number or "(the number dialled)",
                  "booking_link": profile.booking_link or "", "opens_at": opens}
        heading = f'first text for line "{did}"' if did else "first text"
        check(f"{heading}, business hours", profile.open_template, values, section)
        check(f"{heading}, after hours", profile.closed_template, values, section)
        if not did and config.followups.enabled:
            for i, step in enumerate(config.followups.steps, start=1):
                check(f"follow-up {i}", step.template, values, section)
    # Keyword replies answer a text, not a call: no dialled line to fall back on.
    values = dict(settings.template_values(), caller_name="", opens_at=opens)
    for label, template in (("HELP reply", config.business.help_text),
                            ("STOP confirmation", config.textback.stop_reply),
                            ("START confirmation", config.textback.start_reply)):
        check(label, template, values, "[business]")
    return errors


def _why(field: str, section: str) -> str:
    key = _FILLED_BY.get(field)
    if key is None:
        return f"uses {{{field}}} but [business.hours] is closed every day, so there is no opening to name"
    return f"uses {{{field}}} but {section} {key} is empty"


def keyword_problems(config: cfg.Config) -> list[str]:
    """[keywords] entries that cannot do what their list says (the built-in words win)."""
    builtin = {"opt_out": keywords.OPT_OUT_WORDS, "opt_in": keywords.OPT_IN_WORDS, "help": keywords.HELP_WORDS}
    out = []
    for kind in builtin:
        for word in getattr(config.keywords, kind):
            normal = keywords.normalise(word)
            clash = [other for other, words in builtin.items() if other != kind and normal in words]
            for other in clash:
                out.append(f'[keywords] {kind} "{word}" is a built-in {other.replace("_", "-")} word: '
                           f"{'an opt-out always wins' if other == 'opt_out' else 'it keeps that meaning'}"
                           f"; remove it from {kind}")
            if (not clash and kind != "opt_out"
                    and keywords.classify(word, shop_keywords(config)) is keywords.Keyword.OPT_OUT):
                out.append(f'[keywords] {kind} "{word}" reads as an opt-out (it contains one): '
                           "it would opt the customer out; choose another word")
    return out


def _value(v) -> str:
    if isinstance(v, timedelta):
        return f'"{cfg.format_duration(v)}"'
    if isinstance(v, time):
        return f'"{v:%H:%M}"'
    if isinstance(v, tuple) and not v:
        return "[]"
    if isinstance(v, tuple) and not is_dataclass(v[0]):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return f'"{v}"' if isinstance(v, str) else str(v)


def _section_lines(title: str, obj) -> list[str]:
    lines, nested = [f"[{title}]"], []
    for f in fields(obj):
        v = getattr(obj, f.name)
        if f.metadata.get("internal"):
            continue
        if isinstance(obj, cfg.BusinessHours):
            lines.append(f'  {f.name} = "{cfg.format_hours(v)}"')
        elif "table" in f.metadata:
            nested += _section_lines(f"{title}.{f.name}", v)
        elif "tables" in f.metadata:
            for i, step in enumerate(v, start=1):
                when = f'after = "{cfg.format_duration(step.after)}"' if step.after else f'at = "{step.at:%H:%M}"'
                nested.append(f"[[{title}.{f.name}]] #{i}: {when} (text below)")
        elif "placeholders" in f.metadata:
            lines.append(f"  {f.name} = (text below)")
        elif f.name == "pin" and v:
            lines.append(f'  {f.name} = "****"')
        else:
            lines.append(f"  {f.name} = {_value(v)}")
    if title == "guard" and not obj.allowed_regions:
        lines[1 + [f.name for f in fields(obj)].index("allowed_regions")] += "  (the [business] country)"
    return lines + nested


def settings_report(config: cfg.Config) -> list[str]:
    out = []
    for f in fields(config):
        if f.metadata.get("internal"):
            continue
        value = getattr(config, f.name)
        if f.name == "lines":
            for ln in value:
                overrides = [f'{k} = {_value(getattr(ln, k))}' for k in ("name", "callback_number")
                             if getattr(ln, k) is not None]
                out.append(f'[lines."{ln.did}"] ' + (", ".join(overrides) or "(templates only)"))
            continue
        if f.name == "notify":
            out += [notify_line(t) for t in value]
            continue
        if f.name == "modem" and config.modem_entries:
            # [[modem]] entries: each one, as the file writes them (`modem` is only the first).
            for entry in config.modem_entries:
                out += ["[[modem]]"] + _section_lines("modem", entry)[1:]
            continue
        out += _section_lines(f.name, value)
    return out


def notify_line(target: cfg.NotifyConfig) -> str:
    """One [[notify]] target, its secret never shown."""
    where = f"url = {_value(target.url)}" if target.url else f"command = {_value(target.command)}"
    kinds = ", ".join(target.events) if target.events else "every event"
    return (f'[[notify]] {target.name}: {where}, {kinds}'
            + (", signed" if target.secret else "")
            + f", retried for {cfg.format_duration(target.retry_for)}, alert after {target.alert_after} failures")


@click.group("config")
def config() -> None:
    """Check the configuration, or print a commented example to start from."""


@config.command("check")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="File to check [default: the one textback uses].")
@click.pass_context
def check(ctx: click.Context, config_path: str | None) -> None:
    """Validate the configuration and preview every text it produces."""
    root = ctx.find_root().obj or {}
    path = config_path or root.get("config_path")
    try:
        conf = cfg.load_config(path)
    except cfg.ConfigError as e:
        click.echo(f"error: {e}", err=True)
        ctx.exit(1)
        return
    shown, _ = cfg.resolve_path(path)
    if conf.source == "built-in defaults":
        click.echo(f"No file at {shown}: showing the built-in defaults.\n")
    else:
        click.echo(f"Configuration: {conf.source}\n")
    click.echo("\n".join(settings_report(conf)))

    click.echo("\nTexts, rendered with sample values:")
    count = 0
    for r in render_all(conf):
        click.echo(f"\n  {r.label}")
        click.echo("    " + r.text.replace("\n", "\n    "))
        for w in r.warnings:
            click.echo(f"    warning: {w}")
        count += len(r.warnings)

    general = general_warnings(conf)
    errors = identity_errors(conf) + template_value_errors(conf)
    click.echo("")
    for w in general:
        click.echo(f"warning: {w}")
    for err in errors:
        click.echo(f"error: {err}")
    warnings = count + len(general)
    noun = "warning" if warnings == 1 else "warnings"
    if errors:
        click.echo(f"NOT OK: {len(errors)} error{'s' if len(errors) != 1 else ''} to fix before a caller is texted "
                   f"({warnings} {noun}).")
        ctx.exit(1)
        return
    click.echo(f"OK: the configuration is valid ({warnings} {noun}).")


@config.command("example")
def example() -> None:
    """Print the commented example configuration (every key with its default)."""
    click.echo(example_text(), nl=False)


def example_text() -> str:
    return resources.files("textback").joinpath("textback.example.toml").read_text(encoding="utf-8")
