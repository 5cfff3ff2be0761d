"""Keyword classification of an inbound text: opt-out, opt-in, help, a possible opt-out,
or a plain reply.

One job: read one message body and say which of those it is, and why. Pure.

The law (FCC 24-18, 47 CFR 64.1200(a)(10)) asks for any reply a reasonable person would
read as "stop texting me" to be honoured. A text-back goes to whoever called, so "Stop.
Wrong number" is one of the commonest replies. Read as a person reads:

- the message is cut into sentences and clauses (on . ! ? , ; and line breaks);
- an opt-out keyword (STOP, END, CANCEL, QUIT, ..., and the shop's own, like ALTO)
  counts when it is a whole clause, give or take politeness, emoji and side remarks
  ("Stop!!! wrong number", "Who is this? Stop", "not interested, stop", "STOP please",
  "who is this stop"); inside a longer sentence it does not ("Can you stop by
  tomorrow?", "The leak won't stop", "I need to cancel my appointment");
- phrases from store.rules.opt_out_phrases ("stop texting me", "leave me alone", "I
  don't want these texts", "wrong number"...) count where their row says;
- "wrong number" is an opt-out that also says this is not the caller we wanted;
- doubt goes to a person: an opt-out word in a longer sentence that refuses something
  ("please don't stop by", "never cancel"), "not interested", "no thanks" are a
  POSSIBLE_OPT_OUT: the worker pauses the automation and flags it for staff.

Opt-in (START, UNSTOP, YES) and help (HELP, INFO) count only as the whole message, give
or take politeness: "Help! My pipe burst" is a plumbing job and "Yes, 3pm works" an
answer. YES is also an ordinary answer: the worker opts a number back in only when it
is opted out, and otherwise stores the text as a plain reply.
"""
from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from store.rules import opt_out_phrases as table


