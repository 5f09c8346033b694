"""The test suite's own helpers: they must make what they claim to make, or the other tests
prove nothing."""

from __future__ import annotations

import os

from tests.kernel import (
    EFD_CLOEXEC,
    EFD_NONBLOCK,
    KernelObjects,
    _libc_eventfd,
    eventfd_add,
    eventfd_drain,
    fd_table,
    fd_target,
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
