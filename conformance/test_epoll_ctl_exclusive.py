"""epoll_ctl(2), DESCRIPTION: EPOLLEXCLUSIVE wakeups (Linux 4.5)."""

from __future__ import annotations

import functools
import os

import pytest

from conformance import flags as F
from conformance.adapters import Adapter
from conformance.kobjects import Resources
from conformance.support import implementation_defined, ready, require_kernel
from conformance.timing import DELAY, wait_in_threads

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
    waits = [functools.partial(ready, ep, int(5 * DELAY * 1000)) for ep in instances]
    results = wait_in_threads(waits, lambda: os.write(w, b"x"), look=2.5 * DELAY)
    woken = [got for got in results if got]
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
