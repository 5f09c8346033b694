"""pyepoll.selectors.EpollSelector against the standard library's selectors.EpollSelector.

One suite, run on three selectors: the stdlib's own (the reference: every expectation written
here is checked against it too) and pyepoll's on each backend.  Real socketpairs and pipes;
the arguments of the wait are read from /proc/<tid>/syscall while the thread blocks in the
kernel, so timeout rounding and maxevents are checked where they matter, in epoll_wait(2).
"""

from __future__ import annotations

import errno
import functools
import os
import platform
import resource
import select
import selectors
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import timing
from pyepoll import BACKEND_NAMES, epoll, get_backend
from pyepoll.selectors import EpollSelector
from tests.kernel import interest_entries

READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
Factory = Callable[[], selectors.BaseSelector]

FACTORIES: dict[str, Factory] = {"stdlib": selectors.EpollSelector}
for _name in BACKEND_NAMES:
    FACTORIES[f"pyepoll-{_name}"] = functools.partial(EpollSelector, backend=_name)

# epoll_wait(2) and epoll_pwait(2) numbers, whose 4th argument is the timeout in ms.
#: Whether this machine shows which epoll wait a thread sleeps in (and its arguments).
WAIT_SYSCALLS = platform.machine() in timing.WAIT_SYSCALLS


@pytest.fixture(params=sorted(FACTORIES))
def factory(request: pytest.FixtureRequest) -> Factory:
    made: Factory = FACTORIES[request.param]
    return made


@pytest.fixture
def sel(factory: Factory) -> Iterator[selectors.BaseSelector]:
    with factory() as selector:
        yield selector


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    with a, b:
        yield a, b


class Pipe:
    """os.pipe() that remembers which end a test closed, so teardown never closes a number
    that has since been given to another file."""

    def __init__(self) -> None:
        self.r, self.w = os.pipe()
        self.open = {self.r, self.w}

    def close(self, fd: int) -> None:
        self.open.discard(fd)
        os.close(fd)


@pytest.fixture
def pipe() -> Iterator[Pipe]:
    p = Pipe()
    yield p
    for fd in p.open:
        os.close(fd)


def watched(epfd: int) -> dict[int, int]:
    """The kernel's interest list of ``epfd``: {fd: events}, from /proc/self/fdinfo, without
    EPOLLERR and EPOLLHUP, which the kernel adds to every registration (epoll_ctl(2))."""
    always = select.EPOLLERR | select.EPOLLHUP
    return {entry.fd: entry.events & ~always for entry in interest_entries(epfd)}


def epfd_of(selector: selectors.BaseSelector) -> int:
    fileno: Callable[[], int] = getattr(selector, "fileno")  # noqa: B009 (not in BaseSelector)
    return fileno()


def ready(selector: selectors.BaseSelector, timeout: float | None = 0) -> dict[Any, int]:
    return {key.fileobj: events for key, events in selector.select(timeout)}


def by_fd(
    result: list[tuple[selectors.SelectorKey, int]],
) -> list[tuple[selectors.SelectorKey, int]]:
    return sorted(result, key=lambda entry: entry[0].fd)


class BlockedWait:
    """Another thread's view of this one: once it sleeps in an epoll wait, the wait's
    (maxevents, timeout_ms) are read from /proc and ``then`` runs (it should wake the wait)."""

    def __init__(self, then: Callable[[], object]) -> None:
        self._native_id = threading.get_native_id()
        self._then = then
        self.args: tuple[int, int] | None = None
        self._thread = threading.Thread(target=self._watch)

    def _watch(self) -> None:
        if not WAIT_SYSCALLS:  # cannot see the wait on this architecture: give it time
            time.sleep(0.1)
        else:
            timing.until_sleeping_in_wait(self._native_id)
            args = timing.wait_arguments(self._native_id)
            if args is not None:
                # epoll_wait(epfd, events, maxevents, timeout): the third and fourth arguments.
                maxevents, timeout = (word & 0xFFFFFFFF for word in args[2:4])
                self.args = (maxevents, timeout - (1 << 32) if timeout >> 31 else timeout)
        self._then()

    def __enter__(self) -> BlockedWait:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.join()


# -- registration ---------------------------------------------------------------------------


