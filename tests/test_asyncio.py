"""pyepoll.asyncio: real asyncio programs over loopback, on loops whose selector is pyepoll's.

Every program runs through ``pyepoll.asyncio.run`` on each backend, checks from inside that
its loop polls a :class:`pyepoll.epoll` (the kernel's interest list of that epoll fd holds the
loop's sockets), and leaves no fd behind once the loop is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Coroutine
from typing import Any, Callable, TypeVar, cast

import pytest

import pyepoll
import pyepoll.asyncio
from conformance.timing import later
from pyepoll import BACKEND_NAMES
from pyepoll.selectors import EpollSelector
from tests.fd_leaks import assert_no_leak
from tests.kernel import fd_table

T = TypeVar("T")
Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]
HOST = "127.0.0.1"


@pytest.fixture(params=BACKEND_NAMES)
def backend(request: pytest.FixtureRequest) -> str:
    # Signal handling below (add_signal_handler, pthread_kill) needs the main thread.
    assert threading.current_thread() is threading.main_thread()
    name: str = request.param
    return name


def run(backend: str, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """pyepoll.asyncio.run(main()); the loop must report no error (asyncio logs them and goes
    on) and must close every fd that it or main() opened."""
    errors: list[dict[str, Any]] = []

    async def checked() -> T:
        asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: errors.append(ctx))
        return await main()

    fds_before = fd_table()
    result = pyepoll.asyncio.run(checked(), backend=backend)
    assert_no_leak(fds_before)
    assert errors == []
    return result


def loop_epoll() -> pyepoll.epoll:
    """The pyepoll.epoll under the running loop (asserting that it is one)."""
    selector = getattr(asyncio.get_running_loop(), "_selector")  # noqa: B009 (private)
    assert type(selector) is EpollSelector
    poller = getattr(selector, "_selector")  # noqa: B009 (private)
    assert type(poller) is pyepoll.epoll
    return poller


def polled_by_loop(sock: socket.socket) -> bool:
    """Whether the running loop's epoll fd watches ``sock``, as the kernel says."""
    return sock.fileno() in {entry.fd for entry in pyepoll.interest_list(loop_epoll().fileno())}


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()
        await writer.wait_closed()


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Never answers; closes its side once the client has gone."""
    try:
        await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def serving(handler: Handler, connections: int) -> AsyncIterator[int]:
    """A loopback TCP server running ``handler``; yields its port.  Leaving the block waits
    for ``connections`` handlers to finish: before 3.12 the server does not, and a handler
    still running when asyncio.run() ends is cancelled and logged as an error."""
    finished: asyncio.Queue[None] = asyncio.Queue()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        finally:
            finished.put_nowait(None)

    server = await asyncio.start_server(tracked, HOST, 0)
    async with server:
        assert polled_by_loop(server.sockets[0])
        yield server.sockets[0].getsockname()[1]
        for _ in range(connections):
            await asyncio.wait_for(finished.get(), 10)


@contextlib.asynccontextmanager
async def connection(handler: Handler) -> AsyncIterator[Stream]:
    """One client connection to a server running ``handler``."""
    async with serving(handler, 1) as port:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            yield reader, writer
        finally:
            writer.close()
            await writer.wait_closed()


# -- the loop itself ------------------------------------------------------------------------


def test_run_uses_pyepoll_and_returns(backend: str) -> None:
    async def main() -> str:
        poller = loop_epoll()
        assert poller.backend.name == backend
        await asyncio.sleep(0.01)
        return "done"

    assert run(backend, main) == "done"


def test_run_propagates_exceptions(backend: str) -> None:
    async def main() -> None:
        await asyncio.sleep(0)
        raise LookupError("from main")

    with pytest.raises(LookupError, match="from main"):
        run(backend, main)


def test_run_leaves_the_policy_alone(backend: str) -> None:
    before = asyncio.get_event_loop_policy()

    async def main() -> None:
        loop_epoll()

    run(backend, main)
    assert asyncio.get_event_loop_policy() is before


def test_new_event_loop(backend: str) -> None:
    loop = pyepoll.asyncio.new_event_loop(backend=backend)
    try:
        assert isinstance(loop, asyncio.SelectorEventLoop)
        epfd = loop_epoll_of(loop).fileno()
        assert loop.run_until_complete(asyncio.sleep(0.01, result=7)) == 7
    finally:
        loop.close()
    assert not os.path.exists(f"/proc/self/fd/{epfd}")  # the loop closed its epoll fd


def loop_epoll_of(loop: asyncio.AbstractEventLoop) -> pyepoll.epoll:
    async def probe() -> pyepoll.epoll:
        return loop_epoll()

    return loop.run_until_complete(probe())


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="event loop policies are deprecated")
def test_event_loop_policy(backend: str) -> None:
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(pyepoll.asyncio.EventLoopPolicy(backend=backend))
    try:

        async def main() -> str:
            return loop_epoll().backend.name

        assert asyncio.run(main()) == backend
        loop = asyncio.new_event_loop()
        try:
            assert loop_epoll_of(loop).backend.name == backend
        finally:
            loop.close()
    finally:
        asyncio.set_event_loop_policy(previous)


def test_call_soon_threadsafe_wakes_a_blocked_loop(backend: str) -> None:
    # The loop sleeps in epoll_wait with no timer due; only its self-pipe can wake it.
    async def main() -> float:
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[float] = loop.create_future()
        start = time.monotonic()
        # once the loop sleeps in its selector's wait, and no sooner than 0.05 s in
        with later(lambda: loop.call_soon_threadsafe(woken.set_result, 1.0), delay=0.05):
            await asyncio.wait_for(woken, 10)
        return time.monotonic() - start

    assert 0.05 <= run(backend, main) < 10


def test_signal_handler(backend: str) -> None:
    # The C handler writes to the loop's wakeup fd, which the loop watches through epoll.
    async def main() -> int:
        loop = asyncio.get_running_loop()
        got: asyncio.Future[int] = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, got.set_result, int(signal.SIGUSR1))
        try:
            main_thread = threading.main_thread().ident or 0
            timer = threading.Timer(0.02, signal.pthread_kill, (main_thread, signal.SIGUSR1))
            timer.start()
            try:
                return await asyncio.wait_for(got, 10)
            finally:
                timer.join()
        finally:
            loop.remove_signal_handler(signal.SIGUSR1)

    assert run(backend, main) == signal.SIGUSR1


# -- TCP streams ----------------------------------------------------------------------------


def test_tcp_echo_many_clients(backend: str) -> None:
    sizes = [1, 1000, 70_000, 1_000_000]  # the large ones overflow the socket buffers

    async def client(port: int, n: int) -> bool:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            assert polled_by_loop(writer.get_extra_info("socket"))
            ok = True
            for size in sizes[: 1 + n % len(sizes)]:
                payload = bytes([n % 256]) * size
                writer.write(payload)
                await writer.drain()
                ok = ok and await reader.readexactly(size) == payload
            return ok
        finally:
            writer.close()
            await writer.wait_closed()

    async def main() -> list[bool]:
        async with serving(echo, 50) as port:
            return await asyncio.gather(*(client(port, n) for n in range(50)))

    assert run(backend, main) == [True] * 50


def test_client_disconnect_mid_message(backend: str) -> None:
    async def main() -> bytes:
        partial: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await reader.readexactly(1000)
            except asyncio.IncompleteReadError as exc:
                partial.set_result(exc.partial)
            finally:
                writer.close()
                await writer.wait_closed()

        async with connection(handler) as (_, writer):
            writer.write(b"half a message")
            await writer.drain()
            writer.close()
            return await asyncio.wait_for(partial, 10)

    assert run(backend, main) == b"half a message"


def test_wait_for_times_out(backend: str) -> None:
    async def main() -> float:
        async with connection(silent) as (reader, _):
            start = time.monotonic()
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(reader.read(1), 0.2)
            return time.monotonic() - start

    assert 0.19 <= run(backend, main) < 10


def test_cancelled_read_leaves_the_stream_usable(backend: str) -> None:
    async def main() -> bytes:
        async with connection(echo) as (reader, writer):
            pending = asyncio.ensure_future(reader.read(10))
            await asyncio.sleep(0.05)
            pending.cancel()
            with pytest.raises(asyncio.CancelledError):
                await pending
            writer.write(b"still here")
            return await asyncio.wait_for(reader.readexactly(10), 10)

    assert run(backend, main) == b"still here"


def test_cancelling_tasks_blocked_on_reads(backend: str) -> None:
    async def main() -> None:
        async with serving(silent, 10) as port:
            connected: asyncio.Queue[None] = asyncio.Queue()

            async def stuck() -> None:
                reader, writer = await asyncio.open_connection(HOST, port)
                try:
                    assert polled_by_loop(writer.get_extra_info("socket"))
                    connected.put_nowait(None)
                    await reader.read(1)
                finally:
                    writer.close()
                    await writer.wait_closed()

            tasks = [asyncio.ensure_future(stuck()) for _ in range(10)]
            for _ in tasks:
                await asyncio.wait_for(connected.get(), 10)
            await asyncio.sleep(0.01)  # let the last one reach its read
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(r, asyncio.CancelledError) for r in results)

    run(backend, main)


def test_sock_level_calls(backend: str) -> None:
    async def main() -> bytes:
        loop = asyncio.get_running_loop()
        a, b = socket.socketpair()
        with a, b:
            a.setblocking(False)
            b.setblocking(False)
            receiving = asyncio.ensure_future(loop.sock_recv(b, 100))
            await asyncio.sleep(0.01)
            assert polled_by_loop(b)  # sock_recv waits through add_reader
            await loop.sock_sendall(a, b"ping")
            return await asyncio.wait_for(receiving, 10)

    assert run(backend, main) == b"ping"


# -- datagrams ------------------------------------------------------------------------------


class EchoDatagram(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.transport.sendto(data.upper(), addr)


class Collect(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.received.put_nowait(data)


def test_udp_echo(backend: str) -> None:
    async def main() -> list[bytes]:
        loop = asyncio.get_running_loop()
        server, _ = await loop.create_datagram_endpoint(EchoDatagram, local_addr=(HOST, 0))
        try:
            address = server.get_extra_info("sockname")
            client, protocol = await loop.create_datagram_endpoint(Collect, remote_addr=address)
            try:
                replies = []
                for n in range(20):
                    client.sendto(b"message %d" % n)
                    replies.append(await asyncio.wait_for(protocol.received.get(), 10))
                return replies
            finally:
                client.close()
        finally:
            server.close()

    assert run(backend, main) == [b"MESSAGE %d" % n for n in range(20)]


# -- subprocesses ---------------------------------------------------------------------------


def test_subprocess_pipes(backend: str) -> None:
    # Pipe transports (and, on 3.12+, the child's pidfd) are watched by the loop's epoll.
    async def main() -> tuple[bytes, int]:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import sys; sys.stdout.write(sys.stdin.read()[::-1])",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await asyncio.wait_for(child.communicate(b"0123456789" * 20_000), 30)
        return out, await child.wait()

    out, status = run(backend, main)
    assert (out, status) == ((b"0123456789" * 20_000)[::-1], 0)
