"""epoll(7): the pitfalls (dup, starvation, event cache) and NOTES (fdinfo, kcmp)."""

from __future__ import annotations

import ctypes
import errno
import os

import pytest

from conformance import flags as F
from conformance import machine
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
    assert_events(ep, {})


@clause("epoll.pitfall.starvation")
def test_edge_triggered_reports_new_events_for_ready_fds(ep: Instance, res: Resources) -> None:
    # The remedy keeps its own ready list and ignores "subsequent events you receive for file
    # descriptors that are already ready": edge-triggered epoll does deliver them.
    (big, wbig), (small, wsmall) = res.pipe(), res.pipe()
    ep.register(big, F.EPOLLIN | F.EPOLLET)
    ep.register(small, F.EPOLLIN | F.EPOLLET)
    os.write(wbig, b"x" * 60000)
    os.write(wsmall, b"y")
    assert_events(ep, {big: F.EPOLLIN, small: F.EPOLLIN})
    os.read(big, 4096)  # one slice of the large fd, then turn to the others
    os.read(small, 10)
    assert_events(ep, {})
    os.write(wbig, b"x")  # the large fd is still ready in the application's list
    assert_events(ep, {big: F.EPOLLIN})


@clause("epoll.pitfall.event_cache")
def test_del_and_close_during_a_batch(ep: Instance, res: Resources) -> None:
    (r1, w1), (r2, w2) = res.pipe(), res.pipe()
    for r, w in ((r1, w1), (r2, w2)):
        ep.register(r, F.EPOLLIN)
        os.write(w, b"x")
    assert sorted(ready(ep)) == sorted([r1, r2])
    # Processing the batch, event for r1 causes r2 to be closed: DEL, then close.
    ep.unregister(r2)
    res.close_fd(r2)
    reused, w3 = res.pipe()  # likely reuses the number r2
    os.write(w3, b"x")
    got = ready(ep)
    assert got == {r1: F.EPOLLIN}, f"{got}; r2={r2}, reused={reused}"


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


#: kcmp(2) system call numbers by the ABI this interpreter runs (the numbers it passes to
#: syscall(2); under qemu-user, qemu translates them); KCMP_EPOLL_TFD is 7 (since Linux 4.13).
_SYS_KCMP = {
    "x86_64": 312, "i386": 349, "arm": 378, "aarch64": 272, "riscv64": 272, "loongarch64": 272,
}  # fmt: skip
_KCMP_EPOLL_TFD = 7


class _KcmpEpollSlot(ctypes.Structure):
    _fields_ = (("efd", ctypes.c_uint32), ("tfd", ctypes.c_uint32), ("toff", ctypes.c_uint32))


def _kcmp_epoll_tfd(fd: int, epfd: int, tfd: int) -> int:
    """0 when *fd*'s open file is the target registered as *tfd* in *epfd*; else the errno."""
    number = _SYS_KCMP.get(machine.ABI)
    if number is None:
        pytest.skip(f"kcmp(2) number unknown for {machine.ABI}")
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
    (r, _), (other, _) = res.pipe(), res.pipe()
    ep.register(r, F.EPOLLIN)
    same_file = res.fd(os.dup(r))
    assert _kcmp_epoll_tfd(same_file, ep.fileno(), r) == 0
    assert _kcmp_epoll_tfd(other, ep.fileno(), r) != 0  # a different file
    assert _kcmp_epoll_tfd(other, ep.fileno(), other) == errno.ENOENT  # not registered
