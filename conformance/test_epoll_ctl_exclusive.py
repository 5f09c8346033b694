"""epoll_ctl(2), DESCRIPTION: EPOLLEXCLUSIVE wakeups (Linux 4.5)."""

from __future__ import annotations

import os
import threading

import pytest

from conformance import flags as F
from conformance.adapters import Adapter
from conformance.kobjects import Resources
from conformance.support import implementation_defined, ready, require_kernel
from conformance.timing import DELAY, all_sleeping_in_wait

clause = pytest.mark.clause

#: Seen on Linux 6.18: with every instance blocked in a wait, one wakeup wakes exactly one.
LINUX_WOKEN = 1


@clause("epoll_ctl.EPOLLEXCLUSIVE")
def test_exclusive_wakes_one_or_more(impl: Adapter, res: Resources) -> None:
    require_kernel((4, 5))
    r, w = res.pipe()
    instances = [res.epoll(impl) for _ in range(3)]
    for ep in instances:
        ep.register(r, F.EPOLLIN | F.EPOLLEXCLUSIVE)
    woken: list[int] = []

    def wait(index: int) -> None:
        if ready(instances[index], int(5 * DELAY * 1000)):
            woken.append(index)

    threads = [threading.Thread(target=wait, args=(i,)) for i in range(len(instances))]
    for t in threads:
        t.start()
    all_sleeping_in_wait(threads)
    os.write(w, b"x")
    for t in threads:
        t.join()
    assert len(woken) >= 1, "no instance received the event"
    implementation_defined(len(woken), LINUX_WOKEN, "instances woken by one event")


@clause("epoll_ctl.EPOLLEXCLUSIVE.mixed")
def test_exclusive_mixed_with_plain(impl: Adapter, res: Resources) -> None:
    require_kernel((4, 5))
    r, w = res.pipe()
    plain = [res.epoll(impl) for _ in range(2)]
    exclusive = [res.epoll(impl) for _ in range(2)]
    for ep in plain:
        ep.register(r, F.EPOLLIN)
    for ep in exclusive:
        ep.register(r, F.EPOLLIN | F.EPOLLEXCLUSIVE)
    os.write(w, b"x")
    assert all(ready(ep) == {r: F.EPOLLIN} for ep in plain)
    assert any(ready(ep) == {r: F.EPOLLIN} for ep in exclusive)
