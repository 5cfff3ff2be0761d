"""The worker A/B benchmark (bench/worker_ab.py) runs both sides for real, says what it
measured, and refuses a revision or folder it cannot use with one clear line."""
from __future__ import annotations

import re

import pytest

from bench import worker_ab


@pytest.mark.slow
def test_this_checkout_against_itself_alternates_and_prints_both_medians_and_the_ratio(capsys):
    assert worker_ab.main(["--against-path", str(worker_ab.HERE), "--n", "20", "--rounds", "2"]) == 0
    out = capsys.readouterr().out
    rounds = re.findall(r"^round (\d) +(\S+): +[\d.]+ msg/s$", out, re.M)
    other = str(worker_ab.HERE)
    assert rounds == [("1", "this"), ("1", other), ("2", other), ("2", "this")], "A B, then B A"
    for label in ("this", other):
        assert re.search(rf"^ *{re.escape(label)}: median +[\d.]+ msg/s +\(min [\d.]+, max [\d.]+\)$", out, re.M)
    assert re.search(r"^ +ratio: [\d.]+x \(this / ", out, re.M)
    assert "20 texts a round, 2 rounds each, alternating; pacing default; load " in out


def test_an_unknown_revision_or_a_folder_that_is_no_checkout_is_refused(tmp_path):
    with pytest.raises(SystemExit, match=r"cannot check out 'no-such-rev' here .*--against-path"):
        worker_ab.main(["--against", "no-such-rev"])
    with pytest.raises(SystemExit, match=r"is not a textback checkout"):
        worker_ab.main(["--against-path", str(tmp_path)])