def test_register_returns_key_and_arms_kernel(
    sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    key = sel.register(a, READ, "data")
    assert key == selectors.SelectorKey(a, a.fileno(), READ, "data")
    assert sel.register(b.fileno(), READ | WRITE) == (b.fileno(), b.fileno(), READ | WRITE, None)
    assert sel.get_key(a) is key
    assert watched(epfd_of(sel)) == {
        a.fileno(): select.EPOLLIN,
        b.fileno(): select.EPOLLIN | select.EPOLLOUT,
    }


@pytest.mark.parametrize("events", [0, 4, 999999, -1])
def test_register_rejects_bad_events(
    sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket], events: int
) -> None:
    with pytest.raises(ValueError, match="Invalid events"):
        sel.register(pair[0], events)
    assert len(sel.get_map()) == 0


@pytest.mark.parametrize("fileobj", [-1, -10, "not a file", 1.5])
def test_register_rejects_bad_file_objects(sel: selectors.BaseSelector, fileobj: Any) -> None:
    with pytest.raises(ValueError):
        sel.register(fileobj, READ)
    assert len(sel.get_map()) == 0


def test_register_twice_is_keyerror(
    sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, _ = pair
    sel.register(a, READ)
    with pytest.raises(KeyError):
        sel.register(a, WRITE)
    with pytest.raises(KeyError):
        sel.register(a.fileno(), READ)  # same fd, other object
    assert watched(epfd_of(sel)) == {a.fileno(): select.EPOLLIN}


@pytest.mark.parametrize("call", ["register", "modify"])
def test_failing_epoll_ctl_is_ebadf_and_drops_key(
    sel: selectors.BaseSelector, pipe: Pipe, call: str
) -> None:
    # A failed ADD or MOD must not leave a key for an fd the kernel does not watch.
    r = pipe.r
    if call == "modify":
        sel.register(r, READ)
    pipe.close(r)
    with pytest.raises(OSError) as info:
        getattr(sel, call)(r, WRITE)
    assert info.value.errno == errno.EBADF
    with pytest.raises(KeyError):
        sel.get_key(r)


def test_register_regular_file_is_eperm_and_drops_key(sel: selectors.BaseSelector) -> None:
    # epoll_ctl(2), ERRORS: EPERM, the target file does not support epoll.
    with tempfile.TemporaryFile() as f:
        with pytest.raises(PermissionError) as info:
            sel.register(f, READ)
        assert info.value.errno == errno.EPERM
        with pytest.raises(KeyError):
            sel.get_key(f)


# -- unregister -----------------------------------------------------------------------------


def test_unregister(sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = pair
    key = sel.register(a, READ)
    assert sel.unregister(a) == key
    assert watched(epfd_of(sel)) == {}
    with pytest.raises(KeyError):
        sel.unregister(a)
    with pytest.raises(KeyError):
        sel.unregister(999999)


def test_unregister_after_fd_close(sel: selectors.BaseSelector, pipe: Pipe) -> None:
    r, w = pipe.r, pipe.w
    sel.register(r, READ)
    sel.register(w, WRITE)
    pipe.close(r)
    pipe.close(w)
    # epoll(7), Q6: closing the last fd of an open file description drops it from the list.
    assert watched(epfd_of(sel)) == {}
    sel.unregister(r)  # epoll_ctl DEL fails with EBADF; the selector drops the key anyway
    sel.unregister(w)
    assert len(sel.get_map()) == 0


def test_unregister_after_socket_close(sel: selectors.BaseSelector) -> None:
    a, b = socket.socketpair()
    sel.register(a, READ)
    sel.register(b, WRITE)
    a.close()
    b.close()  # fileno() is now -1: the selector finds the key by identity
    assert sel.unregister(a).fileobj is a
    assert sel.unregister(b).fileobj is b
    assert len(sel.get_map()) == 0


def test_unregister_after_fd_reuse(sel: selectors.BaseSelector, pipe: Pipe) -> None:
    r = pipe.r
    sel.register(r, READ)
    other = Pipe()
    try:
        pipe.close(r)
        os.dup2(other.r, r)  # same number, new open file description: not registered
        other.open.add(r)
        sel.unregister(r)  # epoll_ctl DEL fails with ENOENT, ignored
        assert watched(epfd_of(sel)) == {}
        assert len(sel.get_map()) == 0
    finally:
        for fd in other.open:
            os.close(fd)


# -- modify ---------------------------------------------------------------------------------


def test_modify_events(
    sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, _ = pair
    sel.register(a, READ, "d")
    assert ready(sel) == {}
    key = sel.modify(a, WRITE)
    assert key == (a, a.fileno(), WRITE, None)
    assert sel.get_key(a) == key
    assert watched(epfd_of(sel)) == {a.fileno(): select.EPOLLOUT}
    assert ready(sel) == {a: WRITE}


def test_modify_data_only_does_not_touch_kernel(
    sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, _ = pair
    sel.register(a, READ, "old")
    a.close()  # any epoll_ctl on it would now fail with EBADF
    key = sel.modify(a, READ, "new")
    assert key.data == "new"
    assert sel.get_key(a) == key


def test_modify_unknown_is_keyerror(
    sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]
) -> None:
    with pytest.raises(KeyError):
        sel.modify(pair[0], READ)
    with pytest.raises(KeyError):
        sel.modify(999999, READ)


# -- map, close, fileno ---------------------------------------------------------------------


def test_get_map(sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = pair
    keys = sel.get_map()
    assert not keys
    key = sel.register(a, READ, "data")
    assert a in keys
    assert a.fileno() in keys
    assert keys[a] == key
    assert list(keys) == [a.fileno()]
    assert list(keys.values()) == [key]
    assert keys.get(999999) is None
    with pytest.raises(KeyError):
        keys[999999]
    with pytest.raises(TypeError):
        del keys[a]  # type: ignore[attr-defined]


def test_close(factory: Factory, pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    sel = factory()
    keys = sel.get_map()
    sel.register(a, READ)
    epfd = epfd_of(sel)
    assert os.readlink(f"/proc/self/fd/{epfd}") == "anon_inode:[eventpoll]"
    sel.close()
    assert not os.path.exists(f"/proc/self/fd/{epfd}")
    with pytest.raises(RuntimeError):
        sel.get_key(a)
    with pytest.raises(KeyError):
        keys[a]
    # CPython says "...epoll object", PyPy's select.epoll "...epoll fd".
    with pytest.raises(ValueError, match="I/O operation on closed epoll"):
        sel.select(0)
    with pytest.raises(ValueError, match="I/O operation on closed epoll"):
        sel.register(b, READ)
    sel.close()  # twice is fine


def test_context_manager_closes(
    factory: Factory, pair: tuple[socket.socket, socket.socket]
) -> None:
    with factory() as sel:
        sel.register(pair[0], READ)
        epfd = epfd_of(sel)
    assert not os.path.exists(f"/proc/self/fd/{epfd}")
    with pytest.raises(RuntimeError):
        sel.get_key(pair[0])


# -- select ---------------------------------------------------------------------------------


def test_select_reports_ready_and_masks(
    sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    key_a = sel.register(a, READ)
    key_b = sel.register(b, WRITE)
    assert sel.select(0) == [(key_b, WRITE)]  # a is writable too, but only READ was asked
    assert type(sel.select(0)[0][1]) is int
    b.send(b"x")
    assert by_fd(sel.select(0)) == by_fd([(key_a, READ), (key_b, WRITE)])


def test_select_read_and_write_in_one_entry(
    sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    key = sel.register(a, READ | WRITE)
    b.send(b"x")
    assert sel.select(0) == [(key, READ | WRITE)]


def test_select_hup_and_err(sel: selectors.BaseSelector, pipe: Pipe) -> None:
    r, w = pipe.r, pipe.w
    sel.register(r, READ)
    write_end = sel.register(w, READ)  # EPOLLERR comes whatever was asked (epoll_ctl(2))
    assert sel.select(0) == []
    pipe.close(r)  # readers gone: EPOLLERR on w, read as both READ and WRITE, masked to READ
    sel.unregister(r)
    assert sel.select(0) == [(write_end, READ)]
    write_end = sel.modify(w, WRITE)
    assert sel.select(0) == [(write_end, WRITE)]
    other = Pipe()
    try:
        hup = sel.register(other.r, READ)
        other.close(other.w)  # writers gone: EPOLLHUP on r with nothing to read, masked to READ
        assert by_fd(sel.select(0)) == by_fd([(hup, READ), (write_end, WRITE)])
    finally:
        for fd in other.open:
            os.close(fd)


def test_closed_fd_is_not_reported(sel: selectors.BaseSelector) -> None:
    a, b = socket.socketpair()
    with a:
        sel.register(a, READ)
        stale = sel.register(b, WRITE)
        b.close()  # the kernel drops b; the selector still holds its key
        assert sel.select(0) == [(sel.get_key(a), READ)]  # EOF on a
        assert stale in sel.get_map().values()


def test_select_empty(sel: selectors.BaseSelector) -> None:
    assert sel.select(0) == []
    start = time.monotonic()
    assert sel.select(0.05) == []
    assert time.monotonic() - start >= 0.05


@pytest.mark.parametrize("timeout", [0, -1, -1e9])
def test_select_zero_or_negative_polls(
    sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket], timeout: float
) -> None:
    sel.register(pair[0], READ)
    start = time.monotonic()
    assert sel.select(timeout) == []
    assert time.monotonic() - start < 10.0


def test_select_waits_at_least_the_timeout(
    sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]
) -> None:
    sel.register(pair[0], READ)
    start = time.monotonic()
    assert sel.select(0.2) == []
    elapsed = time.monotonic() - start
    assert 0.2 <= elapsed < 10.0


@pytest.mark.parametrize("timeout", [1e-6, 2e-4, 1.5e-3])
def test_select_rounds_sub_millisecond_up(
    sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket], timeout: float
) -> None:
    # Truncating to whole ms would make some of these polls return at once.
    sel.register(pair[0], READ)
    shortest = float("inf")
    for _ in range(5):
        start = time.monotonic()
        assert sel.select(timeout) == []
        shortest = min(shortest, time.monotonic() - start)
    assert shortest >= max(timeout, 1e-3)


def test_select_none_blocks_until_ready(
    sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    key = sel.register(a, READ)
    with BlockedWait(then=lambda: b.send(b"x")) as seen:
        assert sel.select(None) == [(key, READ)]
    if WAIT_SYSCALLS:
        assert seen.args is not None and seen.args[1] == -1


@pytest.mark.skipif(not WAIT_SYSCALLS, reason="epoll wait syscall numbers unknown for this arch")
def test_wait_arguments_match_stdlib(
    factory: Factory, pair: tuple[socket.socket, socket.socket]
) -> None:
    """maxevents and the millisecond timeout that reach epoll_wait(2) equal the stdlib's."""
    a, b = pair
    extra = socket.socketpair()
    try:
        # Long timeouts (the event ends each wait at once) with sub-millisecond fractions.
        for timeout in (10.5, 10.2500001, 11.2345678, 13.0004, 17.5):
            for watched_fds in ([a], [a, *extra]):
                args = {}
                for name, make in (("stdlib", FACTORIES["stdlib"]), ("tested", factory)):
                    with make() as sel:
                        for s in watched_fds:
                            sel.register(s, READ)
                        with BlockedWait(then=lambda: b.send(b"x")) as seen:
                            sel.select(timeout)
                        a.recv(1)
                        args[name] = seen.args
                assert args["tested"] == args["stdlib"], timeout
                maxevents, timeout_ms = args["tested"] or (0, 0)
                assert maxevents == len(watched_fds)
                assert timeout_ms >= timeout * 1000
    finally:
        for s in extra:
            s.close()


def test_select_reports_every_ready_fd_above_fd_setsize(sel: selectors.BaseSelector) -> None:
    # maxevents is the number of registered fds, so one wait returns them all; fd numbers
    # above FD_SETSIZE (1024) are no problem for epoll.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1024 + 256
    if soft < wanted + 64:
        if hard != resource.RLIM_INFINITY and hard < wanted + 64:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} is below {wanted + 64}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted + 64, hard))
    socks: list[socket.socket] = []
    try:
        while len(socks) < wanted:
            socks.extend(socket.socketpair())
        for s in socks:
            sel.register(s, WRITE)
        result = sel.select(0)
        assert sorted(key.fd for key, _ in result) == sorted(s.fileno() for s in socks)
        assert max(s.fileno() for s in socks) > 1024
    finally:
        for s in socks:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# -- signals (EINTR) ------------------------------------------------------------------------


class Interrupted(Exception):
    pass


@pytest.fixture
def sigusr1() -> Iterator[list[int]]:
    """SIGUSR1 with a handler that records it; the handler is restored afterwards."""
    assert threading.current_thread() is threading.main_thread()
    seen: list[int] = []
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: seen.append(signum))
    yield seen
    signal.signal(signal.SIGUSR1, previous)


def signal_main_thread() -> None:
    # Directed at the waiting thread: a process-wide signal could land in another thread.
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGUSR1)


