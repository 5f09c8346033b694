"""Level-triggered, edge-triggered and one-shot registrations (epoll(7), DESCRIPTION)."""

from __future__ import annotations

import os

import pytest

import pyepoll
from pyepoll import EPOLLET, EPOLLIN, EPOLLONESHOT
from tests.kernel import KernelObjects


@pytest.fixture
def pipe(kernel: KernelObjects) -> tuple[int, int]:
    return kernel.pipe()


def test_level_triggered_repeats_while_ready(ep: pyepoll.epoll, pipe: tuple[int, int]) -> None:
    r, w = pipe
    ep.register(r, EPOLLIN)
    os.write(w, b"x")
    assert [ep.poll(0) for _ in range(3)] == [[(r, EPOLLIN)]] * 3


def test_level_triggered_stops_once_drained(ep: pyepoll.epoll, pipe: tuple[int, int]) -> None:
    r, w = pipe
    ep.register(r, EPOLLIN)
    os.write(w, b"x")
    os.read(r, 1)
    assert ep.poll(0) == []


def test_edge_triggered_reports_once(ep: pyepoll.epoll, pipe: tuple[int, int]) -> None:
    r, w = pipe
    ep.register(r, EPOLLIN | EPOLLET)
    os.write(w, b"x")
    assert ep.poll(0) == [(r, EPOLLIN)]
    assert ep.poll(0) == []  # still readable, but nothing new arrived


def test_edge_triggered_reports_each_new_arrival(ep: pyepoll.epoll, pipe: tuple[int, int]) -> None:
    r, w = pipe
    ep.register(r, EPOLLIN | EPOLLET)
    reports = []
    for _ in range(3):
        os.write(w, b"x")  # without reading: each write is a new arrival
        reports.append(ep.poll(0))
        reports.append(ep.poll(0))
    assert reports == [[(r, EPOLLIN)], []] * 3


def test_oneshot_disables_after_one_report(ep: pyepoll.epoll, pipe: tuple[int, int]) -> None:
    r, w = pipe
    ep.register(r, EPOLLIN | EPOLLONESHOT)
    os.write(w, b"x")
    assert ep.poll(0) == [(r, EPOLLIN)]
    os.write(w, b"y")  # even a new arrival is not reported
    assert ep.poll(0) == []


def test_oneshot_rearmed_by_modify(ep: pyepoll.epoll, pipe: tuple[int, int]) -> None:
    r, w = pipe
    ep.register(r, EPOLLIN | EPOLLONESHOT)
    os.write(w, b"x")
    ep.poll(0)
    ep.modify(r, EPOLLIN | EPOLLONESHOT)
    assert ep.poll(0) == [(r, EPOLLIN)]
    assert ep.poll(0) == []


def test_oneshot_disabled_registration_stays_in_the_interest_list(
    ep: pyepoll.epoll, pipe: tuple[int, int]
) -> None:
    # Disabled is not removed: registering again is EEXIST, and the kernel keeps only the
    # private flags of the mask.
    r, w = pipe
    ep.register(r, EPOLLIN | EPOLLONESHOT)
    os.write(w, b"x")
    ep.poll(0)
    assert [entry.events for entry in ep.interest_list()] == [EPOLLONESHOT]
    with pytest.raises(FileExistsError):
        ep.register(r, EPOLLIN)


def test_level_triggered_through_the_low_level_wait(
    kernel: KernelObjects, backend: str, epfd: int
) -> None:
    efd = kernel.readable_eventfd()
    pyepoll.epoll_ctl(epfd, pyepoll.EPOLL_CTL_ADD, efd, EPOLLIN, backend=backend)
    first = pyepoll.epoll_wait(epfd, 1, 0, backend=backend)
    assert pyepoll.epoll_wait(epfd, 1, 0, backend=backend) == first == [(efd, EPOLLIN)]


def test_edge_triggered_through_the_low_level_wait(
    kernel: KernelObjects, backend: str, epfd: int
) -> None:
    efd = kernel.readable_eventfd()
    pyepoll.epoll_ctl(epfd, pyepoll.EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLET, backend=backend)
    assert pyepoll.epoll_wait(epfd, 1, 0, backend=backend) == [(efd, EPOLLIN)]
    assert pyepoll.epoll_wait(epfd, 1, 0, backend=backend) == []


def test_readiness_propagates_through_a_nested_epoll(
    ep: pyepoll.epoll, kernel: KernelObjects, backend: str
) -> None:
    efd = kernel.eventfd()
    with pyepoll.epoll(backend=backend) as inner:
        inner.register(efd, EPOLLIN)
        ep.register(inner, EPOLLIN)
        assert ep.poll(0) == []
        os.write(efd, (1).to_bytes(8, "little"))
        assert ep.poll(0) == [(inner.fileno(), EPOLLIN)]
