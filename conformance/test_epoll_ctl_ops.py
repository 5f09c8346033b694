"""epoll_ctl(2), DESCRIPTION: the operations, the data word, the event types, NOTES."""

from __future__ import annotations

import os
import socket
import time
from typing import Callable

import pytest

from conformance import flags as F
from conformance.adapters import DATA, RAW, RAW_ADDRESS, Adapter, Instance
from conformance.kobjects import Resources, fdinfo
from conformance.support import assert_events, ready, require

clause = pytest.mark.clause


@clause("epoll_ctl.ADD")
def test_add(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN)
    assert_events(ep, {})
    os.write(w, b"x")
    assert_events(ep, {r: F.EPOLLIN})


@clause("epoll_ctl.MOD")
def test_mod(ep: Instance, res: Resources) -> None:
    a, b = res.socketpair()
    ep.register(a.fileno(), F.EPOLLIN)
    assert_events(ep, {})
    ep.modify(a.fileno(), F.EPOLLOUT)
    assert_events(ep, {a.fileno(): F.EPOLLOUT})
    b.send(b"x")  # readable now, but the new settings replaced EPOLLIN
    assert_events(ep, {a.fileno(): F.EPOLLOUT})


@clause("epoll_ctl.DEL")
def test_del(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    os.write(w, b"x")
    ep.register(r, F.EPOLLIN)
    ep.unregister(r)
    assert_events(ep, {})
    assert fdinfo(ep.fileno()) == []


@clause("epoll_ctl.DEL.null_event")
def test_del_with_null_event(impl: Adapter, res: Resources) -> None:
    require(impl, RAW, RAW_ADDRESS)
    epfd, (r, w) = res.raw_epoll(impl), res.pipe()
    os.write(w, b"x")
    impl.raw.epoll_ctl(epfd, F.EPOLL_CTL_ADD, r, F.EPOLLIN)
    impl.raw.epoll_ctl(epfd, F.EPOLL_CTL_DEL, r, null_event=True)
    assert impl.raw.epoll_wait(epfd, 4, 0) == []


@clause("epoll_ctl.data")
@pytest.mark.parametrize("word", [0, 1, 0xDEADBEEF, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000])
def test_data_word_round_trip(impl: Adapter, ep: Instance, res: Resources, word: int) -> None:
    require(impl, DATA)
    r, w = res.pipe()
    os.write(w, b"x")
    ep.register(r, F.EPOLLIN, data=word)
    assert_events(ep, {word: F.EPOLLIN})
    # EPOLL_CTL_MOD saves its data word too: the most recent one is returned.
    other = word ^ 0xFFFFFFFFFFFFFFFF
    ep.modify(r, F.EPOLLIN, data=other)
    assert_events(ep, {other: F.EPOLLIN})


@clause("epoll_ctl.input_flags_not_returned")
@pytest.mark.parametrize("flag", ["EPOLLET", "EPOLLONESHOT", "EPOLLEXCLUSIVE", "EPOLLWAKEUP"])
def test_input_flags_are_not_returned(ep: Instance, res: Resources, flag: str) -> None:
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN | F.EVENT_BITS[flag])
    os.write(w, b"x")
    assert_events(ep, {r: F.EPOLLIN})


