"""The benchmark's verdict: a missed speed goal is shown, never fatal; a lost text or an
error fails the run (what .ci/run relies on)."""
from __future__ import annotations

import bench.__main__ as bench_main
from bench import table
from bench.table import Row, percentile, render, timing_row


def test_rows_say_which_goal_was_met():
    fast = timing_row("hook", [0.01, 0.02, 0.03], floor=[0.01, 0.01, 0.01], floor_name="floor",
                      ratio_goal=3.0, on="median")
    assert (fast.ratio, fast.met) == ("2.00x", True)
    slow = timing_row("lead", [0.1] * 19 + [0.9], goal_seconds=0.5, on="p95")
    assert slow.met is True and percentile([0.1] * 19 + [0.9], 99) == 0.9
    assert timing_row("lead", [0.9] * 20, goal_seconds=0.5, on="p95").met is False
    text = render([fast, Row("lost", goal="0", measured="1 of 2", met=False, fails_run=True)])
    assert "MISSED" in text and "ok" in text and text.splitlines()[0].startswith("metric")


def test_only_lost_or_errors_fail_the_run(monkeypatch, capsys):
    missed = [Row("slow", goal="<= 5 ms", measured="9 ms", met=False)]
    monkeypatch.setattr(bench_main.hook_bench, "run", lambda quick: missed)
    assert bench_main.main(["--quick", "--only", "hook"]) == 0
    lost = missed + [Row("texts lost", goal="0", measured="1", met=False, fails_run=True)]
    monkeypatch.setattr(bench_main.hook_bench, "run", lambda quick: lost)
    assert bench_main.main(["--quick", "--only", "hook"]) == 1
    assert "FAILED (lost or errors): texts lost" in capsys.readouterr().err


def test_a_part_that_breaks_is_a_failed_row_not_a_traceback(monkeypatch, capsys):
    def boom(quick):
        raise RuntimeError("no pty")
    monkeypatch.setattr(bench_main.hook_bench, "run", boom)
    assert bench_main.main(["--quick", "--only", "hook"]) == 1
    assert "hook: could not run" in capsys.readouterr().out
    assert table.ms(0.0123) == "12.3 ms"


def test_the_markdown_table_is_rewritten_and_the_sections_after_it_are_kept(monkeypatch, tmp_path, capsys):
    page = tmp_path / "BENCHMARKS.md"
    page.write_text("# Benchmarks\n\nold table\n\n## Worker A/B\n\nkept as written\n", encoding="utf-8")
    monkeypatch.setattr(bench_main.hook_bench, "run", lambda quick: [Row("hook", goal="<= 3x", measured="2x")])
    assert bench_main.main(["--quick", "--only", "hook", "--markdown", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "old table" not in text and "| hook | <= 3x | 2x |" in text
    assert text.endswith("\n\n## Worker A/B\n\nkept as written\n")
