"""The test suite's own helpers: they must make what they claim to make, or the other tests
prove nothing."""

from __future__ import annotations

import os
import select

import pyepoll
from tests.fd_leaks import Abandoned, abandoned_descriptors, leaked_since
from tests.kernel import (
    EFD_CLOEXEC,
    EFD_NONBLOCK,
    KernelObjects,
    _libc_eventfd,
    eventfd_add,
    eventfd_drain,
    fd_table,
    fd_target,
    interest_entries,
    unused_fd,
)


def test_libc_eventfd_fallback_makes_an_eventfd() -> None:
    # The path Python 3.9 takes, where os.eventfd does not exist.
    fd = _libc_eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC)
    try:
        assert fd_target(fd) == "anon_inode:[eventfd]"
        assert not os.get_inheritable(fd)
        assert eventfd_drain(fd) == 3
    finally:
        os.close(fd)


def test_eventfd_counter_adds_up(kernel: KernelObjects) -> None:
    efd = kernel.eventfd()
    eventfd_add(efd, 2)
    eventfd_add(efd, 5)
    assert eventfd_drain(efd) == 7


def test_fd_table_sees_a_new_descriptor(kernel: KernelObjects) -> None:
    before = fd_table()
    r, w = kernel.pipe()
    assert {fd for fd, _ in fd_table() - before} == {r, w}


def test_unused_fd_is_not_open() -> None:
    assert unused_fd() not in {fd for fd, _ in fd_table()}


def test_kernel_objects_close_what_they_made() -> None:
    before = fd_table()
    objects = KernelObjects()
    objects.pipe()
    objects.socketpair()
    objects.eventfd()
    objects.dup(objects.regular_file())
    objects.close_all()
    assert fd_table() == before


def test_leak_accounting_ignores_what_a_collection_closed() -> None:
    # A count of open descriptors calls this a leak of -1 (PyPy's collector runs at any
    # allocation, so garbage from an earlier test is closed in the middle of a later one).
    with abandoned_descriptors() as (number,):
        before = fd_table()
    assert number not in {fd for fd, _ in fd_table()}
    assert leaked_since(before) == frozenset()


def test_leak_accounting_sees_a_new_file_at_a_reused_number(kernel: KernelObjects) -> None:
    # A count calls this no leak: one closed, one opened.
    with abandoned_descriptors() as (number,):
        before = fd_table()
    assert kernel.eventfd() == number  # the lowest free number again
    assert leaked_since(before) == {(number, "anon_inode:[eventfd]")}


def test_leak_accounting_collects_garbage_that_holds_new_descriptors() -> None:
    # The inner object is reachable from the outer one's finalizer: PyPy finalizes it only in
    # the collection after the one that finalized the outer.
    before = fd_table()
    outer = Abandoned()
    outer.inner = Abandoned()  # type: ignore[attr-defined]
    del outer
    assert leaked_since(before) == frozenset()


def test_interest_entries_read_the_kernels_lines(kernel: KernelObjects) -> None:
    r, _ = kernel.pipe()
    efd = kernel.eventfd()
    with select.epoll() as ep:
        ep.register(r, select.EPOLLIN | select.EPOLLET)
        ep.register(efd, select.EPOLLOUT)
        entries = sorted(interest_entries(ep.fileno()))
    always = select.EPOLLERR | select.EPOLLHUP
    # select.epoll stores the fd as the data word (its upper half is left uninitialised); the
    # masks as the kernel's unsigned 32 bits (a 32-bit CPython's select.EPOLLET is -2**31).
    u32 = 0xFFFFFFFF
    assert [(e.fd, e.events, e.data & u32) for e in entries] == sorted(
        [
            (r, (select.EPOLLIN | select.EPOLLET | always) & u32, r),
            (efd, (select.EPOLLOUT | always) & u32, efd),
        ]
    )


def test_interest_entries_of_a_full_data_word(kernel: KernelObjects) -> None:
    efd = kernel.eventfd()
    with pyepoll.epoll() as ep:
        ep.register(efd, select.EPOLLIN, data=2**64 - 1)
        assert interest_entries(ep.fileno()) == [
            (efd, select.EPOLLIN | select.EPOLLERR | select.EPOLLHUP, 2**64 - 1)
        ]
