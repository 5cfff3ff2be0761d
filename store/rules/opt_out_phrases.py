"""The words and phrases people use to say "no more texts", as a table the tests drive.

One job: hold the table. store.rules.keywords reads it; tests/test_rules_keywords.py
checks every row's example gives the row's verdict and its look-alike stays a reply.
Patterns are regular expressions over *normalised* text (lower case, no accents, no
apostrophes, every other non-letter a single space: see keywords.normalise), so
"Don't TEXT me!!" is matched as "dont text me".

Where a phrase counts:
- `clause`: only as a whole sentence or clause of its own, give or take politeness
  ("please", "now", "thanks") and side remarks ("who is this", "wrong number"):
  "stop it" is an opt-out, "I can't stop it leaking" a plumbing job;
- `anywhere`: wherever it stands in the message ("Please stop texting me, I found
  someone" is an opt-out).

`gives` is what the phrase means when it matches: opt_out (honoured at once) or
possible_opt_out (doubt: the automation waits, a person decides).
`rule` is kept as the opt-out's evidence: phrase, or wrong_number (which also marks the
contact as not the caller we wanted).
"""
from __future__ import annotations

from dataclasses import dataclass

OPT_OUT, POSSIBLE = "opt_out", "possible_opt_out"
PHRASE, WRONG_NUMBER = "phrase", "wrong_number"
CLAUSE, ANYWHERE = "clause", "anywhere"


@dataclass(frozen=True)
class Phrase:
    pattern: str          # a regular expression over normalised text
    where: str            # clause | anywhere
    gives: str            # opt_out | possible_opt_out
    example: str          # a message it must classify as `gives`
    look_alike: str       # a message close to it that must stay a plain reply
    rule: str = PHRASE    # phrase | wrong_number: the evidence an opt-out keeps


# The ways "number" is written after "wrong" ("wrong #" is rewritten to "wrong number"
# before normalising, since the # itself is lost).
_NUMBER = r"(?:number|numbr|numba|numer|nunber|numbet|nmbr|numb|num|no|nr|person|phone|cell|guy)"
_WRONG = r"(?:wrong|wromg|wrng|worng|wrond|rong)"
WRONG_NUMBER_CORE = (rf"(?:(?:i think |sorry )?(?:you|u|ya|youve|uve|you ve)(?: have| got| ve got| are texting"
                     rf"| re texting| texted| messaged| sent this to)?(?: the| a)? |(?:this is|thats|its|this is a)"
                     rf"(?: the| a)? |(?:got|have|texting) (?:the|a) )?{_WRONG} ?{_NUMBER}"
                     rf"(?: (?:buddy|mate|dude|pal|sir|maam|bro|sorry|lol|here|again))*"
                     r"|not the right (?:number|person)|incorrect number|(?:this|that) number is wrong"
                     r"|no one here (?:by that name|called that)|nobody here (?:by that name|called that)")

