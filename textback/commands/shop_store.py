"""What every staff command needs first: the configuration, the shop's store, and its inputs.

One place turns every configuration or database problem into a one-line error that
says what to do (click prints it; never a traceback), and refuses to create a
database that is not there: a staff command run with the wrong --config must not
leave an empty database behind that the worker would then never see.
"""
from __future__ import annotations

import contextlib
import getpass
import logging
import os
import sqlite3
from datetime import datetime, timezone

import click

from textback import config as cfg
from textback.output import Renderer

log = logging.getLogger(__name__)

# Long enough to outwait a worker's write transaction (milliseconds), short enough
# that a stuck lock is reported while the person is still looking.
BUSY_TIMEOUT = 5.0


def load_settings(ctx: click.Context) -> cfg.Config:
    path = (ctx.find_root().obj or {}).get("config_path")
    try:
        return cfg.load_config(path)
    except cfg.ConfigError as exc:
        raise click.ClickException(f"{exc} (check it with: textback config check)") from None


def renderer(config: cfg.Config, fmt: str) -> Renderer:
    return Renderer(config.business.tz, config.business.country, fmt)


def database_path(url: str) -> str | None:
    """The SQLite file a URL names, or None for PostgreSQL."""
    from store.url import parse_database_url
    parsed = parse_database_url(url)
    return parsed.path if parsed.scheme == "sqlite" else None


@contextlib.contextmanager
def open_store(config: cfg.Config, busy_timeout: float = BUSY_TIMEOUT):
    """The Store named by [store] url; a clear ClickException for anything that goes wrong."""
    import peewee as pw

    from store import Store
    from store.errors import StoreError, sqlite_error

    url = config.store.url
    try:
        path = database_path(url)
    except StoreError as exc:
        raise click.ClickException(f"{exc} (in [store] url of {config.source})") from None
    if path is not None and not os.path.exists(path):
        raise click.ClickException(
            f"no database at {path}: has the worker or the AGI hook run yet? "
            f"check [store] url in {config.source}")
    try:
        store = Store.open(url, busy_timeout=busy_timeout)
    except StoreError as exc:
        raise click.ClickException(_with_staff_hint(exc)) from None
    try:
        yield store
    except StoreError as exc:
        raise click.ClickException(_with_staff_hint(exc)) from None
    except (pw.DatabaseError, sqlite3.Error) as exc:
        raise click.ClickException(_with_staff_hint(sqlite_error(exc, path or url))) from None
    finally:
        store.close()


def _with_staff_hint(exc: Exception) -> str:
    """A database a person at the terminal cannot write: most often they are staff not yet
    in group textback (README: staff join the group), which the store's own words cannot know."""
    from store.errors import DatabaseNotWritable

    if not isinstance(exc, DatabaseNotWritable) or os.geteuid() == 0:
        return str(exc)
    login = staff_login()
    return (f"{exc}; you are {login}: staff join group textback with: sudo usermod -aG textback {login} "
            "(then log in again)")


def parse_since(text: str | None) -> datetime | None:
    """"7d", "12h", "30m" -> the aware UTC moment that long ago; None for no limit."""
    if not text:
        return None
    try:
        span = cfg.parse_duration(text)
    except ValueError:
        raise click.BadParameter(f'{text!r}: give a duration like "7d", "12h" or "1d12h"',
                                 param_hint="--since") from None
    return datetime.now(timezone.utc) - span


def resolve_number(raw: str, config: cfg.Config) -> str:
    """A number as staff type it (national or international) -> E.164, or a clear error."""
    from store.rules.guard import to_e164

    # Fictional ranges allowed: staff may look up or block any number they were texted from.
    number = to_e164(raw, config.business.country, allow_fictional=True)
    if number is None:
        raise click.BadParameter(
            f"{raw!r} is not a phone number in {config.business.country} or in international "
            "form: write it like +12125550123", param_hint="NUMBER")
    return number


def resolve_contact(ref: str, store, config: cfg.Config) -> str:
    """NUMBER (as staff type it) or a contact ID from `textback inbox` -> E.164."""
    ref = ref.strip().lstrip("#")
    if ref.isdigit() and len(ref) <= 6:
        # Short digit strings are IDs: no textable number is that short.
        number = store.contact_number_by_id(int(ref))
        if number is None:
            raise click.BadParameter(f"no contact with ID {ref}: see the IDs in textback inbox --all "
                                     "or find one with: textback search NAME", param_hint="NUMBER|ID")
        return number
    return resolve_number(ref, config)


def staff_login() -> str:
    """Who is at the terminal: the person behind sudo, else the login name."""
    name = os.environ.get("SUDO_USER") or ""
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):     # no passwd entry (a bare container): still say something
            name = f"uid {os.getuid()}"
    return name


def staff_phones(config: cfg.Config) -> tuple[str, ...]:
    return tuple(config.staff.numbers)
