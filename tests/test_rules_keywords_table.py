"""Opt-out as a reasonable person reads it (issue 17): one table of messages and what each
must be, every message the issue lists among them; the phrase table's own rows; the
evidence each verdict carries; a shop's own keywords (Spanish)."""
import pytest

from store.rules import opt_out_phrases
from store.rules.keywords import (
    KEYWORD_RULE,
    PHRASE_RULE,
    WRONG_NUMBER_RULE,
    Keyword,
    ShopKeywords,
    classify,
    clauses,
    read,
)

OUT, IN, HELP, REPLY, DOUBT = (Keyword.OPT_OUT, Keyword.OPT_IN, Keyword.HELP, Keyword.REPLY,
                               Keyword.POSSIBLE_OPT_OUT)

TABLE = [
    # -- the issue: a keyword that is a whole sentence of its own, not the whole message
    ("Stop. Wrong number", OUT),
    ("wrong number, stop", OUT),
    ("Stop!!! wrong number", OUT),
    ("Who is this? Stop", OUT),
    ("not interested, stop", OUT),
    # -- the issue: phrases the old list did not know, and "wrong number" alone
    ("leave me alone", OUT),
    ("I don't want these texts", OUT),
    ("Wrong number", OUT),
    # -- the issue: must stay replies
    ("Can you stop by tomorrow?", REPLY),
    ("The leak won't stop", REPLY),
    ("I need to cancel my appointment", REPLY),
    # -- the issue: doubt goes to a person
    ("please don't stop by", DOUBT),
    ("not interested", DOUBT),
    # -- sentence and clause splitting, politeness, emoji
    ("Thanks. STOP", OUT),
    ("STOP\nSent from my iPhone", OUT),
    ("ok; stop", OUT),
    ("Cancel, I found someone else", OUT),
    ("END.", OUT),
    ("Please, stop.", OUT),
    ("stop 🙏 thanks", OUT),
    ("🛑🛑 STOP 🛑🛑", OUT),
    ("STOP STOP STOP", OUT),
    ("Stoooop", OUT),
    ("Ｓｔｏｐ", OUT),
    ("quit!", OUT),
    ("Unsubscribe", OUT),
    ("stop wrong number", OUT),
    ("who is this stop", OUT),
    ("Who is this?? stop texting me", OUT),
    ("No. Stop.", OUT),
    # -- phrases
    ("stop it", OUT),
    ("Stop it now!", OUT),
    ("I don't want your texts", OUT),
    ("We dont want any more messages", OUT),
    ("Leave me alone please", OUT),
    ("please stop texting me", OUT),
    ("Stop calling me", OUT),
    ("quit messaging me", OUT),
    ("Don't ever text this number again", OUT),
    ("Take my number off your list", OUT),
    ("delete my number", OUT),
    ("go away", OUT),
    ("No more messages please", OUT),
    # -- wrong number and its spellings
    ("wrong #", OUT),
    ("Wrong no.", OUT),
    ("wrong numbr", OUT),
    ("wrongnumber", OUT),
    ("Sorry, you have the wrong number", OUT),
    ("You got the wrong number buddy", OUT),
    ("u have the wrong number", OUT),
    ("This is the wrong number", OUT),
    ("Wrong person", OUT),
    ("sorry wrong number lol", OUT),
    # -- opt-in and help, only as the whole message
    ("START", IN),
    ("Start please", IN),
    ("unstop", IN),
    ("Yes", IN),
    ("HELP", HELP),
    ("info?", HELP),
    ("Help please", HELP),
    # -- plain replies, look-alikes included
    ("Help! My pipe burst", REPLY),
    ("Yes, 3pm works", REPLY),
    ("Stop sign on the corner", REPLY),
    ("I'll be at the end of the street", REPLY),
    ("Please cancel my appointment", REPLY),
    ("I can't stop it leaking", REPLY),
    ("The stain won't go away", REPLY),
    ("Who is this, the plumber?", REPLY),
    ("Who is this?", REPLY),
    ("Wrong size pipe, can you bring another?", REPLY),
    ("The wrong part came. Do you have the right one?", REPLY),
    ("Do not text much, call instead?", REPLY),
    ("Can you remove mold?", REPLY),
    ("stopcock is stuck", REPLY),
    ("When do you start?", REPLY),
    ("No problem, thanks!", REPLY),
    ("I'm interested, when can you come?", REPLY),
    ("The water doesn't stop running", REPLY),
    ("I want these fixed today", REPLY),
    ("Just returning your call", REPLY),
    ("", REPLY),
    ("🙏", REPLY),
    # -- doubt
    ("Not interested anymore", DOUBT),
    ("No thanks, I'm good", DOUBT),
    ("We don't need you anymore", DOUBT),
    ("Why do you keep texting me?", DOUBT),
    ("How did you get my number", DOUBT),
    ("I never called you", DOUBT),
    ("Don't cancel anything yet, I'm thinking", DOUBT),
    ("I think I dialled the wrong number earlier, do you do boilers?", DOUBT),
]


