"""The house's walls: which package may import which, no import cycles, pure rules.

Read from the source with `ast` (nothing is imported), so the test sees every import a
module could run: at module level, inside a function, under `if TYPE_CHECKING:`.
Each check is also run over a small synthetic tree in tmp_path, to prove it fails on
the kind of import it exists to stop.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("agi", "modem", "store", "textback")

# Which of our packages each package may import (its own always). The CLI's package
# sits on top; the two sides (the PBX's and the radio's) meet only in the store.
ALLOWED: dict[str, frozenset[str]] = {
    "textback": frozenset({"agi", "modem", "store"}),
    "agi": frozenset({"store"}),
    "modem": frozenset({"store"}),
    "store": frozenset(),
}

# What store/rules/ may import besides itself: pure standard-library modules,
# phonenumbers (pure, its metadata is Python) and zoneinfo (reads tz data, no clock),
# and store.facts, the plain values the rules take and return (standard library only;
# its one clock read is CallFact's default `happened_at`, which the rules never use:
# they are handed `now`), and store.plans, the plans they return (dataclasses only).
RULES_MAY_IMPORT: frozenset[str] = frozenset({
    "__future__", "collections", "collections.abc", "dataclasses", "datetime", "enum", "functools",
    "itertools", "math", "operator", "re", "string", "typing", "unicodedata", "zoneinfo",
    "phonenumbers", "store.facts", "store.plans",
})
# Calls that read the clock (`datetime.now()`, `date.today()`, `time.time()`...).
CLOCK_CALLS: frozenset[str] = frozenset({"now", "utcnow", "today", "time", "monotonic", "perf_counter",
                                         "time_ns", "monotonic_ns"})


@dataclass(frozen=True)
class Import:
    module: str      # the importing module, e.g. "modem.worker.loop"
    target: str      # what it imports, resolved to a module where one exists
    line: int

    def __str__(self) -> str:
        return f"{self.module} (line {self.line}) imports {self.target}"


def modules(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Every module of `packages` under `root`: dotted name -> file."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[Import]:
    """Every import statement in every module, wherever it stands in the module."""
    known = modules(root, packages)
    out = []
    for name, path in known.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                out += [Import(name, alias.name, node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(name, is_package, node.module, node.level)
                for alias in node.names:
                    # `from store import times` imports the module store.times;
                    # `from store.facts import CallFact` imports store.facts.
                    sub = f"{base}.{alias.name}"
                    out.append(Import(name, sub if sub in known else base, node.lineno))
    return out


def _absolute(module: str, is_package: bool, target: str | None, level: int) -> str:
    if level == 0:
        return target or ""
    parts = module.split(".")
    if not is_package:
        parts.pop()
    if level > 1:
        parts = parts[:-(level - 1)]
    return ".".join(parts + ([target] if target else []))


def package_violations(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[str]:
    problems = []
    for imp in imports(root, packages):
        source, target = imp.module.split(".")[0], imp.target.split(".")[0]
        if target in ALLOWED and target != source and target not in ALLOWED[source]:
            may = ", ".join(sorted(ALLOWED[source])) or "none of agi, modem, textback"
            problems.append(f"{imp}: {source}/ may import only {may}"
                            f" (imports point one way: textback -> agi, modem -> store)")
    return problems


def module_cycles(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan)."""
    known = modules(root, packages)
    graph: dict[str, set[str]] = {name: set() for name in known}
    for imp in imports(root, packages):
        if imp.target in known:
            graph[imp.module].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                groups.append(sorted(group))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(groups)


def describe_cycle(group: list[str], root: Path, packages: tuple[str, ...] = PACKAGES) -> str:
    members = set(group)
    edges = [str(i) for i in imports(root, packages) if i.module in members and i.target in members]
    return f"import cycle between {', '.join(group)}: " + "; ".join(sorted(set(edges)))


def rules_impurities(root: Path, rules: str = "store.rules") -> list[str]:
    """Imports in store/rules/ of anything but pure modules, and calls that read the clock."""
    problems = []
    for imp in imports(root, ("store",)):
        if not (imp.module == rules or imp.module.startswith(rules + ".")):
            continue
        if imp.target == rules or imp.target.startswith(rules + "."):
            continue
        if imp.target not in RULES_MAY_IMPORT and imp.target.split(".")[0] != "phonenumbers":
            problems.append(f"{imp}: the rules are pure functions over plain values; "
                            f"do the I/O in the store's verbs or the worker and pass the result in")
    for name, path in modules(root, ("store",)).items():
        if not (name == rules or name.startswith(rules + ".")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in CLOCK_CALLS):
                owner = ast.unparse(node.func.value)
                if owner.split(".")[-1] in ("datetime", "date", "time"):
                    problems.append(f"{name} (line {node.lineno}) calls {owner}.{node.func.attr}(): "
                                    f"the rules never read the clock; take `now` as an argument")
    return problems


