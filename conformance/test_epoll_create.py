"""epoll_create(2): creating instances, the size and flags arguments, EINVAL and EMFILE."""

from __future__ import annotations

import errno
import fcntl
import os

import pytest

from conformance import flags as F
from conformance.adapters import RAW, Adapter
from conformance.child import run_child
from conformance.kobjects import Resources, fdinfo, is_epoll
from conformance.support import raises_errno, require

clause = pytest.mark.clause


@clause("epoll_create.size_ignored")
def test_size_is_only_a_hint(impl: Adapter, res: Resources) -> None:
    require(impl, RAW)
    epfd = res.fd(impl.raw.epoll_create(1))
    pipes = [res.pipe() for _ in range(3)]
    for r, w in pipes:
        os.write(w, b"x")
        impl.raw.epoll_ctl(epfd, F.EPOLL_CTL_ADD, r, F.EPOLLIN)
    # Size 1, yet three registrations report.
    assert sorted(fd for fd, _ in impl.raw.epoll_wait(epfd, 8, 0)) == sorted(r for r, _ in pipes)


@clause("epoll_create.returns_fd")
def test_returns_an_epoll_descriptor(impl: Adapter, res: Resources) -> None:
    ep = res.epoll(impl)
    assert ep.fileno() >= 0
    assert is_epoll(ep.fileno())


@clause("epoll_create.destroy_on_close")
def test_closing_the_last_descriptor_destroys_the_instance(impl: Adapter, res: Resources) -> None:
    outer, inner = res.epoll(impl), impl.create()
    outer.register(inner.fileno(), F.EPOLLIN)
    assert [r.fd for r in fdinfo(outer.fileno())] == [inner.fileno()]
    inner.close()
    # The instance is gone, so is its registration in the outer instance.
    assert fdinfo(outer.fileno()) == []


@clause("epoll_create1.flags_zero")
def test_create1_zero_is_create(impl: Adapter, res: Resources) -> None:
    require(impl, RAW)
    plain, zero = res.fd(impl.raw.epoll_create(1)), res.raw_epoll(impl, 0)
    for fd in (plain, zero):
        assert is_epoll(fd)
        assert not fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC


@clause("epoll_create1.EPOLL_CLOEXEC")
def test_create1_cloexec(impl: Adapter, res: Resources) -> None:
    # Without raw calls: select.epoll accepts only EPOLL_CLOEXEC (or 0) and always sets it.
    fd = res.raw_epoll(impl, F.EPOLL_CLOEXEC) if impl.has(RAW) else res.epoll(impl).fileno()
    assert fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC


@clause("epoll_create.EINVAL.size")
@pytest.mark.parametrize("size", [0, -1, -(2**31)])
def test_size_not_positive(impl: Adapter, size: int) -> None:
    require(impl, RAW)
    with raises_errno(errno.EINVAL):
        impl.raw.epoll_create(size)


@clause("epoll_create1.EINVAL.flags")
@pytest.mark.parametrize("flags", [1, F.EPOLL_CLOEXEC | 1, os.O_NONBLOCK, -1])
def test_create1_invalid_flags(impl: Adapter, flags: int) -> None:
    require(impl, RAW)
    with raises_errno(errno.EINVAL):
        impl.raw.epoll_create1(flags)


@clause("epoll_create.EMFILE")
def test_per_process_fd_limit(impl: Adapter) -> None:
    # In a child: RLIMIT_NOFILE lowered to the fds already open, then one more instance.
    result = run_child("emfile", impl.name)
    assert result == errno.errorcode[errno.EMFILE], result
