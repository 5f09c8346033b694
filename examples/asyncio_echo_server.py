"""A TCP echo server on asyncio, on the default event loop or on pyepoll's.

    python -m examples.asyncio_echo_server [--port 0] [--loop default|pyepoll]

``--loop pyepoll`` runs the unchanged program on ``pyepoll.asyncio.new_event_loop()``, a
SelectorEventLoop whose selector is ``pyepoll.selectors.EpollSelector``. The loop is created and
closed by hand so that the same code runs on Python 3.9 (``asyncio.run(loop_factory=...)`` is
3.12+ only).

The echo is a Protocol (data_received -> transport.write), not streams: it is the cheapest way to
use asyncio, so what remains to compare between the two loops is mostly the selector.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Sequence
from typing import Callable, cast

from examples import serving


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """The event loop constructor called ``name`` ("default" or "pyepoll")."""
    if name == "default":
        return asyncio.new_event_loop
    if name == "pyepoll":
        import pyepoll.asyncio

        return pyepoll.asyncio.new_event_loop
    raise ValueError(f"unknown event loop {name!r}")


class EchoProtocol(asyncio.Protocol):
    """Write every chunk back; pause reading while the peer does not read (back-pressure)."""

    def __init__(self, server: AsyncioEchoServer) -> None:
        self._server = server
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._server.transports.add(self._transport)
        self._server.stats.count("accepted")

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._transport.write(data)

    def eof_received(self) -> bool | None:
        return None  # close once the queued echo is written

    def pause_writing(self) -> None:
        assert self._transport is not None
        self._server.stats.count("blocked_sends")
        self._transport.pause_reading()

    def resume_writing(self) -> None:
        assert self._transport is not None
        self._transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        assert self._transport is not None
        self._server.transports.discard(self._transport)
        if exc is not None:
            self._server.stats.count("reset")
        self._server.stats.count("closed")


class AsyncioEchoServer:
    """The echo server; ``serve_forever()`` owns its event loop from creation to close."""

    def __init__(self, port: int = 0, *, loop: str = "default", backlog: int = 1024) -> None:
        self.stats = serving.Stats()
        self.transports: set[asyncio.Transport] = set()
        self._loop = loop_factory(loop)()
        self._server = self._loop.run_until_complete(
            self._loop.create_server(
                lambda: EchoProtocol(self), serving.HOST, port, backlog=backlog
            )
        )

    def address(self) -> tuple[str, int]:
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    def stop(self) -> None:
        # Thread-safe: it only queues a callback and writes a byte to the loop's self-pipe,
        # which ends the selector's wait. RuntimeError: the loop is closed, nothing to stop.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._loop.stop)

    def serve_forever(self) -> None:
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            for transport in list(self.transports):
                transport.abort()
            self._loop.run_until_complete(self._server.wait_closed())
            # Let connection_lost() callbacks run, then release the loop's own fds.
            self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()


def main(argv: Sequence[str] | None = None) -> int:
    p = serving.parser(__doc__, "examples.asyncio_echo_server")
    p.add_argument(
        "--loop",
        choices=("default", "pyepoll"),
        default="default",
        help="asyncio's default event loop or pyepoll.asyncio.new_event_loop()",
    )
    args = p.parse_args(argv)
    return serving.run(AsyncioEchoServer(args.port, loop=args.loop, backlog=args.backlog))


if __name__ == "__main__":
    sys.exit(main())
