"""examples/prefork_server.py under real clients: N worker processes on one listening socket.

Before each connection every worker is asleep in epoll_wait (read from
/proc/<pid>/task/<pid>/syscall); after it, every worker is asleep again. A worker that was
woken in between, whether or not its epoll_wait returned, has blocked once more, which
/proc/<pid>/status counts (voluntary_ctxt_switches): so the test counts the kernel's wakeups,
not only what the workers saw.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
from collections.abc import Iterator

import pytest

from tests.example_process import start_example
from tests.kernel import until_asleep_in_epoll_wait, voluntary_switches

WORKERS = 3
#: Generous bound for anything that should take milliseconds (the machine is shared).
PATIENCE = 60.0


class Prefork:
    """A running prefork server: its port, its workers' pids, a clean stop."""

    def __init__(self, *args: str) -> None:
        self.proc, self.port = start_example(
            ["examples.prefork_server", "--workers", str(WORKERS), *args]
        )
        assert self.proc.stdout is not None
        workers = self.proc.stdout.readline().split()
        assert workers[0] == "workers:", workers
        self.pids = [int(pid) for pid in workers[1:]]
        assert len(self.pids) == WORKERS

    def all_asleep(self) -> None:
        for pid in self.pids:
            until_asleep_in_epoll_wait(pid, pid, PATIENCE)

    def woken_by_one_connection(self) -> int:
        """Connect once with every worker asleep; how many workers the kernel woke."""
        self.all_asleep()
        before = [voluntary_switches(pid) for pid in self.pids]
        with socket.create_connection(("127.0.0.1", self.port), timeout=PATIENCE) as client:
            assert client.recv(100).startswith(b"hello from worker ")
            assert client.recv(100) == b""
        self.all_asleep()
        after = [voluntary_switches(pid) for pid in self.pids]
        return sum(a != b for a, b in zip(after, before))

    def stop(self, sig: int = signal.SIGTERM) -> dict[str, int]:
        self.proc.send_signal(sig)
        _, err = self.proc.communicate(timeout=PATIENCE)
        assert self.proc.returncode == 0, err
        (line,) = [line for line in err.splitlines() if line.startswith("stats:")]
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            for pid in self.pids:  # the workers are its children, not ours: signal each
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.proc.communicate()


@pytest.fixture
def prefork(request: pytest.FixtureRequest) -> Iterator[Prefork]:
    server = Prefork(*request.param)
    try:
        yield server
    finally:
        server.kill()


@pytest.mark.parametrize("prefork", [["--no-exclusive"]], indirect=True)
def test_without_exclusive_every_worker_is_woken(prefork: Prefork) -> None:
    # epoll(7): every epoll instance watching the listener is woken; the losers either return
    # from epoll_wait and get EAGAIN from accept(), or go back to sleep inside it.
    for _ in range(3):
        assert prefork.woken_by_one_connection() == WORKERS
    stats = prefork.stop()
    assert stats["accepted"] == stats["closed"] == 3
    assert stats["wakeups"] - stats["empty"] == 3


@pytest.mark.parametrize("prefork", [["--exclusive"]], indirect=True)
def test_with_exclusive_fewer_workers_are_woken(prefork: Prefork) -> None:
    # epoll_ctl(2), EPOLLEXCLUSIVE: "one or more" are woken; with every worker asleep the
    # kernel stops at the first (fs/eventpoll.c). Asserted: at least one, and not all.
    for _ in range(3):
        assert 1 <= prefork.woken_by_one_connection() < WORKERS
    stats = prefork.stop(signal.SIGINT)
    assert stats["accepted"] == stats["closed"] == 3
    assert stats["wakeups"] - stats["empty"] == 3


@pytest.mark.parametrize("prefork", [["--exclusive"]], indirect=True)
def test_stop_when_idle(prefork: Prefork) -> None:
    prefork.all_asleep()
    assert prefork.stop() == {
        "accepted": 0,
        "closed": 0,
        "reset": 0,
        "blocked_sends": 0,
        "wakeups": 0,
        "empty": 0,
    }
