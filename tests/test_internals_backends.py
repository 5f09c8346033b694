"""Backends loaded afresh, then driven through every call they bind.

Everything else in the suites uses the backends that :func:`pyepoll.backends.get_backend`
loaded once and cached, so the code that binds them (each FFI's ``function`` and ``syscall``
with their hints, ctypes' ``c_function`` flags, each loader's choice of C function, the
syscall table, the emulations) runs once per process, before any test.  Here each test loads
its own backend, over a new instance of each installed FFI, and makes every call through it,
with the facts that tell a wrong binding: errno captured after a failure (and read through
the backend's own FFI), a blocking wait that lets other threads run, a fast path that keeps
the GIL, a signal mask of the size the callee reads.
"""

from __future__ import annotations

import ctypes
import errno
import importlib
import os
import platform
import signal
import types
from functools import partial
from typing import Any, Callable

import pytest

import pyepoll
from pyepoll import EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLLIN, abi, backends, waiting
from pyepoll.backends import BACKEND_NAMES, Backend, get_backend, libc, syscall
from pyepoll.ffi import Ffi, ctypes_ffi, get_ffi
from tests.asleep import blocked_signals, while_asleep
from tests.kernel import KernelObjects, unused_fd

IN = int(EPOLLIN)
#: The installed FFIs (see the report header): ctypes, and cffi where it imports.
FFIS = sorted({name.partition("+")[2] for name in BACKEND_NAMES})


def _generic(*, ffi: Ffi) -> Backend:
    # The syscall backend as on aarch64: epoll_create and epoll_wait emulated.
    table = abi.SYSCALLS[abi.ARCH]._replace(epoll_create=None, epoll_wait=None)
    return syscall.load(table, ffi=ffi)


LOADERS: dict[str, Callable[..., Backend]] = {
    "libc": libc.load,
    "syscall": syscall.load,
    "syscall-generic": _generic,
}


@pytest.fixture(params=[f"{kind}+{ffi}" for kind in sorted(LOADERS) for ffi in FFIS])
def fresh(request: pytest.FixtureRequest) -> Backend:
    """A backend loaded by this test, from scratch, over a new instance of its FFI: the
    function classes that ctypes' ``c_function`` caches per flag combination are made again
    too, and cffi declares its functions again."""
    loader, _, ffi_name = request.param.partition("+")
    ctypes_ffi._function_classes.clear()
    ffi = importlib.import_module(f"pyepoll.ffi.{ffi_name}_ffi").load()
    return LOADERS[loader](ffi=ffi)


@pytest.mark.skipif(
    platform.python_implementation() != "CPython",
    reason="only CPython's c_function builds function classes (PyPy's uses CDLL's own)",
)
def test_one_function_class_per_flag_combination() -> None:
    # ctypes function classes are made once per set of flags, not once per function.
    ctypes_ffi._function_classes.clear()
    first = ctypes_ffi.c_function("epoll_wait", keep_gil=True, capture_errno=False)
    second = ctypes_ffi.c_function("syscall", keep_gil=True, capture_errno=False)
    other = ctypes_ffi.c_function("syscall")
    assert type(first) is type(second)
    assert type(first) is not type(other)
    assert len(ctypes_ffi._function_classes) == 2


def test_fresh_backend_describes_itself(fresh: Backend) -> None:
    assert fresh.name == f"{fresh.kind}+{fresh.ffi.name}"
    assert fresh.name in BACKEND_NAMES
    assert repr(fresh) == f"<pyepoll backend {fresh.name!r}>"
    assert fresh.get_errno == fresh.ffi.get_errno
    expected = abi.GLIBC_SIGSET_SIZE if fresh.kind == "libc" else abi.KERNEL_SIGSET_SIZE
    assert fresh.sigset_size == expected