def test_select_propagates_handler_exception(
    sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket], sigusr1: list[int]
) -> None:
    def handler(signum: int, frame: object) -> None:
        raise Interrupted

    signal.signal(signal.SIGUSR1, handler)
    sel.register(pair[0], READ)
    start = time.monotonic()
    with BlockedWait(then=signal_main_thread), pytest.raises(Interrupted):
        sel.select(30)
    assert time.monotonic() - start < 10


def test_select_retries_after_quiet_handler(
    sel: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket], sigusr1: list[int]
) -> None:
    # PEP 475: EINTR is retried with the remaining timeout, so the wait is not cut short.
    sel.register(pair[0], READ)
    start = time.monotonic()
    with BlockedWait(then=signal_main_thread):
        assert sel.select(1.0) == []
    assert sigusr1 == [signal.SIGUSR1]
    assert 1.0 <= time.monotonic() - start < 10.0


# -- pyepoll specifics ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", [None, *BACKEND_NAMES])
def test_runs_on_pyepoll_with_the_chosen_backend(backend: str | None) -> None:
    with EpollSelector(backend=backend) as sel:
        assert isinstance(sel, selectors.EpollSelector)
        assert type(getattr(sel, "_selector")) is epoll  # noqa: B009 (private on purpose)
        assert sel.backend is get_backend(backend)
        assert os.readlink(f"/proc/self/fd/{sel.fileno()}") == "anon_inode:[eventpoll]"


