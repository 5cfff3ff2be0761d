"""The PBX side: the hook's whole process against the interpreter's start, 64 hooks at once,
and the FastAGI server per call and under 16 concurrent connections.

Each runs the recorded hh-noanswer session (tests/fixtures) as Asterisk plays it: the
hook as a subprocess on stdin/stdout, FastAGI over TCP. The hook and the floor alternate
run by run, so a busy moment of the machine falls on both.
"""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.table import Row, ms, percentile, timing_row

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from agi_replay import (
    hook_command,
    load_transcripts,
    make_site,
    replay_fastagi,
    replay_subprocess,
)

_TEMPLATE = {t.name: t for t in load_transcripts()}["hh-noanswer"]


def session(n: int):
    """The recorded session with its own uniqueid (every run is a new call)."""
    uid = _TEMPLATE.env["agi_uniqueid"]
    return type(_TEMPLATE)(name=_TEMPLATE.name, argv=_TEMPLATE.argv, sighup_received=False,
                           exchanges=_TEMPLATE.exchanges,
                           raw_env=[line.replace(uid, f"1799{n:06d}.{n}") for line in _TEMPLATE.raw_env])


def _floor_command() -> list[str]:
    # The interpreter the hook's script runs with (its shebang), with its site-packages.
    script = hook_command()[0]
    with open(script) as fh:
        first = fh.readline()
    interpreter = first[2:].strip() if first.startswith("#!") else sys.executable
    return [interpreter, "-c", "pass"]


def run(quick: bool) -> list[Row]:
    from store import Store

    runs = 12 if quick else 60
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="textback-bench-hook-") as tmp:
        site = make_site(Path(tmp))
        Store.open(site.url).close()
        env = site.env()
        from bench.rig import textback_command

        floor, hook, help_, failures = [], [], [], []
        for n in range(runs):
            started = time.perf_counter()
            subprocess.run(_floor_command(), check=True)
            floor.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = replay_subprocess(session(n), hook_command(), env=env)
            hook.append(time.perf_counter() - started)
            if "recorded call" not in result.stderr:
                failures.append(result.stderr.strip()[-200:])
            started = time.perf_counter()
            subprocess.run([*textback_command(), "--help"], check=True, stdout=subprocess.DEVNULL)
            help_.append(time.perf_counter() - started)
        rows.append(timing_row("hook process vs python -c pass", hook, goal_text="<= 3x floor", on="median",
                               floor=floor, floor_name="python -c pass", ratio_goal=3.0))
        rows.append(timing_row("textback --help vs python -c pass", help_, goal_text="<= 2x floor",
                               on="median", floor=floor, floor_name="python -c pass", ratio_goal=2.0))
        rows.append(_errors_row("hook runs not recorded", failures, runs))

        rows.append(_burst(site, env, 64, base=100_000))

        # The server as a shop runs it (`textback fastagi`, its own process): the clients
        # here are Asterisk's side, and must not share the server's interpreter lock.
        with _fastagi_server(site) as address:
            per_call = []
            for n in range(runs):
                started = time.perf_counter()
                replay_fastagi(session(200_000 + n), *address)
                per_call.append(time.perf_counter() - started)
            rows.append(timing_row("FastAGI per call", per_call, goal_seconds=0.005, goal_text="<= 5 ms",
                                   on="median"))
            rows.extend(_concurrent(address, 16, 4 if quick else 20, base=300_000))
    return rows


@contextlib.contextmanager
def _fastagi_server(site):
    from bench.rig import stop, textback_command, wait_for

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([*textback_command(), "fastagi", "--listen", f"127.0.0.1:{port}"],
                            env=site.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False
    try:
        wait_for(listening, timeout=20, what="textback fastagi listening", interval=0.05)
        yield ("127.0.0.1", port)
    finally:
        stop(proc)


def _errors_row(metric: str, failures: list[str], out_of: int) -> Row:
    return Row(metric, goal="0", measured=f"{len(failures)} of {out_of}", met=not failures,
               fails_run=bool(failures), floor=(failures[0][:60] if failures else ""))


def _burst(site, env, count: int, base: int) -> Row:
    """`count` hooks started at the same moment (a trunk dropping many calls at once)."""
    before = {c["uniqueid"] for c in site.calls()}
    times: list[float] = [0.0] * count
    errors: list[str] = []
    start = threading.Barrier(count)

    def one(n: int) -> None:
        start.wait()
        began = time.perf_counter()
        result = replay_subprocess(session(base + n), hook_command(), env=env, timeout=30)
        times[n] = time.perf_counter() - began
        if result.returncode != 0 or "internal error" in result.stderr or "NOT RECORDED" in result.stderr:
            errors.append(result.stderr.strip()[-200:])

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recorded = {c["uniqueid"] for c in site.calls()} - before
    spooled = len(site.spool_files())
    lost = count - len(recorded) - spooled
    return Row(f"{count} hooks at once", goal="0 lost, 0 errors",
               measured=f"lost {lost}, errors {len(errors)}, spooled {spooled}, p99 {ms(percentile(times, 99))}",
               median=ms(sorted(times)[count // 2]), p95=ms(percentile(times, 95)),
               met=lost == 0 and not errors, fails_run=lost > 0 or bool(errors))


def _concurrent(address, clients: int, each: int, base: int) -> list[Row]:
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client(c: int) -> None:
        start.wait()
        for k in range(each):
            began = time.perf_counter()
            try:
                replay_fastagi(session(base + c * 1000 + k), *address)
            except OSError as exc:
                with lock:
                    errors.append(str(exc))
                continue
            with lock:
                times.append(time.perf_counter() - began)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    row = timing_row(f"FastAGI at {clients} concurrent", times or [0.0], goal_seconds=0.050,
                     goal_text="p99 <= 50 ms", on="p99")
    return [row, _errors_row(f"FastAGI errors at {clients} concurrent", errors, clients * each)]