def _c_function(call: Any) -> Any:
    """The C function a backend's callable ends in: itself, a partial's function (the
    syscall number bound), or the one callable a wrapper closes over (an emulation)."""
    while True:
        if isinstance(call, partial):
            call = call.func
        elif isinstance(call, types.FunctionType):
            cells = [cell.cell_contents for cell in call.__closure__ or ()]
            (call,) = [value for value in cells if callable(value)]
        else:
            return call


#: The calls bound with hints: (keeps the GIL, saves errno); every other call neither keeps
#: the GIL nor skips errno.
HINTS = {"wait_nonblocking": (True, True), "wait_fast": (True, False)}
CALLS = ("create", "create1", "ctl", "wait", "wait_nonblocking", "wait_fast", "pwait", "pwait2")


def test_fresh_ctypes_backend_binds_each_call_with_its_hints(fresh: Backend) -> None:
    # The fast path (a zero timeout) keeps the GIL, and wait_fast skips errno; everything else
    # releases the GIL (a blocking call that kept it would stop every thread) and saves errno.
    if fresh.ffi.name != "ctypes":
        pytest.skip("cffi releases the GIL around every call and always saves errno: no hints")
    # PyPy's ctypes has no PyDLL: a call keeps no GIL there, only errno capture is bound.
    can_keep_gil = hasattr(ctypes, "PyDLL")
    for name in CALLS:
        flags = type(_c_function(getattr(fresh, name)))._flags_
        keeps_gil, saves_errno = HINTS.get(name, (False, True))
        assert bool(flags & ctypes._FUNCFLAG_USE_ERRNO) == saves_errno, name  # type: ignore[attr-defined]
        keeps = bool(flags & ctypes._FUNCFLAG_PYTHONAPI)  # type: ignore[attr-defined]
        assert keeps == (keeps_gil and can_keep_gil), name


def failing(backend: Backend, call: Callable[[], object]) -> int:
    """The errno of the OSError ``call`` raises, with every FFI's saved errno cleared first:
    a function bound without errno capture, or errno read through another FFI than the
    backend's, would report 0."""
    for ffi in {backend.ffi, *map(get_ffi, FFIS)}:
        ffi.set_errno(0)
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
    assert failing(fresh, lambda: pyepoll.epoll_create(0, backend=fresh)) == errno.EINVAL
    assert failing(fresh, lambda: pyepoll.epoll_create(-1, backend=fresh)) == errno.EINVAL
    assert failing(fresh, lambda: pyepoll.epoll_create1(1, backend=fresh)) == errno.EINVAL


def test_fresh_backend_controls_and_waits(kernel: KernelObjects, fresh: Backend) -> None:
    epfd, efd = kernel.track(pyepoll.epoll_create1(0, backend=fresh)), kernel.readable_eventfd()
    word = 0xFEDC_BA98_7654_3210
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, IN, word, backend=fresh)
    add_again = lambda: pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, IN, backend=fresh)  # noqa: E731
    assert failing(fresh, add_again) == errno.EEXIST
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
            assert failing(fresh, call) == code
    # The object's fast path does not capture errno: it must repeat the call to learn it.
    ep = pyepoll.epoll.fromfd(os.dup(pipe), backend=fresh)
    with ep:
        for timeout in [0, 0.0, 0.1]:
            assert failing(fresh, partial(ep.poll, timeout)) == errno.EINVAL


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


@pytest.mark.parametrize("ffi", FFIS)
def test_a_syscall_the_table_lacks_is_enosys(ffi: str) -> None:
    # A table typed to have every other call; _bind still refuses a missing number.
    table = abi.SYSCALLS[abi.ARCH]._replace(epoll_pwait2=None)  # type: ignore[arg-type]
    with pytest.raises(OSError) as caught:
        syscall.load(table, ffi=get_ffi(ffi))
    assert caught.value.errno == errno.ENOSYS
    assert caught.value.strerror == f"no such syscall on {abi.ARCH}"


def test_the_syscall_backend_defaults_to_ctypes() -> None:
    assert syscall.load().ffi is get_ffi("ctypes")


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
