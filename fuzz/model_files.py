"""The open files of the epoll model: pipes, eventfds, AF_UNIX stream socketpairs.

Each file knows its readiness (what its ``poll`` method would return) from state the model
tracks, and which wakeups each operation sends to the epoll entries on its wait queue. The
kernel facts used here, checked on Linux 6.x:

* pipe(7): the read end is readable while bytes are buffered, and reports EPOLLHUP once the
  write end is gone; the write end is writable while there is space and reports EPOLLERR
  once the read end is gone. Every write wakes the read end's waiters (EPOLLIN), even when
  the pipe was not empty (fs/pipe.c does this for epoll's sake); a read wakes writers only
  when the pipe was full. Closing one end wakes everything on the other end.
* eventfd(2): readable while the counter is > 0, writable while it is below 2**64 - 2. A
  successful write wakes with EPOLLIN (a write of 0 too), a successful read with EPOLLOUT.
* unix(7) stream sockets: readable while data is queued or reading was shut down (then also
  EPOLLRDHUP); EPOLLHUP when both directions are shut down; EPOLLERR when the peer closed
  with unread data (ECONNRESET, returned once by the next read that finds no data). A send
  wakes the peer (EPOLLIN); freeing a fully read buffer (one per send) wakes the sender
  (EPOLLOUT); shutdown(2) and the peer's close wake every waiter of both ends.

Writability is byte-count independent only well below capacity (pipes count page slots,
sockets count buffer memory): the model keeps each buffer under ``BUFFER_LIMIT`` bytes and
``SEND_LIMIT`` sends, where the kernel reports writable in every state the model can reach.
"""

from __future__ import annotations

import errno
from collections import deque

from conformance import flags as ev

from .kernel import EVENTFD_MAX, Outcome, failure
from .model_queue import WaitQueue

BUFFER_LIMIT = 8192
SEND_LIMIT = 8
PIPE_IN = ev.EPOLLIN | ev.EPOLLRDNORM
PIPE_OUT = ev.EPOLLOUT | ev.EPOLLWRNORM
SOCK_IN = ev.EPOLLIN | ev.EPOLLRDNORM
SOCK_OUT = ev.EPOLLOUT | ev.EPOLLWRNORM | ev.EPOLLWRBAND
SOCK_DATA_READY = ev.EPOLLIN | ev.EPOLLPRI | ev.EPOLLRDNORM | ev.EPOLLRDBAND
SHUT_RCV, SHUT_SEND = 1, 2


class File:
    """An open file description: what dup(2) shares and close(2) releases last."""

    kind = "file"

    def __init__(self) -> None:
        self.refs = 1
        self.queue = WaitQueue()

    def mask(self) -> int:
        raise NotImplementedError

    def write(self, size: int, value: int) -> Outcome:
        return failure(errno.EBADF)

    def read(self, size: int) -> Outcome:
        return failure(errno.EBADF)

    def shutdown(self, how: int) -> Outcome:
        return failure(errno.ENOTSOCK)

    def write_room(self) -> int:
        """How many bytes a write may carry while the model stays in its regime."""
        return BUFFER_LIMIT

    def release(self) -> None:
        """f_op->release: the last descriptor is gone (epoll entries already removed)."""


class Pipe:
    def __init__(self) -> None:
        self.buffered = 0
        self.readers = True
        self.writers = True
        self.reader: PipeEnd | None = None
        self.writer: PipeEnd | None = None


class PipeEnd(File):
    def __init__(self, pipe: Pipe, reading: bool) -> None:
        super().__init__()
        self.pipe, self.reading = pipe, reading
        self.kind = "pipe_r" if reading else "pipe_w"

    def mask(self) -> int:
        if self.reading:
            hangup = 0 if self.pipe.writers else ev.EPOLLHUP
            return (PIPE_IN if self.pipe.buffered else 0) | hangup
        return PIPE_OUT | (0 if self.pipe.readers else ev.EPOLLERR)

    def write_room(self) -> int:
        return BUFFER_LIMIT - self.pipe.buffered

    def write(self, size: int, value: int) -> Outcome:
        if self.reading:
            return failure(errno.EBADF)
        if not self.pipe.readers:
            return failure(errno.EPIPE)
        self.pipe.buffered += size
        if self.pipe.reader is not None:
            self.pipe.reader.queue.wake(PIPE_IN)
        return Outcome(value=size)

    def read(self, size: int) -> Outcome:
        if not self.reading:
            return failure(errno.EBADF)
        taken = min(size, self.pipe.buffered)
        if taken:
            self.pipe.buffered -= taken
            return Outcome(value=taken)
        return Outcome(value=0) if not self.pipe.writers else failure(errno.EAGAIN)

    def release(self) -> None:
        other = self.pipe.writer if self.reading else self.pipe.reader
        if self.reading:
            self.pipe.readers, self.pipe.reader = False, None
        else:
            self.pipe.writers, self.pipe.writer = False, None
        if other is not None:
            other.queue.wake(0)


