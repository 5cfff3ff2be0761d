"""WorkerSettings: everything the worker loop needs besides the store and the modem.

The command line builds it from the configuration (textback/worker_settings.py) and
hands it to the worker, so nothing in modem/ reads the configuration itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from modem.worker.notify_send import NotifyTarget
from store.rules.keywords import NO_SHOP_KEYWORDS, ShopKeywords
from store.rules.pacing import NO_LIMITS, CarrierLimits
from store.rules.plan import RulesSettings
from store.rules.templates import render


@dataclass(frozen=True)
class WorkerSettings:
    """Everything the worker loop needs besides the store and the modem."""

    rules: RulesSettings
    business: str = ""
    callback_number: str = ""
    booking_link: str = ""
    staff_numbers: tuple[str, ...] = ()
    forward: bool = True
    forward_template: str = "Text from {number}: {body}"
    help_text: str = ""
    stop_reply: str = ""
    start_reply: str = ""
    keywords: ShopKeywords = NO_SHOP_KEYWORDS         # the shop's own, e.g. ALTO for Spanish speakers
    emoji: str = "keep"                                # keep | replace
    spool_dir: str | None = None
    modem_port: str = ""
    # Several modems ([[modem]] in the config, one worker each): the name of the one this
    # worker drives, stored on each text it sends or receives; None with the one [modem].
    modem_name: str | None = None
    # Every modem of the configuration as (name, the business lines it texts for); a
    # modem with no lines texts for every line no other modem lists. () with one [modem].
    modem_lines: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # [sending] takeover_after: another modem's text is this worker's to send once it is
    # this long past its time (its own modem is down); None: never (the default).
    takeover_after: timedelta | None = None
    keep: timedelta | None = timedelta(days=400)       # [store] keep; None: keep everything
    purge_batch: int = 500                             # rows per table per pass while purging
    sweep_interval: timedelta = timedelta(seconds=60)
    # [sending]: gaps and caps that keep a consumer SIM from looking like a bulk sender.
    limits: CarrierLimits = NO_LIMITS
    # The worker's own timing; not in the TOML (tests and the kill test shorten them).
    poll_interval: float = 0.1
    lease_seconds: float = 60.0
    health_interval: float = 15.0
    reconnect_delays: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
    modem_options: dict = field(default_factory=dict)  # keyword arguments for Modem.open
    notify: tuple[NotifyTarget, ...] = ()               # [[notify]] targets (modem/worker/notify.py)

    def template_values(self) -> dict[str, str]:
        return {"business": self.business, "callback_number": self.callback_number,
                "booking_link": self.booking_link, "caller_name": "", "opens_at": ""}

    def reply_text(self, template: str) -> str:
        """A keyword reply (STOP confirmation, START, HELP) with the shop's values filled in."""
        return render(template, self.template_values())
