"""What every example server shares: the listening socket, the command line, shutdown, counters.

The servers only ever bind 127.0.0.1. Shutdown is driven by SIGINT/SIGTERM: the handler calls the
server's ``stop()``, which must be safe to call from a signal handler or from another thread.
"""

from __future__ import annotations

import argparse
import errno
import signal
import socket
import sys
import threading
from dataclasses import dataclass, field
from types import FrameType
from typing import Protocol

#: The only address the examples listen on.
HOST = "127.0.0.1"

#: Bytes asked for per recv().
READ_SIZE = 65536

#: accept() errors that concern only the one connection being accepted (accept(2), ERRORS):
#: skip it and accept the next.
ACCEPT_SKIP = (errno.ECONNABORTED, errno.EPROTO, errno.EPERM)
#: accept() errors meaning "no fd or memory left now": leave the client in the backlog and
#: retry later.
ACCEPT_FULL = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
#: The signals that stop a server.  Threads other than the main one block them: the kernel
#: delivers a process-directed signal to any thread that does not, and Python runs handlers
#: only in the main thread, which would stay asleep in accept() if another thread took it.
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


class Server(Protocol):
    """The interface ``run()`` drives."""

    stats: Stats

    def address(self) -> tuple[str, int]:
        """The (host, port) the server listens on."""

    def serve_forever(self) -> None:
        """Serve until ``stop()`` is called, then release every fd the server opened."""

    def stop(self) -> None:
        """Ask ``serve_forever()`` to return; async-signal-safe and thread-safe."""


@dataclass
class Stats:
    """Connection counters, printed on shutdown (tests read them)."""

    accepted: int = 0
    closed: int = 0
    #: connections that ended with ECONNRESET/EPIPE or an EPOLLERR instead of an orderly EOF
    reset: int = 0
    #: times a send() hit EAGAIN with bytes still queued (a partial write, finished on EPOLLOUT)
    blocked_sends: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to counter ``name``; safe to call from several threads."""
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def line(self) -> str:
        return (
            f"stats: accepted={self.accepted} closed={self.closed} "
            f"reset={self.reset} blocked_sends={self.blocked_sends}"
        )


def listen(port: int = 0, backlog: int = socket.SOMAXCONN) -> socket.socket:
    """socket(); bind(127.0.0.1:port); listen(backlog). The caller owns the returned socket."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def tune(sock: socket.socket) -> None:
    """Per-connection options: echo each reply as soon as it is written (no Nagle delay)."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every example server takes; the description is the first line of ``doc``."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    p.add_argument("--backlog", type=int, default=socket.SOMAXCONN, help="listen() backlog")
    return p


def run(server: Server) -> int:
    """Announce the address, serve until SIGINT/SIGTERM, print the counters; the exit status."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        server.stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    try:
        host, port = server.address()
        print(f"listening on {host}:{port}", flush=True)
        server.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(server.stats.line(), file=sys.stderr, flush=True)
    return 0
