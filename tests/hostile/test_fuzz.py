"""Hypothesis against the edges a stranger controls: AGI environments and caller IDs (the
hook as a subprocess), inbound PDUs of random bytes and inbound texts of every kind (the
worker as a process, the simulator on a pty). Nothing may kill the hook or the worker,
no call may be lost, and a readable text must be stored exactly as sent."""
from __future__ import annotations

import json
import re
import time

from agi_replay import Transcript, hook_command, replay_subprocess
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sim_helpers import wait_until


def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Caller IDs as forgers and odd PBXs send them: digits, plus signs, names, quotes, junk.
caller_ids = st.one_of(
    st.from_regex(r"\+?[0-9]{1,20}", fullmatch=True),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=40),
    st.sampled_from(["anonymous", "unknown", "", "Restricted", "+1 (212) 555-0123", "0012125550123",
                     "sip:+12125550123@trunk", "\"Mallory\" <+19005550123>", "+2348031234567"]))
values = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=60)
AGI_KEYS = ["agi_request", "agi_channel", "agi_language", "agi_type", "agi_uniqueid", "agi_version",
            "agi_callerid", "agi_calleridname", "agi_callingpres", "agi_dnid", "agi_rdnis", "agi_context",
            "agi_extension", "agi_priority", "agi_enhanced", "agi_accountcode", "agi_threadid",
            "agi_arg_1", "agi_arg_2", "agi_arg_3", "agi_network", "agi_unknown_key"]


def test_hook_survives_any_agi_environment(site, ledger_row):
    ledger_row.scenario = "fuzz: AGI environments"
    outcomes: dict[str, int] = {}

    @fuzz(40)
    @given(env=st.dictionaries(st.sampled_from(AGI_KEYS), values, max_size=len(AGI_KEYS)),
           caller=caller_ids, junk=st.binary(max_size=40), uniqueid=st.one_of(st.none(), st.integers(1, 10**9)))
    def one(env, caller, junk, uniqueid):
        env = dict(env, agi_callerid=caller)
        if uniqueid is None:
            env.pop("agi_uniqueid", None)        # and maybe no caller either: nothing to keep
        else:
            env["agi_uniqueid"] = f"{uniqueid}.{len(site.uniqueids)}"
        raw = "".join(f"{k}: {v}\n" for k, v in env.items()).encode() + junk.replace(b"\n", b" ") + b"\n\n"
        transcript = Transcript(name="fuzz", raw_env=[], exchanges=[], argv=["NOANSWER"], sighup_received=False)
        result = replay_subprocess(transcript, hook_command(), env=site.env(), raw_env=raw, timeout=10)
        assert result.returncode == 0
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
        word = re.findall(r'TEXTBACK_RESULT "(\w+)"', "\n".join(result.sent))
        assert word and word[-1] in ("queued", "rejected"), (result.sent, result.stderr)
        outcomes[word[-1]] = outcomes.get(word[-1], 0) + 1
        if word[-1] == "queued" and "agi_uniqueid" in env:
            site.uniqueids.append(env["agi_uniqueid"].strip()[:64])

    one()
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    assert tally.lost == 0


def test_guard_never_lets_a_forged_caller_id_out_of_the_region():
    import phonenumbers

    from store.rules.guard import GuardSettings, check_caller

    guard = GuardSettings(country="US")

    @fuzz(600)
    @given(caller=caller_ids, presentation=st.sampled_from(["", "allowed_not_screened", "prohib", "junk"]))
    def one(caller, presentation):
        verdict = check_caller(caller, presentation, guard)
        if verdict.skip_reason is None:
            parsed = phonenumbers.parse(verdict.e164)
            assert phonenumbers.region_code_for_number(parsed) == "US"
            assert phonenumbers.number_type(parsed) in (phonenumbers.PhoneNumberType.MOBILE,
                                                        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)

    one()


def test_random_pdus_never_kill_the_worker(site, ledger_row):
    ledger_row.scenario = "fuzz: random PDUs"
    from modem.simulator.memory import StoredMessage

    site.start_worker()
    site.call("+12125550123")
    site.wait_sent(1)
    delivered = []

    @fuzz(15)
    @given(data=st.binary(min_size=1, max_size=180))
    def one(data):
        sim = site.sim
        with sim.state.lock:
            memory = sim.state.cpms[2]
            index = sim.state.store[memory].store(StoredMessage(pdu=data.hex().upper(), stat=0,
                                                                tpdu_length=max(1, len(data) - 1), kind="deliver"))
        sim.network.emit(f'+CMTI: "{memory}",{index}', "now")
        delivered.append(index)
        time.sleep(0.05)
        assert site.worker_alive(), site.worker_log()[-2000:]

    one()
    # Still working: a real reply after the junk is stored and the worker still texts.
    site.sim.inject_sms("+12125550123", "Yes please, tomorrow at 9")
    wait_until(lambda: site.rows("SELECT id FROM message WHERE direction = 'in' AND body = ?",
                                 "Yes please, tomorrow at 9"), timeout=15, what="the reply after the junk")
    assert site.worker_alive()
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = f"{len(delivered)} random PDUs"


def test_inbound_texts_of_every_kind_are_stored_whole(site, ledger_row):
    ledger_row.scenario = "fuzz: inbound texts"
    site.start_worker()
    site.call("+12125550145")
    site.wait_sent(1)
    stored = []
    # Control characters, NUL, right-to-left text, emoji, and long texts up to 2,000 characters.
    alphabet = st.one_of(st.characters(codec="utf-8", exclude_categories=["Cs"]),
                         st.sampled_from(["\x00", "\x07", "\x1b", "\u202e", "\u200f", "שלום", "مرحبا",
                                          "😀", "👍🏽", "\u0301", "€", "{", "}", "\\", "~", "^", "|", "[", "]"]))

    @fuzz(12)
    @given(text=st.one_of(st.lists(alphabet, min_size=1, max_size=200),
                          st.lists(alphabet, min_size=1500, max_size=2000)).map("".join))
    @example(("Call me \x00 back \u202eשלום مرحبا 😀👍🏽 {ok} \x1b[31m " * 60)[:2000])
    def one(text):
        site.sim.inject_sms("+12125550145", text)
        marker = len(stored) + 1
        wait_until(lambda: len(site.rows("SELECT id FROM message WHERE direction = 'in'")) >= marker,
                   timeout=20, interval=0.05, what=f"inbound text {marker} stored")
        row = site.rows("SELECT body, parts FROM message WHERE direction = 'in' ORDER BY id DESC LIMIT 1")[0]
        assert row["body"] == text, (json.dumps(text)[:200], json.dumps(row["body"])[:200])
        stored.append(row["parts"])
        assert site.worker_alive()

    one()
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = f"{len(stored)} texts in, up to {max(stored)} parts"
