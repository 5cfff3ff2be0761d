"""Inbound text classification: every opt-out form, opt-in, help, and the false positives."""
import pytest

from store.rules.keywords import Keyword, classify, normalise

OPT_OUT_KEYWORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT",
                    "OPT-OUT", "OPT OUT", "STOP ALL"]


@pytest.mark.parametrize("word", OPT_OUT_KEYWORDS)
@pytest.mark.parametrize("dress", ["{}", "{}".lower(), " {}!! ", "{}.", "\"{}\"", "{} 🙏", "🛑 {}", "\n{}\n",
                                   "please {}", "{} please", "{} now", "{} thanks", "ok {}"])
def test_opt_out_keywords_any_case_and_dress(word, dress):
    body = dress.format(word)
    assert classify(body) is Keyword.OPT_OUT
    assert classify(body.lower()) is Keyword.OPT_OUT
    assert classify(body.title()) is Keyword.OPT_OUT


@pytest.mark.parametrize("body", [
    "stop texting me", "Stop texting me please", "STOP MESSAGING ME", "please stop texting",
    "Please stop texting me, I already found someone", "remove me", "Remove me from your list",
    "remove my number", "don't text me", "Don’t text me again", "dont text me", "do not text me",
    "Do not contact me", "unsubscribe me", "How do I unsubscribe?", "opt me out", "no more texts",
    "stop sending me messages", "Take me off your list", "take my number off the list",
    "Stop.", " STOP!! ", "stop 🙏", "Stop\u200d", "STOP\ud83d",   # lone surrogate from the modem
])
def test_opt_out_phrases(body):
    assert classify(body) is Keyword.OPT_OUT


@pytest.mark.parametrize("body, kind", [
    ("START", Keyword.OPT_IN), ("start", Keyword.OPT_IN), ("Unstop", Keyword.OPT_IN), ("YES", Keyword.OPT_IN),
    ("yes!", Keyword.OPT_IN), (" Start. ", Keyword.OPT_IN),
    ("HELP", Keyword.HELP), ("help?", Keyword.HELP), ("Info", Keyword.HELP), ("help please", Keyword.HELP),
])
def test_opt_in_and_help(body, kind):
    assert classify(body) is kind


@pytest.mark.parametrize("body", [
    "Can you stop by tomorrow?", "I'll be at the end of the street", "Please cancel my appointment",
    "I need to cancel", "Yes, 3pm works", "yes please come at 3", "Help! My pipe burst",
    "Can you help with a leak?", "When do you start?", "The leak won't stop", "Stop sign on the corner",
    "End of terrace house, blue door", "I quit smoking lol", "Do not text much, call instead?",
    "What's the info for the booking?", "stopcock is stuck", "Hi, just returning your call",
    "", "   ", "🙏", "?", "Can you remove mold?", "Where do I start",
])
def test_plain_replies_are_not_keywords(body):
    assert classify(body) is Keyword.REPLY


@pytest.mark.parametrize("body, normal", [
    ("  STOP!! ", "stop"), ("Don’t text me", "dont text me"), ("OPT-OUT", "opt out"), ("stop 🙏", "stop"),
    ("Ｓｔｏｐ", "stop"),   # full-width letters from some phone keyboards
])
def test_normalise(body, normal):
    assert normalise(body) == normal
