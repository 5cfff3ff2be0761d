"""The hostile suite (`pytest -m hostile`): the whole chain under faults, one row per scenario.

Every test in this folder is marked `hostile` and may take the `ledger_row` fixture: the
row it fills (calls in, texts out, duplicates, lost, expired, rejected by reason) is
printed in one table at the end of the pytest run, so a person sees at a glance that
nothing was lost under each fault. A scenario that fails still prints its row, with
its outcome, so the table never hides a failure.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hostile_ledger import LEDGER, LedgerRow, render_table
from hostile_rig import Site

HERE = Path(__file__).parent


@pytest.fixture
def site(tmp_path):
    """The plain shop (hostile_rig.Site); a file that needs other settings defines its own."""
    running = Site(tmp_path)
    yield running
    running.close()


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.hostile)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    row = getattr(item, "_hostile_row", None)
    if row is not None and report.when == "call":
        row.outcome = "passed" if report.passed else ("skipped" if report.skipped else "FAILED")
    elif row is not None and report.when == "setup" and report.skipped:
        row.outcome = "skipped"


@pytest.fixture
def ledger_row(request) -> LedgerRow:
    """The summary-table row of this scenario; named after the test unless set."""
    row = LedgerRow(scenario=request.node.name.removeprefix("test_"))
    request.node._hostile_row = row
    LEDGER.append(row)
    return row


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not LEDGER:
        return
    terminalreporter.write_sep("=", "hostile world: summary")
    for line in render_table(LEDGER):
        terminalreporter.write_line(line)
