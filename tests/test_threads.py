"""Threads: a blocking poll releases the GIL, and several threads may poll one object."""

from __future__ import annotations

import functools
import threading

import pyepoll
from conformance.timing import later, wait_in_threads
from pyepoll import EPOLLIN, EPOLLONESHOT
from tests.kernel import KernelObjects, eventfd_add


def test_registration_from_another_thread_wakes_a_blocked_poll(
    ep: pyepoll.epoll, kernel: KernelObjects
) -> None:
    # Possible only if the blocked poll lets other threads run (epoll(7): an fd added while
    # a thread waits is reported to it).
    efd = kernel.readable_eventfd()
    with later(lambda: ep.register(efd, EPOLLIN)) as registrar:  # once the poll sleeps
        events = ep.poll(30)
    assert registrar.started is not None
    assert events == [(efd, EPOLLIN)]


def poll_once_in_threads(ep: pyepoll.epoll, count: int) -> list[list[tuple[int, int]]]:
    """Start ``count`` threads that each make one ``poll(30, 1)``; return what each got."""
    results: list[list[tuple[int, int]]] = []
    lock = threading.Lock()

    def poller() -> None:
        events = ep.poll(30, 1)
        with lock:
            results.append(events)

    threads = [threading.Thread(target=poller) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_threads_polling_one_object_each_get_their_own_events(
    ep: pyepoll.epoll, kernel: KernelObjects
) -> None:
    efds = [kernel.eventfd() for _ in range(4)]
    for efd in efds:
        ep.register(efd, EPOLLIN | EPOLLONESHOT)  # one wakeup, one thread, per event

    def write_all() -> None:
        for efd in efds:
            eventfd_add(efd)

    # The events come once every thread sleeps in its poll.
    results = wait_in_threads([functools.partial(ep.poll, 30, 1)] * len(efds), write_all)
    assert sorted(results) == sorted([[(efd, EPOLLIN)] for efd in efds])


def test_threads_polling_one_object_get_data_words(
    ep: pyepoll.epoll, kernel: KernelObjects
) -> None:
    words = [(1 << 60) + n for n in range(4)]
    for word in words:
        ep.register(kernel.readable_eventfd(), EPOLLIN | EPOLLONESHOT, data=word)
    results = poll_once_in_threads(ep, len(words))
    assert sorted(results) == [[(word, EPOLLIN)] for word in words]