PHRASES: tuple[Phrase, ...] = (
    # -- honoured at once, wherever they stand -------------------------------------------------
    Phrase(r"(?:stop|quit|cease) (?:texting|messaging|txting|spamming|contacting|bothering|bugging|harassing"
           r"|pestering|calling)(?: me| this number| my number)?",
           ANYWHERE, OPT_OUT, "Please stop texting me, I already found someone", "Stop by when you can"),
    Phrase(r"stop (?:sending|send) (?:me |this number )?(?:any )?(?:more )?"
           r"(?:texts|text|messages|message|txts|sms|stuff)",
           ANYWHERE, OPT_OUT, "stop sending me messages", "Stop the sending valve first?"),
    Phrase(r"stop (?:the|these|your|ur|all the|all these|with the) (?:texts|messages|txts|sms|spam)",
           ANYWHERE, OPT_OUT, "Can you stop these texts", "Can you stop the leak"),
    Phrase(r"(?:dont|do not|never|pls dont|please dont|dont ever|do not ever) (?:text|message|txt|contact|sms|msg)"
           r" (?:me|this number|my number|us)",
           ANYWHERE, OPT_OUT, "Don't text me again", "Do not text much, call instead?"),
    Phrase(r"(?:i |we )?(?:dont|do not|no longer) (?:want|need) (?:these|your|any|ur|the|this|those|any more|more)"
           r"(?: \w+)? (?:texts|text|messages|message|txts|sms|msgs)",
           ANYWHERE, OPT_OUT, "I don't want these texts", "I want these fixed today"),
    Phrase(r"(?:remove|delete|erase|lose) (?:me|my number|my details|this number)",
           ANYWHERE, OPT_OUT, "Remove me from your list", "Can you remove mold?"),
    Phrase(r"(?:take|get) (?:me|my number|this number) off (?:your|the|this|ur|of your|of the) "
           r"(?:\w+ )?(?:list|texts|messages|system)",
           ANYWHERE, OPT_OUT, "Take me off your list", "Take the old boiler off the wall"),
    Phrase(r"unsubscribe|unsub me|opt me out|i opt out|opting out",
           ANYWHERE, OPT_OUT, "How do I unsubscribe?", "Is the subscription monthly?"),
    Phrase(r"no more (?:texts|messages|txts|sms|msgs|texting)",
           ANYWHERE, OPT_OUT, "no more texts", "no more leaks since you came"),
    Phrase(r"leave me alone|leave me be|let me be",
           ANYWHERE, OPT_OUT, "leave me alone", "Leave the key with me alone? No, with my neighbour"),
    # -- honoured at once, as a clause of their own --------------------------------------------------
    Phrase(r"stop (?:it|this|that|now|already|asap|immediately|right now|pls|plz|please|please stop)",
           CLAUSE, OPT_OUT, "Stop it", "I can't stop it leaking"),
    Phrase(r"(?:just )?(?:go away|fuck off|piss off|bugger off|get lost|buzz off|f off)",
           CLAUSE, OPT_OUT, "go away", "The stain won't go away"),
    Phrase(r"(?:who is this|whos this|who dis|who are you|who is it) (?:stop|stop it|stop texting)",
           CLAUSE, OPT_OUT, "who is this stop", "Who is this, the plumber?"),
    Phrase(r"unsub|remove|stop stop|cancel all|end all|stop all texts|stop everything",
           CLAUSE, OPT_OUT, "Remove.", "Remove the old tap too"),
    # -- wrong number: an opt-out that also says this is not the caller we wanted ---------------------
    Phrase(WRONG_NUMBER_CORE, CLAUSE, OPT_OUT, "Wrong number", "Wrong size pipe, can you bring another?",
           rule=WRONG_NUMBER),
    Phrase(WRONG_NUMBER_CORE, CLAUSE, OPT_OUT, "Sorry, you have the wrong number", "You have the right part?",
           rule=WRONG_NUMBER),
    Phrase(WRONG_NUMBER_CORE, CLAUSE, OPT_OUT, "wrong #", "wrong size", rule=WRONG_NUMBER),
    # -- doubt: probably "no more texts", but a person should read it ---------------------------------
    Phrase(r"not interested|no longer interested|not interrested|no interest|not intrested",
           ANYWHERE, POSSIBLE, "not interested", "I'm interested, when can you come?"),
    Phrase(r"no thanks|no thank you|no thx|no ty|nah thanks|no thanks anyway",
           ANYWHERE, POSSIBLE, "No thanks, I'm good", "No problem, thanks!"),
    Phrase(r"(?:i |we )?(?:dont|do not|no longer) need (?:you|your|it|this|that|anything|any help|the service|ur)",
           ANYWHERE, POSSIBLE, "We don't need you anymore", "We need you on Tuesday"),
    Phrase(r"why (?:are|do|did) you (?:keep )?(?:texting|messaging|text|message|txt)(?:ing)?"
           r"|how did you get (?:my|this) number|who gave you (?:my|this) number",
           ANYWHERE, POSSIBLE, "Why do you keep texting me?", "Why did the pipe burst?"),
    Phrase(r"i (?:never|didnt|did not) call(?:ed)? (?:you|u|this number|anyone)",
           ANYWHERE, POSSIBLE, "I never called you", "I called you yesterday"),
    Phrase(rf"{_WRONG} ?{_NUMBER}",
           ANYWHERE, POSSIBLE, "I think I dialled the wrong number earlier, do you do boilers?",
           "The wrong part came, do you have the right one?"),
)
