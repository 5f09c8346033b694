"""Kernel behaviour beyond the man pages (catalogue/kernel.py), checked on the running kernel."""

from __future__ import annotations

import errno
import os
import re

import pytest

from conformance import flags as F
from conformance.adapters import BUSY_POLL, RAW, RAW_ADDRESS, Adapter, Instance
from conformance.kobjects import FDINFO_LINE, Resources, fdinfo, kernel_version
from conformance.support import (
    assert_events,
    closed_behind_dup,
    implementation_defined,
    nest,
    raises_errno,
    ready_pipes,
    require,
    require_kernel,
)

clause = pytest.mark.clause


@clause("kernel.ctl_null_event")
@pytest.mark.parametrize("op", [F.EPOLL_CTL_ADD, F.EPOLL_CTL_MOD])
def test_null_event_efault(impl: Adapter, res: Resources, op: int) -> None:
    require(impl, RAW, RAW_ADDRESS)
    epfd, (r, _) = res.raw_epoll(impl), res.pipe()
    if op == F.EPOLL_CTL_MOD:
        impl.raw.epoll_ctl(epfd, F.EPOLL_CTL_ADD, r, F.EPOLLIN)
    with raises_errno(errno.EFAULT):
        impl.raw.epoll_ctl(epfd, op, r, null_event=True)


@clause("kernel.nesting_depth")
def test_nesting_depth_limit(impl: Adapter, res: Resources) -> None:
    top = nest(impl, res, 5)[-1]  # 5 instances deep: accepted
    expected = errno.ELOOP if kernel_version() >= (6, 17) else errno.EINVAL
    with raises_errno(expected):
        res.epoll(impl).register(top.fileno(), F.EPOLLIN)


_EXCLUSIVE_OK = {"EPOLLIN", "EPOLLOUT", "EPOLLERR", "EPOLLHUP", "EPOLLWAKEUP", "EPOLLET"}


@clause("kernel.exclusive_bits")
@pytest.mark.parametrize("bit", sorted(set(F.EVENT_BITS) - {"EPOLLEXCLUSIVE"}))
def test_exclusive_accepts_exactly(ep: Instance, res: Resources, bit: str) -> None:
    r, _ = res.pipe()
    events = F.EPOLLEXCLUSIVE | F.EVENT_BITS[bit]
    if bit in _EXCLUSIVE_OK:
        ep.register(r, events)
    else:
        with raises_errno(errno.EINVAL):
            ep.register(r, events)


