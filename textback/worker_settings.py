"""The configuration, turned into the plain values the worker and the rules take.

One job: map textback.config's frozen dataclasses (what the shop wrote in its TOML)
onto store.rules.plan.RulesSettings (what the pure rules need) and
modem.worker.settings.WorkerSettings (what the loop, the keyword replies and the staff
forwards need). Nothing here reads a file or the clock, so a test can build settings
from `parse_config(text)` directly.
"""
from __future__ import annotations

from modem.worker.notify_send import NotifyTarget
from modem.worker.settings import WorkerSettings
from store.rules.dialstatus import StatusSettings
from store.rules.guard import DEFAULT_TEXTABLE_TYPES, GuardSettings
from store.rules.keywords import ShopKeywords
from store.rules.pacing import CarrierLimits
from store.rules.plan import LineProfile, RulesSettings
from store.rules.schedule import WEEKDAYS, Hours, OpeningRange
from textback.config import Config


def rules_settings(config: Config, *, allow_fictional: bool = False) -> RulesSettings:
    """The rules' view of the configuration.

    allow_fictional lets the Ofcom drama range (+44 7700 900xxx) count as a mobile:
    for demos and tests only, so it is an argument and not a key a shop could set.
    """
    business, guard = config.business, config.guard
    textable = set(DEFAULT_TEXTABLE_TYPES)
    if not guard.block_toll_free:
        textable.add("toll_free")
    if not guard.block_premium:
        textable.update({"premium_rate", "personal_number"})
    if not guard.block_shared_cost:
        textable.add("shared_cost")
    # Every number of the shop itself is never texted: its lines, the SIM, its staff.
    own = tuple(dict.fromkeys((*business.own_numbers, *(ln.did for ln in config.lines),
                               *config.staff.numbers)))
    guard_settings = GuardSettings(country=business.country, allowed_regions=config.allowed_regions(),
                                   own_numbers=own, internal_max_digits=guard.internal_max_digits,
                                   textable_types=frozenset(textable), allow_fictional=allow_fictional)
    hours = Hours(business.timezone, tuple(
        OpeningRange(day, opens, closes)
        for day, name in enumerate(WEEKDAYS)
        for opens, closes in getattr(business.hours, name)))
    steps = config.followups.steps
    profile = LineProfile(
        business=business.name,
        callback_number=business.callback_number or None,
        booking_link=business.booking_link or None,
        open_template=config.textback.template,
        closed_template=config.textback.after_hours_template)
    # An empty value in a [lines."<DID>"] table means "as the business": None falls back.
    lines = tuple(LineProfile(did=ln.did, business=ln.name or None, callback_number=ln.callback_number or None,
                              open_template=ln.template or None, closed_template=ln.after_hours_template or None)
                  for ln in config.lines)
    return RulesSettings(
        guard=guard_settings,
        hours=hours,
        profile=profile,
        lines=lines,
        statuses=StatusSettings(text_on_dial=frozenset(config.textback.text_on),
                                text_on_queue=frozenset(config.textback.queue_text_on),
                                text_on_reason=frozenset(config.textback.reasons)),
        quiet=config.quiet_hours,
        follow_ups=steps,
        # Follow-ups switched off: the first text is the only one.
        max_messages=config.followups.max_messages if config.followups.enabled and steps else 1,
        first_delay=config.textback.delay,
        stale_after=config.textback.stale_after,
        dedupe_window=config.textback.dedupe_window,
        hourly_cap=guard.hourly_cap,
        min_ring=int(config.textback.min_ring.total_seconds()),
        opt_out_line=config.followups.opt_out_line,
    )


def carrier_limits(config: Config) -> CarrierLimits:
    sending = config.sending
    return CarrierLimits(min_gap=sending.min_gap, gap_jitter=sending.gap_jitter,
                         daily_cap=sending.daily_cap or None, recipients_cap=sending.recipients_cap or None)


def shop_keywords(config: Config) -> ShopKeywords:
    words = config.keywords
    return ShopKeywords(opt_out=words.opt_out, opt_in=words.opt_in, help=words.help)


def worker_settings(config: Config, *, allow_fictional: bool = False, modem_name: str | None = None,
                    **timing) -> WorkerSettings:
    """The worker's settings from the configuration, for the modem called `modem_name`
    (`textback worker --modem NAME`; None: the only one, else ConfigError); `timing`
    overrides poll_interval, lease_seconds, health_interval, reconnect_delays or
    sweep_interval (tests)."""
    modem = config.modem_named(modem_name)
    options = {"baudrate": modem.baudrate, "pin": modem.pin or None, "smsc": modem.smsc or None,
               "flow_control": modem.flow_control, "cnmi": modem.cnmi,
               "model": modem.model,
               "delivery_reports": modem.delivery_reports}
    options.update(timing.pop("modem_options", {}))
    return WorkerSettings(
        rules=rules_settings(config, allow_fictional=allow_fictional),
        business=config.business.name,
        callback_number=config.business.callback_number,
        booking_link=config.business.booking_link,
        staff_numbers=config.staff.numbers,
        forward=config.staff.forward,
        forward_template=config.staff.forward_template,
        help_text=config.business.help_text,
        stop_reply=config.textback.stop_reply,
        start_reply=config.textback.start_reply,
        keywords=shop_keywords(config),
        emoji=config.textback.emoji,
        spool_dir=config.store.spool_dir,
        keep=config.store.keep,
        modem_port=modem.port,
        modem_name=modem.name or None,
        modem_lines=tuple((m.name, m.lines) for m in config.modem_entries),
        takeover_after=config.sending.takeover_after or None,
        sweep_interval=timing.pop("sweep_interval", modem.sweep_interval),
        modem_options=options,
        notify=notify_targets(config),
        limits=carrier_limits(config),
        **timing,
    )


def notify_targets(config: Config) -> tuple[NotifyTarget, ...]:
    """The [[notify]] tables as the worker's notifier takes them."""
    return tuple(NotifyTarget(name=t.name, url=t.url, command=t.command, secret=t.secret, events=t.events,
                              timeout=t.timeout.total_seconds(), retry_for=t.retry_for,
                              retry_first=t.retry_first.total_seconds(), retry_max=t.retry_max.total_seconds(),
                              alert_after=t.alert_after, cafile=t.cafile)
                 for t in config.notify)


def shop_settings(config: Config) -> WorkerSettings:
    """The settings every worker of the shop shares (rules, texts, guard), for the commands
    that check or apply them rather than drive a modem: the first modem's worker's, so a
    configuration with several [[modem]] entries needs no --modem for them."""
    return worker_settings(config, modem_name=config.modems()[0].name or None)
