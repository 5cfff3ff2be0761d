"""Parse the `database` URL of the configuration (standard library only)."""
from __future__ import annotations

from dataclasses import dataclass
from store.errors import BadDatabaseURL
from store.location import DEFAULT_STORE_URL as DEFAULT_URL  # the one default


@dataclass(frozen=True)
class DatabaseURL:
    scheme: str                 # "sqlite" or "postgresql"
    path: str = ""              # sqlite: file path (absolute or relative to the working dir)
    database: str = ""          # postgresql: database name
    user: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None


def parse_database_url(url: str) -> DatabaseURL:
    if not url or not isinstance(url, str):
        raise BadDatabaseURL(f"empty database URL: use e.g. {DEFAULT_URL}")
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise BadDatabaseURL(f"database URL {url!r} has no scheme: use sqlite:////abs/path.db "
                             "or postgresql://user:pass@host:port/db")
    if scheme == "sqlite":
        # sqlite:////abs.db -> rest "//abs.db"; sqlite:///rel.db -> rest "/rel.db"
        if not rest.startswith("/") or rest in ("/", "//"):
            raise BadDatabaseURL(f"database URL {url!r} names no file: use sqlite:////abs/path.db "
                                 "(absolute) or sqlite:///relative.db")
        return DatabaseURL(scheme="sqlite", path=_unquote(rest[1:]))
    if scheme in ("postgresql", "postgres"):
        from urllib.parse import unquote, urlsplit
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise BadDatabaseURL(f"database URL {url!r} cannot be read ({exc}): "
                                 "use postgresql://user:pass@host:port/db") from None
        name = parts.path.lstrip("/")
        if not name:
            raise BadDatabaseURL(f"database URL {url!r} names no database: use postgresql://user:pass@host:port/db")
        return DatabaseURL(scheme="postgresql", database=unquote(name),
                           user=unquote(parts.username) if parts.username else None,
                           password=unquote(parts.password) if parts.password else None,
                           host=parts.hostname, port=port)
    raise BadDatabaseURL(f"unknown database URL scheme {scheme!r} in {url!r}: "
                         "use sqlite:////abs/path.db or postgresql://user:pass@host:port/db")


def _unquote(text: str) -> str:
    """%-escapes in a file path; urllib only when there are any (the AGI hook reads
    the URL on every call and pays for each import)."""
    if "%" not in text:
        return text
    from urllib.parse import unquote
    return unquote(text)