@clause("kernel.exclusive_del")
def test_exclusive_del_then_add(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(r, F.EPOLLEXCLUSIVE | F.EPOLLIN)
    ep.unregister(r)
    ep.register(r, F.EPOLLEXCLUSIVE | F.EPOLLIN)
    os.write(w, b"x")
    assert_events(ep, {r: F.EPOLLIN})


@clause("kernel.nested_propagation")
def test_readiness_propagates_through_nesting(impl: Adapter, res: Resources) -> None:
    inner, middle, outer = nest(impl, res, 3)
    r, w = res.pipe()
    inner.register(r, F.EPOLLIN)
    assert_events(outer, {})
    os.write(w, b"x")
    assert_events(outer, {middle.fileno(): F.EPOLLIN})
    assert_events(middle, {inner.fileno(): F.EPOLLIN})
    os.read(r, 1)
    assert_events(outer, {})
    assert_events(middle, {})


@clause("kernel.round_robin_order")
@pytest.mark.parametrize(("count", "maxevents"), [(5, 2), (4, 3)])
def test_round_robin_rotation(ep: Instance, res: Resources, count: int, maxevents: int) -> None:
    fds = ready_pipes(ep, res, count)  # ready when added: queued in registration order
    observed = [[k for k, _ in ep.poll(0, maxevents)] for _ in range(count)]
    rotation = [[fds[(i * maxevents + j) % count] for j in range(maxevents)] for i in range(count)]
    first_round = [fd for batch in observed[: -(-count // maxevents)] for fd in batch]
    assert sorted(first_round[:count]) == sorted(fds)  # the clause epoll_wait.notes.round_robin
    implementation_defined(observed, rotation, "order of successive waits")


@clause("kernel.dup_unremovable")
def test_closed_fd_with_live_dup_cannot_be_removed(ep: Instance, res: Resources) -> None:
    r, dup, w = closed_behind_dup(ep, res)
    with raises_errno(errno.EBADF):
        ep.unregister(r)
    with raises_errno(errno.ENOENT):
        ep.unregister(dup)
    os.write(w, b"x")
    assert_events(ep, {r: F.EPOLLIN})
    res.close_fd(dup)
    assert_events(ep, {})


@clause("kernel.err_hup_stored")
def test_err_hup_stored_in_mask(ep: Instance, res: Resources) -> None:
    r, _ = res.pipe()
    ep.register(r, F.EPOLLIN)
    assert [x.events for x in fdinfo(ep.fileno())] == [F.EPOLLIN | F.EPOLLERR | F.EPOLLHUP]
    ep.modify(r, F.EPOLLOUT | F.EPOLLET)
    stored = F.EPOLLOUT | F.EPOLLET | F.EPOLLERR | F.EPOLLHUP
    assert [x.events for x in fdinfo(ep.fileno())] == [stored]


@clause("kernel.fdinfo_format")
def test_fdinfo_format(ep: Instance, res: Resources) -> None:
    r, _ = res.pipe()
    ep.register(r, F.EPOLLIN)
    with open(f"/proc/self/fdinfo/{ep.fileno()}") as f:
        lines = f.read().splitlines()
    head = [line.split(":")[0] for line in lines if not line.startswith("tfd:")]
    assert head[:4] == ["pos", "flags", "mnt_id", "ino"], lines
    (line,) = [line for line in lines if line.startswith("tfd:")]
    m = FDINFO_LINE.match(line)
    assert m is not None, line
    assert int(m[1]) == r and int(m[2], 16) == F.EPOLLIN | F.EPOLLERR | F.EPOLLHUP
    assert int(m[3], 16) & 0xFFFFFFFF == r  # the data word: the fd (its low 32 bits at least)
    assert int(m[5], 16) == os.fstat(r).st_ino
    assert re.fullmatch(r"tfd: +\d+ events: +[0-9a-f]+ data: +[0-9a-f]+  pos:.*", line)


@clause("kernel.busy_poll.roundtrip")
def test_busy_poll_params_roundtrip(impl: Adapter, res: Resources) -> None:
    require_kernel((6, 9))
    require(impl, BUSY_POLL, RAW)
    epfd = res.raw_epoll(impl)
    assert impl.raw.get_params(epfd) == (0, 0, 0)
    impl.raw.set_params(epfd, (25, 16, 1))
    assert impl.raw.get_params(epfd) == (25, 16, 1)


@clause("kernel.busy_poll.ENOTTY")
def test_busy_poll_on_non_epoll(impl: Adapter, res: Resources) -> None:
    require_kernel((6, 9))
    require(impl, BUSY_POLL)
    r, _ = res.pipe()
    with raises_errno(errno.ENOTTY):
        impl.raw.get_params(r)
    with raises_errno(errno.ENOTTY):
        impl.raw.set_params(r, (0, 0, 0))


@clause("kernel.busy_poll.EINVAL")
@pytest.mark.parametrize(("params", "pad"), [((0, 0, 2), 0), ((0, 0, 0), 1)])
def test_busy_poll_einval(
    impl: Adapter, res: Resources, params: tuple[int, int, int], pad: int
) -> None:
    require_kernel((6, 9))
    require(impl, BUSY_POLL, RAW)
    epfd = res.raw_epoll(impl)
    with raises_errno(errno.EINVAL):
        impl.raw.set_params(epfd, params, pad)
