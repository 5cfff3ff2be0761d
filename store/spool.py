"""The spool: where a call goes when the database cannot take it (locked, read-only,
missing, disk full), and how the worker brings it back, exactly once.

Writing is what the AGI hook does on its bad day, so it is standard library only and
atomic: the file is written under a dot-name, flushed to disk, then renamed into
place, so an importer never sees half a call. Importing records each file through
the store's idempotent `record_call` (keyed on the call's uniqueid) and only then
deletes the file: a crash between the two re-imports the file, and the uniqueid makes
that a no-op. A file that cannot be read as a call is moved to `rejected/`, never
deleted, so nothing is lost and one bad file cannot block the rest.
"""
from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from store.facts import CallFact

log = logging.getLogger(__name__)

SPOOL_VERSION = 1
# The second fallback, when the spool's own disk is full too (the default layout keeps
# the store and the spool on one filesystem): a directory in RAM. Chosen over a reserve
# file because the hook runs as Asterisk's user, often cannot delete a file the worker
# owns, and must never wait; /run is a tmpfs with room of its own. The cost is honest:
# a call kept there is lost if the box reboots before the worker imports it, so the hook
# uses it only when the disk refused, and the worker imports it on every pass.
# systemd/textback.tmpfiles creates it at boot; TEXTBACK_RAM_SPOOL moves it (tests).
RAM_SPOOL_ENV = "TEXTBACK_RAM_SPOOL"
DEFAULT_RAM_SPOOL = "/run/textback/spool"


def ram_spool_dir() -> str:
    return os.environ.get(RAM_SPOOL_ENV, "").strip() or DEFAULT_RAM_SPOOL
PREFIX = "call-"
SUFFIX = ".json"
REJECTED = "rejected"


def write_spool(spool_dir: str | os.PathLike, fact: CallFact) -> Path:
    """Write one call to the spool atomically and return its path.

    Raises OSError when the directory cannot be created or written: the caller (the
    hook) then has nowhere left but its log line.
    """
    directory = Path(spool_dir)
    directory.mkdir(mode=0o770, parents=True, exist_ok=True)
    name = f"{PREFIX}{time.time_ns()}-{os.getpid()}{SUFFIX}"
    final = directory / name
    temp = directory / f".{name}.tmp"
    payload = json.dumps({"version": SPOOL_VERSION, "call": fact.to_dict()},
                         ensure_ascii=True, sort_keys=True).encode("ascii")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o660)
    try:
        try:
            os.write(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(temp, final)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    try:
        # Make the rename itself durable: a power cut must not undo it.
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return final


def pending_spool(spool_dir: str | os.PathLike) -> list[Path]:
    """Spool files waiting for import, oldest first (an absent directory has none).
    OSError when the directory exists but cannot be read."""
    directory = Path(spool_dir)
    try:
        return sorted(p for p in directory.iterdir()
                      if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX))
    except (FileNotFoundError, NotADirectoryError):
        return []


def read_spool_file(path: Path) -> CallFact:
    """Parse one spool file; ValueError (with what is wrong) when it is not a call."""
    try:
        data = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != SPOOL_VERSION or not isinstance(data.get("call"), dict):
        raise ValueError("not a textback spool file (version/call missing)")
    try:
        fact = CallFact.from_dict(data["call"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"call fields unreadable: {exc}") from None
    if not fact.uniqueid:
        raise ValueError("call has no uniqueid")
    return fact


@dataclass
class SpoolImport:
    """What one import pass did."""

    imported: list[int] = field(default_factory=list)   # call ids recorded (or already there)
    rejected: list[Path] = field(default_factory=list)  # files moved to rejected/
    left: int = 0                                       # files left for the next pass (store failed)
    error: str | None = None                            # why the pass stopped early


def import_spool(spool_dir: str | os.PathLike, record: Callable[[CallFact], int]) -> SpoolImport:
    """Record every spooled call through `record` (the store's idempotent record_call)
    and remove each file only after its call is committed.

    If `record` raises, the pass stops and the files stay for the next one: the store
    is probably still down, and trying the rest would only fail the same way.
    """
    result = SpoolImport()
    files = pending_spool(spool_dir)
    for index, path in enumerate(files):
        try:
            fact = read_spool_file(path)
        except FileNotFoundError:
            continue  # another importer took it; its uniqueid makes that safe
        except (OSError, ValueError) as exc:
            _reject(path, str(exc), result)
            continue
        fact = _as_spooled(fact)
        try:
            call_id = record(fact)
        except Exception as exc:  # the store is down: keep the file, try later
            result.left = len(files) - index
            result.error = f"{type(exc).__name__}: {exc}"
            log.warning("spool import stopped, %d file(s) left in %s: %s", result.left, spool_dir, result.error)
            return result
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        result.imported.append(call_id)
        log.info("spool: imported %s as call %s", path.name, call_id)
    return result


def _as_spooled(fact: CallFact) -> CallFact:
    """Mark the call as having come through the spool (source "spool", the facts'
    word for it), keeping the original source in its note."""
    if fact.source == "spool":
        return fact
    return fact.replace(source="spool",
                        note="; ".join(n for n in (fact.note, f"spooled by {fact.source}") if n)[:500])


def _reject(path: Path, why: str, result: SpoolImport) -> None:
    target_dir = path.parent / REJECTED
    try:
        target_dir.mkdir(mode=0o770, exist_ok=True)
        target = target_dir / path.name
        os.rename(path, target)
        result.rejected.append(target)
        log.error("spool: %s is not a readable call (%s); moved to %s for a person to look at",
                  path.name, why, target_dir)
    except OSError as exc:
        log.error("spool: %s is not a readable call (%s) and could not be moved aside: %s",
                  path.name, why, exc)
