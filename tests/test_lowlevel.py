"""The C-semantics functions epoll_create, epoll_create1 and epoll_ctl.

Every failure is the kernel's errno raised as the matching OSError subclass."""

from __future__ import annotations

import errno
import os
import platform

import pytest

import pyepoll
from pyepoll import EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLEXCLUSIVE, EPOLLIN
from tests.kernel import KernelObjects, fd_target
from tests.lowlevel_cases import CTL_CASES, EXCLUSIVE_COMPANIONS, CtlCase, assert_oserror

# -- epoll_create, epoll_create1 -------------------------------------------------------------


@pytest.mark.parametrize("size", [0, -1, -(2**31)])
def test_epoll_create_nonpositive_size_is_einval(backend: str, size: int) -> None:
    with pytest.raises(OSError) as excinfo:
        pyepoll.epoll_create(size, backend=backend)
    assert_oserror(excinfo, errno.EINVAL)


@pytest.mark.parametrize("size", [1, 2**31 - 1])
def test_epoll_create_positive_size_opens_an_epoll_fd(
    kernel: KernelObjects, backend: str, size: int
) -> None:
    epfd = kernel.track(pyepoll.epoll_create(size, backend=backend))
    assert fd_target(epfd) == "anon_inode:[eventpoll]"


def test_epoll_create_fd_is_inheritable_like_c(kernel: KernelObjects, backend: str) -> None:
    epfd = kernel.track(pyepoll.epoll_create(1, backend=backend))
    assert os.get_inheritable(epfd)


@pytest.mark.parametrize(
    ("flags", "inheritable"), [(0, True), (pyepoll.EPOLL_CLOEXEC, False)], ids=["0", "CLOEXEC"]
)
def test_epoll_create1_flags_set_close_on_exec(
    kernel: KernelObjects, backend: str, flags: int, inheritable: bool
) -> None:
    epfd = kernel.track(pyepoll.epoll_create1(flags, backend=backend))
    assert fd_target(epfd) == "anon_inode:[eventpoll]"
    assert os.get_inheritable(epfd) is inheritable


@pytest.mark.parametrize("flags", [1, os.O_NONBLOCK, pyepoll.EPOLL_CLOEXEC | 1, -1, 2**31 - 1])
def test_epoll_create1_unknown_flags_is_einval(backend: str, flags: int) -> None:
    with pytest.raises(OSError) as excinfo:
        pyepoll.epoll_create1(flags, backend=backend)
    assert_oserror(excinfo, errno.EINVAL)


@pytest.mark.parametrize("call", ["epoll_create", "epoll_create1"])
@pytest.mark.parametrize("value", [2**31, -(2**31) - 1])
def test_create_argument_outside_c_int_is_overflowerror(
    backend: str, call: str, value: int
) -> None:
    with pytest.raises(OverflowError):
        getattr(pyepoll, call)(value, backend=backend)


# -- epoll_ctl -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CTL_CASES, ids=[case.id for case in CTL_CASES])
def test_epoll_ctl_error(kernel: KernelObjects, backend: str, case: CtlCase) -> None:
    failing = case.setup(kernel, backend)
    with pytest.raises(OSError) as excinfo:
        failing()
    assert_oserror(excinfo, case.errno)


def test_epoll_ctl_del_ignores_a_null_event(kernel: KernelObjects, backend: str, epfd: int) -> None:
    efd = kernel.eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, backend=backend)
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_DEL, efd, null_event=True, backend=backend)
    assert pyepoll.interest_list(epfd) == []


@pytest.mark.parametrize("events", EXCLUSIVE_COMPANIONS, ids=hex)
def test_epoll_ctl_add_exclusive_with_allowed_bits(
    kernel: KernelObjects, backend: str, epfd: int, events: int
) -> None:
    efd = kernel.eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, events | EPOLLEXCLUSIVE, backend=backend)
    assert len(pyepoll.interest_list(epfd)) == 1


def _kernel_at_least(major: int, minor: int) -> bool:
    numbers = platform.release().split("-")[0].split(".")
    return (int(numbers[0]), int(numbers[1])) >= (major, minor)


@pytest.mark.skipif(not _kernel_at_least(6, 17), reason="kernels before 6.17 say EINVAL")
def test_epoll_ctl_nesting_deeper_than_five_is_eloop(kernel: KernelObjects, backend: str) -> None:
    chain = [kernel.track(pyepoll.epoll_create1(backend=backend)) for _ in range(6)]
    for outer, inner in zip(chain[:4], chain[1:5]):
        pyepoll.epoll_ctl(outer, EPOLL_CTL_ADD, inner, EPOLLIN, backend=backend)
    with pytest.raises(OSError) as excinfo:
        pyepoll.epoll_ctl(chain[4], EPOLL_CTL_ADD, chain[5], EPOLLIN, backend=backend)
    assert_oserror(excinfo, errno.ELOOP)


def test_epoll_ctl_default_data_is_the_fd(kernel: KernelObjects, backend: str, epfd: int) -> None:
    efd = kernel.readable_eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, backend=backend)
    assert pyepoll.epoll_wait(epfd, 1, 0, backend=backend) == [(efd, EPOLLIN)]


def test_epoll_ctl_mod_replaces_events_and_data(
    kernel: KernelObjects, backend: str, epfd: int
) -> None:
    efd = kernel.readable_eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, pyepoll.EPOLLOUT, 7, backend=backend)
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_MOD, efd, EPOLLIN, 9, backend=backend)
    assert pyepoll.epoll_wait(epfd, 1, 0, backend=backend) == [(9, EPOLLIN)]


@pytest.mark.parametrize("events", [2**32, -1])
def test_epoll_ctl_events_outside_32_bits_is_overflowerror(
    kernel: KernelObjects, backend: str, epfd: int, events: int
) -> None:
    efd = kernel.eventfd()
    with pytest.raises(OverflowError):
        pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, events, backend=backend)
