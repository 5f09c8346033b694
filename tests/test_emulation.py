"""The syscall backend on an architecture without epoll_create and epoll_wait (aarch64 and
the other asm-generic ones): those calls are emulated over epoll_create1 and epoll_pwait.

The emulation is exercised here on this machine by loading the syscall backend with this
architecture's table minus the two syscalls, so it runs against the real kernel."""

from __future__ import annotations

import errno
import os

import pytest

import pyepoll
from pyepoll import EPOLL_CTL_ADD, EPOLLIN, abi
from pyepoll.backends import BACKEND_NAMES, Backend, syscall
from pyepoll.ffi import get_ffi
from tests.kernel import KernelObjects, fd_target


@pytest.fixture(scope="module", params=sorted({n.partition("+")[2] for n in BACKEND_NAMES}))
def generic(request: pytest.FixtureRequest) -> Backend:
    """The syscall backend as it is on aarch64 (no epoll_create, no epoll_wait), per FFI."""
    table = abi.SYSCALLS[abi.ARCH]._replace(epoll_create=None, epoll_wait=None)
    return syscall.load(table, ffi=get_ffi(request.param))


@pytest.mark.parametrize("size", [0, -1])
def test_emulated_epoll_create_nonpositive_size_is_einval(generic: Backend, size: int) -> None:
    with pytest.raises(OSError) as excinfo:
        pyepoll.epoll_create(size, backend=generic)
    assert excinfo.value.errno == errno.EINVAL


def test_emulated_epoll_create_opens_an_inheritable_epoll_fd(
    kernel: KernelObjects, generic: Backend
) -> None:
    epfd = kernel.track(pyepoll.epoll_create(1, backend=generic))
    assert fd_target(epfd) == "anon_inode:[eventpoll]"
    assert os.get_inheritable(epfd)


def test_emulated_epoll_wait_returns_events(kernel: KernelObjects, generic: Backend) -> None:
    epfd, efd = kernel.track(pyepoll.epoll_create(1, backend=generic)), kernel.readable_eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, 2**64 - 1, backend=generic)
    assert pyepoll.epoll_wait(epfd, 1, 0, backend=generic) == [(2**64 - 1, EPOLLIN)]


def test_emulated_epoll_wait_on_non_epoll_fd_is_einval(
    kernel: KernelObjects, generic: Backend
) -> None:
    with pytest.raises(OSError) as excinfo:
        pyepoll.epoll_wait(kernel.eventfd(), 1, 0, backend=generic)
    assert excinfo.value.errno == errno.EINVAL


def test_emulated_backend_drives_the_epoll_object(kernel: KernelObjects, generic: Backend) -> None:
    efd = kernel.readable_eventfd()
    with pyepoll.epoll(backend=generic) as ep:
        ep.register(efd, EPOLLIN)
        assert ep.poll(0) == [(efd, EPOLLIN)]
        assert ep.poll(0.01, 1) == [(efd, EPOLLIN)]
