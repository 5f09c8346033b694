"""epoll_ctl(2), DESCRIPTION: EPOLLEXCLUSIVE wakeups (Linux 4.5)."""

from __future__ import annotations

import functools
import os

import pytest

from conformance import flags as F
from conformance.adapters import Adapter
from conformance.kobjects import Resources
from conformance.support import implementation_defined, ready, require_kernel
from conformance.timing import DELAY, PROMPT, wait_in_threads

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


#: Rounds of the mixed scenario, each with fresh instances.
MIXED_ROUNDS = 2


def _mixed_round(impl: Adapter, res: Resources) -> tuple[list[bool], list[bool]]:
    """One write to a pipe registered in two plain and three EPOLLEXCLUSIVE instances, each
    with a thread asleep in a wait: whether each instance received it (plain, exclusive)."""
    r, w = res.pipe()
    release, release_w = res.pipe()
    plain = [res.epoll(impl) for _ in range(2)]
    exclusive = [res.epoll(impl) for _ in range(3)]
    for ep in plain:
        ep.register(r, F.EPOLLIN)
    for ep in exclusive:
        ep.register(r, F.EPOLLIN | F.EPOLLEXCLUSIVE)
    for ep in plain + exclusive:
        ep.register(release, F.EPOLLIN)

    def wake() -> None:
        # Every wake-up callback of the write has run when os.write returns; the instances
        # it skipped never get the event queued. Closing the other pipe's write end then ends
        # every wait: the kernel wakes all of a pipe's waiters on close, exclusive or not.
        os.write(w, b"x")
        res.close_fd(release_w)

    # The waits end by the close; their timeout only bounds a broken implementation. The
    # look for sleeping threads is shorter than LOOK_LIMIT, for an implementation that waits
    # in some other way costs it twice.
    timeout_ms = int(2 * PROMPT * 1000)
    waits = [functools.partial(ready, ep, timeout_ms) for ep in plain + exclusive]
    received = [r in got for got in wait_in_threads(waits, wake, look=PROMPT)]
    return received[: len(plain)], received[len(plain) :]


@clause("epoll_ctl.EPOLLEXCLUSIVE.mixed")
def test_exclusive_mixed_with_plain(impl: Adapter, res: Resources) -> None:
    require_kernel((4, 5))
    rounds = []
    for _ in range(MIXED_ROUNDS):
        plain, exclusive = _mixed_round(impl, res)
        assert all(plain), f"an instance without EPOLLEXCLUSIVE missed the event: {plain}"
        assert any(exclusive), "no instance with EPOLLEXCLUSIVE received the event"
        rounds.append(exclusive)
    # "At least one" lets a wakeup reach several exclusive instances; but with every waiter
    # asleep, one that reached all of them in every round treated them as the instances that
    # "did not specify EPOLLEXCLUSIVE", the group the sentence sets them apart from.
    assert not all(map(all, rounds)), "every EPOLLEXCLUSIVE instance received every event"
    woken = [sum(exclusive) for exclusive in rounds]
    implementation_defined(woken, [LINUX_WOKEN] * MIXED_ROUNDS, "exclusive instances woken")
