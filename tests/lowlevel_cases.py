"""epoll_ctl(2) error cases as data: each builds its situation from real kernel objects and
returns the failing call, so tests (and the leak test) can run it with any backend."""

from __future__ import annotations

import errno
import os
from typing import Callable, NamedTuple

import pytest

import pyepoll
from pyepoll import EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLET, EPOLLEXCLUSIVE, EPOLLIN
from tests.kernel import KernelObjects, unused_fd

Call = Callable[[], object]


class CtlCase(NamedTuple):
    """A situation in which one epoll_ctl call fails with ``errno``."""

    id: str
    errno: int
    setup: Callable[[KernelObjects, str], Call]


def _epoll(k: KernelObjects, backend: str) -> int:
    return k.track(pyepoll.epoll_create1(backend=backend))


def _ctl(epfd: int, op: int, fd: int, events: int, backend: str, **extra: bool) -> Call:
    return lambda: pyepoll.epoll_ctl(epfd, op, fd, events, backend=backend, **extra)


def _added(k: KernelObjects, backend: str, events: int = EPOLLIN) -> tuple[int, int]:
    epfd, efd = _epoll(k, backend), k.eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, events, backend=backend)
    return epfd, efd


def eexist(k: KernelObjects, b: str) -> Call:
    epfd, efd = _added(k, b)
    return _ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, b)


def enoent(op: int) -> Callable[[KernelObjects, str], Call]:
    return lambda k, b: _ctl(_epoll(k, b), op, k.eventfd(), EPOLLIN, b)


def ebadf_fd(k: KernelObjects, b: str) -> Call:
    return _ctl(_epoll(k, b), EPOLL_CTL_ADD, unused_fd(), EPOLLIN, b)


def ebadf_negative_fd(k: KernelObjects, b: str) -> Call:
    return _ctl(_epoll(k, b), EPOLL_CTL_ADD, -1, EPOLLIN, b)


def ebadf_epfd(k: KernelObjects, b: str) -> Call:
    efd = k.eventfd()
    return _ctl(unused_fd(), EPOLL_CTL_ADD, efd, EPOLLIN, b)


def eperm_regular_file(k: KernelObjects, b: str) -> Call:
    return _ctl(_epoll(k, b), EPOLL_CTL_ADD, k.regular_file(), EPOLLIN, b)


def einval_fd_is_epfd(k: KernelObjects, b: str) -> Call:
    epfd = _epoll(k, b)
    return _ctl(epfd, EPOLL_CTL_ADD, epfd, EPOLLIN, b)


def einval_epfd_not_epoll(k: KernelObjects, b: str) -> Call:
    return _ctl(k.eventfd(), EPOLL_CTL_ADD, k.eventfd(), EPOLLIN, b)


def einval_bad_op(op: int) -> Callable[[KernelObjects, str], Call]:
    return lambda k, b: _ctl(_epoll(k, b), op, k.eventfd(), EPOLLIN, b)


def einval_mod_with_exclusive(k: KernelObjects, b: str) -> Call:
    epfd, efd = _added(k, b)
    return _ctl(epfd, EPOLL_CTL_MOD, efd, EPOLLIN | EPOLLEXCLUSIVE, b)


def einval_mod_of_exclusive_pair(k: KernelObjects, b: str) -> Call:
    epfd, efd = _added(k, b, EPOLLIN | EPOLLEXCLUSIVE)
    return _ctl(epfd, EPOLL_CTL_MOD, efd, EPOLLIN, b)


def einval_exclusive_with(extra: int) -> Callable[[KernelObjects, str], Call]:
    return lambda k, b: _ctl(_epoll(k, b), EPOLL_CTL_ADD, k.eventfd(), EPOLLEXCLUSIVE | extra, b)


def einval_exclusive_on_epoll_target(k: KernelObjects, b: str) -> Call:
    return _ctl(_epoll(k, b), EPOLL_CTL_ADD, _epoll(k, b), EPOLLIN | EPOLLEXCLUSIVE, b)


def eloop_cycle(k: KernelObjects, b: str) -> Call:
    first, second = _epoll(k, b), _epoll(k, b)
    pyepoll.epoll_ctl(first, EPOLL_CTL_ADD, second, EPOLLIN, backend=b)
    return _ctl(second, EPOLL_CTL_ADD, first, EPOLLIN, b)


