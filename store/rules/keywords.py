"""Keyword classification of an inbound text: opt-out, opt-in, help, or a plain reply.

One job: read one message body and say which of those it is. Pure.

Two kinds of opt-out, to honour "STOP" however it is written without taking
"Can you stop by tomorrow?" for an opt-out:
- keywords (STOP, END, CANCEL, QUIT, ...) count only when they are the whole
  message, give or take punctuation, emoji and politeness ("Stop.", " STOP!! ",
  "stop 🙏", "STOP please");
- phrases a person uses to say "no more texts" ("stop texting me", "remove me",
  "don't text me", "unsubscribe me") count wherever they appear.

OPT_IN covers START / UNSTOP / YES. "YES" is also an ordinary answer ("Yes, 3pm
works"): the worker should opt a number back in only when it is opted out, and
otherwise store the text as a plain reply.
"""
from __future__ import annotations

import enum
import re
import unicodedata


class Keyword(enum.Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    REPLY = "reply"


OPT_OUT_WORDS: frozenset[str] = frozenset({
    "stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "revoke",
    "optout", "opt out",
})
OPT_IN_WORDS: frozenset[str] = frozenset({"start", "unstop", "yes"})
HELP_WORDS: frozenset[str] = frozenset({"help", "info"})

# Phrases that mean "no more texts" wherever they stand (matched on normalised
# text: lower case, apostrophes dropped, punctuation turned into spaces).
_OPT_OUT_PHRASES = re.compile(r"\b(?:" + "|".join([
    r"stop (?:texting|messaging|txting|spamming|contacting)(?: me)?",
    r"stop sending (?:me )?(?:texts|messages|txts|sms)",
    r"(?:dont|do not|never) (?:text|message|txt|contact|sms) me",
    r"remove (?:me|my number)",
    r"take (?:me|my number) off (?:your|the|this|ur) (?:list|texts|messages)",
    r"unsubscribe",
    r"opt me out",
    r"no more (?:texts|messages|txts)",
]) + r")\b")

# Politeness around a bare keyword ("please stop", "STOP now thanks").
_FILLER = re.compile(r"^(?:(?:please|pls|plz|ok|okay|now|thanks|thank you|thx|ty)\s+)*"
                     r"(.*?)"
                     r"(?:\s+(?:please|pls|plz|ok|okay|now|thanks|thank you|thx|ty))*$")


def normalise(body: str) -> str:
    """Lower case, no apostrophes, every other non-letter/digit a single space."""
    text = unicodedata.normalize("NFKC", body or "").casefold()
    text = re.sub(r"['\u2018\u2019\u02bc`]", "", text)
    cleaned = "".join(ch if ch.isalnum() else " " for ch in text if unicodedata.category(ch) != "Cs")
    return " ".join(cleaned.split())


def classify(body: str) -> Keyword:
    """Classify one inbound message body."""
    text = normalise(body)
    core = _FILLER.fullmatch(text)[1] if text else ""
    if core in OPT_OUT_WORDS or _OPT_OUT_PHRASES.search(text):
        return Keyword.OPT_OUT
    if core in OPT_IN_WORDS:
        return Keyword.OPT_IN
    if core in HELP_WORDS:
        return Keyword.HELP
    return Keyword.REPLY
