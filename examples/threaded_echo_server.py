"""A TCP echo server with one blocking thread per connection: the baseline epoll is measured by.

    python -m examples.threaded_echo_server [--port 0]

Every connection costs a thread (a stack, a scheduler entity, a turn at the GIL); the code is the
simplest possible, which is why this design is everywhere until the number of clients grows.

Shutdown on Linux: shutdown(2) on the listening socket makes a blocked accept() fail with EINVAL,
and shutdown(SHUT_RDWR) on a connected socket makes a blocked recv() return b"". So stop() needs
no timeouts and no polling: it shuts everything down and serve_forever() joins the threads.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Sequence

from examples import serving


class ThreadedEchoServer:
    """Accept in the calling thread; echo each connection in a thread of its own."""

    def __init__(self, port: int = 0, *, backlog: int = 1024) -> None:
        self.stats = serving.Stats()
        self._listener = serving.listen(port, backlog)
        self._stopping = False
        # Live connections and their threads. A handler removes its socket under the lock
        # *before* closing it, so stop() never shuts down an fd number that was closed and
        # reused meanwhile.
        self._lock = threading.Lock()
        self._conns: dict[socket.socket, threading.Thread] = {}

    def address(self) -> tuple[str, int]:
        host, port = self._listener.getsockname()
        return str(host), int(port)

    def stop(self) -> None:
        self._stopping = True
        _shutdown(self._listener)

    def serve_forever(self) -> None:
        try:
            while True:
                try:
                    sock, _ = self._listener.accept()
                except OSError as exc:
                    if self._stopping:  # stop() shut the listener down: accept fails EINVAL
                        break
                    if exc.errno in serving.ACCEPT_SKIP:
                        continue
                    if exc.errno in serving.ACCEPT_FULL:
                        time.sleep(0.1)  # a blocking accept has no "next wait": back off
                        continue
                    raise
                self.stats.count("accepted")
                thread = threading.Thread(target=self._echo, args=(sock,), daemon=True)
                with self._lock:
                    self._conns[sock] = thread
                try:
                    thread.start()
                except RuntimeError:  # "can't start new thread": turn this client away
                    with self._lock:
                        del self._conns[sock]
                    sock.close()
                    self.stats.count("closed")
        finally:
            self._listener.close()
            with self._lock:
                live = list(self._conns.items())
                for sock, _ in live:
                    _shutdown(sock)
            for _, thread in live:
                thread.join()

    def _echo(self, sock: socket.socket) -> None:
        reset = False
        try:
            serving.tune(sock)
            while True:
                data = sock.recv(serving.READ_SIZE)
                if not data:
                    break
                sock.sendall(data)
        except OSError:  # ECONNRESET, EPIPE: the client went away mid-message
            reset = True
        finally:
            with self._lock:
                del self._conns[sock]
            sock.close()
            if reset:
                self.stats.count("reset")
            self.stats.count("closed")


def _shutdown(sock: socket.socket) -> None:
    """shutdown(SHUT_RDWR), ignoring ENOTCONN (the peer is gone) and EBADF (already closed)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def main(argv: Sequence[str] | None = None) -> int:
    args = serving.parser(__doc__, "examples.threaded_echo_server").parse_args(argv)
    return serving.run(ThreadedEchoServer(args.port, backlog=args.backlog))


if __name__ == "__main__":
    sys.exit(main())
