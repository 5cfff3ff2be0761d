"""A FastAGI server for `agi://host:4573/missed`: the same recording as the hook, without
an interpreter start per call (busy PBXs, slow boards).

Built on the standard library because pyst2's FastAGI module does not import on
Python 3. One thread per call, at most `max_calls` at once: a call beyond that is
closed at once, unanswered. Asterisk then leaves AGISTATUS=SUCCESS (only a refused
connection gives FAILURE), so the dialplan tests textback's own TEXTBACK_RESULT, which
only a session that kept the call sets to "queued", and runs the `textback-agi` program
for every other outcome. Closing beats queueing here: the program starts at once,
while a queued call would wait on a server that is already behind.

The listen backlog is 128, not socketserver's 5 (16 calls arriving together overflowed
it: the kernel's ListenOverflows rose and connections waited 1 s for a SYN retry).
Logging never blocks a session: records go through a bounded queue to one writer
thread (`BoundedLogging`), and when the log's pipe is full they are dropped and
counted, not waited for.
Shutdown stops accepting, then lets every call in progress finish (each is bounded
by the protocol's timeouts and the store's ~2 s).
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import queue as _queue
import socket
import socketserver
import threading

from agi.call_writer import CallWriter
from agi.hook import run_session
from agi.protocol import AGIChannel

log = logging.getLogger("textback.fastagi")

SCRIPT = "missed"            # agi://host:port/missed
DEFAULT_PORT = 4573
DEFAULT_MAX_CALLS = 32
SYSTEMD_FIRST_FD = 3         # sd_listen_fds(3): passed sockets start at fd 3


class _DroppingQueueHandler(logging.handlers.QueueHandler):
    """Hands a record to the writer thread, or drops it (counted) when the queue is full:
    a session must never wait for the log (a stderr pipe nobody reads blocks writes)."""

    def __init__(self, queue: _queue.Queue):
        super().__init__(queue)
        self.dropped = 0

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except _queue.Full:
            self.dropped += 1


class BoundedLogging:
    """While serving: the root logger's handlers behind a bounded queue and one writer
    thread. `stop()` gives the root logger its handlers back (flushing what it can in
    `flush_wait` seconds: a pipe nobody reads must not hang the exit either)."""

    def __init__(self, capacity: int = 1000):
        self.root = logging.getLogger()
        self.handlers = list(self.root.handlers)
        self.front = _DroppingQueueHandler(_queue.Queue(capacity))
        self.listener = logging.handlers.QueueListener(self.front.queue, *self.handlers,
                                                       respect_handler_level=True)

    def start(self) -> BoundedLogging:
        for handler in self.handlers:
            self.root.removeHandler(handler)
        self.root.addHandler(self.front)
        self.listener.start()
        return self

    def stop(self, flush_wait: float = 2.0) -> None:
        self.root.removeHandler(self.front)
        for handler in self.handlers:
            self.root.addHandler(handler)
        flusher = threading.Thread(target=self.listener.stop, daemon=True)
        flusher.start()
        flusher.join(flush_wait)


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
    server: FastAGIServer

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
                        spool_dir=self.server.spool_dir, log=log, warning=self.server.warning,
                        writer=self.server.writer)
        except Exception:
            log.exception("FastAGI session failed; the call may not be recorded")


class FastAGIServer(socketserver.ThreadingTCPServer):
    """Threaded FastAGI server with a bound on concurrent calls and a graceful stop."""

    allow_reuse_address = True
    request_queue_size = 128
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
        from store.fast_record import hold_open
        self._keeper = hold_open(store_url)   # calls' connections never close last: no checkpoint each
        self.writer = CallWriter(store_url)   # group commit: calls arriving together share a write
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

    def server_close(self) -> None:
        super().server_close()              # waits for the calls in progress (block_on_close)
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            keeper.close()

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
