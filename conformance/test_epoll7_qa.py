"""epoll(7), Questions and answers: Q0..Q9, in the order the page asks them."""

from __future__ import annotations

import errno
import os
import select
import socket

import pytest

from conformance import flags as F
from conformance.adapters import FROMFD, INTEREST_LIST, Adapter, Instance
from conformance.kobjects import Resources, fdinfo
from conformance.support import assert_events, closed_behind_dup, raises_errno, wrapping

clause = pytest.mark.clause


@clause("epoll.qa.Q0")
def test_key_is_fd_and_open_file(ep: Instance, res: Resources) -> None:
    (r1, w1), (r2, w2) = res.pipe(), res.pipe()
    keep = res.fd(os.dup(r1))  # keeps the first open file, and its registration, alive
    ep.register(r1, F.EPOLLIN)
    os.dup2(r2, r1)  # the number r1 now names the second pipe's open file
    ep.register(r1, F.EPOLLIN)  # a different (fd, file) pair: no EEXIST
    assert [x.fd for x in fdinfo(ep.fileno())] == [r1, r1]
    os.write(w1, b"x")
    os.write(w2, b"x")
    assert ep.poll(0, 8) == [(r1, F.EPOLLIN), (r1, F.EPOLLIN)]
    del keep


@clause("epoll.qa.Q1")
def test_same_fd_twice_then_a_dup(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN)
    with raises_errno(errno.EEXIST):
        ep.register(r, F.EPOLLIN)
    dup = res.fd(os.dup(r))
    ep.register(dup, F.EPOLLIN)
    os.write(w, b"x")
    assert_events(ep, {r: F.EPOLLIN, dup: F.EPOLLIN})


@clause("epoll.qa.Q1.filtering")
def test_dups_with_different_masks_filter(ep: Instance, res: Resources) -> None:
    a, b = res.socketpair()
    dup = res.fd(os.dup(a.fileno()))
    ep.register(a.fileno(), F.EPOLLIN)
    ep.register(dup, F.EPOLLOUT)
    b.send(b"x")
    assert_events(ep, {a.fileno(): F.EPOLLIN, dup: F.EPOLLOUT})


@clause("epoll.qa.Q2")
def test_two_instances_both_report(impl: Adapter, ep: Instance, res: Resources) -> None:
    other = res.epoll(impl)
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN)
    other.register(r, F.EPOLLIN)
    os.write(w, b"x")
    assert_events(ep, {r: F.EPOLLIN})
    assert_events(other, {r: F.EPOLLIN})


@clause("epoll.qa.Q3")
def test_epoll_fd_is_readable_when_events_wait(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN)
    assert select.select([ep.fileno()], [], [], 0)[0] == []
    os.write(w, b"x")
    assert select.select([ep.fileno()], [], [], 0)[0] == [ep.fileno()]
    poller = select.poll()
    poller.register(ep.fileno(), select.POLLIN)
    assert poller.poll(0) == [(ep.fileno(), select.POLLIN)]


@clause("epoll.qa.Q4")
def test_own_set_einval_other_set_fine(impl: Adapter, ep: Instance, res: Resources) -> None:
    with raises_errno(errno.EINVAL):
        ep.register(ep.fileno(), F.EPOLLIN)
    outer = res.epoll(impl)
    outer.register(ep.fileno(), F.EPOLLIN)
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN)
    os.write(w, b"x")
    assert_events(outer, {ep.fileno(): F.EPOLLIN})


@clause("epoll.qa.Q5")
def test_epoll_fd_passes_over_unix_socket(impl: Adapter, ep: Instance, res: Resources) -> None:
    # What the implementation answers for: its fileno() is the kernel instance that holds its
    # registrations, so the descriptor received carries the interest list it built, naming the
    # sender's fd (which a receiving process would not have). Caught: a fileno() that is not the
    # instance (a placeholder, a second instance), registrations kept in user space or
    # deferred to the next wait.
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN)
    a, b = res.socketpair()
    a.setblocking(True)
    b.setblocking(True)
    socket.send_fds(a, [b"epfd"], [ep.fileno()])
    _, (received,), _, _ = socket.recv_fds(b, 16, 1)
    if not impl.has(FROMFD):
        res.fd(received)
        assert [x.fd for x in fdinfo(received)] == [r]
        return
    with wrapping(impl, lambda: received) as there:
        assert [x.fd for x in fdinfo(there.fileno())] == [r]
        os.write(w, b"x")
        assert_events(there, {r: F.EPOLLIN})  # the sender's number, from the received instance


