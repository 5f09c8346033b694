"""EPOLLEXCLUSIVE in pyepoll.selectors.EpollSelector and pyepoll.asyncio (epoll_ctl(2)).

What the kernel holds is read from /proc/self/fdinfo (tests.kernel.interest_entries), not
from pyepoll. The herd tests put several epoll instances (one per thread) on one listening
socket, wait until every thread is blocked in epoll_wait (so every instance has a sleeper on
its wait queue), connect once and count the instances whose wait reported the listener.
"""

from __future__ import annotations

import asyncio
import errno
import os
import selectors
import socket
import threading
from collections.abc import Iterator

import pytest

import pyepoll
import pyepoll.asyncio
from pyepoll.selectors import EpollSelector
from tests.kernel import (
    KernelObjects,
    eventfd_add,
    interest_entries,
    new_eventfd,
    until_asleep_in_epoll_wait,
)

EXCLUSIVE = int(pyepoll.EPOLLEXCLUSIVE)
IN, OUT = int(pyepoll.EPOLLIN), int(pyepoll.EPOLLOUT)


#: Bits the kernel adds to every registration (epoll_ctl(2): always reported).
ALWAYS = int(pyepoll.EPOLLERR | pyepoll.EPOLLHUP)


def kernel_mask(epfd: int, fd: int) -> int:
    """The mask the kernel stores for ``fd`` in ``epfd``, without the bits it always adds."""
    (entry,) = [e for e in interest_entries(epfd) if e.fd == fd]
    return entry.events & ~ALWAYS


@pytest.fixture
def sel() -> Iterator[EpollSelector]:
    with EpollSelector() as s:
        yield s


def test_register_exclusive_sets_the_flag_and_keeps_the_key(
    sel: EpollSelector, kernel: KernelObjects
) -> None:
    r, _ = kernel.pipe()
    key = sel.register(r, selectors.EVENT_READ, "data", exclusive=True)
    assert (key.fd, key.events, key.data) == (r, selectors.EVENT_READ, "data")
    assert kernel_mask(sel.fileno(), r) == IN | EXCLUSIVE
    assert sel.is_exclusive(r)


def test_register_without_exclusive_leaves_the_flag_off(
    sel: EpollSelector, kernel: KernelObjects
) -> None:
    r, _ = kernel.pipe()
    sel.register(r, selectors.EVENT_READ)
    assert kernel_mask(sel.fileno(), r) == IN
    assert not sel.is_exclusive(r)


def test_exclusive_epoll_target_is_einval_and_keeps_no_key(sel: EpollSelector) -> None:
    with pyepoll.epoll() as inner:
        with pytest.raises(OSError) as info:
            sel.register(inner.fileno(), selectors.EVENT_READ, exclusive=True)
        assert info.value.errno == errno.EINVAL
        assert len(sel.get_map()) == 0
        assert interest_entries(sel.fileno()) == []


def test_modify_of_exclusive_readds_with_new_events(
    sel: EpollSelector, kernel: KernelObjects
) -> None:
    # A readable, writable socket: readiness present before the re-add must be reported after.
    a, b = kernel.socketpair()
    b.send(b"x")
    sel.register(a, selectors.EVENT_READ, "r", exclusive=True)
    key = sel.modify(a, selectors.EVENT_READ | selectors.EVENT_WRITE, "rw")
    assert key.fileobj is a
    assert (key.events, key.data) == (selectors.EVENT_READ | selectors.EVENT_WRITE, "rw")
    assert sel.get_key(a) == key
    assert kernel_mask(sel.fileno(), a.fileno()) == IN | OUT | EXCLUSIVE
    assert sel.select(0) == [(key, selectors.EVENT_READ | selectors.EVENT_WRITE)]
    key = sel.modify(a, selectors.EVENT_WRITE, "w")
    assert kernel_mask(sel.fileno(), a.fileno()) == OUT | EXCLUSIVE
    assert sel.select(0) == [(key, selectors.EVENT_WRITE)]


def test_modify_of_exclusive_data_only_keeps_the_registration(
    sel: EpollSelector, kernel: KernelObjects
) -> None:
    r, _ = kernel.pipe()
    sel.register(r, selectors.EVENT_READ, "old", exclusive=True)
    key = sel.modify(r, selectors.EVENT_READ, "new")
    assert key.data == "new"
    assert kernel_mask(sel.fileno(), r) == IN | EXCLUSIVE


def test_modify_of_exclusive_with_invalid_events_keeps_the_key(
    sel: EpollSelector, kernel: KernelObjects
) -> None:
    r, _ = kernel.pipe()
    sel.register(r, selectors.EVENT_READ, exclusive=True)
    with pytest.raises(ValueError):
        sel.modify(r, 0)
    assert sel.get_key(r).events == selectors.EVENT_READ
    assert kernel_mask(sel.fileno(), r) == IN | EXCLUSIVE


