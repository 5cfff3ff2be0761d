"""New calls -> the rules -> scheduled texts; and spooled calls -> the store.

One job: take what the AGI hook left (call rows in state `new`, or spool files when
the store was down) and turn each call into the rules' decision, applied by the
store in one transaction. The loop (modem/worker.py) calls `Planner.import_spooled` and
`plan_new_calls` on every pass; both are cheap when there is nothing to do.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from modem.worker.ports import PlanningStore
from store.records import CallRecord
from store.rules import plan as rules
from store.rules.plan import CallerHistory, RulesSettings
from store.rules.routing import ModemLines, modem_for_line
from store.spool import import_spool

log = logging.getLogger(__name__)


# A call whose planning failed (a bug, a store hiccup) is tried again after this long;
# meanwhile the other calls are planned and texts keep going out.
RETRY_FAILED = timedelta(seconds=30)
# A call for a line none of this box's modems serves is another worker's (another shop's
# box on the same store). Still new after this long, no worker anywhere serves its line: said once.
UNSERVED_AFTER = timedelta(minutes=10)


class Planner:
    """Plans each new call once. Remembers which calls the hourly cap holds, so the cap
    alert is logged once per call and held calls cost nothing while the cap is reached."""

    def __init__(self, store: PlanningStore, settings: RulesSettings, modems: ModemLines = ()):
        self.store = store
        self.settings = settings
        # Several modems: (name, lines) of each; a call is planned only when one of them
        # serves its line, its texts tied to that modem. (): the one [modem], every call.
        self.modems = modems
        # The duplicate window and the hourly cap count this box's own texts: on a store
        # shared by several shops, a caller who rang shop A and then shop B hears from both.
        self.own_modems = tuple(name for name, _ in modems)
        self._held: set[int] = set()
        self._failed: dict[int, datetime] = {}     # call id -> when to try it again
        self._others: dict[int, bool] = {}         # another box's call -> said it waits unserved
        self._spool_problem: dict[str, str] = {}

    def forget(self) -> None:
        """The database was replaced: the call ids held or failed belong to the old file."""
        self._held.clear()
        self._failed.clear()
        self._others.clear()

    def held_count(self) -> int:
        """Calls the hourly cap holds right now (for the alert)."""
        return len(self._held)

    def import_spooled(self, spool_dir: str | None) -> int:
        """Record the calls the hook spooled while the store was down; return how many."""
        if not spool_dir:
            return 0
        try:
            result = import_spool(spool_dir, self.store.record_call)
        except OSError as exc:
            # An unreadable spool must not stop the texts; say so once, not every pass.
            problem = f"cannot read the spool {spool_dir} ({exc.strerror or exc}): calls the hook " \
                      "spooled wait there; give the textback user read and write access to it"
            if problem != self._spool_problem.get(spool_dir):
                self._spool_problem[spool_dir] = problem
                log.error("%s", problem)
            return 0
        self._spool_problem.pop(spool_dir, None)
        return len(result.imported)

    def history(self, number: str | None, texts_last_hour: int) -> CallerHistory:
        if not number:
            return CallerHistory(texts_last_hour=texts_last_hour)
        contact = self.store.contact(number)
        return CallerHistory(last_text_back_at=self.store.last_text_back_at(number, self.own_modems),
                             texts_last_hour=texts_last_hour,
                             opted_out=bool(contact and contact.opted_out),
                             blocked=bool(contact and contact.blocked),
                             awaiting_staff=bool(contact and contact.awaiting_staff_at))

    def plan_new_calls(self, now: datetime, limit: int = 500) -> int:
        """Plan every call still `new`; return how many changed state."""
        if not self.store.has_new_calls():
            return 0            # the idle pass: one index probe, no counting
        # One count for the pass, raised by each first text this pass plans.
        texts_last_hour = self.store.texts_for_cap(now - timedelta(hours=1), self.own_modems)
        cap = self.settings.hourly_cap
        capped = cap is not None and texts_last_hour >= cap
        # While the cap is reached, a held call would only be held again: leave it unread.
        skip = set(self._held) if capped else set()
        skip.update(call_id for call_id, retry_at in self._failed.items() if now < retry_at)
        others = self._others
        # Another box's calls: not read again while they wait (unless one waits too long
        # to say so), and forgotten once their own worker has planned them.
        skip.update(call_id for call_id, said in others.items() if said)
        calls = self.store.new_calls(limit, exclude=skip)
        if others:
            still_new = {c.id for c in calls} | skip
            for call_id in [i for i in others if i not in still_new]:
                del others[call_id]
        done = 0
        for call in calls:
            served, modem = self._modem_for(call, now)
            if not served:
                continue
            try:
                planned = self._plan(call, texts_last_hour, now, modem)
                done += bool(planned)
                texts_last_hour += planned == "planned"
            except Exception:
                # One call must not stop the others, nor the sending after planning.
                if call.id not in self._failed:
                    log.exception("call %s could not be planned; it stays new and is tried again "
                                  "every %d s", call.id, RETRY_FAILED.total_seconds())
                self._failed[call.id] = now + RETRY_FAILED
        return done

    def _modem_for(self, call: CallRecord, now: datetime) -> tuple[bool, str | None]:
        """(served, the modem the call's texts leave from: None for any, the one [modem]);
        served False when no modem of this configuration serves the line the caller
        dialled (another box's call)."""
        if not self.modems:
            return True, None
        modem = modem_for_line(call.fact.business_line, self.modems, self.settings.guard)
        if modem is not None:
            return True, modem
        waited = now - call.fact.happened_at
        if not self._others.get(call.id) and waited >= UNSERVED_AFTER:
            self._others[call.id] = True
            log.warning("call %s to line %s has waited %d min unplanned: no [[modem]] here texts for that "
                        "line, and no other worker on this store has planned it; add the line to a "
                        "modem's lines (or leave one modem's lines out: it texts for every other line)",
                        call.id, call.fact.business_line or "(none given)", waited.total_seconds() // 60)
        else:
            self._others.setdefault(call.id, False)
        return False, None

    def _plan(self, call: CallRecord, texts_last_hour: int, now: datetime, modem: str | None = None) -> str | None:
        """Plan one call; its new state, or None while the cap holds it."""
        number = rules.caller_number(call.fact, self.settings)
        history = self.history(number, texts_last_hour)
        plan = rules.plan_call(call.fact, self.settings, history, now)
        if plan.skip_reason in rules.RETRYABLE_SKIPS:
            # Held, not skipped: the call stays `new` and is planned once the cap
            # allows, or skipped as stale when it has waited too long.
            if call.id not in self._held:
                self._held.add(call.id)
                log.warning("%s", rules.cap_alert(plan, history, self.settings))
            return None
        self._held.discard(call.id)
        self._failed.pop(call.id, None)
        state = self.store.plan_call(call.id, plan, now, modem=modem)
        who = plan.caller_number or call.fact.caller_raw or "an unknown caller"
        if state.startswith("already ") or (state == "planned" and not plan.messages):
            # Another worker on this store planned it first (or its text-back made ours a duplicate).
            log.info("call %s from %s: planned by another worker", call.id, who)
        elif state == "planned":
            first = plan.messages[0]
            log.info("call %s from %s (%s): planned %d text(s), the first at %s%s", call.id, who,
                     call.fact.disposition or call.fact.queue_status or call.fact.reason,
                     len(plan.messages), first.due_at.isoformat(timespec="seconds"),
                     f", from modem {modem}" if modem else "")
        elif state == "skipped":
            log.info("call %s from %s: not texted (%s)", call.id, who, plan.skip_reason or "opted out or blocked")
        else:
            extra = f"; pending texts cancelled ({plan.cancel_pending})" if plan.cancel_pending else ""
            log.info("call %s from %s: %s, kept for the record%s", call.id, who,
                     plan.skip_reason or "not a missed call", extra)
        return state
