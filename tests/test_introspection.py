"""pyepoll.interest_list: what the kernel holds, as /proc/self/fdinfo/<epfd> shows it."""

from __future__ import annotations

import select

import pytest

import pyepoll
from pyepoll import EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLERR, EPOLLHUP, EPOLLIN
from tests.kernel import KernelObjects, interest_entries, unused_fd

#: The kernel adds these to every mask it stores (epoll_ctl(2): "always reported").
ALWAYS = EPOLLERR | EPOLLHUP


def test_new_instance_has_an_empty_interest_list(epfd: int) -> None:
    assert pyepoll.interest_list(epfd) == []


def test_entry_holds_fd_stored_mask_and_data(
    kernel: KernelObjects, backend: str, epfd: int
) -> None:
    efd = kernel.eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, 0xFEDC_BA98_7654_3210, backend=backend)
    [entry] = pyepoll.interest_list(epfd)
    assert entry == pyepoll.Interest(efd, EPOLLIN | ALWAYS, 0xFEDC_BA98_7654_3210)
    assert (entry.fd, entry.events, entry.data) == tuple(entry)


def test_entries_are_in_the_kernels_order(kernel: KernelObjects, backend: str, epfd: int) -> None:
    for data in range(8):
        efd = kernel.eventfd()
        pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, data << 40, backend=backend)
    # interest_entries is the suites' own parser of the same lines, independent of pyepoll.
    independent = [tuple(entry) for entry in interest_entries(epfd)]
    assert [tuple(entry) for entry in pyepoll.interest_list(epfd)] == independent


def test_modify_shows_the_new_mask_and_data(kernel: KernelObjects, backend: str, epfd: int) -> None:
    efd = kernel.eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, 1, backend=backend)
    pyepoll.epoll_ctl(
        epfd, EPOLL_CTL_MOD, efd, pyepoll.EPOLLOUT | pyepoll.EPOLLET, 2, backend=backend
    )
    expected = pyepoll.Interest(efd, pyepoll.EPOLLOUT | pyepoll.EPOLLET | ALWAYS, 2)
    assert pyepoll.interest_list(epfd) == [expected]


def test_deleted_entry_disappears(kernel: KernelObjects, backend: str, epfd: int) -> None:
    kept, removed = kernel.eventfd(), kernel.eventfd()
    for fd in (kept, removed):
        pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN, backend=backend)
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_DEL, removed, backend=backend)
    assert [entry.fd for entry in pyepoll.interest_list(epfd)] == [kept]


def test_entries_of_a_select_epoll_are_visible(kernel: KernelObjects) -> None:
    # The kernel, not pyepoll's bookkeeping, is the source: a select.epoll shows up too.
    efd = kernel.eventfd()
    with select.epoll() as ep:
        ep.register(efd, select.EPOLLIN)
        [entry] = pyepoll.interest_list(ep.fileno())
    # select.epoll sets only data.fd: compare the low half of the word.
    assert (entry.fd, entry.events, entry.data & 0xFFFFFFFF) == (efd, EPOLLIN | ALWAYS, efd)


def test_closed_fd_is_an_oserror() -> None:
    with pytest.raises(OSError):
        pyepoll.interest_list(unused_fd())


def test_non_epoll_fd_is_refused(kernel: KernelObjects) -> None:
    with pytest.raises(ValueError):
        pyepoll.interest_list(kernel.eventfd())


def test_long_interest_list_is_read_whole(kernel: KernelObjects, backend: str, epfd: int) -> None:
    # About 70 bytes a line: 1000 entries are far more than one page of fdinfo.
    for data in range(1000):
        pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, kernel.eventfd(), EPOLLIN, data, backend=backend)
    assert sorted(entry.data for entry in pyepoll.interest_list(epfd)) == list(range(1000))
