"""A real HTTP receiver for the notify tests (no tests of its own): the standard library's
http.server on 127.0.0.1, recording each POST with its headers and checking its signature
as docs/events.md tells a shop's receiver to. It can go down (closed: connection refused)
and come back on the same port."""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def signature_ok(secret: str, timestamp: str, body: bytes, signature: str, *, max_age: float = 300) -> bool:
    """The receiver's check, as in docs/events.md."""
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature) and abs(time.time() - int(timestamp)) <= max_age


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    at: float

    @property
    def event(self) -> dict:
        return json.loads(self.body)

    def signed_with(self, secret: str) -> bool:
        return signature_ok(secret, self.headers["X-Textback-Timestamp"], self.body,
                            self.headers["X-Textback-Signature"])


class Receiver:
    def __init__(self, port: int = 0, status: int = 200):
        self.port = port
        self.status = status
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/textback"

    def start(self) -> Receiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if owner.status == 200:
                    with owner.lock:
                        owner.received.append(Received(body, dict(self.headers), time.monotonic()))
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self) -> list[dict]:
        with self.lock:
            return [r.event for r in self.received]


def free_port() -> int:
    """A port nothing listens on (yet): the target is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BlackHole:
    """A target that accepts connections and never answers: the worst a slow target can do."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()
