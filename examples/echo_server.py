"""A non-blocking TCP echo server on one epoll instance, level- or edge-triggered.

    python -m examples.echo_server [--port 0] [--mode lt|et] [--impl pyepoll|select]

``--impl select`` runs the very same code on the standard library's ``select.epoll``.

Some facts about epoll that shape this server (epoll(7), epoll_ctl(2)):

* Level-triggered (the default, ``--mode lt``): epoll_wait reports a socket for as long as it is
  readable or writable. So the server reads once per event and lets the next wait report the rest,
  and it asks for EPOLLOUT only while it has bytes queued: a socket with room in its send buffer is
  always writable, and a standing EPOLLOUT interest would make every wait return at once. The
  peer's FIN reads as EPOLLIN (recv() returns b""); after it the server stops asking for EPOLLIN,
  which would otherwise be reported on every wait while the last echo drains.
* Edge-triggered (``--mode et``, EPOLLET): epoll_wait reports a socket when its readiness changes.
  After EPOLLIN the server must read until the input is exhausted, or the bytes left behind wait
  for an edge that never comes (epoll(7), "Level-triggered and edge-triggered" and Q9). Exhausted
  means recv() failing with EAGAIN, or, for a stream socket, returning fewer bytes than asked for
  (epoll(7) says so), which saves the failing recv() and its exception on every message. EPOLLOUT
  can stay registered for good: it fires once each time a full send buffer gets room again, so
  the registration is made once and never modified. EPOLLRDHUP says that the peer's FIN had
  arrived by the time of the wait: then the server reads on to the b"" even after a short read.
* EPOLLERR and EPOLLHUP are reported whether asked for or not (epoll_ctl(2), EPOLLERR); after a
  reset (RST) both are set and the connection is closed at once.
* A closed fd number is reused by the next accept(). Events in one batch may still name a
  connection closed earlier in that batch, so new connections are accepted only after the batch
  (otherwise a stale event could be applied to a fresh connection that got the same number).
* The server unregisters a socket before closing it: close() removes the registration only when
  no other fd refers to the same open file (epoll(7), Q6).

Back-pressure: a client that sends without reading would make the echo queue grow without bound,
so a connection stops being read while more than HIGH_WATER bytes wait to be sent.

Speed: every message is received into one reused buffer and sent from it before anything is
queued; only the bytes a full socket did not take are copied. So the usual round trip costs one
epoll_wait share, one recv() and one send(), and no epoll_ctl() (benchmarks/README.md has the
counts).
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

EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP, EPOLLET = (
    pyepoll.EPOLLIN,
    pyepoll.EPOLLOUT,
    pyepoll.EPOLLERR,
    pyepoll.EPOLLHUP,
    pyepoll.EPOLLRDHUP,
    pyepoll.EPOLLET,
)

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

    __slots__ = ("closed", "eof", "events", "fd", "out", "readable", "recv_into", "send", "sock")

    def __init__(self, sock: socket.socket, events: int) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        # The socket's methods, bound once: the hot path calls them for every message.
        self.recv_into = sock.recv_into
        self.send = sock.send
        #: echo bytes the socket's send buffer had no room for (sent before anything newer)
        self.out = bytearray()
        #: input may be waiting unread (edge-triggered: no further edge will say so)
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
        read_size: int = serving.READ_SIZE,
    ) -> None:
        if mode not in ("lt", "et"):
            raise ValueError(f"mode must be 'lt' or 'et', not {mode!r}")
        self.edge = mode == "et"
        #: Only the serving thread touches these counters, so they are added to without a lock.
        self.stats = serving.Stats()
        self._maxevents = maxevents
        # Every recv() lands in this one buffer; its bytes are sent from it, and only what the
        # socket does not take is copied to the connection's queue.
        self._read_size = read_size
        self._buf = bytearray(read_size)
        self._view = memoryview(self._buf)
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
        # Locals: the loop below runs once per event.
        poll, maxevents, get, service = (
            self._ep.poll,
            self._maxevents,
            self._conns.get,
            self._service,
        )
        try:
            while not self._stopping:
                accept = False
                for fd, events in poll(-1, maxevents):
                    conn = get(fd)
                    if conn is not None:
                        service(conn, events)
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
            self.stats.accepted += 1
            sock.setblocking(False)
            serving.tune(sock)
            events = (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) if self.edge else EPOLLIN
            conn = Connection(sock, events)
            self._ep.register(conn.fd, events)
            self._conns[conn.fd] = conn

    def _service(self, conn: Connection, events: int) -> None:
        """One event: flush what is queued, read and echo, then (level-triggered) re-arm.

        The common case, one message in and its whole echo out, costs one recv() and one
        send() and no epoll_ctl(): the level-triggered registration changes only while bytes
        are queued (EPOLLOUT wanted) or reading is paused.
        """
        if events & EPOLLERR:
            # A pending socket error (usually ECONNRESET): nothing more can be echoed.
            self._reset(conn)
            return
        out = conn.out
        if out and not self._flush(conn):
            return
        if events & _INPUT:
            conn.readable = True
        edge = self.edge
        view = self._view
        while conn.readable and len(out) < HIGH_WATER:
            try:
                n = conn.recv_into(self._buf)
            except BlockingIOError:  # nothing after all (a stale event): wait for the next
                conn.readable = False
                break
            except OSError:  # ECONNRESET and the like end this connection, not the server
                self._reset(conn)
                return
            if not n:
                conn.readable = False
                conn.eof = True
                break
            # Level-triggered: the next wait reports whatever is left. Edge-triggered: a read
            # shorter than asked for emptied the socket (epoll(7): "if you call read(2) by
            # asking to read a certain amount of data and read(2) returns a lower number of
            # bytes, you can be sure of having exhausted the read I/O space"), and anything
            # arriving later makes a new edge; only a FIN seen by this very event (EPOLLRDHUP,
            # EPOLLHUP) is read on, to the b"" that says so.
            if not edge or (n < self._read_size and not events & _HANGUP):
                conn.readable = False
            if out:  # older bytes are queued: these go after them
                out += view[:n]
                continue
            # Send before queueing: usually the socket takes it all and nothing is copied.
            try:
                sent = conn.send(view[:n])
            except BlockingIOError:
                sent = 0
            except OSError:  # EPIPE, ECONNRESET: the client went away mid-echo
                self._reset(conn)
                return
            if sent < n:
                # The send buffer is full: EPOLLOUT (asked for below, or registered for good
                # with EPOLLET) reports when it has room again.
                out += view[sent:n]
                self.stats.blocked_sends += 1
        if conn.eof and not out:
            self._close(conn)
        elif not edge:
            wanted = EPOLLOUT if out else 0
            if not conn.eof and len(out) < HIGH_WATER:
                wanted |= EPOLLIN
            if wanted != conn.events:
                self._ep.modify(conn.fd, wanted)
                conn.events = wanted

    def _flush(self, conn: Connection) -> bool:
        """send() the echo queue, as much as the socket's send buffer takes.

        Returns False if the connection was closed instead (the client went away)."""
        out = conn.out
        try:
            sent = conn.send(out)
        except BlockingIOError:
            return True
        except OSError:  # EPIPE, ECONNRESET: the client went away mid-echo
            self._reset(conn)
            return False
        del out[:sent]
        if out:  # a short write: the buffer is full, EPOLLOUT will say when it is not
            self.stats.blocked_sends += 1
        return True

    def _reset(self, conn: Connection) -> None:
        self.stats.reset += 1
        self._close(conn)

    def _close(self, conn: Connection) -> None:
        if conn.closed:
            return
        conn.closed = True
        del self._conns[conn.fd]
        self._ep.unregister(conn.fd)
        conn.sock.close()
        self.stats.closed += 1


#: Events after which recv() has something to say: bytes, or b"" for the peer's FIN.
_INPUT = EPOLLIN | EPOLLRDHUP | EPOLLHUP
#: Events meaning that the peer's FIN has arrived: read on to the b"" even after a short read.
_HANGUP = EPOLLRDHUP | EPOLLHUP


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
