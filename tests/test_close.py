"""Closing registered descriptors (epoll(7), Q6): a registration lives as long as the open
file description, not the descriptor number.  Observed both by waiting and by reading the
kernel's interest list."""

from __future__ import annotations

import errno
import os
from typing import NamedTuple

import pytest

import pyepoll
from pyepoll import EPOLLIN
from tests.kernel import KernelObjects, eventfd_add


def test_closing_the_only_fd_removes_the_registration(
    ep: pyepoll.epoll, kernel: KernelObjects
) -> None:
    efd = kernel.readable_eventfd()
    ep.register(efd, EPOLLIN)
    kernel.close(efd)
    assert ep.interest_list() == []
    assert ep.poll(0) == []


def test_closing_a_pipe_read_end_removes_it(ep: pyepoll.epoll, kernel: KernelObjects) -> None:
    r, w = kernel.pipe()
    os.write(w, b"x")
    ep.register(r, EPOLLIN)
    kernel.close(r)
    assert ep.poll(0) == []


class Orphaned(NamedTuple):
    """A registration whose fd was closed while a dup kept its open file alive."""

    closed_fd: int
    duplicate: int


@pytest.fixture
def orphaned(ep: pyepoll.epoll, kernel: KernelObjects) -> Orphaned:
    efd = kernel.eventfd()
    ep.register(efd, EPOLLIN)
    duplicate = kernel.dup(efd)
    kernel.close(efd)
    return Orphaned(efd, duplicate)


def test_closed_fd_with_a_dup_stays_registered(ep: pyepoll.epoll, orphaned: Orphaned) -> None:
    assert [entry.fd for entry in ep.interest_list()] == [orphaned.closed_fd]


def test_closed_fd_with_a_dup_still_reports_under_the_closed_number(
    ep: pyepoll.epoll, orphaned: Orphaned
) -> None:
    eventfd_add(orphaned.duplicate)
    assert ep.poll(0) == [(orphaned.closed_fd, EPOLLIN)]


def test_closed_fd_with_a_dup_cannot_be_unregistered_by_the_dup(
    ep: pyepoll.epoll, orphaned: Orphaned
) -> None:
    # The registration is keyed by (fd number, open file): the dup is another key.
    with pytest.raises(FileNotFoundError):
        ep.unregister(orphaned.duplicate)


def test_closed_fd_with_a_dup_cannot_be_unregistered_by_its_old_number(
    ep: pyepoll.epoll, orphaned: Orphaned
) -> None:
    with pytest.raises(OSError) as excinfo:
        ep.unregister(orphaned.closed_fd)
    assert excinfo.value.errno == errno.EBADF


def test_closing_the_last_dup_removes_the_registration(
    ep: pyepoll.epoll, kernel: KernelObjects, orphaned: Orphaned
) -> None:
    kernel.close(orphaned.duplicate)
    assert ep.interest_list() == []


def test_the_dup_can_be_registered_beside_the_original(
    ep: pyepoll.epoll, kernel: KernelObjects
) -> None:
    efd = kernel.readable_eventfd()
    duplicate = kernel.dup(efd)
    ep.register(efd, EPOLLIN)
    ep.register(duplicate, EPOLLIN)
    assert sorted(ep.poll(0)) == sorted([(efd, EPOLLIN), (duplicate, EPOLLIN)])


def test_closing_the_epoll_fd_leaves_registered_fds_open(
    backend: str, kernel: KernelObjects
) -> None:
    efd = kernel.readable_eventfd()
    with pyepoll.epoll(backend=backend) as ep:
        ep.register(efd, EPOLLIN)
    os.fstat(efd)  # raises if the fd went with the epoll instance
