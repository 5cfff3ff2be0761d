"""Parse the `database` URL of the configuration (standard library only)."""
from __future__ import annotations

from store.errors import BadDatabaseURL
from store.location import DEFAULT_STORE_URL as DEFAULT_URL  # the one default


class DatabaseURL:
    """The parts of a database URL. A plain class, not a dataclass: the AGI hook parses the
    URL on every call, and importing dataclasses (with inspect) costs it about 8 ms."""

    __slots__ = ("scheme", "path", "database", "user", "password", "host", "port")

    def __init__(self, scheme: str, path: str = "", database: str = "", user: str | None = None,
                 password: str | None = None, host: str | None = None, port: int | None = None):
        self.scheme = scheme        # "sqlite" or "postgresql"
        self.path = path            # sqlite: file path (absolute or relative to the working dir)
        self.database = database    # postgresql: database name
        self.user = user
        self.password = password
        self.host = host
        self.port = port

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatabaseURL) and all(
            getattr(self, n) == getattr(other, n) for n in self.__slots__)

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__ if n != "password")
        return f"DatabaseURL({shown})"


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
