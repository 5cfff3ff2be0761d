"""One inbound text, handled: stored, keywords honoured, staff told, staff answers routed.

One job: given a whole received text (reassembly.py joined a long one), decide and queue
what follows, through the store's public verbs only:

- from a customer:
    opt-out (STOP family, "wrong number", "leave me alone"...; store.rules.keywords)
                           -> opted out at once with its evidence (rule, words, text),
                              scheduled texts cancelled, ONE confirmation (never a second:
                              the store keeps when it was queued)
    possible opt-out ("not interested", "please don't stop by")
                           -> flagged, the automated texts paused until staff settle it
                              (textback block / textback done), forwarded to each staff
                              phone marked "Possible opt-out"
    opt-in (START, UNSTOP, and YES from an opted-out number) -> opted in, one reply
    help (HELP, INFO)      -> the shop's help line
    anything else          -> a reply: follow-ups cancelled, forwarded to each staff phone
- from a staff phone:
    "#<thread> text"       -> the text goes to that thread's customer; <thread> is the
                              number shown in each forward (the inbound message id) or
                              the customer's own number
    any other text         -> an answer to the last forward that phone got
    either, when someone else answered that customer in the last 10 minutes
                           -> held: the phone is told who answered and how to send
                              anyway ("#<thread>! text")
  Every staff answer records who sent it (the staff phone's number).

Crashes: an opt-out text is stored, honoured and its confirmation queued in one store
transaction (store.receive_opt_out), so a text read again from the SIM after a crash is
either new (nothing of it was kept) or a duplicate (all of it was); a possible opt-out is
stored with its flag and the pause in one transaction too.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from modem.worker.ports import ConversationStore
from modem.worker.reassembly import InboundText
from modem.worker.settings import WorkerSettings
from store.errors import StoreError
from store.records import OptOutEvidence, OptOutResult
from store.rules.keywords import Keyword, Verdict, read

log = logging.getLogger(__name__)

# "#57 On our way" / "#+12125550123 On our way" / "# 57: On our way"; "#57! ..." sends
# even when someone else answered a moment ago.
_THREAD_PREFIX = re.compile(r"^\s*#\s*(\+?\d{1,15})(!?)\s*[:\-]?\s*(.*)$", re.DOTALL)
FORWARD_KIND, STAFF_REPLY_KIND, KEYWORD_REPLY_KIND = "forward", "staff_reply", "keyword_reply"
FOLLOW_UP_KINDS = ("text_back", "follow_up")
# A text whose service-centre time is older than this when found is history, not a reply
# to act on. Three days: a modem off over a long weekend still forwards its replies.
LATE_AFTER = timedelta(days=3)
POSSIBLE_OPT_OUT, POSSIBLE_OPT_OUT_LABEL = Keyword.POSSIBLE_OPT_OUT.value, "Possible opt-out"


@dataclass(frozen=True)
class Outcome:
    """What handling one text did, for the log and the tests."""

    action: str                 # duplicate | late | opt_out | opt_in | help | reply | staff_reply | staff_held
    #                             | staff_unrouted
    message_id: int | None = None
    queued: tuple[int, ...] = ()


class Conversation:
    """Handles whole inbound texts for one store and one shop's settings."""

    def __init__(self, store: ConversationStore, settings: WorkerSettings):
        self.store = store
        self.settings = settings
        self._staff = frozenset(settings.staff_numbers)
        # Several modems: the one whose SIM received the text. It is stored on the text, and
        # what answers it (a forward, a keyword reply, a note to a staff phone) leaves from it.
        self.modem = settings.modem_name

    # -- the entry point -------------------------------------------------------------------
    def receive(self, text: InboundText, now: datetime) -> Outcome:
        """Store one whole text (once per key; modem/worker/reassembly.py made it whole)
        and act on it."""
        sender, body = text.sender, text.body
        late = now - text.received_at > LATE_AFTER
        verdict = read(body, self.settings.keywords) if sender not in self._staff else None
        if verdict is not None and verdict.keyword is Keyword.OPT_OUT:
            # Stored, honoured and confirmed in one transaction (see the module docstring),
            # however late: a STOP found a month late is still that person's wish, and its
            # one confirmation tells them it is honoured now.
            message_id, result = self.store.receive_opt_out(
                sender, body, text.received_at, text.key, text.parts, joined_from=text.joined_from,
                late=late, evidence=evidence(verdict, body), confirmation=self._confirmation(), now=now,
                modem=self.modem)
            if result is None:
                return Outcome("duplicate", message_id)
            return self._opted_out(sender, message_id, verdict, result)
        doubt = verdict is not None and verdict.keyword is Keyword.POSSIBLE_OPT_OUT and not late
        message_id, created = self._record(text, self._kind_of(sender), late,
                                           flag=POSSIBLE_OPT_OUT if doubt else None, now=now)
        if not created:
            return Outcome("duplicate", message_id)
        if late:
            # Found on the modem long after it was sent (a SIM from a drawer, a modem that
            # was off): kept in the thread as history, never new in the inbox, not forwarded,
            # and no keyword acted on but STOP (a month-old START or staff answer must not
            # text anyone today).
            log.info("text from %s sent %s ago found on the modem (message %s): filed as late, not acted on",
                     sender, _age(now - text.received_at), message_id)
            return Outcome("late", message_id)
        if verdict is None:
            return self._route_staff(sender, body, message_id, now)
        if verdict.keyword is Keyword.OPT_IN and self.store.is_opted_out(sender):
            self.store.opt_in(sender, keyword=body.strip()[:40], message_id=message_id)
            log.info("reply from %s: opted back in (%r)", sender, body.strip()[:40])
            return Outcome("opt_in", message_id, self._reply_to(sender, self.settings.start_reply, now))
        if verdict.keyword is Keyword.HELP:
            log.info("reply from %s: asked for help", sender)
            return Outcome("help", message_id, self._reply_to(sender, self.settings.help_text, now))
        if doubt:
            # The store paused the automated texts when it recorded the flag; a person decides.
            log.info("reply from %s (message %s) may be an opt-out (%r): automated texts paused, "
                     "staff asked to settle it (textback block or textback done)", sender, message_id,
                     verdict.matched)
            return self._forward(sender, body, message_id, now, "possible_opt_out", flag=POSSIBLE_OPT_OUT)
        return self._reply(sender, body, message_id, now)

    def _kind_of(self, sender: str) -> str:
        """How the store files a text from `sender`: from a staff phone, or a customer's reply."""
        return "staff" if sender in self._staff else "reply"

    def _record(self, text: InboundText, kind: str, late: bool = False, flag: str | None = None,
                now: datetime | None = None) -> tuple[int, bool]:
        return self.store.record_inbound(text.sender, text.body, text.received_at, text.key, kind,
                                         text.parts, joined_from=text.joined_from, late=late, flag=flag, now=now,
                                         modem=self.modem)

    # -- customers --------------------------------------------------------------------------
    def _opted_out(self, sender: str, message_id: int | None, verdict: Verdict, result: OptOutResult) -> Outcome:
        how = f"{verdict.rule} {verdict.matched!r}" + (", wrong number" if verdict.wrong_number else "")
        if result.confirmation_id is None:
            log.info("reply from %s: opt-out again (%s); already confirmed, no reply", sender, how)
            return Outcome("opt_out", message_id)
        log.info("reply from %s: opted out (%s), %d scheduled text(s) cancelled, one confirmation queued",
                 sender, how, result.cancelled)
        return Outcome("opt_out", message_id, (result.confirmation_id,))

    def _confirmation(self) -> str:
        template = self.settings.stop_reply
        return self.settings.reply_text(template) if template else ""

    def _reply(self, sender: str, body: str, message_id: int | None, now: datetime) -> Outcome:
        cancelled = self.store.cancel_pending(sender, "replied", kinds=FOLLOW_UP_KINDS)
        log.info("reply received from %s (message %s, %d character(s)); %d follow-up(s) cancelled",
                 sender, message_id, len(body), cancelled)
        return self._forward(sender, body, message_id, now, "reply")

    def _forward(self, sender: str, body: str, message_id: int | None, now: datetime, action: str,
                 flag: str = "") -> Outcome:
        queued: list[int] = []
        if self.settings.forward:
            text = forward_text(self.settings, sender, body, message_id, flag=flag)
            for staff in self.settings.staff_numbers:
                queued.append(self.store.queue_message(staff, FORWARD_KIND, text, now, contact_number=sender,
                                                       modem=self.modem))
        return Outcome(action, message_id, tuple(queued))

    def _reply_to(self, number: str, template: str, now: datetime) -> tuple[int, ...]:
        text = self.settings.reply_text(template) if template else ""
        if not text:
            return ()
        return (self.store.queue_message(number, KEYWORD_REPLY_KIND, text, now, modem=self.modem),)

    # -- staff phones -----------------------------------------------------------------------
    def _route_staff(self, sender: str, body: str, message_id: int | None, now: datetime) -> Outcome:
        customer, text, force = self._thread_of(sender, body)
        if customer is None or not text.strip():
            log.info("staff text from %s (message %s) names no thread; told how to answer", sender, message_id)
            how = ("textback: start your text with # and the number from the forward, "
                   "e.g. #12 On our way")
            return Outcome("staff_unrouted", message_id,
                           (self.store.queue_message(sender, KEYWORD_REPLY_KIND, how, now, modem=self.modem),))
        if self.store.is_opted_out(customer) or self.store.is_blocked(customer):
            log.info("staff answer from %s to %s not sent: the customer opted out or is blocked", sender, customer)
            note = f"textback: not sent, {customer} has opted out of texts."
            return Outcome("staff_unrouted", message_id,
                           (self.store.queue_message(sender, KEYWORD_REPLY_KIND, note, now, modem=self.modem),))
        recent = self.store.recent_answer(customer, now=now)
        if recent and recent.by != sender and not force:
            log.info("staff answer from %s to %s held: %s answered %s", sender, customer, recent.by or "someone",
                     recent.at)
            note = (f"textback: not sent, {recent.by or 'someone'} answered {customer} a few minutes ago: "
                    f"\"{recent.body[:60]}\". To send yours as well: #{customer}! your text")
            return Outcome("staff_held", message_id,
                           (self.store.queue_message(sender, KEYWORD_REPLY_KIND, note, now, modem=self.modem),))
        # No modem named: it leaves from the SIM the customer last wrote to (store/routing.py).
        queued = self.store.queue_message(customer, STAFF_REPLY_KIND, text.strip(), now, contact_number=customer,
                                          sent_by=sender)
        log.info("staff %s answered %s (message %s)", sender, customer, queued)
        return Outcome("staff_reply", message_id, (queued,))

    def _thread_of(self, sender: str, body: str) -> tuple[str | None, str, bool]:
        """(customer number, text to send, forced with "!") for a staff text, or (None, body, False)."""
        match = _THREAD_PREFIX.match(body)
        if match:
            tag, force, text = match.group(1), bool(match.group(2)), match.group(3)
            if tag.startswith("+"):
                return tag, text, force
            try:
                found = self.store.message(int(tag))
            except (StoreError, ValueError):
                found = None
            if found and found.direction == "in" and found.contact_number not in self._staff:
                return found.contact_number, text, force
            return None, body, False
        return self.store.last_forward_to(sender), body, False


