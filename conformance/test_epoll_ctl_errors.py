"""epoll_ctl(2), ERRORS and BUGS: every entry, with the expected errno as data."""

from __future__ import annotations

import errno
import os

import pytest

from conformance import flags as F
from conformance.adapters import RAW, Adapter, Instance
from conformance.child import run_child
from conformance.kobjects import Resources, fdinfo, kernel_version
from conformance.support import nest, raises_errno, require, wrapping

clause = pytest.mark.clause


@clause("epoll_ctl.EBADF.epfd")
def test_ebadf_epfd(impl: Adapter, res: Resources) -> None:
    r, _ = res.pipe()
    with wrapping(impl, res.closed_fd) as bad, raises_errno(errno.EBADF):
        bad.register(r, F.EPOLLIN)


@clause("epoll_ctl.EBADF.fd")
def test_ebadf_fd(ep: Instance, res: Resources) -> None:
    with raises_errno(errno.EBADF):
        ep.register(res.closed_fd(), F.EPOLLIN)


@clause("epoll_ctl.EEXIST")
def test_eexist(ep: Instance, res: Resources) -> None:
    r, _ = res.pipe()
    ep.register(r, F.EPOLLIN)
    with raises_errno(errno.EEXIST):
        ep.register(r, F.EPOLLOUT)


@clause("epoll_ctl.EINVAL.not_epoll")
def test_einval_epfd_not_epoll(impl: Adapter, res: Resources) -> None:
    r, w = res.pipe()
    with wrapping(impl, lambda: os.dup(r)) as not_epoll, raises_errno(errno.EINVAL):
        not_epoll.register(w, F.EPOLLOUT)


@clause("epoll_ctl.EINVAL.same_fd")
def test_einval_fd_is_epfd(ep: Instance) -> None:
    with raises_errno(errno.EINVAL):
        ep.register(ep.fileno(), F.EPOLLIN)


@clause("epoll_ctl.EINVAL.op")
@pytest.mark.parametrize("op", [0, 4, 99, -1])
def test_einval_unknown_op(impl: Adapter, res: Resources, op: int) -> None:
    require(impl, RAW)
    epfd, (r, _) = res.raw_epoll(impl), res.pipe()
    with raises_errno(errno.EINVAL):
        impl.raw.epoll_ctl(epfd, op, r, F.EPOLLIN)


@clause("epoll_ctl.EINVAL.exclusive_events")
@pytest.mark.parametrize("extra", ["EPOLLPRI", "EPOLLRDHUP", "EPOLLONESHOT"])
def test_einval_exclusive_with_invalid_event(ep: Instance, res: Resources, extra: str) -> None:
    r, _ = res.pipe()
    with raises_errno(errno.EINVAL):
        ep.register(r, F.EPOLLEXCLUSIVE | F.EPOLLIN | F.EVENT_BITS[extra])


@clause("epoll_ctl.EINVAL.exclusive_mod")
def test_einval_mod_with_exclusive(ep: Instance, res: Resources) -> None:
    r, _ = res.pipe()
    ep.register(r, F.EPOLLIN)
    with raises_errno(errno.EINVAL):
        ep.modify(r, F.EPOLLEXCLUSIVE | F.EPOLLIN)


@clause("epoll_ctl.EINVAL.exclusive_registered")
def test_einval_mod_of_exclusive_registration(ep: Instance, res: Resources) -> None:
    r, _ = res.pipe()
    ep.register(r, F.EPOLLEXCLUSIVE | F.EPOLLIN)
    with raises_errno(errno.EINVAL):
        ep.modify(r, F.EPOLLIN)


@clause("epoll_ctl.EINVAL.exclusive_epoll")
def test_einval_exclusive_on_epoll_target(impl: Adapter, ep: Instance, res: Resources) -> None:
    inner = res.epoll(impl)
    with raises_errno(errno.EINVAL):
        ep.register(inner.fileno(), F.EPOLLEXCLUSIVE | F.EPOLLIN)


@clause("epoll_ctl.ELOOP.cycle")
@pytest.mark.parametrize("length", [2, 3])
def test_eloop_cycle(impl: Adapter, res: Resources, length: int) -> None:
    ring = [res.epoll(impl) for _ in range(length)]
    for outer, inner in zip(ring, ring[1:]):
        outer.register(inner.fileno(), F.EPOLLIN)
    with raises_errno(errno.ELOOP):
        ring[-1].register(ring[0].fileno(), F.EPOLLIN)


@clause("epoll_ctl.ELOOP.depth")
def test_eloop_depth(impl: Adapter, res: Resources) -> None:
    if kernel_version() < (6, 17):
        pytest.skip("kernels before 6.17 fail the depth limit with EINVAL (kernel.nesting_depth)")
    top = nest(impl, res, 5)[-1]
    with raises_errno(errno.ELOOP):
        res.epoll(impl).register(top.fileno(), F.EPOLLIN)


@clause("epoll_ctl.ENOENT.mod")
def test_enoent_mod(ep: Instance, res: Resources) -> None:
    r, _ = res.pipe()
    with raises_errno(errno.ENOENT):
        ep.modify(r, F.EPOLLIN)


@clause("epoll_ctl.ENOENT.del")
def test_enoent_del(ep: Instance, res: Resources) -> None:
    r, _ = res.pipe()
    with raises_errno(errno.ENOENT):
        ep.unregister(r)


@clause("epoll_ctl.EPERM.regular_file")
def test_eperm_regular_file(ep: Instance, res: Resources) -> None:
    with raises_errno(errno.EPERM):
        ep.register(res.regular_file(), F.EPOLLIN)


@clause("epoll_ctl.EPERM.directory")
def test_eperm_directory(ep: Instance, res: Resources) -> None:
    with raises_errno(errno.EPERM):
        ep.register(res.directory(), F.EPOLLIN)


@clause("epoll_ctl.bugs.EPOLLWAKEUP_ignored")
def test_epollwakeup_silently_ignored_without_capability(impl: Adapter) -> None:
    if os.geteuid() != 0:
        pytest.skip("dropping CAP_BLOCK_SUSPEND by setuid needs root")
    stored = int(run_child("wakeup-nocap", impl.name), 16)
    assert stored == F.EPOLLIN | F.EPOLLERR | F.EPOLLHUP, F.describe(stored)


@clause("epoll_ctl.EPOLLEXCLUSIVE.allowed")
@pytest.mark.parametrize(
    "bit", ["EPOLLIN", "EPOLLOUT", "EPOLLWAKEUP", "EPOLLET", "EPOLLHUP", "EPOLLERR"]
)
def test_exclusive_accepts_documented_bits(ep: Instance, res: Resources, bit: str) -> None:
    r, _ = res.pipe()
    ep.register(r, F.EPOLLEXCLUSIVE | F.EVENT_BITS[bit])
    (registration,) = fdinfo(ep.fileno())
    # Accepted and kept, the bit as well as EPOLLEXCLUSIVE; but the kernel keeps EPOLLWAKEUP
    # only for a caller with CAP_BLOCK_SUSPEND (BUGS), so that one is not required.
    expected = F.EPOLLEXCLUSIVE | (0 if bit == "EPOLLWAKEUP" else F.EVENT_BITS[bit])
    assert registration.events & expected == expected, F.describe(registration.events)
