"""The pure part: AGI arguments and environment -> CallFact; plus the hook's import set
and an independent check of our environment reader against pyst2's."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from agi_replay import load_transcripts, make_site

from agi.environment import agi_arguments, build_call_fact, parse_arguments

TRANSCRIPTS = load_transcripts()


def test_recorder_argv_is_tolerated_and_noted():
    fields, notes = parse_arguments(["hh-noanswer", "NOANSWER"])
    assert fields == {"disposition": "NOANSWER"}
    assert notes == ["argument 'hh-noanswer' ignored"]


def test_our_argument_form():
    fields, notes = parse_arguments(["busy", "queue=timeout", "reason=after-hours", "line=2125550100", "", " "])
    assert fields == {"disposition": "BUSY", "queue_status": "TIMEOUT", "reason": "after-hours",
                      "business_line": "2125550100"}
    assert notes == []


def test_empty_and_unknown_values():
    fields, notes = parse_arguments(["queue=", "reason=", "status=MAYBE", "colour=blue", "direction=sideways"])
    assert fields == {}
    assert len(notes) == 3 and any("MAYBE" in n for n in notes) and any("colour" in n for n in notes)


def test_outbound_hook_records_the_dialled_number():
    env = {"agi_uniqueid": "1795411943.90", "agi_callerid": "201", "agi_calleridname": "Front desk"}
    fact, why = build_call_fact(env, ["ANSWER", "direction=out", "number=+12125550123"], {})
    assert why == ""
    assert (fact.direction, fact.caller_raw, fact.reason, fact.disposition) == ("out", "+12125550123", "outbound", "ANSWER")


def test_argument_wins_over_channel_variable_and_disagreement_is_noted():
    env = {"agi_uniqueid": "1.1", "agi_callerid": "+12125550123"}
    fact, _ = build_call_fact(env, ["BUSY"], {"DIALSTATUS": "NOANSWER"})
    assert fact.disposition == "BUSY" and "DIALSTATUS variable says NOANSWER" in fact.note
    fact, _ = build_call_fact(env, [], {"DIALSTATUS": "NOANSWER", "QUEUESTATUS": "JOINEMPTY"})
    assert (fact.disposition, fact.queue_status) == ("NOANSWER", "JOINEMPTY")


def test_business_line_from_dnid_then_extension_never_plumbing():
    base = {"agi_uniqueid": "1.2", "agi_callerid": "+12125550123"}
    assert build_call_fact(dict(base, agi_dnid="2125550100", agi_extension="s"), [], {})[0].business_line == "2125550100"
    assert build_call_fact(dict(base, agi_dnid="unknown", agi_extension="102"), [], {})[0].business_line == "102"
    assert build_call_fact(dict(base, agi_dnid="unknown", agi_extension="s"), [], {})[0].business_line == ""


def test_nothing_to_keep_is_a_clear_reject():
    fact, why = build_call_fact({"agi_channel": "Local/x"}, ["BUSY"], {})
    assert fact is None and "no agi_uniqueid and no caller number" in why
    fact, why = build_call_fact({"agi_callerid": "+447700900123"}, [], {})
    assert fact is not None and fact.uniqueid.startswith("nouid-") and "no agi_uniqueid" in fact.note


def test_agi_arguments_prefer_environment_over_argv():
    assert agi_arguments({"agi_arg_1": "BUSY", "agi_arg_2": ""}, ["x"]) == ["BUSY", ""]
    assert agi_arguments({}, ["NOANSWER"]) == ["NOANSWER"]


@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=lambda t: t.name)
def test_our_reader_agrees_with_pyst2(transcript):
    """pyst2's own environment parser (its stderr dump silenced) as an independent decoder."""
    from asterisk.agi import AGI

    from agi.protocol import AGIChannel

    raw = "".join(transcript.raw_env).encode()
    read_fd, write_fd = os.pipe()
    os.write(write_fd, raw)
    os.close(write_fd)
    ours = AGIChannel(read_fd, -1).read_env()
    os.close(read_fd)
    theirs = AGI(stdin=io.StringIO(raw.decode()), stdout=io.StringIO(), stderr=io.StringIO()).env
    # pyst2 strips values; ours keeps inner text exactly (only the one space after ':' goes)
    assert {k: v.strip() for k, v in ours.items()} == theirs


def test_hook_imports_stay_small(tmp_path):
    """The hook runs per call: no peewee, click, phonenumbers or pyst2 on its path, nor
    logging, urllib, tomllib, dataclasses (inspect), typing or re (`python -m bench`
    measured each at several ms per call)."""
    site = make_site(tmp_path)
    transcript = {t.name: t for t in TRANSCRIPTS}["hh-noanswer"]
    env_file = tmp_path / "env"
    env_file.write_bytes("".join(transcript.raw_env).encode())
    out = tmp_path / "modules.json"
    code = ("import sys, json; sys.argv=['textback-agi']; from agi.hook import main; main(); "
            f"open({str(out)!r}, 'w').write(json.dumps(sorted(sys.modules)))")
    from store import Store
    Store.open(site.url).close()  # an installed site has its database; creating it is the rare path
    with open(env_file, "rb") as stdin:
        done = subprocess.run([sys.executable, "-c", code], stdin=stdin, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=site.env(), timeout=30)
    assert b"recorded call" in done.stderr, done.stderr
    modules = set(json.loads(out.read_text()))
    assert "agi.hook" in modules and "store.fast_record" in modules
    # What the interpreter loads before any code of ours (site, an editable install's
    # finder...) is the floor every process pays, not the hook's doing.
    floor = set(json.loads(subprocess.run(
        [sys.executable, "-c", "import sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, timeout=30, check=True).stdout))
    heavy = {"peewee", "click", "phonenumbers", "asterisk", "serial", "gsmmodem", "six",
             "logging", "urllib.parse", "tomllib", "dataclasses", "inspect", "typing", "re",
             "json", "pathlib"} & (modules - floor)
    assert heavy == set()
    # Exactly these of ours: each costs its stats, opens and run time on every call.
    ours = {m for m in modules - floor if m.split(".")[0] in ("agi", "store", "textback", "modem")}
    assert ours == {"agi", "agi.hook", "agi.protocol", "agi.environment", "store", "store.location",
                    "store.plain_toml", "store.facts", "store.fast_record", "store.times", "store.errors",
                    "store.schema", "store.url"}