@clause("epoll.qa.Q6")
def test_removed_when_every_reference_is_closed(
    impl: Adapter, ep: Instance, res: Resources
) -> None:
    r, dup, w = closed_behind_dup(ep, res)
    os.write(w, b"x")
    # Not removed while the dup keeps the open file alive: still reported (caught: an
    # implementation that drops events of fd numbers no longer open) ...
    assert_events(ep, {r: F.EPOLLIN})
    assert [x.fd for x in fdinfo(ep.fileno())] == [r]
    res.close_fd(dup)
    # ... removed once the last reference is closed: nothing reported (caught: one that
    # remembers readiness it reported), gone from its own view of the interest list (caught:
    # one that keeps that list in user space, where close is never seen).
    assert fdinfo(ep.fileno()) == []
    assert_events(ep, {})
    if impl.has(INTEREST_LIST):
        assert ep.interest_list() == []


@clause("epoll.qa.Q7")
def test_events_between_waits_are_combined(ep: Instance, res: Resources) -> None:
    a, b = res.socketpair()
    ep.register(a.fileno(), F.EPOLLIN | F.EPOLLOUT | F.EPOLLRDHUP)
    assert_events(ep, {a.fileno(): F.EPOLLOUT})
    b.send(b"one")
    b.send(b"two")
    b.shutdown(socket.SHUT_WR)
    (only,) = ep.poll(0, 8)  # one record for three occurrences
    assert only == (a.fileno(), F.EPOLLIN | F.EPOLLOUT | F.EPOLLRDHUP)


@clause("epoll.qa.Q8")
def test_modify_rereads_available_io(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN | F.EPOLLET)
    os.write(w, b"x")
    assert_events(ep, {r: F.EPOLLIN})
    assert_events(ep, {})  # edge consumed, data still there
    ep.modify(r, F.EPOLLIN | F.EPOLLET)
    assert_events(ep, {r: F.EPOLLIN})


@clause("epoll.qa.Q9")
def test_ready_until_eagain(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN | F.EPOLLET)
    os.write(w, b"x" * 100)
    assert_events(ep, {r: F.EPOLLIN})
    os.read(r, 10)
    assert_events(ep, {})  # still readable, no new event: the caller must keep reading
    assert len(os.read(r, 1000)) == 90
    with pytest.raises(BlockingIOError):
        os.read(r, 1000)
    os.write(w, b"y")
    assert_events(ep, {r: F.EPOLLIN})


@clause("epoll.qa.Q9.packet")
def test_datagrams_until_eagain(ep: Instance, res: Resources) -> None:
    a, b = res.socketpair(socket.SOCK_DGRAM)
    ep.register(a.fileno(), F.EPOLLIN | F.EPOLLET)
    b.send(b"first")
    b.send(b"second")
    assert_events(ep, {a.fileno(): F.EPOLLIN})
    assert a.recv(100) == b"first"  # a whole datagram: nothing tells whether more wait
    assert_events(ep, {})
    assert a.recv(100) == b"second"
    with pytest.raises(BlockingIOError):
        a.recv(100)
    b.send(b"third")
    assert_events(ep, {a.fileno(): F.EPOLLIN})


@clause("epoll.qa.Q9.stream")
def test_short_read_means_exhausted(ep: Instance, res: Resources) -> None:
    # That a pipe's short read means empty is the kernel's; what the implementation answers
    # for is agreeing with it: level-triggered, it reports nothing once the short read has
    # exhausted the fd, and reports it again when data arrives. Caught: an implementation that
    # re-reports readiness it saw before (a ready list not rechecked at each wait).
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN)
    os.write(w, b"x" * 100)
    assert_events(ep, {r: F.EPOLLIN})
    assert len(os.read(r, 4096)) == 100  # fewer than asked for: exhausted
    assert_events(ep, {})
    os.write(w, b"y")
    assert_events(ep, {r: F.EPOLLIN})
