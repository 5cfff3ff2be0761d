"""Reading textback's settings: a TOML file checked, table by table, into the schema's
dataclasses (textback/config_schema.py).

Every refusal is a ConfigError naming the file, the section, the key and what is allowed
(with a "did you mean" for a near miss). Each key's parser comes from the field's metadata;
this module walks the tables, adds where a bad value sits to the parser's message, and checks
what spans tables ([[modem]] entries, [[notify]] names, [lines]).
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import fields
from typing import Any

from store.location import FileProblem, read_text, resolve_path
from textback import config_parsers as parse
from textback.config_parsers import template_placeholders
from textback.config_schema import Config, ConfigError, ModemConfig, section_keys
from textback.config_toml_errors import toml_error_hint


def _hint(name: str, allowed: list[str]) -> str:
    import difflib  # only on this error path: a good file never pays for it

    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else " (allowed: " + ", ".join(allowed) + ")"


def _known_placeholders(template: str, allowed: tuple[str, ...]) -> None:
    """Refuse a {name} the texts cannot fill: the worker would not know what to send."""
    for name in template_placeholders(template):
        if name not in allowed:
            raise parse.BadValue(f"unknown placeholder {{{name}}}: use "
                                 + ", ".join("{" + a + "}" for a in allowed))


def _build(cls, table: Any, path: str, label: str, file: str, *, keys: dict | None = None,
           check: Any = None, **fixed):
    """Check one TOML table against dataclass `cls`; `path` is its dotted name, `label` how errors show it.
    `keys`: the parser metadata per key when `cls` is not the configuration's own (the rules'
    FollowUpStep, QuietHours); `check`: a test of the whole value (raises BadValue)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: {label} must be a table of settings, got {parse.kind_of(table)}")
    allowed = section_keys(cls)
    metas = keys if keys is not None else {f.name: f.metadata for f in fields(cls)}
    values: dict[str, Any] = dict(fixed)
    for key, value in table.items():
        if key not in allowed:
            raise ConfigError(f'{file}: {label} unknown key "{key}"{_hint(key, allowed)}')
        meta, sub = metas[key], f"{path}.{key}" if path else key
        if "table" in meta:
            values[key] = _build(meta["table"], value, sub, f"[{sub}]", file, keys=meta.get("keys"))
        elif "keyed" in meta:
            if not isinstance(value, dict):
                raise ConfigError(f'{file}: {key} must hold tables like [{key}."+12125550100"]')
            values[key] = tuple(_build(meta["keyed"], v, key, f'[{key}."{did}"]', file, did=did)
                                for did, v in value.items())
        elif "tables" in meta:
            if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
                raise ConfigError(f"{file}: {label} {key}: write each one as a [[{sub}]] table")
            values[key] = tuple(_build(meta["tables"], x, sub, f"[[{sub}]] #{i + 1}", file,
                                       keys=meta.get("keys"), check=meta.get("check"))
                                for i, x in enumerate(value))
        else:
            try:
                values[key] = meta["parse"](value)
                if "placeholders" in meta:
                    _known_placeholders(value, meta["placeholders"])
            except parse.BadValue as e:
                raise ConfigError(f"{file}: {label} {key} = {parse.as_toml(value)}: {e}") from None
    try:
        built = cls(**values)
        if check is not None:
            check(built)
        return built
    except ValueError as e:     # BadValue, or the rules' own types refusing a value
        raise ConfigError(f"{file}: {label} {e}") from None


def parse_config(text: str, source: str = "textback.toml") -> Config:
    """Parse TOML text; ConfigError names `source`, the section, the key and what is allowed."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {toml_error_hint(text, e)}") from None
    entries = doc.pop("modem") if isinstance(doc.get("modem"), list) else None   # [[modem]]: several
    tables = {f.name: f.metadata.get("table") for f in fields(Config) if not f.metadata.get("internal")}
    for name, value in doc.items():
        if name in tables and tables[name] and not isinstance(value, dict):
            raise ConfigError(f"{source}: {name} = {parse.as_toml(value)}: expected a section [{name}]")
        if name not in tables:
            homes = [s for s, cls in tables.items() if cls and name in section_keys(cls)]
            if homes and not isinstance(value, dict):
                raise ConfigError(f"{source}: {name} = {parse.as_toml(value)} is outside any section: "
                                  f"put it under [{homes[0]}]")
            raise ConfigError(f"{source}: unknown section [{name}]{_hint(name, list(tables))}")
    config = _build(Config, doc, "", "", source, source=source)
    if entries is not None:
        config = _with_modem_entries(config, entries, source)
    names = [t.name for t in config.notify]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f'{source}: [[notify]] name = "{name}" is used twice: each target needs its own name')
    for ln in config.lines:
        if not ln.did.strip():
            raise ConfigError(f'{source}: [lines.""]: a line needs its number, like [lines."+12125550100"]')
    return config


def _with_modem_entries(config: Config, entries: list, source: str) -> Config:
    """Several modems ([[modem]] tables): each needs a name, its own port, and lines no
    other entry claims; at most one may leave `lines` out (it texts for every other line)."""
    import dataclasses

    if not entries or not all(isinstance(x, dict) for x in entries):
        raise ConfigError(f"{source}: write each modem as a [[modem]] table with name, port and lines")
    built = tuple(_build(ModemConfig, x, "modem", f"[[modem]] #{i + 1}", source) for i, x in enumerate(entries))
    seen: dict[str, dict[str, str]] = {"name": {}, "port": {}, "line": {}}
    for i, entry in enumerate(built):
        label = f"[[modem]] #{i + 1}"
        if not entry.name:
            raise ConfigError(f'{source}: {label} needs a name, like name = "front-desk" '
                              "(textback worker --modem NAME runs it)")
        for kind, values in (("name", (entry.name,)), ("port", (entry.port,)), ("line", entry.lines)):
            for value in values:
                if value in seen[kind]:
                    raise ConfigError(f'{source}: {label} {kind} "{value}" is also in [[modem]] '
                                      f'"{seen[kind][value]}": each modem needs its own')
                seen[kind][value] = entry.name
    catch_alls = [m.name for m in built if not m.lines]
    if len(catch_alls) > 1:
        raise ConfigError(f"{source}: [[modem]] {', '.join(catch_alls)} list no lines: give each its "
                          'lines = ["+1..."] (one may leave them out: it texts for every other line)')
    return dataclasses.replace(config, modem=built[0], modem_entries=built)


def load_config(path: str | None = None) -> Config:
    """Load the configuration. A missing default file means built-in defaults;
    a missing file named by --config or $TEXTBACK_CONFIG is an error."""
    path, named = resolve_path(path)
    if not named and not os.path.exists(path):
        return Config()
    try:
        text = read_text(path)
    except FileProblem as e:
        raise ConfigError(str(e)) from None
    return parse_config(text, path)
