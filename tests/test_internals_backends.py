"""Backends loaded afresh, then driven through every call they bind.

Everything else in the suites uses the backends that :func:`pyepoll.backends.get_backend`
loaded once and cached, so the code that binds them (``c_function``'s flags, each loader's
choice of C function, the syscall table, the emulations) runs once per process, before any
test.  Here each test loads its own backend and makes every call through it, with the facts
that tell a wrong binding: errno captured after a failure, a blocking wait that lets other
threads run, a signal mask of the size the callee reads.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import signal
from functools import partial
from typing import Any, Callable

import pytest

import pyepoll
from pyepoll import EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLLIN, abi, backends, waiting
from pyepoll.backends import BACKEND_NAMES, Backend, get_backend, libc, syscall
from tests.asleep import blocked_signals, while_asleep
from tests.kernel import KernelObjects, unused_fd

IN = int(EPOLLIN)


def _generic() -> Backend:
    # The syscall backend as on aarch64: epoll_create and epoll_wait emulated.
    return syscall.load(abi.SYSCALLS[abi.ARCH]._replace(epoll_create=None, epoll_wait=None))


LOADERS: dict[str, Callable[[], Backend]] = {
    "libc": libc.load,
    "syscall": syscall.load,
    "syscall-generic": _generic,
}


@pytest.fixture(params=sorted(LOADERS))
def fresh(request: pytest.FixtureRequest) -> Backend:
    """A backend loaded by this test, from scratch: the function classes that
    ``c_function`` caches per flag combination are made again too."""
    backends._function_classes.clear()
    return LOADERS[request.param]()


@pytest.mark.skipif(
    platform.python_implementation() != "CPython",
    reason="only CPython's c_function builds function classes (PyPy's uses CDLL's own)",
)
def test_one_function_class_per_flag_combination() -> None:
    # ctypes function classes are made once per set of flags, not once per function.
    backends._function_classes.clear()
    first = backends.c_function("epoll_wait", keep_gil=True, capture_errno=False)
    second = backends.c_function("syscall", keep_gil=True, capture_errno=False)
    other = backends.c_function("syscall")
    assert type(first) is type(second)
    assert type(first) is not type(other)
    assert len(backends._function_classes) == 2


def test_fresh_backend_describes_itself(fresh: Backend) -> None:
    assert fresh.name in BACKEND_NAMES
    assert repr(fresh) == f"<pyepoll backend {fresh.name!r}>"
    expected = abi.GLIBC_SIGSET_SIZE if fresh.name == "libc" else abi.KERNEL_SIGSET_SIZE
    assert fresh.sigset_size == expected


def failing(call: Callable[[], object]) -> int:
    """The errno of the OSError ``call`` raises, with ctypes' saved errno cleared first: a
    function bound without errno capture would report 0."""
    ctypes.set_errno(0)
    with pytest.raises(OSError) as caught:
        call()
    return caught.value.errno or 0


def test_fresh_backend_creates(kernel: KernelObjects, fresh: Backend) -> None:
    plain = kernel.track(pyepoll.epoll_create(1, backend=fresh))
    assert os.get_inheritable(plain)
    assert pyepoll.interest_list(plain) == []
    plain1 = kernel.track(pyepoll.epoll_create1(0, backend=fresh))
    assert os.get_inheritable(plain1)
    cloexec = kernel.track(pyepoll.epoll_create1(EPOLL_CLOEXEC, backend=fresh))
    assert not os.get_inheritable(cloexec)
    assert failing(lambda: pyepoll.epoll_create(0, backend=fresh)) == errno.EINVAL
    assert failing(lambda: pyepoll.epoll_create(-1, backend=fresh)) == errno.EINVAL
    assert failing(lambda: pyepoll.epoll_create1(1, backend=fresh)) == errno.EINVAL


def test_fresh_backend_controls_and_waits(kernel: KernelObjects, fresh: Backend) -> None:
    epfd, efd = kernel.track(pyepoll.epoll_create1(0, backend=fresh)), kernel.readable_eventfd()
    word = 0xFEDC_BA98_7654_3210
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, IN, word, backend=fresh)
    add_again = lambda: pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, IN, backend=fresh)  # noqa: E731
    assert failing(add_again) == errno.EEXIST
    expected = [(word, IN)]
    usr1 = [signal.SIGUSR1]
    assert pyepoll.epoll_wait(epfd, 4, 0, backend=fresh) == expected
    assert pyepoll.epoll_wait(epfd, 4, 1000, backend=fresh) == expected
    assert pyepoll.epoll_wait(epfd, 4, -1, backend=fresh) == expected
    assert pyepoll.epoll_pwait(epfd, 4, 0, usr1, backend=fresh) == expected
    assert pyepoll.epoll_pwait(epfd, 4, -1, None, backend=fresh) == expected
    assert pyepoll.epoll_pwait2(epfd, 4, 0, usr1, backend=fresh) == expected
    assert pyepoll.epoll_pwait2(epfd, 4, None, None, backend=fresh) == expected
    assert pyepoll.epoll_pwait2(epfd, 4, 10**9, usr1, backend=fresh) == expected
    with pyepoll.epoll.fromfd(os.dup(epfd), backend=fresh) as ep:
        assert ep.backend is fresh
        all_forms: list[tuple[Any, ...]] = [(0,), (0, 1), (0.0,), (1.0,), (None,)]
        for args in all_forms:
            assert ep.poll(*args) == [(0x7654_3210, IN)]  # data.fd: the word's low half
        assert ep.poll(0.5, sigmask=usr1) == [(0x7654_3210, IN)]


def test_fresh_backend_reports_wait_errors(kernel: KernelObjects, fresh: Backend) -> None:
    # epoll_wait(2), ERRORS: EBADF for a closed epfd, EINVAL for one that is not an epoll fd.
    pipe, _ = kernel.pipe()
    closed = unused_fd()  # after the pipe, which would take the lowest free number
    for epfd, code in [(closed, errno.EBADF), (pipe, errno.EINVAL)]:
        for call in [
            partial(pyepoll.epoll_wait, epfd, 1, 0, backend=fresh),
            partial(pyepoll.epoll_wait, epfd, 1, 100, backend=fresh),
            partial(pyepoll.epoll_pwait, epfd, 1, 0, [signal.SIGUSR1], backend=fresh),
            partial(pyepoll.epoll_pwait2, epfd, 1, 0, [signal.SIGUSR1], backend=fresh),
        ]:
            assert failing(call) == code
    # The object's fast path does not capture errno: it must repeat the call to learn it.
    ep = pyepoll.epoll.fromfd(os.dup(pipe), backend=fresh)
    with ep:
        for timeout in [0, 0.0, 0.1]:
            assert failing(partial(ep.poll, timeout)) == errno.EINVAL


def _poll(epfd: int, backend: Backend, *args: object, **kwargs: object) -> object:
    with pyepoll.epoll.fromfd(os.dup(epfd), backend=backend) as ep:
        return ep.poll(*args, **kwargs)  # type: ignore[arg-type]


WAITS: dict[str, Callable[[int, Backend], object]] = {
    "epoll_wait": lambda epfd, b: pyepoll.epoll_wait(epfd, 1, 10_000, backend=b),
    "epoll_pwait": lambda epfd, b: pyepoll.epoll_pwait(epfd, 1, 10_000, [], backend=b),
    "epoll_pwait2": lambda epfd, b: pyepoll.epoll_pwait2(epfd, 1, 10**10, [], backend=b),
    "poll": lambda epfd, b: _poll(epfd, b, 10.0),
    "poll-block": lambda epfd, b: _poll(epfd, b),
    "poll-sigmask": lambda epfd, b: _poll(epfd, b, 10.0, sigmask=[]),
}


@pytest.mark.parametrize("wait", sorted(WAITS))
def test_fresh_backend_blocking_waits_let_other_threads_run(
    kernel: KernelObjects, fresh: Backend, wait: str
) -> None:
    # A wait that kept the GIL would stop this thread from seeing it asleep and from making
    # the event: it would end at its timeout (or never, blocking) with nothing.
    epfd, efd = watching(kernel, fresh)
    _, events = while_asleep(lambda: WAITS[wait](epfd, fresh), efd, lambda args, tid: None)
    assert events == [(efd, IN)]


def watching(kernel: KernelObjects, backend: Backend) -> tuple[int, int]:
    """A new epoll fd with an eventfd (not yet readable) registered for EPOLLIN."""
    epfd, efd = kernel.track(pyepoll.epoll_create1(0, backend=backend)), kernel.eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, IN, backend=backend)
    return epfd, efd


def test_the_default_backend_is_a_loaded_one() -> None:
    assert get_backend() is get_backend(get_backend().name)


def test_fresh_signal_check_runs() -> None:
    # Nothing pending: the check returns and leaves no exception behind.
    check = waiting._load_check_signals()
    check()
    check()


MASKED_WAITS: dict[str, Callable[[int, Backend, list[int]], object]] = {
    "epoll_pwait": lambda epfd, b, m: pyepoll.epoll_pwait(epfd, 1, 10_000, m, backend=b),
    "epoll_pwait2": lambda epfd, b, m: pyepoll.epoll_pwait2(epfd, 1, 10**10, m, backend=b),
    "poll": lambda epfd, b, m: _poll(epfd, b, 10.0, sigmask=m),
}


@pytest.mark.parametrize("wait", sorted(MASKED_WAITS))
def test_fresh_backend_applies_the_mask_while_asleep(
    kernel: KernelObjects, fresh: Backend, wait: str
) -> None:
    # epoll_wait(2), epoll_pwait(): the thread's mask is replaced by *sigmask* for the wait.
    epfd, efd = watching(kernel, fresh)
    mask = [signal.SIGUSR2, signal.SIGRTMIN + 1]
    blocked, events = while_asleep(
        lambda: MASKED_WAITS[wait](epfd, fresh, mask), efd, lambda _, tid: blocked_signals(tid)
    )
    assert blocked == set(mask)
    assert events == [(efd, IN)]


def test_a_syscall_the_table_lacks_is_enosys() -> None:
    # A table typed to have every other call; _bind still refuses a missing number.
    table = abi.SYSCALLS[abi.ARCH]._replace(epoll_pwait2=None)  # type: ignore[arg-type]
    with pytest.raises(OSError) as caught:
        syscall.load(table)
    assert caught.value.errno == errno.ENOSYS
    assert caught.value.strerror == f"no such syscall on {abi.ARCH}"


def test_set_default_backend_changes_what_none_means() -> None:
    previous = get_backend().name
    try:
        for name in BACKEND_NAMES:
            backends.set_default_backend(name)
            assert get_backend().name == name
            assert get_backend(None) is get_backend(name)
        with pytest.raises(ValueError):
            backends.set_default_backend("no-such-backend")
        assert get_backend().name == BACKEND_NAMES[-1]  # unchanged by the refused name
    finally:
        backends.set_default_backend(previous)
