"""`textback report --html`: one self-contained page with SVG charts, checked as markup and
in a real browser (Debian's chromium, headless: the page loads with no console message,
no blocked fetch, and holds the expected bars for the seeded shop)."""
from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from cli_helpers import make_site, run
from owner_shop import DAYS, LINES, SKIP_REASONS, seed_owner_shop

from textback.html_report import DAY_SERIES, DELAY_BINS

NOVEMBER = ("--since", "2026-11-01", "--until", "2026-11-30")
EXPECTED_BARS = {"per-day": DAYS * len(DAY_SERIES), "text-delays": len(DELAY_BINS), "reply-rate": LINES,
                 "skipped": SKIP_REASONS}
# As root (CI) chromium needs --no-sandbox; the rest keep it off the network and quiet.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0"]


class Bars(HTMLParser):
    """Counts <rect class="bar"> per chart (the <svg id> they are in), and every outside reference."""

    def __init__(self) -> None:
        super().__init__()
        self.chart: str | None = None
        self.bars: dict[str, int] = {}
        self.values: dict[str, list[tuple[str, str, str]]] = {}
        self.outside: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.chart = a.get("id")
        elif tag == "rect" and "bar" in (a.get("class") or "").split() and self.chart:
            self.bars[self.chart] = self.bars.get(self.chart, 0) + 1
            self.values.setdefault(self.chart, []).append((a["data-key"], a["data-series"], a["data-value"]))
        elif tag == "script":
            self.scripts += 1
        for name in ("src", "href", "action", "srcset"):
            if a.get(name):
                self.outside.append(f"{tag} {name}={a[name]}")

    def handle_endtag(self, tag):
        if tag == "svg":
            self.chart = None


@pytest.fixture
def report(tmp_path) -> Path:
    site = make_site(tmp_path)
    with site.store() as store:
        seed_owner_shop(store)
    target = tmp_path / "report.html"
    result = run(site, "report", "--html", str(target), *NOVEMBER)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Wrote {target}: 7 missed call(s), 4 texted, 4 lead(s) recovered")
    return target


def parse(markup: str) -> Bars:
    bars = Bars()
    bars.feed(markup)
    return bars


def test_the_report_is_one_self_contained_page_with_the_expected_bars(report):
    page = report.read_text(encoding="utf-8")
    found = parse(page)
    assert found.bars == EXPECTED_BARS
    assert found.scripts == 0 and found.outside == [] and "url(" not in page
    assert "http:" not in page and "https:" not in page and "//" not in page.replace("http-equiv", "")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    per_day = found.values["per-day"]
    assert ("2026-11-02", "recovered", "2") in per_day and ("2026-11-03", "missed_calls", "4") in per_day
    assert ("(no line)", "reply_rate", "0") in found.values["reply-rate"]
    assert {k for k, _s, _v in found.values["skipped"]} == {"anonymous", "premium", "blocked_region"}
    assert "Café Zoë: missed calls and text-back" in page and "(212) 555-0100" in page


def test_a_bad_path_is_a_clear_error(tmp_path):
    site = make_site(tmp_path)
    result = run(site, "report", "--html", str(tmp_path / "no" / "such" / "dir" / "r.html"))
    assert result.exit_code == 1 and "cannot write" in result.output


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: the README's test command installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def browse(page: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.glob('chromium-profile-*')))}"
    return subprocess.run([_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=90)


def _complaints(log: str) -> list[str]:
    return [line for line in log.splitlines()
            if ":CONSOLE" in line or "Refused" in line or "net::ERR" in line or "Uncaught" in line]


def test_the_report_loads_in_a_real_browser_with_its_bars(report, tmp_path):
    dumped = browse(report, tmp_path, "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    assert _complaints(dumped.stderr) == []
    assert parse(dumped.stdout).bars == EXPECTED_BARS          # the DOM as the browser built it
    shot = tmp_path / "report.png"
    taken = browse(report, tmp_path, "--hide-scrollbars", "--window-size=900,1500", f"--screenshot={shot}")
    assert taken.returncode == 0 and _complaints(taken.stderr) == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_the_browser_check_would_see_a_page_that_reaches_out(tmp_path):
    # The check above is only worth something if a fetch the policy blocks shows in the log.
    page = tmp_path / "bad.html"
    page.write_text(report_head() + '<img src="https://example.invalid/logo.png"></body></html>', encoding="utf-8")
    complaints = _complaints(browse(page, tmp_path, "--dump-dom").stderr)
    assert complaints and "example.invalid" in complaints[0]


def report_head() -> str:
    from textback.html_report import CSP
    return f'<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="{CSP}"></head><body>'
