"""epoll(7), DESCRIPTION: the ready list, level- and edge-triggered modes, one-shot, herds."""

from __future__ import annotations

import functools
import os
import select

import pytest

from conformance import flags as F
from conformance.adapters import Instance
from conformance.kobjects import Resources
from conformance.support import assert_events, ready
from conformance.timing import DELAY, wait_in_threads

clause = pytest.mark.clause


@clause("epoll.ready_list")
def test_only_registered_fds_are_reported(ep: Instance, res: Resources) -> None:
    (r1, w1), (_, w2), (r3, w3) = res.pipe(), res.pipe(), res.pipe()
    ep.register(r1, F.EPOLLIN)
    os.write(w1, b"x")
    os.write(w2, b"x")  # ready, but never in the interest list
    ep.register(r3, F.EPOLLIN)
    ep.unregister(r3)
    res.close_fd(w3)  # a hang-up, reported whatever a registration's mask: but r3 has none
    assert_events(ep, {r1: F.EPOLLIN})


def _states(res: Resources) -> list[int]:
    """Descriptors in assorted states: idle, readable, writable, hung up, in error."""
    fds = []
    r, w = res.pipe()
    fds += [r, w]  # idle read end, writable write end
    r, w = res.pipe()
    os.write(w, b"x")
    fds.append(r)  # readable
    r, w = res.pipe()
    res.close_fd(w)
    fds.append(r)  # hung up
    r, w = res.pipe()
    res.close_fd(r)
    fds.append(w)  # error
    a, b = res.socketpair()
    b.send(b"x")
    fds.append(a.fileno())  # readable and writable
    c, d = res.tcp_pair()
    d.shutdown(2)
    fds.append(c.fileno())
    return fds


@clause("epoll.lt")
def test_level_triggered_is_poll(ep: Instance, res: Resources) -> None:
    fds = _states(res)
    mask = F.EPOLLIN | F.EPOLLOUT | F.EPOLLPRI
    poller = select.poll()
    for fd in fds:
        poller.register(fd, mask)
        ep.register(fd, mask)
    # Loopback TCP delivers the shutdown asynchronously: let both views settle on it.
    ready(ep, 100)
    from_poll = dict(poller.poll(0))
    for _ in range(2):  # level-triggered: the same answer on every call
        assert ready(ep) == from_poll


@clause("epoll.et")
def test_edge_triggered_scenario(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN | F.EPOLLET)  # (1)
    os.write(w, b"x" * 2048)  # (2)
    assert_events(ep, {r: F.EPOLLIN})  # (3)
    assert len(os.read(r, 1024)) == 1024  # (4)
    assert_events(ep, {})  # (5): data remains, but nothing changed
    os.write(w, b"y")  # a change: reported again
    assert_events(ep, {r: F.EPOLLIN})


@clause("epoll.oneshot")
def test_oneshot_edge_triggered_chunks(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN | F.EPOLLET | F.EPOLLONESHOT)
    for chunk in (b"a", b"b", b"c"):
        os.write(w, chunk)
    assert_events(ep, {r: F.EPOLLIN})
    os.write(w, b"d")  # another chunk: no event until the caller rearms
    assert_events(ep, {})
    ep.modify(r, F.EPOLLIN | F.EPOLLET | F.EPOLLONESHOT)
    assert_events(ep, {r: F.EPOLLIN})


@clause("epoll.et.thundering_herd")
def test_one_of_several_waiting_threads_wakes(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN | F.EPOLLET)
    waits = [functools.partial(ready, ep, int(5 * DELAY * 1000))] * 3
    results = wait_in_threads(waits, lambda: os.write(w, b"x"), look=2.5 * DELAY)
    woken = [got for got in results if got]
    assert woken == [{r: F.EPOLLIN}]


@clause("epoll.example.et_inout")
def test_edge_triggered_in_and_out_registered_once(ep: Instance, res: Resources) -> None:
    a, b = res.socketpair()
    ep.register(a.fileno(), F.EPOLLIN | F.EPOLLOUT | F.EPOLLET)
    assert_events(ep, {a.fileno(): F.EPOLLOUT})
    assert_events(ep, {})
    b.send(b"request")  # the input direction, without any EPOLL_CTL_MOD
    assert ready(ep).get(a.fileno(), 0) & F.EPOLLIN