def evidence(verdict: Verdict, body: str) -> OptOutEvidence:
    """What an opt-out keeps as its evidence: the rule, the words it matched, the text."""
    return OptOutEvidence(rule=verdict.rule, matched=verdict.matched, text=body,
                          wrong_number=verdict.wrong_number)


def forward_text(settings, sender: str, body: str, message_id: int | None, flag: str = "") -> str:
    """What a staff phone gets for a customer's reply (also previewed by `config check`);
    a possible opt-out says so first, so staff read it before anything else."""
    # The forward template is the shop's ({number}, {body}, {business}, {caller_name});
    # the thread tag is ours, so a staff phone can always answer with "#<id> text".
    values = {"number": sender, "body": body, "business": settings.business, "caller_name": ""}
    try:
        text = settings.forward_template.format_map(values)
    except (KeyError, ValueError, IndexError):
        text = f"Text from {sender}: {body}"
    tag = f"#{message_id}" if message_id is not None else f"#{sender}"
    if flag == POSSIBLE_OPT_OUT:
        return f"{POSSIBLE_OPT_OUT_LABEL}: {text} ({tag} to answer; textback block or done to settle)"
    return f"{text} ({tag} to answer)"


def _age(delta: timedelta) -> str:
    return f"{delta.days} days" if delta.days >= 2 else f"{delta.total_seconds() / 3600:.0f} hours"