@clause("epoll_ctl.EPOLLIN")
def test_epollin(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    efd = res.eventfd()
    ep.register(r, F.EPOLLIN)
    ep.register(efd, F.EPOLLIN)
    assert_events(ep, {})
    os.write(w, b"x")
    os.write(efd, (1).to_bytes(8, "little"))
    assert_events(ep, {r: F.EPOLLIN, efd: F.EPOLLIN})


@clause("epoll_ctl.EPOLLOUT")
def test_epollout(ep: Instance, res: Resources) -> None:
    _, w = res.pipe()
    ep.register(w, F.EPOLLOUT)
    assert_events(ep, {w: F.EPOLLOUT})
    while True:  # fill the pipe: no longer writable
        try:
            os.write(w, b"x" * 65536)
        except BlockingIOError:
            break
    assert_events(ep, {})


def _poll_until(ep: Instance, key: int, bit: int, seconds: float = 10.0) -> int:
    """Poll until *key* reports *bit* (loopback delivery is asynchronous); its events."""
    deadline = time.monotonic() + seconds
    events = 0
    while not events & bit and time.monotonic() < deadline:
        events = ready(ep, 100).get(key, 0)
    return events


@clause("epoll_ctl.EPOLLRDHUP")
@pytest.mark.parametrize("kind", ["unix", "tcp"])
def test_epollrdhup(ep: Instance, res: Resources, kind: str) -> None:
    a, b = res.socketpair() if kind == "unix" else res.tcp_pair()
    ep.register(a.fileno(), F.EPOLLIN | F.EPOLLRDHUP)
    assert_events(ep, {})
    b.send(b"x")  # data from a peer that still writes: readable, no hangup
    events = _poll_until(ep, a.fileno(), F.EPOLLIN)
    assert events == F.EPOLLIN, F.describe(events)
    b.shutdown(socket.SHUT_WR)
    events = _poll_until(ep, a.fileno(), F.EPOLLRDHUP)
    assert events & F.EPOLLRDHUP, F.describe(events)


@clause("epoll_ctl.EPOLLPRI")
def test_epollpri_on_tcp_urgent_data(ep: Instance, res: Resources) -> None:
    client, server = res.tcp_pair()
    ep.register(server.fileno(), F.EPOLLPRI)
    assert_events(ep, {})
    client.send(b"!", socket.MSG_OOB)
    events = _poll_until(ep, server.fileno(), F.EPOLLPRI)
    assert events & F.EPOLLPRI, F.describe(events)


@clause("epoll_ctl.EPOLLERR")
def test_epollerr_on_pipe_without_reader(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    # EPOLLERR asked for, so that this clause does not depend on epoll_ctl.EPOLLERR.always.
    ep.register(w, F.EPOLLOUT | F.EPOLLERR)
    res.close_fd(r)
    assert ready(ep).get(w, 0) & F.EPOLLERR


@clause("epoll_ctl.EPOLLERR.always")
def test_epollerr_reported_unasked(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(w, 0)
    assert_events(ep, {})
    res.close_fd(r)
    assert ready(ep).get(w, 0) & F.EPOLLERR


@clause("epoll_ctl.EPOLLHUP.always")
def test_epollhup_reported_unasked(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(r, 0)
    assert_events(ep, {})
    res.close_fd(w)
    assert_events(ep, {r: F.EPOLLHUP})


@clause("epoll_ctl.EPOLLHUP.data_first")
def test_hangup_then_data_then_eof(ep: Instance, res: Resources) -> None:
    a, b = res.socketpair()
    ep.register(a.fileno(), F.EPOLLIN)
    b.send(b"last words")
    b.close()
    # That the data comes before the end of file is the socket's; what the implementation
    # answers for is reporting it: EPOLLIN together with EPOLLHUP while data is outstanding,
    # and on after it is consumed (the end of file is itself a read that returns). Caught:
    # an implementation that reports a hang-up without EPOLLIN, so that a caller never reads.
    events = ready(ep, 5000).get(a.fileno(), 0)
    assert events & F.EPOLLHUP and events & F.EPOLLIN, F.describe(events)
    assert a.recv(100) == b"last words"
    events = ready(ep).get(a.fileno(), 0)
    assert events & F.EPOLLHUP and events & F.EPOLLIN, F.describe(events)


@clause("epoll_ctl.EPOLLET")
def test_default_is_level_edge_on_request(ep: Instance, res: Resources) -> None:
    (r, w), efd = res.pipe(), res.eventfd()
    one = (1).to_bytes(8, "little")
    ep.register(r, F.EPOLLIN)
    ep.register(efd, F.EPOLLIN | F.EPOLLET)
    os.write(w, b"x")
    os.write(efd, one)
    assert_events(ep, {r: F.EPOLLIN, efd: F.EPOLLIN})
    assert_events(ep, {r: F.EPOLLIN})  # level: still readable, reported again; edge: not
    # A new edge (another write; an eventfd write always wakes its waiters), although the
    # eventfd stayed readable: reported again, once.
    os.write(efd, one)
    assert_events(ep, {r: F.EPOLLIN, efd: F.EPOLLIN})
    assert_events(ep, {r: F.EPOLLIN})


@clause("epoll_ctl.EPOLLONESHOT")
def test_oneshot_disables_after_one_event(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN | F.EPOLLONESHOT)
    os.write(w, b"x")
    assert_events(ep, {r: F.EPOLLIN})
    assert_events(ep, {})
    os.write(w, b"more")  # a new event, yet the registration stays disabled
    assert_events(ep, {})
    assert [x.fd for x in fdinfo(ep.fileno())] == [r]  # disabled, not removed


@clause("epoll_ctl.EPOLLONESHOT.rearm")
def test_oneshot_rearmed_by_mod(ep: Instance, res: Resources) -> None:
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN | F.EPOLLONESHOT)
    os.write(w, b"x")
    assert_events(ep, {r: F.EPOLLIN})
    assert_events(ep, {})
    ep.modify(r, F.EPOLLIN | F.EPOLLONESHOT)
    assert_events(ep, {r: F.EPOLLIN})
    assert_events(ep, {})


def _kinds(res: Resources) -> dict[str, Callable[[], int]]:
    def sock(kind: int) -> Callable[[], int]:
        return lambda: res.socketpair(kind)[0].fileno()

    def udp() -> int:
        s = res.sock(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        s.bind(("127.0.0.1", 0))
        return s.fileno()

    return {
        "pipe-read": lambda: res.pipe()[0],
        "pipe-write": lambda: res.pipe()[1],
        "stream": sock(socket.SOCK_STREAM),
        "dgram": sock(socket.SOCK_DGRAM),
        "seqpacket": sock(socket.SOCK_SEQPACKET),
        "eventfd": res.eventfd,
        "tcp": lambda: res.tcp_pair()[0].fileno(),
        "udp": udp,
    }


KINDS = ["pipe-read", "pipe-write", "stream", "dgram", "seqpacket", "eventfd", "tcp", "udp"]


@clause("epoll_ctl.notes.pollable")
@pytest.mark.parametrize("kind", KINDS)
def test_every_pollable_kind_registers(ep: Instance, res: Resources, kind: str) -> None:
    import select

    fd = _kinds(res)[kind]()
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLOUT)
    expected = dict(poller.poll(0)).get(fd, 0) & (F.EPOLLIN | F.EPOLLOUT)
    ep.register(fd, F.EPOLLIN | F.EPOLLOUT)
    assert ready(ep).get(fd, 0) == expected
