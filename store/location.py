"""Where the configuration file is, and the AGI hook's lenient read of its [store] table.

One job: find textback.toml (--config, then $TEXTBACK_CONFIG, then the default) and read
the two settings the per-call hook needs — without building the whole configuration,
which costs the hook tens of milliseconds on every call on a Raspberry Pi.
Standard library only (store/plain_toml.py for the plain files textback writes, tomllib
for anything else); textback/config.py builds on it.
"""
from __future__ import annotations

import os

from store.plain_toml import loads_plain

DEFAULT_PATH = "/etc/textback/textback.toml"
ENV_VAR = "TEXTBACK_CONFIG"
DEFAULT_STORE_URL = "sqlite:////var/lib/textback/textback.db"
DEFAULT_SPOOL_DIR = "/var/spool/textback"
_URL_PREFIXES = ("sqlite:///", "postgresql://", "postgres://")


def is_store_url(text: str) -> bool:
    """Does `text` have the form of a store URL (a scheme and something after it)?
    Prefix checks, not a regular expression: the hook calls this and `re` costs it ~7 ms."""
    for prefix in _URL_PREFIXES:
        if text.startswith(prefix):
            return len(text) > len(prefix) and text[len(prefix)] != "\n"
    return False


class FileProblem(Exception):
    """The configuration file cannot be read; the message says why and what to do."""


def resolve_path(path: str | None) -> tuple[str, bool]:
    """(path, named): --config, then $TEXTBACK_CONFIG, then the default (not named)."""
    if path:
        return path, True
    env = os.environ.get(ENV_VAR, "").strip()
    return (env, True) if env else (DEFAULT_PATH, False)


def read_text(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8")
    except FileNotFoundError:
        raise FileProblem(f"{path}: no such file; give an existing file with --config or {ENV_VAR}, "
                          f"or write one with: textback config example > {path}") from None
    except PermissionError:
        raise FileProblem(f"{path}: permission denied; it is for group textback: staff join it with "
                          "sudo usermod -aG textback $USER (then log in again), or run as root") from None
    except IsADirectoryError:
        wanted = os.path.join(path, "textback.toml")
        raise FileProblem(f"{path}: is a directory, expected the file: give {wanted}") from None
    except UnicodeDecodeError as e:
        raise FileProblem(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    except OSError as e:
        raise FileProblem(f"{path}: cannot read: {e.strerror}") from None


class StoreSettings(tuple):
    """(url, spool_dir, warning): warning is "" when the file was read cleanly. A tuple with
    names, not typing.NamedTuple: importing typing costs the hook ~8 ms per call."""

    __slots__ = ()

    def __new__(cls, url: str, spool_dir: str, warning: str) -> StoreSettings:
        return tuple.__new__(cls, (url, spool_dir, warning))

    @property
    def url(self) -> str:
        return self[0]

    @property
    def spool_dir(self) -> str:
        return self[1]

    @property
    def warning(self) -> str:
        return self[2]

    def __repr__(self) -> str:
        return f"StoreSettings(url={self[0]!r}, spool_dir={self[1]!r}, warning={self[2]!r})"


def read_store_settings(path: str | None = None) -> StoreSettings:
    """The AGI hook's lenient read of [store]: never raises. On any problem it returns the
    defaults and a warning, because the call must be recorded even when the file is broken.
    Only [store] is read: a typo in [textback] must not send calls to the wrong database
    (`textback config check` reports everything else)."""
    try:
        path, named = resolve_path(path)
        if not named and not os.path.exists(path):
            return StoreSettings(DEFAULT_STORE_URL, DEFAULT_SPOOL_DIR, "")
        text = read_text(path)
        doc = loads_plain(text)
        if doc is None:         # beyond the plain subset: tomllib reads it (and names any error)
            import tomllib
            try:
                doc = tomllib.loads(text)
            except tomllib.TOMLDecodeError as e:
                raise FileProblem(f"{path}: not valid TOML: {e}") from None
        table = doc.get("store", {})
        if not isinstance(table, dict):
            raise FileProblem(f"{path}: [store] must be a table")
        url = table.get("url", DEFAULT_STORE_URL)
        spool_dir = table.get("spool_dir", DEFAULT_SPOOL_DIR)
        if not isinstance(url, str) or not is_store_url(url):
            raise FileProblem(f'{path}: [store] url = {url!r}: expected "sqlite:////absolute/path.db" '
                              'or "postgresql://user@host/db"')
        if not isinstance(spool_dir, str) or not spool_dir.strip():
            raise FileProblem(f"{path}: [store] spool_dir = {spool_dir!r}: must not be empty")
        return StoreSettings(url, spool_dir, "")
    except Exception as e:  # noqa: BLE001 - by contract: a broken config must not lose the call
        return StoreSettings(DEFAULT_STORE_URL, DEFAULT_SPOOL_DIR,
                             f"{e}; using the default store settings until it is fixed (run: textback config check)")
