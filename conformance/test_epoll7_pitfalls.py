"""epoll(7): the pitfalls (dup, event cache) and NOTES (fdinfo, kcmp).

The starvation pitfall is advice to applications: untestable, see the catalogue.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform

import pytest

from conformance import flags as F
from conformance.adapters import INTEREST_LIST, Adapter, Instance
from conformance.kobjects import Resources, fdinfo
from conformance.support import assert_events, closed_behind_dup, ready

clause = pytest.mark.clause


@clause("epoll.pitfall.dup")
def test_events_for_a_closed_fd_while_a_dup_lives(ep: Instance, res: Resources) -> None:
    r, _, w = closed_behind_dup(ep, res)
    os.write(w, b"x")
    assert_events(ep, {r: F.EPOLLIN})  # reported under a number that is no longer open


@clause("epoll.pitfall.dup.del_first")
def test_del_before_dup_prevents_it(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN)
    ep.unregister(r)
    res.fd(os.dup(r))
    res.close_fd(r)
    os.write(w, b"x")
    # And a hang-up, which every registration reports whatever its mask: caught, an
    # implementation that "removes" by EPOLL_CTL_MOD to an empty mask instead of deleting.
    res.close_fd(w)
    assert_events(ep, {})


@clause("epoll.pitfall.event_cache")
def test_del_and_close_during_a_batch(ep: Instance, res: Resources) -> None:
    # The cache of the pitfall is the application's batch; the remedy works only if nothing
    # below the application keeps one: once EPOLL_CTL_DEL has returned, no event of the fd is
    # delivered, not even one the kernel had already made ready. So the batch is cut short
    # (maxevents 1) and the fd still pending is deleted and closed. Caught: an implementation
    # that fetches more events than maxevents and hands the rest out at later calls.
    (r1, w1), (r2, w2) = res.pipe(), res.pipe()
    for r, w in ((r1, w1), (r2, w2)):
        ep.register(r, F.EPOLLIN)
        os.write(w, b"x")
    ((first, _),) = ep.poll(0, 1)
    assert first in (r1, r2)
    pending = r2 if first == r1 else r1
    # Processing the event of `first` causes `pending` to be closed: DEL, then close.
    ep.unregister(pending)
    res.close_fd(pending)
    reused, w3 = res.pipe()  # likely reuses the number of `pending`
    os.write(w3, b"x")
    got = ready(ep)
    assert got == {first: F.EPOLLIN}, f"{got}; deleted {pending}, reused={reused}"


@clause("epoll.notes.fdinfo")
def test_fdinfo_lists_the_interest_list(impl: Adapter, ep: Instance, res: Resources) -> None:
    (r1, _), (_, w2) = res.pipe(), res.pipe()
    ep.register(r1, F.EPOLLIN)
    ep.register(w2, F.EPOLLOUT | F.EPOLLET)
    registrations = fdinfo(ep.fileno())
    if impl.has(INTEREST_LIST):  # the implementation's own view must be the kernel's
        assert ep.interest_list() == [tuple(x) for x in registrations]
    table = {x.fd: x for x in registrations}
    assert sorted(table) == sorted([r1, w2])
    assert table[r1].events & ~(F.EPOLLERR | F.EPOLLHUP) == F.EPOLLIN
    assert table[w2].events & ~(F.EPOLLERR | F.EPOLLHUP) == F.EPOLLOUT | F.EPOLLET
    ep.unregister(r1)
    assert [x.fd for x in fdinfo(ep.fileno())] == [w2]


#: kcmp(2) system call numbers; KCMP_EPOLL_TFD is 7 (since Linux 4.13).
_SYS_KCMP = {"x86_64": 312, "aarch64": 272, "i686": 349, "armv7l": 378}
_KCMP_EPOLL_TFD = 7


class _KcmpEpollSlot(ctypes.Structure):
    _fields_ = (("efd", ctypes.c_uint32), ("tfd", ctypes.c_uint32), ("toff", ctypes.c_uint32))


def _kcmp_epoll_tfd(fd: int, epfd: int, tfd: int) -> int:
    """0 when *fd*'s open file is the target registered as *tfd* in *epfd*; else the errno."""
    number = _SYS_KCMP.get(platform.machine())
    if number is None:
        pytest.skip(f"kcmp(2) number unknown for {platform.machine()}")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    slot = _KcmpEpollSlot(epfd, tfd, 0)
    pid = os.getpid()
    result = libc.syscall(
        ctypes.c_long(number),
        ctypes.c_long(pid),
        ctypes.c_long(pid),
        ctypes.c_long(_KCMP_EPOLL_TFD),
        ctypes.c_ulong(fd),
        ctypes.byref(slot),
    )
    if result == 0:
        return 0
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EPERM) and result < 0:
        pytest.skip(f"kcmp(2) unavailable here ({errno.errorcode[code]})")
    return code if result < 0 else int(result)


@clause("epoll.notes.kcmp")
def test_kcmp_finds_a_registered_fd(ep: Instance, res: Resources) -> None:
    # kcmp(2) is the oracle; what the implementation answers for is that a registration made
    # or removed through it is in (or gone from) the kernel instance its fileno() names as
    # soon as the call returns. Caught: control operations deferred to the next wait, and a
    # fileno() that is not the instance holding the registrations.
    (r, _), (other, _) = res.pipe(), res.pipe()
    ep.register(r, F.EPOLLIN)
    assert _kcmp_epoll_tfd(r, ep.fileno(), r) == 0
    same_file = res.fd(os.dup(r))
    assert _kcmp_epoll_tfd(same_file, ep.fileno(), r) == 0  # the target is the open file
    assert _kcmp_epoll_tfd(other, ep.fileno(), r) != 0  # a different file
    ep.unregister(r)
    assert _kcmp_epoll_tfd(r, ep.fileno(), r) == errno.ENOENT