def eloop_self_through_two(k: KernelObjects, b: str) -> Call:
    a, b_, c = _epoll(k, b), _epoll(k, b), _epoll(k, b)
    pyepoll.epoll_ctl(a, EPOLL_CTL_ADD, b_, EPOLLIN, backend=b)
    pyepoll.epoll_ctl(b_, EPOLL_CTL_ADD, c, EPOLLIN, backend=b)
    return _ctl(c, EPOLL_CTL_ADD, a, EPOLLIN, b)


def efault_null_event(op: int) -> Callable[[KernelObjects, str], Call]:
    def setup(k: KernelObjects, b: str) -> Call:
        epfd, efd = _added(k, b)
        target = efd if op == EPOLL_CTL_MOD else k.eventfd()
        return _ctl(epfd, op, target, EPOLLIN, b, null_event=True)

    return setup


CTL_CASES = [
    CtlCase("EEXIST-add-twice", errno.EEXIST, eexist),
    CtlCase("ENOENT-mod-unregistered", errno.ENOENT, enoent(EPOLL_CTL_MOD)),
    CtlCase("ENOENT-del-unregistered", errno.ENOENT, enoent(EPOLL_CTL_DEL)),
    CtlCase("EBADF-fd", errno.EBADF, ebadf_fd),
    CtlCase("EBADF-epfd", errno.EBADF, ebadf_epfd),
    CtlCase("EBADF-negative-fd", errno.EBADF, ebadf_negative_fd),
    CtlCase("EPERM-regular-file", errno.EPERM, eperm_regular_file),
    CtlCase("EINVAL-fd-is-epfd", errno.EINVAL, einval_fd_is_epfd),
    CtlCase("EINVAL-epfd-not-epoll", errno.EINVAL, einval_epfd_not_epoll),
    CtlCase("EINVAL-op-0", errno.EINVAL, einval_bad_op(0)),
    CtlCase("EINVAL-op-4", errno.EINVAL, einval_bad_op(4)),
    CtlCase("EINVAL-op-negative", errno.EINVAL, einval_bad_op(-1)),
    CtlCase("EINVAL-mod-with-exclusive", errno.EINVAL, einval_mod_with_exclusive),
    CtlCase("EINVAL-mod-of-exclusive-pair", errno.EINVAL, einval_mod_of_exclusive_pair),
    CtlCase("EINVAL-exclusive-oneshot", errno.EINVAL, einval_exclusive_with(pyepoll.EPOLLONESHOT)),
    CtlCase("EINVAL-exclusive-pri", errno.EINVAL, einval_exclusive_with(pyepoll.EPOLLPRI)),
    CtlCase("EINVAL-exclusive-rdhup", errno.EINVAL, einval_exclusive_with(pyepoll.EPOLLRDHUP)),
    CtlCase("EINVAL-exclusive-epoll-target", errno.EINVAL, einval_exclusive_on_epoll_target),
    CtlCase("ELOOP-two-epolls-watch-each-other", errno.ELOOP, eloop_cycle),
    CtlCase("ELOOP-three-epolls-cycle", errno.ELOOP, eloop_self_through_two),
    CtlCase("EFAULT-add-null-event", errno.EFAULT, efault_null_event(EPOLL_CTL_ADD)),
    CtlCase("EFAULT-mod-null-event", errno.EFAULT, efault_null_event(EPOLL_CTL_MOD)),
]

#: EPOLLEXCLUSIVE may be combined with these (epoll_ctl(2), EPOLLEXCLUSIVE).
EXCLUSIVE_COMPANIONS = [EPOLLIN, pyepoll.EPOLLOUT, pyepoll.EPOLLWAKEUP, EPOLLET | EPOLLIN]


#: The exception class CPython maps each errno to (PEP 3151).
ERRNO_CLASS = {
    errno.EEXIST: FileExistsError,
    errno.ENOENT: FileNotFoundError,
    errno.EPERM: PermissionError,
}


def assert_oserror(excinfo: pytest.ExceptionInfo[OSError], code: int) -> None:
    assert excinfo.value.errno == code, os.strerror(excinfo.value.errno or 0)
    assert type(excinfo.value) is ERRNO_CLASS.get(code, OSError)
    assert excinfo.value.strerror == os.strerror(code)