def test_unregister_forgets_exclusive(sel: EpollSelector, kernel: KernelObjects) -> None:
    r, _ = kernel.pipe()
    sel.register(r, selectors.EVENT_READ, exclusive=True)
    sel.unregister(r)
    sel.register(r, selectors.EVENT_READ)
    assert kernel_mask(sel.fileno(), r) == IN
    assert not sel.is_exclusive(r)


def test_make_exclusive_keeps_events_and_data(sel: EpollSelector, kernel: KernelObjects) -> None:
    r, _ = kernel.pipe()
    before = sel.register(r, selectors.EVENT_READ, "data")
    assert sel.make_exclusive(r) == before
    assert kernel_mask(sel.fileno(), r) == IN | EXCLUSIVE


def herd(workers: int, exclusive: bool) -> int:
    """How many of ``workers`` epoll instances, each waited on by its own thread, report one
    new connection on a listening socket they all watch.

    Every thread is asleep in epoll_wait before the connection arrives. Nobody accepts until
    all threads are done, so a listener reported to one instance stays readable for every
    other one's wait. Once the first report is in, a per-thread eventfd (registered without
    EPOLLEXCLUSIVE) ends every wait: an instance whose wakeup callback ran holds the listener
    on its ready list and reports it in that same wait; the others report only the eventfd.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    stops = [new_eventfd() for _ in range(workers)]
    tids: list[int] = []
    reported: list[bool] = []
    first = threading.Event()
    lock = threading.Lock()

    def work(stop: int, ready: threading.Event) -> None:
        with EpollSelector() as sel:
            sel.register(listener, selectors.EVENT_READ, exclusive=exclusive)
            sel.register(stop, selectors.EVENT_READ)
            with lock:
                tids.append(threading.get_native_id())
            ready.set()
            fds = {key.fd for key, _ in sel.select()}
        with lock:
            reported.append(listener.fileno() in fds)
        if listener.fileno() in fds:
            first.set()

    threads = []
    try:
        for stop in stops:
            ready = threading.Event()
            t = threading.Thread(target=work, args=(stop, ready))
            t.start()
            threads.append(t)
            ready.wait()
        for tid in tids:
            until_asleep_in_epoll_wait(os.getpid(), tid)
        with socket.create_connection(listener.getsockname()):
            assert first.wait(30), "no epoll instance reported the connection"
            for stop in stops:
                eventfd_add(stop)
            for t in threads:
                t.join()
            listener.accept()[0].close()
    finally:
        for stop in stops:
            eventfd_add(stop)
        for t in threads:
            t.join()
        for stop in stops:
            os.close(stop)
        listener.close()
    return sum(reported)


def test_without_exclusive_every_instance_reports_the_connection() -> None:
    # epoll(7): every epoll instance whose interest list holds the listener gets the event.
    assert herd(4, exclusive=False) == 4


def test_with_exclusive_one_instance_reports_the_connection() -> None:
    # epoll_ctl(2): "one or more" instances are woken. With every instance asleep, the kernel
    # stops at the first one (fs/eventpoll.c: ep_poll_callback reports an exclusive wakeup only
    # for an instance with a sleeper); what follows from the sentence alone is 1 <= n, and the
    # flag at work is n < 4.
    assert 1 <= herd(4, exclusive=True) < 4


def test_asyncio_exclusive_listeners_register_the_listener_exclusively() -> None:
    async def main() -> int:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        async with server:
            loop = asyncio.get_running_loop()
            epfd = loop._selector.fileno()  # type: ignore[attr-defined]
            (sock,) = server.sockets
            return kernel_mask(epfd, sock.fileno())

    loop = pyepoll.asyncio.new_event_loop(exclusive_listeners=True)
    try:
        events = loop.run_until_complete(main())
    finally:
        loop.close()
    assert events == IN | EXCLUSIVE


def test_asyncio_exclusive_listeners_serve_connections() -> None:
    async def main() -> bytes:
        async def echo(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            w.write(await r.readline())
            await w.drain()
            w.close()

        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        async with server:
            host, port = server.sockets[0].getsockname()[:2]
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"ping\n")
            line = await reader.readline()
            writer.close()
            await writer.wait_closed()
            return line

    loop = pyepoll.asyncio.new_event_loop(exclusive_listeners=True)
    try:
        assert loop.run_until_complete(main()) == b"ping\n"
    finally:
        loop.close()


def test_asyncio_run_with_exclusive_listeners() -> None:
    async def main() -> int:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        async with server:
            loop = asyncio.get_running_loop()
            assert isinstance(loop, pyepoll.asyncio.ExclusiveListenersLoop)
            return kernel_mask(loop._selector.fileno(), server.sockets[0].fileno())

    assert pyepoll.asyncio.run(main(), exclusive_listeners=True) == IN | EXCLUSIVE