class Keyword(enum.Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    REPLY = "reply"
    POSSIBLE_OPT_OUT = "possible_opt_out"


# The rule an opt-out matched: kept with it as its evidence (staff: `textback block`).
KEYWORD_RULE, PHRASE_RULE, WRONG_NUMBER_RULE, STAFF_RULE = "keyword", "phrase", "wrong_number", "staff"
DOUBT_RULE = "doubt"

OPT_OUT_WORDS: frozenset[str] = frozenset({
    "stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "revoke",
    "optout", "opt out",
})
OPT_IN_WORDS: frozenset[str] = frozenset({"start", "unstop", "yes"})
HELP_WORDS: frozenset[str] = frozenset({"help", "info"})


@dataclass(frozen=True)
class ShopKeywords:
    """A shop's own extra keywords ([keywords] in the config), matched by the same rules."""

    opt_out: tuple[str, ...] = ()
    opt_in: tuple[str, ...] = ()
    help: tuple[str, ...] = ()


NO_SHOP_KEYWORDS = ShopKeywords()


@dataclass(frozen=True)
class Verdict:
    """What a message is, and the evidence: which rule matched which words."""

    keyword: Keyword
    rule: str = ""              # keyword | phrase | wrong_number | doubt; "" for a plain reply
    matched: str = ""           # the clause or phrase that matched, normalised
    wrong_number: bool = False  # the sender says we have the wrong number


_SPLIT = re.compile(r"[.!?,;\n\r\u2028\u2029]+")
# Politeness and side remarks around a keyword in its clause ("please stop", "STOP now
# thanks", "who is this stop", "stop wrong number"): stripped from both ends.
_POLITE = (r"please|pls|plz|ok|okay|now|just|hey|hi|hello|sorry|sry|no|nope|thanks|thank you|thx|ty|oh|um|so"
           r"|already|asap|immediately|lol|again|bye|goodbye|seriously|man|dude|mate"
           r"|por favor|porfa|gracias|ya")      # the Spanish a shop's own ALTO / BASTA come with
_REMARKS = (r"who is this|whos this|who dis|who are you|who is it|not interested|no thanks|no thank you"
            rf"|{table.WRONG_NUMBER_CORE}")
_LEAD = {False: re.compile(rf"^(?:{_POLITE})(?:\s+|$)"), True: re.compile(rf"^(?:{_POLITE}|{_REMARKS})(?:\s+|$)")}
_TAIL = {False: re.compile(rf"(?:^|\s+)(?:{_POLITE})$"), True: re.compile(rf"(?:^|\s+)(?:{_POLITE}|{_REMARKS})$")}
_WRONG_NUMBER = re.compile(rf"\b(?:{table.WRONG_NUMBER_CORE})\b")
_WRONG_HASH = re.compile(r"(?i)\b(w\w*ng)\s*#")
# A refusal: with an opt-out word in the same clause it is doubt ("please don't stop by"),
# not a description ("the leak won't stop", "it doesn't stop").
_REFUSAL = re.compile(r"\b(?:dont|do not|never|no need to|please dont|pls dont|no more)\b")


@dataclass(frozen=True)
class _Compiled:
    phrase: table.Phrase
    regex: re.Pattern[str]


_PHRASES = tuple(_Compiled(p, re.compile(rf"\b(?:{p.pattern})\b" if p.where == table.ANYWHERE
                                         else rf"(?:{p.pattern})"))
                 for p in table.PHRASES)


def normalise(body: str) -> str:
    """Lower case, no accents, no apostrophes, every other non-letter/digit a single space."""
    text = unicodedata.normalize("NFKC", body or "").casefold()
    text = re.sub(r"['\u2018\u2019\u02bc`]", "", text)
    # "Cancelación" and "cancelacion" are one word to a keyword list.
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    cleaned = "".join(ch if ch.isalnum() else " " for ch in text if unicodedata.category(ch) != "Cs")
    # "stooop" / "STOPPPP": a letter held down three times or more counts once.
    cleaned = re.sub(r"(\D)\1{2,}", r"\1", cleaned)
    return " ".join(cleaned.split())


def clauses(body: str) -> list[str]:
    """The message's sentences and clauses, normalised; empty ones (only emoji) left out."""
    text = unicodedata.normalize("NFKC", body or "")
    text = _WRONG_HASH.sub(r"\1 number", text)
    return [c for c in (normalise(part) for part in _SPLIT.split(text)) if c]


def core(clause: str, remarks: bool = True) -> str:
    """A normalised clause without the politeness (and, with `remarks`, the side remarks)
    at its ends, a word said twice in a row once ("stop stop" -> "stop")."""
    return _strip(clause, remarks)[0]


def _edges(clause: str) -> str:
    """What core() strips from a clause: its politeness and side remarks."""
    return _strip(clause, True)[1]


def _strip(clause: str, remarks: bool) -> tuple[str, str]:
    text, stripped = clause, []
    while text:
        found = _LEAD[remarks].match(text) or _TAIL[remarks].search(text)
        if not found:
            break
        stripped.append(found[0].strip())
        text = (text[:found.start()] + text[found.end():]).strip()
    words = text.split()
    return " ".join(w for i, w in enumerate(words) if i == 0 or w != words[i - 1]), " ".join(stripped)


def _words(extra: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w for w in (normalise(x) for x in extra) if w)


def read(body: str, shop: ShopKeywords = NO_SHOP_KEYWORDS) -> Verdict:
    """Classify one inbound message body, with the evidence (see the module docstring)."""
    parts = clauses(body)
    opt_out_words = OPT_OUT_WORDS | _words(shop.opt_out)
    wrong = any(_WRONG_NUMBER.fullmatch(core(c)) or _WRONG_NUMBER.search(_edges(c)) for c in parts)
    found = _opt_out(parts, opt_out_words)
    if found is not None:
        rule, matched = found
        return Verdict(Keyword.OPT_OUT, rule, matched, wrong_number=wrong or rule == WRONG_NUMBER_RULE)
    whole = core(normalise(body), remarks=False)
    if whole in OPT_IN_WORDS | _words(shop.opt_in):
        return Verdict(Keyword.OPT_IN, KEYWORD_RULE, whole)
    if whole in HELP_WORDS | _words(shop.help):
        return Verdict(Keyword.HELP, KEYWORD_RULE, whole)
    doubt = _doubt(parts, opt_out_words)
    if doubt:
        return Verdict(Keyword.POSSIBLE_OPT_OUT, DOUBT_RULE, doubt)
    return Verdict(Keyword.REPLY)


def classify(body: str, shop: ShopKeywords = NO_SHOP_KEYWORDS) -> Keyword:
    """Classify one inbound message body."""
    return read(body, shop).keyword


def _opt_out(parts: list[str], words: frozenset[str]) -> tuple[str, str] | None:
    """(rule, matched words) of the first clause that opts out, or None."""
    for clause in parts:
        centre = core(clause)
        if centre in words:
            return KEYWORD_RULE, centre
        for c in _PHRASES:
            if c.phrase.gives != table.OPT_OUT:
                continue
            if c.phrase.where == table.ANYWHERE:
                hit = c.regex.search(clause)
                if hit:
                    return c.phrase.rule, hit[0]
            elif c.regex.fullmatch(centre):
                return c.phrase.rule, centre
            elif c.regex.fullmatch(clause):
                return c.phrase.rule, clause
        if not centre and _WRONG_NUMBER.search(clause):
            # Nothing but side remarks, one of them "wrong number" ("sorry wrong number lol").
            return WRONG_NUMBER_RULE, clause
    return None


def _doubt(parts: list[str], words: frozenset[str]) -> str:
    """The words that make a person's reading necessary, or ""."""
    single = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    word_in = re.compile(rf"\b(?:{single})\b")
    for clause in parts:
        for c in _PHRASES:
            if c.phrase.gives == table.POSSIBLE:
                hit = c.regex.search(clause)
                if hit:
                    return hit[0]
        refusal = _REFUSAL.search(clause)
        if refusal and word_in.search(clause, refusal.end()):
            return clause
    return ""