def test_refuses_to_run_on_select_epoll(monkeypatch: pytest.MonkeyPatch) -> None:
    # Were a future stdlib to stop building its poller with _selector_cls(), the constructor
    # must fail loudly, closing what the stdlib made, rather than run on select.epoll.
    def init_without_the_hook(self: Any) -> None:
        selectors._BaseSelectorImpl.__init__(self)
        self._selector = select.epoll()

    monkeypatch.setattr(selectors._PollLikeSelector, "__init__", init_without_the_hook)
    with pytest.raises(RuntimeError, match="_selector_cls"):
        EpollSelector()


def test_class_level_selector_cls_is_used_and_backend_overrides_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As in the stdlib, the poller comes from the class attribute _selector_cls, which a
    # subclass or a patch may replace; only backend= sets (and so wins with) an instance one.
    made: list[object] = []

    def counting_epoll() -> epoll:
        poller = epoll(backend="syscall")
        made.append(poller)
        return poller

    class Subclass(EpollSelector):
        _selector_cls = staticmethod(counting_epoll)

    with Subclass() as sel:
        assert made == [getattr(sel, "_selector")]  # noqa: B009 (private on purpose)
        assert sel.backend is get_backend("syscall")
    with Subclass(backend="libc") as sel:
        assert len(made) == 1
        assert sel.backend is get_backend("libc")
    monkeypatch.setattr(EpollSelector, "_selector_cls", staticmethod(counting_epoll))
    with EpollSelector() as patched:
        assert made[1] is getattr(patched, "_selector")  # noqa: B009


