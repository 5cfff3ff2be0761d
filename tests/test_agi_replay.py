"""Every recorded Asterisk 22.10.1 session, replayed byte for byte against the installed
`textback-agi` program (a subprocess on pipes) and through the FastAGI server (TCP),
with what landed in the real SQLite store checked field by field."""
from __future__ import annotations

import re
import threading

import pytest
from agi_replay import hook_command, load_transcripts, make_site, replay_fastagi, replay_subprocess

TRANSCRIPTS = load_transcripts()
BY_NAME = {t.name: t for t in TRANSCRIPTS}

# What each session must leave in the store: (disposition, queue_status).
EXPECTED_STATUS = {
    "inline-noanswer": ("NOANSWER", ""), "inline-busy": ("BUSY", ""),
    "inline-chanunavail": ("CHANUNAVAIL", ""), "inline-congestion": ("CONGESTION", ""),
    "inline-noanswer-anonymous": ("NOANSWER", ""), "inline-busy-odd-callerid": ("BUSY", ""),
    "hh-noanswer": ("NOANSWER", ""), "hh-busy": ("BUSY", ""), "hh-answer": ("ANSWER", ""),
    "hh-cancel": ("CANCEL", ""), "hh-queue": ("", "TIMEOUT"), "hh-afterhours": ("", ""),
    "h-exten-answer": ("ANSWER", ""), "h-exten-busy": ("BUSY", ""), "h-exten-cancel": ("CANCEL", ""),
    "h-exten-chanunavail": ("CHANUNAVAIL", ""), "h-exten-congestion": ("CONGESTION", ""),
    "h-exten-noanswer": ("NOANSWER", ""), "h-exten-none": ("", "TIMEOUT"),
    "sighup-inline": ("BUSY", ""), "sighup-nosighup": ("BUSY", ""),
    "fastagi": ("BUSY", ""), "fastagi-fallback": ("BUSY", ""),
}
# The FastAGI recording holds only three commands; the rest are answered as an unset
# variable, as Asterisk does for a variable it does not have.
FASTAGI_UNRECORDED = {"GET VARIABLE QUEUESTATUS", "GET FULL VARIABLE ${CALLERID(num-pres)}",
                      "GET FULL VARIABLE ${CHANNEL(linkedid)}", 'SET VARIABLE TEXTBACK_RESULT "queued"'}
# ...and its one log line, which that recording has no VERBOSE to vouch for.
HOOK_LOG_LINE = re.compile(r'VERBOSE "textback: [A-Za-z0-9+._ ();:,=-]*" 1')


def _unvouched(result) -> set[str]:
    return {c for c in result.unrecorded if not HOOK_LOG_LINE.fullmatch(c)}


def test_every_transcript_has_an_expectation():
    assert TRANSCRIPTS, "no transcripts found: set TEXTBACK_AGI_TRANSCRIPTS"
    assert sorted(BY_NAME) == sorted(EXPECTED_STATUS)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from store import Store

    made = make_site(tmp_path_factory.mktemp("replay"))
    Store.open(made.url).close()  # the installer creates the database once
    return made


def _recorded(site, uniqueid):
    rows = [r for r in site.calls() if r["uniqueid"] == uniqueid]
    assert len(rows) == 1, f"expected one call {uniqueid}, found {len(rows)}"
    return rows[0]


def _check_call(row, transcript, source):
    env = transcript.env
    disposition, queue_status = EXPECTED_STATUS[transcript.name]
    assert row["state"] == "new"
    assert row["disposition"] == disposition
    assert row["queue_status"] == queue_status
    assert row["caller_raw"] == env["agi_callerid"]
    assert row["caller_name"] == env["agi_calleridname"]
    assert row["direction"] == "in"
    assert row["source"] == source
    linked = [e for e in transcript.exchanges if e["sent"] == "GET FULL VARIABLE ${CHANNEL(linkedid)}"]
    if linked:
        assert row["linkedid"] == linked[0]["reply"][0].split("(", 1)[1].rstrip(")\n")


@pytest.mark.parametrize("name", sorted(EXPECTED_STATUS))
def test_hook_replay(site, name):
    transcript = BY_NAME[name]
    result = replay_subprocess(transcript, hook_command(), env=site.env())
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    log_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(log_lines) == 1, result.stderr
    assert "recorded call" in log_lines[0]
    if name == "fastagi":
        assert _unvouched(result) <= FASTAGI_UNRECORDED
    else:
        assert result.unrecorded == [], f"hook sent commands Asterisk never answered in {name}"
    assert result.sent[-1] == 'SET VARIABLE TEXTBACK_RESULT "queued"'
    assert result.sighup_sent == transcript.sighup_received
    row = _recorded(site, transcript.env["agi_uniqueid"])
    _check_call(row, transcript, "agi")


