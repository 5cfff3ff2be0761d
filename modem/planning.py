"""New calls -> the rules -> scheduled texts; and spooled calls -> the store.

One job: take what the AGI hook left (call rows in state `new`, or spool files when
the store was down) and turn each call into the rules' decision, applied by the
store in one transaction. The loop (modem/worker.py) calls `import_spooled` and
`plan_new_calls` on every pass; both are cheap when there is nothing to do.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta

from store import rules
from store.rules import CallerHistory, RulesSettings
from store.spool import import_spool

log = logging.getLogger(__name__)


def import_spooled(store, spool_dir: str | None) -> int:
    """Record the calls the hook spooled while the store was down; return how many."""
    if not spool_dir or not os.path.isdir(spool_dir):
        return 0
    result = import_spool(spool_dir, store.record_call)
    return len(result.imported)


# A call the hourly cap holds is looked at again after this long, not on every pass:
# in a flood of forged calls the loop must not re-plan hundreds of calls ten times a second.
HELD_RECHECK = timedelta(seconds=30)


class Planner:
    """Plans each new call once. Remembers which calls the hourly cap holds (and when to
    look again), so the cap alert is logged once per call."""

    def __init__(self, store, settings: RulesSettings):
        self.store = store
        self.settings = settings
        self._held: dict[int, datetime] = {}      # call id -> when to look at it again

    def history(self, number: str | None, now: datetime) -> CallerHistory:
        texts_last_hour = self.store.texts_sent_since(now - timedelta(hours=1))
        if not number:
            return CallerHistory(texts_last_hour=texts_last_hour)
        return CallerHistory(last_text_back_at=self.store.last_text_back_at(number),
                             texts_last_hour=texts_last_hour,
                             opted_out=self.store.is_opted_out(number),
                             blocked=self.store.is_blocked(number))

    def plan_new_calls(self, now: datetime, limit: int = 500) -> int:
        """Plan every call still `new`; return how many changed state."""
        done = 0
        for call in self.store.new_calls(limit):
            if call.id in self._held and now < self._held[call.id]:
                continue
            number = rules.caller_number(call.fact, self.settings)
            history = self.history(number, now)
            plan = rules.plan_call(call.fact, self.settings, history, now)
            if plan.skip_reason in rules.RETRYABLE_SKIPS:
                # Held, not skipped: the call stays `new` and is planned once the cap
                # allows, or skipped as stale when it has waited too long.
                if call.id not in self._held:
                    log.warning("%s", rules.cap_alert(plan, history, self.settings))
                self._held[call.id] = now + HELD_RECHECK
                continue
            self._held.pop(call.id, None)
            state = self.store.plan_call(call.id, plan, now)
            done += 1
            who = plan.caller_number or call.fact.caller_raw or "an unknown caller"
            if state == "planned":
                first = plan.messages[0]
                log.info("call %s from %s (%s): planned %d text(s), the first at %s", call.id, who,
                         call.fact.disposition or call.fact.queue_status or call.fact.reason,
                         len(plan.messages), first.due_at.isoformat(timespec="seconds"))
            elif state == "skipped":
                log.info("call %s from %s: not texted (%s)", call.id, who, plan.skip_reason or "opted out or blocked")
            else:
                extra = f"; pending texts cancelled ({plan.cancel_pending})" if plan.cancel_pending else ""
                log.info("call %s from %s: %s, kept for the record%s", call.id, who,
                         plan.skip_reason or "not a missed call", extra)
        return done