class EventFd(File):
    kind = "eventfd"

    def __init__(self, count: int, semaphore: bool) -> None:
        super().__init__()
        self.count, self.semaphore = count, semaphore

    def mask(self) -> int:
        return (ev.EPOLLIN if self.count else 0) | (ev.EPOLLOUT if self.count < EVENTFD_MAX else 0)

    def write(self, size: int, value: int) -> Outcome:
        if value == EVENTFD_MAX + 1:
            return failure(errno.EINVAL)
        if self.count + value > EVENTFD_MAX:
            return failure(errno.EAGAIN)
        self.count += value
        self.queue.wake(ev.EPOLLIN)
        return Outcome(value=8)

    def read(self, size: int) -> Outcome:
        if not self.count:
            return failure(errno.EAGAIN)
        taken = 1 if self.semaphore else self.count
        self.count -= taken
        self.queue.wake(ev.EPOLLOUT)
        return Outcome(value=taken)


class SocketEnd(File):
    kind = "sock"

    def __init__(self) -> None:
        super().__init__()
        self.peer: SocketEnd | None = None
        self.received: deque[int] = deque()  # bytes left in each send the peer made
        self.shut = 0
        self.reset = False
        self.released = False

    def mask(self) -> int:
        mask = SOCK_OUT | (ev.EPOLLERR if self.reset else 0)
        if self.shut == SHUT_RCV | SHUT_SEND:
            mask |= ev.EPOLLHUP
        if self.shut & SHUT_RCV:
            mask |= ev.EPOLLRDHUP | SOCK_IN
        return mask | (SOCK_IN if self.received else 0)

    def live_peer(self) -> SocketEnd | None:
        return self.peer if self.peer is not None and not self.peer.released else None

    def write_room(self) -> int:
        peer = self.live_peer()
        if peer is None or len(peer.received) >= SEND_LIMIT:
            return 0 if peer is not None else BUFFER_LIMIT
        return BUFFER_LIMIT - sum(peer.received)

    def write(self, size: int, value: int) -> Outcome:
        peer = self.live_peer()
        if self.shut & SHUT_SEND or peer is None:  # a peer's SHUT_RD sets our SHUT_SEND
            return failure(errno.EPIPE)
        peer.received.append(size)
        peer.queue.wake(SOCK_DATA_READY)
        return Outcome(value=size)

    def read(self, size: int) -> Outcome:
        if not self.received:
            if self.reset:
                self.reset = False
                return failure(errno.ECONNRESET)
            return Outcome(value=0) if self.shut & SHUT_RCV else failure(errno.EAGAIN)
        taken = 0
        while self.received and taken < size:
            part = min(size - taken, self.received[0])
            taken += part
            self.received[0] -= part
            if not self.received[0]:
                self.received.popleft()
                sender = self.live_peer()
                if sender is not None:
                    sender.queue.wake(SOCK_OUT)
        return Outcome(value=taken)

    def shutdown(self, how: int) -> Outcome:
        mode = how + 1  # SHUT_RD, SHUT_WR, SHUT_RDWR -> RCV, SEND, both
        self.shut |= mode
        self.queue.wake(0)
        peer = self.live_peer()
        if peer is not None:
            peer.shut |= ((mode & SHUT_RCV) << 1) | ((mode & SHUT_SEND) >> 1)
            peer.queue.wake(0)
        return Outcome(value=None)

    def release(self) -> None:
        self.released = True
        peer = self.live_peer()
        if peer is not None:
            peer.shut = SHUT_RCV | SHUT_SEND
            peer.reset = peer.reset or bool(self.received)
            peer.queue.wake(0)
        self.received.clear()


def socketpair() -> list[SocketEnd]:
    a, b = SocketEnd(), SocketEnd()
    a.peer, b.peer = b, a
    return [a, b]


def pipe() -> list[PipeEnd]:
    shared = Pipe()
    shared.reader, shared.writer = PipeEnd(shared, True), PipeEnd(shared, False)
    return [shared.reader, shared.writer]
