"""select.epoll's own contract (the ``python.*`` clauses), through the class itself.

These tests use the adapter's select.epoll-shaped class (capability ``pyapi``): timeouts in
seconds or None, the default event mask, ``close``/``closed``, the context manager, ``fromfd``.
Each object a test makes is closed after it. Waits that should block are ended by a write (or
interrupted by a signal) only once the waiting thread sleeps in a wait syscall
(:mod:`conformance.timing`).
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from conformance import flags as F
from conformance.adapters import PYAPI, Adapter
from conformance.catalogue.python import CONSTANTS
from conformance.kobjects import Resources, close_quietly, fdinfo, is_open
from conformance.support import Stopwatch, implementation_defined, raises_errno, require
from conformance.timing import (
    DELAY,
    LOOK_LIMIT,
    PROMPT,
    Interrupt,
    later,
    signal_handler,
    signal_main_thread,
    sleeping_in_wait,
    until_sleeping_in_wait,
)

clause = pytest.mark.clause

#: CPython's message for an operation on a closed object (Modules/selectmodule.c).
CLOSED_MESSAGE = "I/O operation on closed epoll object"
DEFAULT_MASK = F.EPOLLIN | F.EPOLLPRI | F.EPOLLOUT


@pytest.fixture
def cls(impl: Adapter) -> Any:
    """The select.epoll-shaped class of the implementation (n/a without capability pyapi)."""
    require(impl, PYAPI)
    return impl.pyapi


@pytest.fixture
def new(cls: Any) -> Iterator[Callable[..., Any]]:
    """``new(*args, **kwargs)``: an object of *cls*, closed after the test."""
    made: list[Any] = []

    def make(*args: Any, **kwargs: Any) -> Any:
        obj = cls(*args, **kwargs)
        made.append(obj)
        return obj

    yield make
    for obj in made:
        close_quietly(obj.close)
    made.clear()  # the objects go now, not when pytest drops the fixture


def blocks_until_written(ep: Any, res: Resources, *args: Any) -> None:
    """``ep.poll(*args)`` waits until another thread writes to a registered pipe."""
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN)
    with later(lambda: os.write(w, b"x"), delay=2 * DELAY) as write, Stopwatch() as sw:
        got = ep.poll(*args)
    assert got == [(r, F.EPOLLIN)], f"poll{args!r} returned {got!r} before the write"
    assert sw.ended_after(write), f"poll{args!r} returned before the write"


# --- the constructor ---------------------------------------------------------------------------


@clause("python.epoll.noninheritable")
@pytest.mark.parametrize("kwargs", [{}, {"flags": 0}, {"flags": F.EPOLL_CLOEXEC}, {"sizehint": 8}])
def test_new_fd_is_not_inheritable(new: Callable[..., Any], kwargs: dict[str, int]) -> None:
    ep = new(**kwargs)
    assert os.get_inheritable(ep.fileno()) is False


@clause("python.epoll.flags")
def test_flags_zero_or_cloexec_else_oserror(new: Callable[..., Any]) -> None:
    new(flags=0)
    new(flags=F.EPOLL_CLOEXEC)
    for bad in (1, F.EPOLL_CLOEXEC | 1, -1):
        with pytest.raises(OSError):
            new(flags=bad)


@clause("python.select.constants")
def test_module_defines_the_documented_constants(cls: Any) -> None:
    # The module the class comes from (select for select.epoll) is where programs written to
    # the documentation look the constants up: select.epoll(flags=select.EPOLL_CLOEXEC).
    module = sys.modules[cls.__module__]
    missing = [name for name in CONSTANTS if not hasattr(module, name)]
    assert not missing, f"{module.__name__} lacks {', '.join(missing)}"
    # As the platform defines them: a C int constant, so a 32-bit CPython's EPOLLET is -2**31,
    # the same 32 bits as Linux's 1u << 31.
    wrong = [n for n in CONSTANTS if getattr(module, n) & 0xFFFFFFFF != getattr(F, n)]
    assert not wrong, f"{module.__name__}: values differ from Linux's for {wrong}"


@clause("python.epoll.sizehint")
def test_sizehint_positive_or_minus_one(new: Callable[..., Any]) -> None:
    for good in (-1, 1, 1000):
        new(good)
    for bad in (0, -2):
        with pytest.raises(ValueError):
            new(bad)


@clause("python.epoll.context_manager")
def test_with_closes_the_fd(new: Callable[..., Any]) -> None:
    ep = new()
    with ep as entered:
        assert entered is ep
        fd = ep.fileno()
        assert is_open(fd)
    assert not is_open(fd), "the descriptor is still open after the with block"


# --- lifetime ----------------------------------------------------------------------------------


@clause("python.epoll.close")
def test_close_closes_the_fd(new: Callable[..., Any]) -> None:
    ep = new()
    fd = ep.fileno()
    ep.close()
    assert not is_open(fd), "close() left the control descriptor open"


def _operations(pipe_fd: int) -> dict[str, Callable[[Any], object]]:
    return {
        "register": lambda ep: ep.register(pipe_fd, F.EPOLLIN),
        "modify": lambda ep: ep.modify(pipe_fd, F.EPOLLIN),
        "unregister": lambda ep: ep.unregister(pipe_fd),
        "poll(0)": lambda ep: ep.poll(0),
        "poll(-1)": lambda ep: ep.poll(-1),
        "fileno": lambda ep: ep.fileno(),
        "with": lambda ep: ep.__enter__(),
    }


@clause("python.epoll.closed_operations")
@pytest.mark.parametrize("operation", sorted(_operations(0)))
def test_operations_on_closed_raise_valueerror(
    new: Callable[..., Any], res: Resources, operation: str
) -> None:
    r, _ = res.pipe()
    ep = new()
    ep.close()
    with pytest.raises(ValueError) as caught:
        _operations(r)[operation](ep)
    implementation_defined(
        str(caught.value), CLOSED_MESSAGE, f"the message of {operation}", reference="CPython"
    )


@clause("python.epoll.closed")
def test_closed_attribute(new: Callable[..., Any]) -> None:
    ep = new()
    assert ep.closed is False
    ep.close()
    assert ep.closed is True
    with new() as other:
        assert other.closed is False
    assert other.closed is True


@clause("python.epoll.fileno")
def test_fileno_is_the_control_fd(new: Callable[..., Any], res: Resources) -> None:
    ep = new()
    r, _ = res.pipe()
    ep.register(r, F.EPOLLIN)
    fd = ep.fileno()
    assert fd == ep.fileno() and [reg.fd for reg in fdinfo(fd)] == [r]
    # The object controls the instance through that very number: with it closed, the object
    # has nothing left to call the kernel with.
    os.close(fd)
    with raises_errno(errno.EBADF):
        ep.poll(0)
    close_quietly(ep.close)


@clause("python.epoll.fromfd")
def test_fromfd_controls_the_given_instance(
    cls: Any, new: Callable[..., Any], res: Resources
) -> None:
    owner = new()
    fd = os.dup(owner.fileno())
    wrapped = cls.fromfd(fd)
    try:
        assert wrapped.fileno() == fd
        r, w = res.pipe()
        wrapped.register(r, F.EPOLLIN)
        os.write(w, b"x")
        assert [reg.fd for reg in fdinfo(owner.fileno())] == [r], "not the given instance"
        assert owner.poll(0) == [(r, F.EPOLLIN)]
    finally:
        wrapped.close()
    assert not is_open(fd), "closing the object did not close the descriptor it was given"


# --- the interest list -------------------------------------------------------------------------


@clause("python.epoll.register.default_mask")
def test_register_default_mask(new: Callable[..., Any], res: Resources) -> None:
    ep = new()
    r, _ = res.pipe()
    ep.register(r)
    # The kernel adds EPOLLERR|EPOLLHUP to every registration (kernel.err_hup_stored).
    [reg] = fdinfo(ep.fileno())
    assert reg.events == DEFAULT_MASK | F.EPOLLERR | F.EPOLLHUP, F.describe(reg.events)


@clause("python.epoll.register.EEXIST")
def test_register_twice_raises(new: Callable[..., Any], res: Resources) -> None:
    ep = new()
    r, _ = res.pipe()
    ep.register(r, F.EPOLLIN)
    with raises_errno(errno.EEXIST):
        ep.register(r, F.EPOLLOUT)
    assert [reg.events & F.EPOLLOUT for reg in fdinfo(ep.fileno())] == [0]


@clause("python.epoll.unregister.EBADF")
def test_unregister_closed_fd_raises_ebadf(new: Callable[..., Any], res: Resources) -> None:
    ep = new()
    r, _ = res.pipe()
    ep.register(r, F.EPOLLIN)
    res.close_fd(r)  # no duplicate: the registration goes with it
    with raises_errno(errno.EBADF):
        ep.unregister(r)


# --- poll --------------------------------------------------------------------------------------


@clause("python.epoll.poll.returns_list")
def test_poll_returns_a_list_of_pairs(new: Callable[..., Any], res: Resources) -> None:
    ep = new()
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN)
    assert type(ep.poll(0)) is list and ep.poll(0) == []
    os.write(w, b"x")
    got = ep.poll(0)
    assert type(got) is list and len(got) == 1
    assert type(got[0]) is tuple and got[0] == (r, F.EPOLLIN)
    assert all(type(value) is int for value in got[0])


@clause("python.epoll.poll.timeout_none")
@pytest.mark.parametrize("args", [(), (None,), (-1,), (-1.0,)], ids=repr)
def test_none_or_minus_one_blocks(
    new: Callable[..., Any], res: Resources, args: tuple[Any, ...]
) -> None:
    blocks_until_written(new(), res, *args)


@clause("python.epoll.poll.timeout_negative")
@pytest.mark.parametrize("timeout", [-0.5, -5, -1e-3])
def test_negative_blocks(new: Callable[..., Any], res: Resources, timeout: float) -> None:
    blocks_until_written(new(), res, timeout)


@clause("python.epoll.poll.timeout_rounding")
@pytest.mark.parametrize("timeout", [1e-9, 1e-6, 1e-4, 5e-4])
def test_sub_millisecond_timeout_waits_a_millisecond(
    new: Callable[..., Any], res: Resources, timeout: float
) -> None:
    ep = new()
    r, _ = res.pipe()
    ep.register(r, F.EPOLLIN)
    for _ in range(3):
        with Stopwatch() as sw:
            got = ep.poll(timeout)
        assert got == []
        # epoll_wait(1 ms) never ends before its millisecond; a timeout truncated or rounded
        # to nearest becomes a zero-timeout poll, which returns within microseconds.
        assert sw.elapsed >= 0.001, f"poll({timeout}) returned after {sw.elapsed * 1e6:.0f} us"


@clause("python.epoll.poll.timeout_overflow")
@pytest.mark.parametrize("timeout", [2**31 / 1000, 3e6, 1e7, 2**32 / 1000 + 1])
def test_huge_timeout_raises_overflowerror(
    new: Callable[..., Any], res: Resources, timeout: float
) -> None:
    ep = new()
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN)
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(ep.poll(timeout))
        except BaseException as exc:  # reported below
            outcome.append(exc)

    waiter = threading.Thread(target=run)
    waiter.start()
    assert waiter.native_id is not None
    # Either poll raises at once, or the thread goes to sleep with some other timeout; in that
    # case the write ends the wait so that the test can report it.
    until_sleeping_in_wait(waiter.native_id, limit=LOOK_LIMIT)
    slept = bool(sleeping_in_wait(waiter.native_id))
    if waiter.is_alive():
        os.write(w, b"x")
    waiter.join()
    assert not slept, f"poll({timeout}) went to sleep instead of raising OverflowError"
    assert isinstance(outcome[0], OverflowError), f"poll({timeout}): {outcome[0]!r}"


@clause("python.epoll.poll.maxevents_default")
@pytest.mark.parametrize("args", [(0,), (0, -1)], ids=repr)
def test_minus_one_returns_every_ready_fd(
    new: Callable[..., Any], res: Resources, args: tuple[int, ...]
) -> None:
    ep = new()
    ready = []
    for _ in range(40):
        r, w = res.pipe()
        os.write(w, b"x")
        ep.register(r, F.EPOLLIN)
        ready.append(r)
    got = ep.poll(*args)
    assert sorted(fd for fd, _ in got) == sorted(ready), f"{len(got)} of 40 ready fds"


@clause("python.epoll.poll.maxevents_invalid")
@pytest.mark.parametrize("maxevents", [0, -2, -1000])
def test_bad_maxevents_raise_valueerror(
    new: Callable[..., Any], res: Resources, maxevents: int
) -> None:
    ep = new()
    r, w = res.pipe()
    os.write(w, b"x")
    ep.register(r, F.EPOLLIN)
    with pytest.raises(ValueError):
        ep.poll(0, maxevents)


@clause("python.epoll.poll.eintr_retry")
def test_eintr_retried_with_the_remaining_timeout(new: Callable[..., Any]) -> None:
    ep = new()
    timeout = 2.0
    with signal_handler(signal.SIGUSR1, raising=False) as calls:
        kill = signal_main_thread(signal.SIGUSR1)
        with later(kill, delay=0.5, look=timeout / 2) as sent, Stopwatch() as sw:
            got = ep.poll(timeout)
    assert calls, "the signal did not arrive during the wait"
    assert got == [] and sent.started is not None
    assert sw.elapsed >= timeout - 0.001, f"returned after {sw.elapsed:.3f} s, not {timeout}"
    # Restarted with the whole timeout, it would end at least `timeout` after the signal.
    late = sw.end - sent.started
    assert late < timeout, f"ended {late:.3f} s after the signal: timeout not recomputed"


@clause("python.epoll.poll.eintr_retry")
def test_eintr_retried_while_blocking(new: Callable[..., Any], res: Resources) -> None:
    ep = new()
    r, w = res.pipe()
    ep.register(r, F.EPOLLIN)
    main = threading.get_native_id()
    with signal_handler(signal.SIGUSR1, raising=False) as calls:
        kill = signal_main_thread(signal.SIGUSR1)

        def interrupt_then_write() -> None:
            kill()
            # Write only once the handler has run and the wait has been resumed.
            deadline = time.monotonic() + LOOK_LIMIT
            while not calls and time.monotonic() < deadline:
                time.sleep(0.001)
            until_sleeping_in_wait(main)
            os.write(w, b"x")

        with later(interrupt_then_write) as acted:
            got = ep.poll(-1)  # -1, not None: python.epoll.poll.timeout_none is another clause
    assert acted.started is not None and calls, "the signal did not arrive during the wait"
    assert got == [(r, F.EPOLLIN)]


@clause("python.epoll.poll.eintr_handler_raises")
def test_handler_exception_propagates(new: Callable[..., Any]) -> None:
    ep = new()
    with signal_handler(signal.SIGUSR1, raising=True) as calls:
        kill = signal_main_thread(signal.SIGUSR1)
        with later(kill) as sent, Stopwatch() as sw, pytest.raises(Interrupt):
            ep.poll(PROMPT * 2)
    assert calls and sent.started is not None
    assert sw.elapsed < PROMPT * 2, "the wait went on after the handler raised"
