"""Many hooks at once on one database, and random environments from hypothesis."""
from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agi_replay import hook_command, load_transcripts, make_site, replay_subprocess
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agi.environment import VARIABLE_COMMANDS

BUSY = {t.name: t for t in load_transcripts()}["hh-noanswer"]
RAW = "".join(BUSY.raw_env)
UNIQUEID = BUSY.env["agi_uniqueid"]


def test_fifty_hooks_at_once_record_fifty_calls(tmp_path):
    from store import Store
    from store.spool import import_spool

    site = make_site(tmp_path)
    Store.open(site.url).close()

    def one(n: int):
        raw = RAW.replace(f"agi_uniqueid: {UNIQUEID}\n", f"agi_uniqueid: 1795500000.{n}\n")
        raw = raw.replace("agi_callerid: +15551234567\n", f"agi_callerid: +121255501{n:02d}\n")
        return replay_subprocess(BUSY, hook_command(), env=site.env(), raw_env=raw.encode(), timeout=30)

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(one, range(50)))
    errors = [r.stderr for r in results
              if r.returncode != 0 or "Traceback" in r.stderr or "NOT RECORDED" in r.stderr or "rejected" in r.stderr]
    assert errors == []
    recorded = sum("recorded call" in r.stderr for r in results)
    spooled = sum("spooled" in r.stderr for r in results)
    assert recorded + spooled == 50
    # Under a 2-core box's full load a few may spool (the store's 2 s budget); the
    # import brings them in, so the count that matters is the one after it.
    with Store.open(site.url) as store:
        import_spool(site.spool_dir, store.record_call)
    rows = site.calls()
    assert len(rows) == 50
    assert len({r["uniqueid"] for r in rows}) == 50
    assert {r["caller_raw"] for r in rows} == {f"+121255501{n:02d}" for n in range(50)}
    print(f"50 hooks: {recorded} recorded directly, {spooled} spooled then imported")


HOOK_LOG_LINE = re.compile(r'VERBOSE "textback: [A-Za-z0-9+._ ();:,=-]*" 1')
FIXED_COMMANDS = {command for _, command in VARIABLE_COMMANDS} | {
    f'SET VARIABLE TEXTBACK_RESULT "{word}"' for word in ("queued", "failed", "rejected")}


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


env_key = st.from_regex(r"agi_[a-z_]{1,14}", fullmatch=True)
env_value = st.text(max_size=60)
caller_id = st.one_of(st.text(max_size=40), st.sampled_from(["anonymous", "", "unknown", "+447700900123",
                                                              "0015551234567", "\"Eve\" <666>"]))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=st.dictionaries(env_key, env_value, max_size=6), number=caller_id, name=st.text(max_size=40),
       uniqueid=st.one_of(st.just(""), st.from_regex(r"[0-9]{10}\.[0-9]{1,4}", fullmatch=True)),
       args=st.lists(st.text(max_size=20), max_size=4), blank_line=st.booleans())
def test_random_environments_always_exit_zero_and_write_only_store_and_spool(tmp_path_factory, extra, number,
                                                                              name, uniqueid, args, blank_line):
    root = tmp_path_factory.mktemp("random")
    site = make_site(root / "site")
    work = root / "cwd"
    work.mkdir()
    env = site.env()
    env["HOME"] = str(work)
    lines = [f"agi_uniqueid: {uniqueid}", f"agi_callerid: {number}", f"agi_calleridname: {name}"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    lines += [f"agi_arg_{i}: {a}" for i, a in enumerate(args, 1)]
    raw = ("\n".join(lines) + "\n" + ("\n" if blank_line else "")).encode("utf-8", "surrogatepass")
    before = _tree(root)
    result = replay_subprocess(BUSY, hook_command(), env=env, argv=[a.replace("\x00", "") for a in args],
                               raw_env=raw, close_after_env=not blank_line, timeout=20)
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) >= 1
    created = _tree(root) - before
    allowed = (os.path.relpath(site.db_path.parent, root), os.path.relpath(site.spool_dir, root))
    stray = [p for p in created if not any(p == a or p.startswith(a + os.sep) for a in allowed)]
    assert stray == []
    # never caller-controlled text inside an AGI command: every command is one of ours, verbatim,
    # or the log line, whose values are cut down to ids, digits and status words
    assert {c for c in result.sent if not HOOK_LOG_LINE.fullmatch(c)} <= FIXED_COMMANDS
    assert len([c for c in result.sent if c.startswith("VERBOSE")]) <= 1
