"""A reader for the plain subset of TOML that textback.toml files are written in, or None.

One job: let the AGI hook read its [store] table without importing tomllib, which costs
it about 10 ms per call (tomllib pulls in re and typing). It reads a document only when
every line is one of a few forms whose meaning is certain — comments, `[table]` and
`[[array.of.tables]]` headers, `key = value` with a string without escapes, an integer,
a boolean or a one-line array of those — and returns exactly what tomllib.loads would
(tests/test_plain_toml.py compares the two). Anything else — a float, a date, an escape,
a multi-line value, a dotted key, a key defined twice — gives None, and the caller uses
tomllib, which also reports any error. No `re` on purpose: it costs the hook ~7 ms.
"""
from __future__ import annotations

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_DIGITS = frozenset("0123456789")


class _NotPlain(Exception):
    """The document is outside the subset: let tomllib read it."""


def loads_plain(text: str) -> dict | None:
    """The document as tomllib.loads would return it, or None when it is not plain."""
    try:
        return _read(text)
    except _NotPlain:
        return None


def _read(text: str) -> dict:
    if text.startswith("\ufeff"):
        raise _NotPlain
    root: dict = {}
    table = root
    explicit: set[tuple] = set()     # [table] headers seen (a second one is an error)
    arrays: set[tuple] = set()       # [[array]] paths
    for raw in text.split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        if "\r" in line or any(c < " " and c != "\t" or c == "\x7f" for c in line):
            raise _NotPlain
        stripped = line.strip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[["):
            path, rest = _header(stripped[2:], "]]")
            _comment_only(rest)
            if path in explicit:
                raise _NotPlain
            parent = _walk(root, path[:-1], arrays)
            existing = parent.get(path[-1])
            if existing is None:
                if path in arrays:
                    raise _NotPlain
                parent[path[-1]] = existing = []
                arrays.add(path)
            elif not isinstance(existing, list) or path not in arrays:
                raise _NotPlain
            table = {}
            existing.append(table)
        elif stripped.startswith("["):
            path, rest = _header(stripped[1:], "]")
            _comment_only(rest)
            if path in explicit or path in arrays:
                raise _NotPlain
            explicit.add(path)
            table = _walk(root, path, arrays)
        else:
            key, sep, rest = stripped.partition("=")
            key = key.strip(" \t")
            if not sep or not key or not set(key) <= _BARE:
                raise _NotPlain          # dotted or quoted keys, or no `=` at all
            value, rest = _value(rest.lstrip(" \t"))
            _comment_only(rest)
            if key in table:
                raise _NotPlain
            table[key] = value
    return root


def _walk(root: dict, path: tuple, arrays: set[tuple]) -> dict:
    """The table at `path`, made as needed (an array of tables: its last element)."""
    node = root
    for depth, part in enumerate(path):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif isinstance(child, list):
            if path[:depth + 1] not in arrays or not child:
                raise _NotPlain
            child = child[-1]
        elif not isinstance(child, dict):
            raise _NotPlain              # a key's value used as a table
        node = child
    return node


def _header(text: str, close: str) -> tuple[tuple, str]:
    parts = []
    rest = text
    while True:
        rest = rest.lstrip(" \t")
        if rest.startswith('"'):
            end = rest.find('"', 1)
            name = rest[1:end] if end > 0 else ""
            if end < 0 or "\\" in name:
                raise _NotPlain
            rest = rest[end + 1:]
        else:
            n = 0
            while n < len(rest) and rest[n] in _BARE:
                n += 1
            name, rest = rest[:n], rest[n:]
            if not name:
                raise _NotPlain
        parts.append(name)
        rest = rest.lstrip(" \t")
        if rest.startswith("."):
            rest = rest[1:]
            continue
        if not rest.startswith(close):
            raise _NotPlain
        return tuple(parts), rest[len(close):]


def _value(text: str) -> tuple[object, str]:
    if text.startswith("["):
        items: list = []
        rest = text[1:]
        while True:
            rest = rest.lstrip(" \t")
            if rest.startswith("]"):
                return items, rest[1:]
            item, rest = _scalar(rest)
            items.append(item)
            rest = rest.lstrip(" \t")
            if rest.startswith(","):
                rest = rest[1:]
            elif not rest.startswith("]"):
                raise _NotPlain
    return _scalar(text)


def _scalar(text: str) -> tuple[object, str]:
    if text.startswith(('"""', "'''")):
        raise _NotPlain
    if text[:1] in ('"', "'"):
        quote = text[0]
        end = text.find(quote, 1)
        if end < 0:
            raise _NotPlain
        body = text[1:end]
        if quote == '"' and "\\" in body:
            raise _NotPlain
        return body, text[end + 1:]
    for word, value in (("true", True), ("false", False)):
        if text.startswith(word) and (len(text) == len(word) or text[len(word)] in " \t,]#"):
            return value, text[len(word):]
    n = 1 if text[:1] in "+-" else 0
    start = n
    while n < len(text) and text[n] in _DIGITS:
        n += 1
    digits = text[start:n]
    if not digits or (len(digits) > 1 and digits[0] == "0"):
        raise _NotPlain
    if n < len(text) and text[n] not in " \t,]#":
        raise _NotPlain                  # 1_000, 1.5, 1e3, dates, times: tomllib's
    return int(text[:n]), text[n:]


def _comment_only(rest: str) -> None:
    rest = rest.lstrip(" \t")
    if rest and not rest.startswith("#"):
        raise _NotPlain
