"""A FastAGI server for `agi://host:4573/missed`: the same recording as the hook, without
an interpreter start per call (busy PBXs, slow boards).

Built on the standard library because pyst2's FastAGI module does not import on
Python 3. One thread per call, at most `max_calls` at once: a call beyond that is
refused at once (connection closed), so Asterisk sets AGISTATUS=FAILURE and the
dialplan falls back to the `textback-agi` program; nothing waits in a hidden queue.
Shutdown stops accepting, then lets every call in progress finish (each is bounded
by the protocol's timeouts and the store's ~2 s).
"""
from __future__ import annotations

import logging
import os
import socket
import socketserver
import threading

from agi.hook import run_session
from agi.protocol import AGIChannel

log = logging.getLogger("textback.fastagi")

SCRIPT = "missed"            # agi://host:port/missed
DEFAULT_PORT = 4573
DEFAULT_MAX_CALLS = 32
SYSTEMD_FIRST_FD = 3         # sd_listen_fds(3): passed sockets start at fd 3


def parse_listen(text: str) -> tuple[str, int]:
    """`127.0.0.1:4573`, `[::1]:4573` or `:4573` -> (host, port); ValueError says why."""
    host, sep, port_text = text.rpartition(":")
    if not sep:
        raise ValueError(f"--listen {text!r} has no port: write HOST:PORT, e.g. 127.0.0.1:{DEFAULT_PORT}")
    host = host.strip("[]") or "127.0.0.1"
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"--listen {text!r}: port {port_text!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"--listen {text!r}: port must be 0-65535")
    return host, port


def systemd_socket() -> socket.socket | None:
    """The listening socket systemd passed (socket activation), if any."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return None
    try:
        count = int(os.environ.get("LISTEN_FDS", "0"))
    except ValueError:
        return None
    if count < 1:
        return None
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)  # not for our children
    return socket.socket(fileno=SYSTEMD_FIRST_FD)


class _Session(socketserver.BaseRequestHandler):
    server: "FastAGIServer"

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(None)  # the protocol bounds every wait itself, with select
        channel = AGIChannel(sock.fileno(), sock.fileno())
        try:
            env = channel.read_env()
            script = env.get("agi_network_script", SCRIPT).strip("/")
            if script != SCRIPT:
                channel.set_result("unknown-script")
                log.warning("refused FastAGI script %s: this server serves only agi://HOST:PORT/%s",
                            ascii(script[:64]), SCRIPT)
                return
            run_session(channel, [], source="fastagi", url=self.server.store_url,
                        spool_dir=self.server.spool_dir, log=log, warning=self.server.warning)
        except Exception:
            log.exception("FastAGI session failed; the call may not be recorded")


class FastAGIServer(socketserver.ThreadingTCPServer):
    """Threaded FastAGI server with a bound on concurrent calls and a graceful stop."""

    allow_reuse_address = True
    daemon_threads = False
    block_on_close = True     # server_close() waits for calls in progress

    def __init__(self, listen: tuple[str, int] | socket.socket, *, store_url: str, spool_dir: str,
                 max_calls: int = DEFAULT_MAX_CALLS, warning: str | None = None):
        self.store_url = store_url
        self.spool_dir = spool_dir
        self.warning = warning
        self.max_calls = max_calls
        self._slots = threading.BoundedSemaphore(max_calls)
        self.refused = 0
        if isinstance(listen, socket.socket):
            self.address_family = listen.family
            super().__init__(listen.getsockname()[:2], _Session, bind_and_activate=False)
            self.socket.close()
            self.socket = listen
        else:
            if ":" in listen[0]:
                self.address_family = socket.AF_INET6
            super().__init__(listen, _Session)

    @property
    def address(self) -> tuple[str, int]:
        return self.socket.getsockname()[:2]

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(blocking=False):
            self.refused += 1
            log.warning("busy: %d calls in progress, refused one from %s; Asterisk falls back to "
                        "the textback-agi program (raise --max-calls if this repeats)",
                        self.max_calls, client_address[0])
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address) -> None:
        log.exception("FastAGI connection from %s failed", client_address[0] if client_address else "?")