# ---- the real tree ----

def test_imports_point_one_way():
    problems = package_violations(ROOT)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("package", [
    "agi",
    "modem",
    "store",
    "textback",
])
def test_no_import_cycles_between_modules(package):
    cycles = [g for g in module_cycles(ROOT) if any(m.split(".")[0] == package for m in g)]
    assert not cycles, "\n".join(describe_cycle(g, ROOT) for g in cycles)


def test_rules_are_pure():
    problems = rules_impurities(ROOT)
    assert not problems, "\n".join(problems)


def test_the_walk_sees_every_package():
    found = modules(ROOT)
    for package in PACKAGES:
        assert package in found and any(m.startswith(package + ".") for m in found)
    assert any(m.startswith("store.rules.") for m in found)


# ---- the checks fail when they should (a synthetic tree) ----

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    base = {"agi/__init__.py": "", "modem/__init__.py": "", "modem/worker/__init__.py": "",
            "modem/worker/loop.py": "from store import queue\n", "store/__init__.py": "",
            "store/queue.py": "import sqlite3\n", "store/facts.py": "", "store/rules/__init__.py": "",
            "store/rules/plan.py": "from store.facts import CallFact\nfrom store.rules import guard\n",
            "store/rules/guard.py": "import phonenumbers\nfrom datetime import timedelta\n",
            "textback/__init__.py": "", "textback/config.py": "import tomllib\n",
            "textback/cli.py": "from modem.worker import loop\nfrom agi import hook\n",
            "agi/hook.py": "from store import facts\n"}
    for name, text in {**base, **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_synthetic_tree_is_clean(tmp_path):
    root = _tree(tmp_path, {})
    assert package_violations(root) == []
    assert module_cycles(root) == []
    assert rules_impurities(root) == []


def test_a_modem_module_importing_the_config_is_named(tmp_path):
    root = _tree(tmp_path, {"modem/worker/loop.py": "from store import queue\n"
                                                    "from textback.config import Config\n"})
    assert package_violations(root) == [
        ("modem.worker.loop (line 2) imports textback.config: modem/ may import only store"
         " (imports point one way: textback -> agi, modem -> store)")]


@pytest.mark.parametrize("module, text, target", [
    ("store/queue.py", "def later():\n    from modem.worker import loop\n", "modem.worker.loop"),   # in a function
    ("agi/hook.py", "import modem.worker.loop\n", "modem.worker.loop"),
    ("modem/worker/loop.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from agi import hook\n",
     "agi.hook"),
    ("agi/hook.py", "from textback import config\n", "textback.config"),
])
def test_every_kind_of_wrong_way_import_is_caught(tmp_path, module, text, target):
    root = _tree(tmp_path, {module: text})
    (problem,) = package_violations(root)
    assert f"imports {target}:" in problem


def test_a_cycle_is_named_with_its_imports(tmp_path):
    root = _tree(tmp_path, {"store/facts.py": "def f():\n    from . import queue\n",
                            "store/queue.py": "from store.facts import CallFact\n"})
    assert [describe_cycle(g, root) for g in module_cycles(root)] == [
        ("import cycle between store.facts, store.queue: "
         "store.facts (line 2) imports store.queue; store.queue (line 1) imports store.facts")]


def test_peewee_in_the_rules_is_named(tmp_path):
    root = _tree(tmp_path, {"store/rules/guard.py": "import phonenumbers\nimport peewee\n"})
    assert rules_impurities(root) == [
        ("store.rules.guard (line 2) imports peewee: the rules are pure functions over plain values; "
         "do the I/O in the store's verbs or the worker and pass the result in")]


@pytest.mark.parametrize("text, named", [
    ("import os\n", "imports os"),
    ("from store import times\n", "imports store.times"),
    ("from store.queue import Store\n", "imports store.queue"),
    ("import time\n", "imports time"),
    ("from datetime import datetime\nNOW = datetime.now()\n", "calls datetime.now()"),
    ("import datetime\ndef f():\n    return datetime.date.today()\n", "calls datetime.date.today()"),
])
def test_io_and_the_clock_in_the_rules_are_named(tmp_path, text, named):
    root = _tree(tmp_path, {"store/rules/guard.py": text, "store/times.py": ""})
    problems = rules_impurities(root)
    assert len(problems) == 1 and named in problems[0], problems
