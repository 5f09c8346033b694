"""epoll_wait(2): maxevents, timeouts, the data and events fields, EINTR, NOTES."""

from __future__ import annotations

import os

import pytest

from conformance import bounds
from conformance import flags as F
from conformance.adapters import DATA, Adapter, Instance, timeout_forms
from conformance.kobjects import Resources
from conformance.support import Stopwatch, assert_events, ready, ready_pipes, require
from conformance.timing import DELAY, LOOK_LIMIT, PROMPT, later

clause = pytest.mark.clause
#: The timeout of a wait that an event ends: longer than the helper looks for the waiting
#: thread before acting anyway, so that an event always comes first.
WAIT_MS = int(LOOK_LIMIT * 2 * 1000)


@clause("epoll_wait.maxevents")
@pytest.mark.parametrize("maxevents", [1, 2, 5])
def test_at_most_maxevents(ep: Instance, res: Resources, maxevents: int) -> None:
    fds = ready_pipes(ep, res, 6)
    got = ep.poll(0, maxevents)
    assert len(got) == maxevents and {k for k, _ in got} <= set(fds)


def own_cost(ep: Instance, res: Resources) -> float:
    """The best time of calls of *ep*'s implementation that cannot sleep: registering a pipe
    and unregistering it (not a wait: the wait is what is being measured)."""
    r, _ = res.pipe()

    def calls() -> None:
        ep.register(r, F.EPOLLIN)
        ep.unregister(r)

    return bounds.quickest(calls)


@clause("epoll_wait.unblock_on_event")
def test_event_ends_the_wait(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    bound = bounds.prompt(own_cost(ep, res))
    ep.register(r, F.EPOLLIN)

    def trial() -> float:
        got, took = bounds.wake_latency(lambda: ready(ep, WAIT_MS), lambda: os.write(w, b"x"))
        assert got == {r: F.EPOLLIN}
        os.read(r, 1)
        return took

    bounds.within(bound, trial, "the time from the event to the end of the wait")


@clause("epoll_wait.timeout")
@pytest.mark.parametrize("timeout_ms", [50, 200])
def test_positive_timeout_waits_at_least(ep: Instance, res: Resources, timeout_ms: int) -> None:
    r, _ = res.pipe()
    ep.register(r, F.EPOLLIN)
    with Stopwatch() as sw:
        got = ep.poll(timeout_ms)
    assert got == []
    # Rounded up to the clock granularity, never down (1 ms slack for float conversions).
    assert sw.elapsed >= timeout_ms / 1000 - 0.001
    assert sw.elapsed < timeout_ms / 1000 + PROMPT


@clause("epoll_wait.timeout.infinite")
def test_minus_one_blocks_until_an_event(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN)
    # Once per way a Python user writes "block" (no timeout, None, -1, -1.0): an adapter
    # passes the n-th poll of an instance in the n-th form.
    for _ in timeout_forms(-1):
        with later(lambda: os.write(w, b"x"), delay=DELAY) as write, Stopwatch() as sw:
            got = ready(ep, -1)
        assert got == {r: F.EPOLLIN} and sw.ended_after(write)
        os.read(r, 1)


@clause("epoll_wait.timeout.zero")
def test_zero_returns_at_once(ep: Instance, res: Resources) -> None:
    bound = bounds.not_sleeping(own_cost(ep, res))
    r, _ = res.pipe()
    ep.register(r, F.EPOLLIN)

    def once() -> float:
        with Stopwatch() as sw:
            got = ep.poll(0)
        assert got == []
        return sw.elapsed

    # A trial takes the slower of the forms a user writes zero in (0 and 0.0: an adapter
    # passes the n-th poll of an instance in the n-th form), so that each must be quick.
    bounds.within(bound, lambda: max(once() for _ in timeout_forms(0)), "poll(0) and poll(0.0)")


@clause("epoll_wait.data")
def test_data_from_the_latest_ctl(impl: Adapter, ep: Instance, res: Resources) -> None:
    require(impl, DATA)
    r, w = res.pipe()
    os.write(w, b"x")
    # Whole 64-bit words, each half with its top bit set: a word cut to data.fd, or read as a
    # signed number, differs.
    first, second = 0x8000_0001_8000_0002, 0xFFFF_FFFF_FFFF_FFFE
    ep.register(r, F.EPOLLIN, data=first)
    assert_events(ep, {first: F.EPOLLIN})
    assert_events(ep, {first: F.EPOLLIN})
    ep.modify(r, F.EPOLLIN, data=second)
    assert_events(ep, {second: F.EPOLLIN})


@clause("epoll_wait.events")
def test_events_field_is_what_occurred(ep: Instance, res: Resources) -> None:
    a, b = res.socketpair()
    ep.register(a.fileno(), F.EPOLLIN | F.EPOLLOUT)
    assert_events(ep, {a.fileno(): F.EPOLLOUT})
    b.send(b"x")
    assert_events(ep, {a.fileno(): F.EPOLLIN | F.EPOLLOUT})


@clause("epoll_wait.return_count")
def test_returns_the_number_ready(ep: Instance, res: Resources) -> None:
    fds = ready_pipes(ep, res, 3)
    quiet = [res.pipe()[0] for _ in range(2)]
    for fd in quiet:
        ep.register(fd, F.EPOLLIN)
    assert sorted(k for k, _ in ep.poll(0, 10)) == sorted(fds)
    for fd in fds:
        os.read(fd, 1)
    assert ep.poll(0, 10) == []


@clause("epoll_wait.notes.add_while_waiting")
def test_fd_added_by_another_thread_ends_the_wait(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    bound = bounds.prompt(own_cost(ep, res))
    os.write(w, b"x")

    def trial() -> float:
        got, took = bounds.wake_latency(
            lambda: ready(ep, WAIT_MS), lambda: ep.register(r, F.EPOLLIN)
        )
        assert got == {r: F.EPOLLIN}
        ep.unregister(r)
        return took

    bounds.within(bound, trial, "the time from the event to the end of the wait")


@clause("epoll_wait.notes.empty_interest_list")
def test_wait_on_empty_interest_list(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()

    def add_then_write() -> None:
        ep.register(r, F.EPOLLIN)
        os.write(w, b"x")

    with later(add_then_write) as added, Stopwatch() as sw:
        got = ready(ep, WAIT_MS)
    assert got == {r: F.EPOLLIN} and sw.ended_after(added)


@clause("epoll_wait.notes.round_robin")
@pytest.mark.parametrize(("count", "maxevents"), [(6, 2), (5, 2), (7, 3)])
def test_round_robin_through_ready_fds(
    ep: Instance, res: Resources, count: int, maxevents: int
) -> None:
    fds = ready_pipes(ep, res, count)
    calls = -(-count // maxevents)
    seen = [k for _ in range(calls) for k, _ in ep.poll(0, maxevents)]
    # Every ready fd is reached within ceil(count / maxevents) calls, none twice before that.
    assert sorted(seen[:count]) == sorted(fds), seen
