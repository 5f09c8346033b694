"""What every example server shares: the listening socket, the command line, shutdown, counters.

The servers only ever bind 127.0.0.1. Shutdown is driven by SIGINT/SIGTERM, which reach the server
through ``signal.set_wakeup_fd`` and a watcher thread that calls the server's ``stop()``; so
``stop()`` must be safe to call from another thread.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
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
#: The signals that stop a server.
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


class Server(Protocol):
    """The interface ``run()`` drives."""

    stats: Stats

    def address(self) -> tuple[str, int]:
        """The (host, port) the server listens on."""

    def serve_forever(self) -> None:
        """Serve until ``stop()`` is called, then release every fd the server opened."""

    def stop(self) -> None:
        """Ask ``serve_forever()`` to return. Thread-safe (``run()`` calls it from a watcher
        thread), and harmless once ``serve_forever()`` has returned."""


@dataclass
class Stats:
    """Connection counters, printed on shutdown (tests read them).

    ``count()`` takes a lock, for servers whose threads share the counters; a server that
    touches them from one thread only (examples.echo_server) adds to the fields directly and
    keeps the lock out of its per-event path."""

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


def parser(doc: str | None, module: str) -> argparse.ArgumentParser:
    """The options every example server takes; the description is the first line of ``doc``,
    the usage line says ``python -m module`` (the examples run as modules of the checkout)."""
    p = argparse.ArgumentParser(
        prog=f"python -m {module}", description=doc.splitlines()[0] if doc else None
    )
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    p.add_argument("--backlog", type=int, default=socket.SOMAXCONN, help="listen() backlog")
    return p


def run(server: Server) -> int:
    """Announce the address, serve until SIGINT/SIGTERM, print the counters; the exit status."""
    with stop_on_signals(server):
        host, port = server.address()
        print(f"listening on {host}:{port}", flush=True)
        server.serve_forever()
    print(server.stats.line(), file=sys.stderr, flush=True)
    return 0


@contextlib.contextmanager
def stop_on_signals(server: Server) -> Iterator[None]:
    """Call ``server.stop()`` from a watcher thread when one of STOP_SIGNALS arrives.

    Why not call ``stop()`` from a Python signal handler: CPython runs handlers in the main
    thread between bytecodes, so a signal that lands just before the main thread enters a
    blocking call (accept(), epoll_wait()) -- say while it waits for the GIL at the last check
    before that call -- is recorded but not handled until the call returns, which for an idle
    server is never. The C-level handler, by contrast, writes the signal number to the wakeup
    fd at once, whichever thread the kernel picked; a thread blocked reading that fd cannot
    miss it.
    """
    rfd, wfd = os.pipe()
    os.set_blocking(wfd, False)  # set_wakeup_fd requires it: the C handler must never block
    try:
        previous_fd = signal.set_wakeup_fd(wfd, warn_on_full_buffer=False)
        # A Python-level handler must be installed for the C handler to run at all; the real
        # work is done by the watcher.
        previous = {sig: signal.signal(sig, _ignore) for sig in STOP_SIGNALS}
        watcher = threading.Thread(target=_watch, args=(rfd, server), name="stop-watcher")
        watcher.start()
        try:
            yield
        finally:
            signal.set_wakeup_fd(previous_fd)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            # Tell the watcher that serving is over (it may be waiting still, if serving ended
            # without a signal): a byte no signal number can equal, and EOF as a backstop.
            with contextlib.suppress(BlockingIOError):
                os.write(wfd, _END)
            os.close(wfd)
            wfd = -1
            watcher.join()
    finally:
        os.close(rfd)
        if wfd >= 0:
            os.close(wfd)


#: What stop_on_signals writes to the watcher's pipe when serving ends (signal numbers start at 1).
_END = b"\0"


def _ignore(signum: int, frame: FrameType | None) -> None:
    """The Python-level half of the stop signals' handler: nothing to do (see stop_on_signals)."""


def _watch(rfd: int, server: Server) -> None:
    """Read signal numbers from the wakeup fd until a stop signal's (then stop the server) or
    the end of serving. The fd carries every signal that has a Python-level handler, so other
    numbers are skipped."""
    while True:
        byte = os.read(rfd, 1)
        if byte in (_END, b""):
            return
        if byte[0] in STOP_SIGNALS:
            server.stop()
            return