def test_the_table_is_big_enough_and_covers_every_kind():
    assert len(TABLE) >= 60
    assert {kind for _, kind in TABLE} == {OUT, IN, HELP, REPLY, DOUBT}
    assert len({body for body, _ in TABLE}) == len(TABLE), "a message listed twice"


@pytest.mark.parametrize("body, kind", TABLE, ids=[repr(b) for b, _ in TABLE])
def test_each_message_reads_as_a_person_reads_it(body, kind):
    assert classify(body) is kind


@pytest.mark.parametrize("row", opt_out_phrases.PHRASES, ids=lambda r: r.example)
def test_each_phrase_gives_its_verdict_and_its_look_alike_stays_a_reply(row):
    verdict = read(row.example)
    assert verdict.keyword.value == row.gives
    if row.gives == "opt_out":
        # A keyword found in the same clause first is evidence enough ("who is this stop").
        assert verdict.rule in (row.rule, KEYWORD_RULE)
    assert classify(row.look_alike) is REPLY


@pytest.mark.parametrize("body, rule, matched, wrong", [
    ("Stop. Wrong number", KEYWORD_RULE, "stop", True),
    ("Stop!!! wrong number", KEYWORD_RULE, "stop", True),
    ("wrong number, stop", WRONG_NUMBER_RULE, "wrong number", True),
    ("Wrong number", WRONG_NUMBER_RULE, "wrong number", True),
    ("leave me alone", PHRASE_RULE, "leave me alone", False),
    ("Who is this? Stop", KEYWORD_RULE, "stop", False),
    ("STOP please", KEYWORD_RULE, "stop", False),
])
def test_an_opt_out_says_which_rule_matched_and_whether_it_was_a_wrong_number(body, rule, matched, wrong):
    verdict = read(body)
    assert (verdict.keyword, verdict.rule, verdict.matched, verdict.wrong_number) == (OUT, rule, matched, wrong)


def test_doubt_says_what_raised_it():
    verdict = read("please don't stop by")
    assert (verdict.keyword, verdict.rule, verdict.matched) == (DOUBT, "doubt", "please dont stop by")
    assert read("Nope, not interested").matched == "not interested"


def test_clauses_split_on_sentence_and_clause_marks_and_drop_emoji_only_ones():
    assert clauses("Stop!!! wrong number") == ["stop", "wrong number"]
    assert clauses("a, b; c. d? e\nf") == ["a", "b", "c", "d", "e", "f"]
    assert clauses("🙏. STOP") == ["stop"]
    assert clauses("wrong #") == ["wrong number"]


SPANISH = ShopKeywords(opt_out=("ALTO", "PARAR", "BASTA", "CANCELAR"), opt_in=("EMPEZAR",), help=("AYUDA",))


@pytest.mark.parametrize("body, kind", [
    ("ALTO", OUT), ("alto", OUT), ("Alto por favor", OUT), ("Gracias. Basta!", OUT), ("parar", OUT),
    ("CANCELAR", OUT), ("Cancelár", OUT), ("Número equivocado. ALTO", OUT),
    ("EMPEZAR", IN), ("Ayuda", HELP), ("ayuda por favor", HELP),
    ("El agua no para, ¿pueden venir?", REPLY), ("Quiero cancelar la cita del martes", REPLY),
    ("Es un edificio alto", REPLY), ("No quiero que paren de venir", REPLY),
    ("STOP", OUT), ("HELP", HELP),   # the built-in words still work
])
def test_a_shops_own_keywords_follow_the_same_sentence_rules(body, kind):
    assert classify(body, SPANISH) is kind


def test_a_shops_own_opt_out_words_mean_nothing_without_the_config():
    assert classify("ALTO") is REPLY
    assert classify("basta") is REPLY


def test_a_shops_own_word_in_a_refusal_is_doubt():
    assert classify("please don't cancelar", SPANISH) is DOUBT