def test_unknown_backend_is_valueerror_and_opens_nothing() -> None:
    with pytest.raises(ValueError, match="unknown pyepoll backend"):
        EpollSelector(backend="no-such-backend")


# -- differential: the same operations on a stdlib selector and a pyepoll one ----------------

OPS = ("register", "modify", "unregister", "send", "drain", "close_peer", "close")
steps = st.lists(
    st.tuples(
        st.sampled_from(OPS),
        st.integers(0, 2),
        st.sampled_from([READ, WRITE, READ | WRITE, 0, 7]),
        st.sampled_from([None, "x"]),
    ),
    max_size=25,
)


def outcome(call: Callable[[], object]) -> object:
    try:
        return ("ok", call())
    except Exception as exc:  # compared, not swallowed
        return ("raised", type(exc), exc.args)


def apply(
    sel: selectors.BaseSelector, op: str, sock: socket.socket, events: int, data: Any
) -> object:
    if op == "register":
        return outcome(lambda: sel.register(sock, events, data))
    if op == "modify":
        return outcome(lambda: sel.modify(sock, events, data))
    return outcome(lambda: sel.unregister(sock))


@pytest.mark.parametrize("backend", BACKEND_NAMES)
@settings(max_examples=60, deadline=None)
@given(script=steps)
def test_same_results_as_stdlib(backend: str, script: list[tuple[str, int, int, Any]]) -> None:
    pairs = [socket.socketpair() for _ in range(3)]
    ref, ours = selectors.EpollSelector(), EpollSelector(backend=backend)
    try:
        for op, i, events, data in script:
            mine, peer = pairs[i]
            if op in ("register", "modify", "unregister"):
                assert apply(ours, op, mine, events, data) == apply(ref, op, mine, events, data)
            elif op == "close":
                mine.close()
            elif peer.fileno() != -1 and mine.fileno() != -1:
                if op == "send":
                    peer.send(b"x")
                elif op == "drain":
                    mine.setblocking(False)
                    outcome(functools.partial(mine.recv, 100))
                else:
                    peer.close()
            assert by_fd(ours.select(0)) == by_fd(ref.select(0))
            assert dict(ours.get_map()) == dict(ref.get_map())
    finally:
        ref.close()
        ours.close()
        for a, b in pairs:
            a.close()
            b.close()
