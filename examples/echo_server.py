"""A non-blocking TCP echo server on one epoll instance, level- or edge-triggered.

    python -m examples.echo_server [--port 0] [--mode lt|et] [--impl pyepoll|select]

``--impl select`` runs the very same code on the standard library's ``select.epoll``.

Some facts about epoll that shape this server (epoll(7), epoll_ctl(2)):

* Level-triggered (the default, ``--mode lt``): epoll_wait reports a socket for as long as it is
  readable or writable. So the server reads once per event and lets the next wait report the rest,
  and it asks for EPOLLOUT only while it has bytes queued: a socket with room in its send buffer is
  always writable, and a standing EPOLLOUT interest would make every wait return at once.
* Edge-triggered (``--mode et``, EPOLLET): epoll_wait reports a socket when its readiness changes.
  After EPOLLIN the server must read until recv() fails with EAGAIN, or the bytes left behind wait
  for an edge that never comes (epoll(7), "Level-triggered and edge-triggered" and Q9). EPOLLOUT
  can stay registered for good: it fires once each time a full send buffer gets room again, so
  the registration is made once and never modified.
* EPOLLRDHUP: the peer shut down its writing half; recv() returns b"" once the buffered bytes are
  read. EPOLLERR and EPOLLHUP are reported whether asked for or not (epoll_ctl(2), EPOLLERR);
  after a reset (RST) both are set and the connection is closed at once.
* A closed fd number is reused by the next accept(). Events in one batch may still name a
  connection closed earlier in that batch, so new connections are accepted only after the batch
  (otherwise a stale event could be applied to a fresh connection that got the same number).
* The server unregisters a socket before closing it: close() removes the registration only when
  no other fd refers to the same open file (epoll(7), Q6).

Back-pressure: a client that sends without reading would make the echo queue grow without bound,
so a connection stops being read while more than HIGH_WATER bytes wait to be sent.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import sys
import threading
from collections.abc import Sequence
from typing import Protocol

import pyepoll
from examples import serving
from pyepoll import EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP

#: Stop reading a connection while this many bytes wait to be echoed.
HIGH_WATER = 1 << 20


class Epoll(Protocol):
    """What the server uses of an epoll object; ``select.epoll`` and ``pyepoll.epoll`` both fit."""

    def register(self, __fd: int, __eventmask: int) -> None: ...
    def modify(self, __fd: int, __eventmask: int) -> None: ...
    def unregister(self, __fd: int) -> None: ...
    def poll(self, __timeout: float | None, __maxevents: int) -> list[tuple[int, int]]: ...
    def close(self) -> None: ...


def new_epoll(impl: str) -> Epoll:
    """epoll_create1(EPOLL_CLOEXEC) through pyepoll or through the standard library."""
    if impl == "select":
        return select.epoll()
    if impl == "pyepoll":
        ep: Epoll = pyepoll.epoll()
        return ep
    raise ValueError(f"unknown epoll implementation {impl!r}")


class Connection:
    """One client: its socket, the bytes waiting to be echoed, and what epoll has told us."""

    __slots__ = ("closed", "eof", "events", "fd", "out", "readable", "sock")

    def __init__(self, sock: socket.socket, events: int) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.out = bytearray()
        #: epoll reported input (or EOF) that has not been read yet
        self.readable = False
        #: the client shut down its writing half: echo what is queued, then close
        self.eof = False
        #: the registered event mask (level-triggered mode changes it)
        self.events = events
        self.closed = False


class EchoServer:
    """Echo every byte back to the client that sent it, from one thread and one epoll fd."""

    def __init__(
        self,
        port: int = 0,
        *,
        mode: str = "lt",
        impl: str = "pyepoll",
        backlog: int = 1024,
        maxevents: int = 1024,
    ) -> None:
        if mode not in ("lt", "et"):
            raise ValueError(f"mode must be 'lt' or 'et', not {mode!r}")
        self.edge = mode == "et"
        self.stats = serving.Stats()
        self._maxevents = maxevents
        self._conns: dict[int, Connection] = {}
        self._stopping = False
        self._closing = threading.Lock()
        self._closed = False
        # Everything opened here is closed by self._resources, in reverse order, when
        # serve_forever() returns, or right away if a later step of __init__ fails.
        with contextlib.ExitStack() as stack:
            self._ep = new_epoll(impl)
            stack.callback(self._ep.close)
            self._listener = stack.enter_context(serving.listen(port, backlog))
            self._listener.setblocking(False)
            # stop() writes a byte to this pipe to end the wait; the loop then exits.
            self._wake = os.pipe()
            for fd in self._wake:
                stack.callback(os.close, fd)
                os.set_blocking(fd, False)
            # The listener stays level-triggered in both modes: after EMFILE the pending client
            # is still reported on the next wait, so nothing is lost for want of an edge.
            self._ep.register(self._listener.fileno(), EPOLLIN)
            self._ep.register(self._wake[0], EPOLLIN)
            self._resources = stack.pop_all()

    def address(self) -> tuple[str, int]:
        host, port = self._listener.getsockname()
        return str(host), int(port)

    def stop(self) -> None:
        # Called from another thread. The lock keeps the write away from the pipe once
        # serve_forever() has closed it (the number could even be reused by then).
        with self._closing:
            if self._closed:
                return
            # The byte goes first: the loop leaves only once it sees _stopping, and the pipe
            # (level-triggered, never drained) keeps ending its waits until it does.
            with contextlib.suppress(BlockingIOError):  # full: a wake-up is pending anyway
                os.write(self._wake[1], b"x")
            self._stopping = True

    def serve_forever(self) -> None:
        listener_fd = self._listener.fileno()
        try:
            while not self._stopping:
                accept = False
                for fd, events in self._ep.poll(None, self._maxevents):
                    conn = self._conns.get(fd)
                    if conn is not None:
                        self._service(conn, events)
                    elif fd == listener_fd:
                        accept = True
                if accept:
                    self._accept()
        finally:
            for conn in list(self._conns.values()):
                self._close(conn)
            with self._closing:
                self._closed = True
                self._resources.close()

    # -- connections ------------------------------------------------------------------------

    def _accept(self) -> None:
        """accept(2) until EAGAIN, registering each new socket."""
        while True:
            try:
                sock, _ = self._listener.accept()
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno in serving.ACCEPT_SKIP:
                    continue
                if exc.errno in serving.ACCEPT_FULL:  # the listener is reported again next wait
                    return
                raise
            self.stats.count("accepted")
            sock.setblocking(False)
            serving.tune(sock)
            if self.edge:
                events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET
            else:
                events = EPOLLIN | EPOLLRDHUP
            conn = Connection(sock, events)
            self._ep.register(conn.fd, events)
            self._conns[conn.fd] = conn

    def _service(self, conn: Connection, events: int) -> None:
        if events & EPOLLERR:
            # A pending socket error (usually ECONNRESET): nothing more can be echoed.
            self._reset(conn)
            return
        if events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP):
            conn.readable = True
        while True:
            if conn.readable and len(conn.out) < HIGH_WATER:
                self._read(conn)
            self._flush(conn)
            if conn.closed:
                return
            if conn.eof and not conn.out:
                self._close(conn)
                return
            # Edge-triggered: input left unread for back-pressure gets no second event, so go
            # on reading as long as the queue drains.
            if not (self.edge and conn.readable and len(conn.out) < HIGH_WATER):
                break
        if not self.edge:
            self._rearm(conn)

    def _read(self, conn: Connection) -> None:
        """recv() into the echo queue: once (level-triggered) or until EAGAIN (edge-triggered)."""
        while len(conn.out) < HIGH_WATER:
            try:
                data = conn.sock.recv(serving.READ_SIZE)
            except BlockingIOError:
                conn.readable = False
                return
            except OSError:  # ECONNRESET and the like end this connection, not the server
                self._reset(conn)
                return
            if not data:
                conn.readable = False
                conn.eof = True
                return
            conn.out += data
            if not self.edge:
                conn.readable = False  # the next wait reports whatever is left
                return

    def _flush(self, conn: Connection) -> None:
        """send() the echo queue until it is empty or the socket's send buffer is full."""
        while conn.out and not conn.closed:
            try:
                sent = conn.sock.send(conn.out)
            except BlockingIOError:
                self.stats.count("blocked_sends")
                return
            except OSError:  # EPIPE, ECONNRESET: the client went away mid-echo
                self._reset(conn)
                return
            del conn.out[:sent]

    def _rearm(self, conn: Connection) -> None:
        """Level-triggered: ask for exactly the readiness this connection can use now."""
        events = EPOLLRDHUP
        if not conn.eof and len(conn.out) < HIGH_WATER:
            events |= EPOLLIN
        if conn.out:
            events |= EPOLLOUT
        if events != conn.events:
            self._ep.modify(conn.fd, events)
            conn.events = events

    def _reset(self, conn: Connection) -> None:
        self.stats.count("reset")
        self._close(conn)

    def _close(self, conn: Connection) -> None:
        if conn.closed:
            return
        conn.closed = True
        del self._conns[conn.fd]
        self._ep.unregister(conn.fd)
        conn.sock.close()
        self.stats.count("closed")


def main(argv: Sequence[str] | None = None) -> int:
    p = serving.parser(__doc__, "examples.echo_server")
    p.add_argument("--mode", choices=("lt", "et"), default="lt", help="level- or edge-triggered")
    p.add_argument(
        "--impl",
        choices=("pyepoll", "select"),
        default="pyepoll",
        help="epoll object: pyepoll.epoll or the standard library's select.epoll",
    )
    p.add_argument("--maxevents", type=int, default=1024, help="events taken per epoll_wait")
    args = p.parse_args(argv)
    server = EchoServer(
        args.port, mode=args.mode, impl=args.impl, backlog=args.backlog, maxevents=args.maxevents
    )
    return serving.run(server)


if __name__ == "__main__":
    sys.exit(main())
