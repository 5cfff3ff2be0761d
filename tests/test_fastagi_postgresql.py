"""`textback fastagi` on a PostgreSQL store, run as a process the way systemd runs it and
spoken to over TCP as Asterisk does (the recorded sessions of Asterisk 22.10.1): sixteen
calls at once are each recorded once, and with the server stopped mid-run the calls are
spooled (the dialplan still hears "queued") and imported once when it is back."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from agi_replay import free_port, load_transcripts, replay_fastagi, wait_listening

from store import Store
from store.spool import import_spool, pending_spool

TRANSCRIPT = {t.name: t for t in load_transcripts()}["hh-noanswer"]
QUEUED = 'SET VARIABLE TEXTBACK_RESULT "queued"'


def session(n: int):
    uid = TRANSCRIPT.env["agi_uniqueid"]
    return type(TRANSCRIPT)(name=TRANSCRIPT.name, argv=None, sighup_received=False,
                            raw_env=[line.replace(uid, f"1795700000.{n}") for line in TRANSCRIPT.raw_env],
                            exchanges=TRANSCRIPT.exchanges)


@pytest.mark.slow
def test_fastagi_on_postgresql_records_concurrent_calls_and_spools_through_an_outage(tmp_path, pg_cluster, pg_url):
    spool = tmp_path / "spool"
    config = tmp_path / "textback.toml"
    config.write_text(f'[store]\nurl = "{pg_url}"\nspool_dir = "{spool}"\n', encoding="utf-8")
    Store.open(pg_url).close()
    port = free_port()
    textback = os.path.join(os.path.dirname(sys.executable), "textback")
    env = {**os.environ, "TEXTBACK_RAM_SPOOL": str(tmp_path / "ram-spool")}
    proc = subprocess.Popen([textback, "--config", str(config), "fastagi", "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        wait_listening(port, proc)
        with ThreadPoolExecutor(max_workers=16) as pool:
            first = list(pool.map(lambda n: replay_fastagi(session(n), "127.0.0.1", port), range(32)))
        assert all(QUEUED in r.sent for r in first), [r.sent for r in first if QUEUED not in r.sent][:1]
        with Store.open(pg_url) as store:
            assert sorted(c.fact.uniqueid for c in store.new_calls()) == sorted(f"1795700000.{n}" for n in range(32))
        pg_cluster.stop()                                   # the server goes away mid-run
        try:
            began = time.monotonic()
            outage = [replay_fastagi(session(n), "127.0.0.1", port) for n in range(32, 40)]
            assert time.monotonic() - began < 8 * 5, "a call was held past the hook's bound"
        finally:
            pg_cluster.restart()
        assert all(QUEUED in r.sent for r in outage)       # the dialplan never falls back for these
        assert len(pending_spool(spool)) == 8
        with Store.open(pg_url) as store:
            assert [len(import_spool(spool, store.record_call).imported) for _ in range(2)] == [8, 0]
            kept = store.new_calls()
        assert sorted(c.fact.uniqueid for c in kept) == sorted(f"1795700000.{n}" for n in range(40))
        assert proc.poll() is None, "the server died during the outage"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err.decode(), err.decode()[-2000:]
