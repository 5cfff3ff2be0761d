"""Handing one event to one [[notify]] target: a signed HTTP(S) POST, or a local command
with the JSON on stdin. Standard library only (urllib, hmac, subprocess).

The signature: HMAC-SHA256, keyed with the target's secret, of "<timestamp>.<body>",
hex, in X-Textback-Signature as "sha256=<hex>"; the timestamp (Unix seconds) is in
X-Textback-Timestamp, so a receiver that refuses old timestamps refuses a replayed
request (docs/events.md shows the check). Every failure is a DeliveryFailed whose
text says what happened and what to do: the notifier logs it, keeps it for
`textback status` and tries again later.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import shlex
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Textback-Signature"
TIMESTAMP_HEADER = "X-Textback-Timestamp"
EVENT_HEADER = "X-Textback-Event"
ID_HEADER = "X-Textback-Id"


@dataclass(frozen=True)
class NotifyTarget:
    """One [[notify]] table, as the worker uses it (textback/worker_settings.py builds it)."""

    name: str
    url: str = ""
    command: str = ""
    secret: str = ""
    events: tuple[str, ...] = ()                     # exact types; () = every type
    timeout: float = 10.0
    retry_for: timedelta = timedelta(hours=24)
    retry_first: float = 5.0
    retry_max: float = 600.0
    alert_after: int = 5
    cafile: str = ""

    @property
    def where(self) -> str:
        return self.url or self.command


class DeliveryFailed(Exception):
    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Textback-Signature value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def deliver(target: NotifyTarget, body: str, event_id: str, event_type: str) -> None:
    """Hand one event over; returns when the target took it, raises DeliveryFailed if not."""
    data = body.encode("utf-8")
    if target.url:
        _post(target, data, event_id, event_type)
    else:
        _run(target, data, event_id, event_type)


def _post(target: NotifyTarget, data: bytes, event_id: str, event_type: str) -> None:
    timestamp = int(time.time())
    request = urllib.request.Request(target.url, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "textback",
        EVENT_HEADER: event_type, ID_HEADER: event_id, TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(target.secret, timestamp, data)})
    host = urlsplit(target.url).hostname
    context = ssl.create_default_context(cafile=target.cafile or None) if target.url.startswith("https:") else None
    try:
        with urllib.request.urlopen(request, timeout=target.timeout, context=context) as answer:
            answer.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"{target.url} answered HTTP {exc.code} {exc.reason}: the receiver refused the event; "
                             "its log says why") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise DeliveryFailed(f"the TLS certificate of {host} was not accepted ({reason.verify_message}): give "
                                 "the server a certificate from a CA this machine trusts, or set cafile to the CA "
                                 "that signed it") from None
        if isinstance(reason, ConnectionRefusedError):
            raise DeliveryFailed(f"nothing answers at {target.url} (connection refused): is the receiver running?"
                                 ) from None
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise DeliveryFailed(f"{target.url} did not answer within {target.timeout:g} s") from None
        if isinstance(reason, socket.gaierror):
            raise DeliveryFailed(f"cannot find the host {host} ({reason.strerror}): check the url and the DNS"
                                 ) from None
        raise DeliveryFailed(f"could not reach {target.url}: {reason}") from None
    except TimeoutError:
        raise DeliveryFailed(f"{target.url} did not answer within {target.timeout:g} s") from None
    except (OSError, ValueError) as exc:     # a reset connection, a bad status line...
        raise DeliveryFailed(f"could not deliver to {target.url}: {exc}") from None


def _run(target: NotifyTarget, data: bytes, event_id: str, event_type: str) -> None:
    env = dict(os.environ, TEXTBACK_EVENT_ID=event_id, TEXTBACK_EVENT_TYPE=event_type)
    try:
        done = subprocess.run(shlex.split(target.command), input=data, capture_output=True, env=env,
                              timeout=target.timeout, check=False)
    except FileNotFoundError:
        raise DeliveryFailed(f"the command {target.command!r} does not exist: check [[notify]] command") from None
    except PermissionError:
        raise DeliveryFailed(f"the command {target.command!r} may not be run: chmod +x it, or check its owner"
                             ) from None
    except subprocess.TimeoutExpired:
        raise DeliveryFailed(f"the command {target.command!r} did not finish within {target.timeout:g} s "
                             "(it was killed)") from None
    except (OSError, ValueError) as exc:
        raise DeliveryFailed(f"the command {target.command!r} could not start: {exc}") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DeliveryFailed(f"the command {target.command!r} exited with status {done.returncode}"
                             + (f": {said[-1][:200]}" if said else ""))
