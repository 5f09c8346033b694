"""A prefork server: N worker processes, each with its own epoll, accepting on one socket.

    python -m examples.prefork_server [--port 0] [--workers 4] [--exclusive | --no-exclusive]

Each accepted connection gets one line (``hello from worker K``) and is closed. The parent
opens the listening socket, forks the workers, prints ``listening on HOST:PORT`` and
``workers: PID ...``, and on SIGTERM/SIGINT stops them and prints the totals.

Some facts about epoll behind it (epoll(7), epoll_ctl(2)):

* Every worker registers the shared listening socket in its own epoll instance. A new
  connection wakes every instance that watches the socket: N processes run, one accept()
  wins, and the others either get EAGAIN or go back to sleep inside epoll_wait (the kernel
  re-checks a level-triggered file before reporting it, so a worker woken after the winner
  accepted may never see the event at all). That is the thundering herd.
* ``--exclusive`` registers the socket with EPOLLEXCLUSIVE: "one or more" of the instances
  registered that way are woken per event (epoll_ctl(2)); with every worker asleep in
  epoll_wait, the kernel wakes one.
* A worker accepts one connection per wakeup: the listener is level-triggered, so one that
  still holds connections is reported again by the next wait (to this worker or another).

Counters (per worker and in total, on shutdown): ``wakeups``, epoll_wait returns that reported
the listener; ``empty``, those whose accept() got EAGAIN because another worker had won;
``accepted``. Wakeups absorbed inside the kernel are not seen here; benchmarks/herd.py counts
those from the workers' context switches.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pyepoll
from examples import serving


@dataclass
class Counts:
    """What one worker did (a worker sends these to the parent as one line on exit)."""

    wakeups: int = 0
    empty: int = 0
    accepted: int = 0

    def encode(self) -> bytes:
        return f"{self.wakeups} {self.empty} {self.accepted}\n".encode()

    @classmethod
    def decode(cls, line: bytes) -> Counts:
        wakeups, empty, accepted = (int(v) for v in line.split())
        return cls(wakeups, empty, accepted)


@dataclass
class PreforkStats(serving.Stats):
    """serving.Stats plus the herd counters, summed over the workers."""

    wakeups: int = 0
    empty: int = 0

    def add(self, counts: Counts) -> None:
        self.count("accepted", counts.accepted)
        self.count("closed", counts.accepted)  # every accepted connection is closed at once
        self.count("wakeups", counts.wakeups)
        self.count("empty", counts.empty)

    def line(self) -> str:
        return f"{super().line()} wakeups={self.wakeups} empty={self.empty}"


def worker(index: int, listener: socket.socket, exclusive: bool) -> Counts:
    """Serve ``listener`` from this process until SIGTERM or SIGINT; return the counts."""
    counts = Counts()
    reply = f"hello from worker {index}\n".encode()
    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    # The C-level signal handler writes the signal number to wake_w at once, so a stop signal
    # ends the wait whenever it lands (the Python-level handler only has to exist).
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    for sig in serving.STOP_SIGNALS:
        signal.signal(sig, lambda signum, frame: None)
    mask = pyepoll.EPOLLIN | (pyepoll.EPOLLEXCLUSIVE if exclusive else 0)
    with pyepoll.epoll() as ep:
        ep.register(listener.fileno(), mask)
        ep.register(wake_r, pyepoll.EPOLLIN)
        while True:
            fds = [fd for fd, _ in ep.poll()]
            if wake_r in fds and set(os.read(wake_r, 64)) & serving.STOP_SIGNALS:
                break
            if listener.fileno() in fds:
                counts.wakeups += 1
                _accept_one(listener, reply, counts)
    signal.set_wakeup_fd(-1)
    os.close(wake_r)
    os.close(wake_w)
    return counts


def _accept_one(listener: socket.socket, reply: bytes, counts: Counts) -> None:
    try:
        conn, _ = listener.accept()
    except BlockingIOError:  # another worker took the connection first
        counts.empty += 1
        return
    except OSError as exc:
        if exc.errno in serving.ACCEPT_SKIP or exc.errno in serving.ACCEPT_FULL:
            return  # this connection (or this moment) only; the listener is reported again
        raise
    with conn:
        counts.accepted += 1
        # A short reply on a fresh socket fits its send buffer: this send does not block.
        with contextlib.suppress(OSError):  # the client may already be gone
            conn.send(reply)


class PreforkServer:
    """The parent: owns the listening socket and the workers, reaps them on stop."""

    def __init__(self, port: int, workers: int, exclusive: bool, backlog: int) -> None:
        self._totals = PreforkStats()
        #: what serving.run() prints on shutdown (the Server protocol's attribute)
        self.stats: serving.Stats = self._totals
        self._listener = serving.listen(port, backlog)
        self._listener.setblocking(False)
        self._pids: dict[int, int] = {}  # pid -> read end of the pipe its counts come through
        self._lock = threading.Lock()
        try:
            for index in range(workers):
                self._fork(index, exclusive)
        except BaseException:
            self.stop()
            self._reap()
            raise

    def _fork(self, index: int, exclusive: bool) -> None:
        # Forked before serving.run() starts its watcher thread: the parent has one thread here.
        r, w = os.pipe2(os.O_CLOEXEC)
        pid = os.fork()
        if pid == 0:  # the worker
            status = 1
            try:
                os.close(r)
                for other in self._pids.values():
                    os.close(other)
                counts = worker(index, self._listener, exclusive)
                os.write(w, counts.encode())
                status = 0
            finally:
                os._exit(status)
        os.close(w)
        self._pids[pid] = r

    def address(self) -> tuple[str, int]:
        host, port = self._listener.getsockname()
        return str(host), int(port)

    def pids(self) -> list[int]:
        return list(self._pids)

    def serve_forever(self) -> None:
        print("workers:", *self._pids, flush=True)
        self._reap()

    def stop(self) -> None:
        # Thread-safe; a worker already reaped is not signalled (its pid could be reused).
        with self._lock:
            for pid in self._pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)

    def _reap(self) -> None:
        """Wait for every worker, add up what each reports, close the listener."""
        try:
            for pid, r in list(self._pids.items()):
                with os.fdopen(r, "rb") as pipe:
                    line = pipe.read()  # EOF when the worker exits, whatever its end
                os.waitpid(pid, 0)
                with self._lock:
                    del self._pids[pid]
                if line:
                    counts = Counts.decode(line)
                    print(f"worker {pid}: {counts}", file=sys.stderr, flush=True)
                    self._totals.add(counts)
        finally:
            self._listener.close()


def main(argv: Sequence[str] | None = None) -> int:
    p = serving.parser(__doc__, "examples.prefork_server")
    p.add_argument("--workers", type=int, default=4, help="worker processes")
    p.add_argument(
        "--exclusive",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="register the listener with EPOLLEXCLUSIVE in every worker",
    )
    args = p.parse_args(argv)
    if args.workers < 1:
        p.error("--workers must be at least 1")
    return serving.run(PreforkServer(args.port, args.workers, args.exclusive, args.backlog))


if __name__ == "__main__":
    sys.exit(main())