def test_special_cases_recorded_as_given(site):
    """Anonymous, the odd caller ID, answered and after-hours, beyond the generic checks."""
    for name in ("inline-noanswer-anonymous", "inline-busy-odd-callerid", "hh-answer", "hh-afterhours"):
        replay_subprocess(BY_NAME[name], hook_command(), env=site.env())
    anonymous = _recorded(site, BY_NAME["inline-noanswer-anonymous"].env["agi_uniqueid"])
    assert (anonymous["caller_raw"], anonymous["caller_presentation"]) == ("anonymous", "prohib")
    odd = _recorded(site, BY_NAME["inline-busy-odd-callerid"].env["agi_uniqueid"])
    assert odd["caller_name"] == 'O\'Brien: "Pro" Plumbing' and odd["caller_raw"] == "0015551234567"
    answered = _recorded(site, BY_NAME["hh-answer"].env["agi_uniqueid"])
    assert answered["disposition"] == "ANSWER"   # kept: it cancels pending texts for that number
    after_hours = _recorded(site, BY_NAME["hh-afterhours"].env["agi_uniqueid"])
    assert (after_hours["disposition"], after_hours["queue_status"]) == ("", "")
    # the recorder's scenario word is not ours: ignored, and said so
    assert "argument 'hh-afterhours' ignored" in after_hours["note"]


def test_after_hours_with_our_argument_form(tmp_path):
    """The no-Dial after-hours path as our dialplan writes it: reason=after-hours, line=..."""
    transcript = BY_NAME["hh-afterhours"]
    raw = "".join(transcript.raw_env).replace("agi_arg_1: hh-afterhours\n", "agi_arg_1: reason=after-hours\n")
    raw = raw.replace("agi_arg_2: \n", "agi_arg_2: line=2125550100\n")
    site = make_site(tmp_path)
    result = replay_subprocess(transcript, hook_command(), env=site.env(), raw_env=raw.encode(),
                               argv=["", "reason=after-hours", "line=2125550100"])
    assert result.returncode == 0 and result.unrecorded == []
    row = _recorded(site, transcript.env["agi_uniqueid"])
    assert (row["reason"], row["business_line"], row["disposition"]) == ("after-hours", "2125550100", "")
    assert row["note"] == ""


def test_replaying_twice_is_one_call(site):
    transcript = BY_NAME["hh-busy"]
    for _ in range(2):
        assert replay_subprocess(transcript, hook_command(), env=site.env()).returncode == 0
    _recorded(site, transcript.env["agi_uniqueid"])


@pytest.fixture(scope="module")
def fastagi_site(tmp_path_factory):
    from agi.fastagi import FastAGIServer
    from store import Store

    made = make_site(tmp_path_factory.mktemp("fastagi"))
    Store.open(made.url).close()
    server = FastAGIServer(("127.0.0.1", 0), store_url=made.url, spool_dir=str(made.spool_dir), max_calls=8)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield made, server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", sorted(EXPECTED_STATUS))
def test_fastagi_replay(fastagi_site, name):
    site, server = fastagi_site
    transcript = BY_NAME[name]
    result = replay_fastagi(transcript, *server.address)
    if name == "fastagi":
        assert _unvouched(result) <= FASTAGI_UNRECORDED
    else:
        assert result.unrecorded == []
    assert result.sent[-1] == 'SET VARIABLE TEXTBACK_RESULT "queued"'
    row = _recorded(site, transcript.env["agi_uniqueid"])
    _check_call(row, transcript, "fastagi")


def test_the_hook_logs_one_line_to_asterisk_made_of_our_characters_only(site):
    """VERBOSE reaches Asterisk's log (its stderr does not); the odd caller's name, with its
    quotes and colon, never goes into the command."""
    transcript = BY_NAME["inline-busy-odd-callerid"]
    result = replay_subprocess(transcript, hook_command(), env=site.env())
    call_id = _recorded(site, transcript.env["agi_uniqueid"])["id"]
    assert [c for c in result.sent if c.startswith("VERBOSE")] == [
        f'VERBOSE "textback: recorded call {call_id} status=BUSY queue=- '
        f'uniqueid={transcript.env["agi_uniqueid"]} caller=0015551234567" 1']
    assert result.unrecorded == []
