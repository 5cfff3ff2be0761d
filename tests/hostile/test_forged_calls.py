"""Forged caller IDs (issue 11, case 6 and the abuse guard): 1,000 calls from premium,
foreign, short and random numbers, with some plausible local ones, through `textback
fastagi` and `textback worker` as processes. No text may leave the allowed region, the
hourly cap must hold the rest, and the alert must show in `status` (exit 1) and `doctor`
and reach the staff phone once."""
from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from hostile_rig import STAFF, Site
from sim_helpers import wait_until

CALLS = 1000
CAP = 30


def forged_numbers(rng: random.Random, n: int) -> list[str]:
    def premium() -> str:
        return f"+1900{rng.randrange(2000000, 9999999)}"

    def foreign() -> str:
        return rng.choice([f"+234803{rng.randrange(10**6, 10**7)}", f"+447911{rng.randrange(10**5, 10**6)}",
                           f"+1876{rng.randrange(2000000, 9999999)}", f"+1242{rng.randrange(3570000, 3579999)}",
                           f"+1613{rng.randrange(2000000, 9999999)}", f"+8613{rng.randrange(10**8, 10**9)}"])

    def short() -> str:
        return str(rng.randrange(10, 999999))

    def random_text() -> str:
        alphabet = "0123456789+#*-() abcXYZ\"'\\;:"
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 30)))

    def local() -> str:
        return f"+1212{rng.randrange(2, 10)}{rng.randrange(10**5, 10**6)}"

    kinds = [premium] * 20 + [foreign] * 25 + [short] * 15 + [random_text] * 20 + [local] * 20
    return [rng.choice(kinds)() for _ in range(n)]


@pytest.fixture
def site(tmp_path):
    running = Site(tmp_path, extra=f"\n[guard]\nhourly_cap = {CAP}\n")
    yield running
    running.close()


def test_thousand_forged_calls_cap_holds_and_alert_reaches_staff_once(site, ledger_row):
    ledger_row.scenario = "case 6: 1,000 forged calls"
    import phonenumbers

    numbers = forged_numbers(random.Random(11), CALLS)
    site.start_fastagi("--max-calls", "64")
    site.start_worker()
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(site.call_fastagi, numbers))
    took = time.monotonic() - started
    assert all(r.sent for r in results)
    site.wait_sent(CAP + 1, timeout=30, what="the capped texts and the staff alert")
    wait_until(lambda: site.cli("status").returncode == 1, timeout=20, interval=0.5, what="alert raised")
    time.sleep(3)        # a few more alert looks: the staff text must not repeat
    texts = site.sent_texts()
    to_callers = [number for number, _ in texts if number != STAFF]
    alerts = [text for number, text in texts if number == STAFF]
    # No text outside the allowed region, nothing premium or short.
    for number in to_callers:
        parsed = phonenumbers.parse(number)
        assert phonenumbers.region_code_for_number(parsed) == "US", number
        assert phonenumbers.number_type(parsed) in (phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
                                                    phonenumbers.PhoneNumberType.MOBILE), number
    assert len(to_callers) <= CAP
    assert len(alerts) == 1 and "hourly cap" in alerts[0], alerts
    assert sum(texts.values()) == len(texts)             # not one text twice
    status = site.cli("status")
    assert status.returncode == 1 and "hourly cap of 30 texts reached" in status.stdout, status.stdout
    doctor = site.cli("doctor", "--agi-bin", str(site.root), "--asterisk-etc", str(site.root), "--json")
    assert '"no active alerts"' in doctor.stdout and "hourly cap" in doctor.stdout
    held = site.rows("SELECT count(*) AS n FROM call WHERE state = 'new'")[0]["n"]
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = f"{held} held by the cap, {CALLS / took:.0f} calls/s in"
    assert tally.lost == 0 and tally.calls_in == CALLS
    assert held > 0
