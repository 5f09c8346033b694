"""Each call goes through the backend it was given, with the arguments it was given.

The two built-in backends reach the same kernel, so a call that silently used the default
backend instead of its ``backend=`` argument would pass every behavioural test.  Here the
backend is one built by the test from the real libc functions over each installed FFI, each
wrapped to record that it was called: what each public call reaches is checked, and the
kernel still does the work.  Over cffi, which refuses ctypes' pointers, a call that made its
arguments (event, timespec, signal set, buffer) through another FFI than the backend's fails.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import os
import pickle
import signal
import subprocess
import sys
from functools import partial
from typing import Any, Callable

import pytest

import pyepoll
from pyepoll import EPOLL_CTL_ADD, EPOLLIN
from pyepoll.backends import BACKEND_NAMES, Backend, libc
from pyepoll.ffi import Ffi, RawCall, get_ffi
from tests.kernel import KernelObjects

IN = int(EPOLLIN)
CALLS = ("create", "create1", "ctl", "wait", "wait_nonblocking", "wait_fast", "pwait", "pwait2")
#: The installed FFIs (see the report header): ctypes, and cffi where it imports.
FFIS = sorted({name.partition("+")[2] for name in BACKEND_NAMES})


def address_of(buffer: pyepoll.EventBuffer) -> int:
    """The address of *buffer*'s memory, found by ctypes whatever FFI the buffer is for."""
    return ctypes.addressof(ctypes.c_char.from_buffer(buffer.memory))


class Seconds(float):
    """A float subclass, which ``poll`` leaves to its general path."""


class Recording:
    """A backend over the real libc functions that records the name of each call made."""

    def __init__(self, ffi: Ffi) -> None:
        real = libc.load(ffi=ffi)
        self.calls: list[str] = []
        wrapped = {name: self._recorder(name, getattr(real, name)) for name in CALLS}
        self.backend = Backend("recording", ffi, sigset_size=real.sigset_size, **wrapped)

    def _recorder(self, name: str, function: RawCall) -> RawCall:
        def call(*args: Any) -> int:
            self.calls.append(name)
            return function(*args)

        return call

    def take(self) -> list[str]:
        """The calls made since the last take."""
        calls, self.calls = self.calls, []
        return calls


@pytest.fixture(params=FFIS)
def recording(request: pytest.FixtureRequest) -> Recording:
    return Recording(get_ffi(request.param))


def test_low_level_calls_use_the_backend_given(kernel: KernelObjects, recording: Recording) -> None:
    b = recording.backend
    epfd = kernel.track(pyepoll.epoll_create(1, backend=b))
    assert recording.take() == ["create"]
    kernel.track(pyepoll.epoll_create1(0, backend=b))
    assert recording.take() == ["create1"]
    efd = kernel.readable_eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, IN, backend=b)
    assert recording.take() == ["ctl"]
    waits: list[tuple[Callable[[], object], str]] = [
        (partial(pyepoll.epoll_wait, epfd, 1, 0, backend=b), "wait"),
        (partial(pyepoll.epoll_pwait, epfd, 1, 0, [signal.SIGUSR1], backend=b), "pwait"),
        (partial(pyepoll.epoll_pwait2, epfd, 1, 0, None, backend=b), "pwait2"),
    ]
    for wait, name in waits:
        assert wait() == [(efd, IN)]
        assert recording.take() == [name]
    buffer = pyepoll.EventBuffer(1)
    assert pyepoll.epoll_wait_raw(epfd, address_of(buffer), 1, 0, backend=b) == 1
    assert recording.take() == ["wait"]
    assert buffer.words(1) == [(efd, IN)]  # written where it was told


def test_the_object_uses_the_backend_given(kernel: KernelObjects, recording: Recording) -> None:
    b = recording.backend
    efd = kernel.readable_eventfd()
    with pyepoll.epoll(backend=b) as ep:
        assert ep.backend is b
        assert recording.take() == ["create1"]
        ep.register(efd, IN)
        assert recording.take() == ["ctl"]
        polls: list[tuple[tuple[Any, ...], dict[str, Any], str]] = [
            ((0,), {}, "wait_fast"),
            ((0, 4), {}, "wait_fast"),
            ((0.0,), {}, "wait_fast"),  # what selectors pass
            ((0, 2000), {}, "wait_nonblocking"),
            ((Seconds(0.0),), {}, "wait_nonblocking"),  # a subclass: the general path
            ((1.0,), {}, "wait"),
            ((None,), {}, "wait"),
            ((1.0,), {"sigmask": [signal.SIGUSR1]}, "pwait"),
            ((0,), {"sigmask": []}, "pwait"),
        ]
        for args, kwargs, name in polls:
            assert ep.poll(*args, **kwargs) == [(efd, IN)]
            assert recording.take() == [name], (args, kwargs)
        with pyepoll.epoll.fromfd(os.dup(ep.fileno()), backend=b) as copy:
            assert copy.backend is b
            assert copy.poll(1.0) == [(efd, IN)]
            assert recording.take() == ["wait"]


def test_epoll_wait_raw_writes_at_the_address_given(kernel: KernelObjects, backend: str) -> None:
    # Two events, maxevents 2: the kernel fills both records at the address, as epoll_wait(2)
    # says; a NULL or wrong address would be EFAULT.
    epfd = kernel.track(pyepoll.epoll_create1(0, backend=backend))
    first, second = kernel.readable_eventfd(), kernel.readable_eventfd()
    for fd, word in [(first, 2**64 - 1), (second, 5)]:
        pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, IN, word, backend=backend)
    buffer = pyepoll.EventBuffer(3)
    assert pyepoll.epoll_wait_raw(epfd, address_of(buffer), 2, 1000, backend=backend) == 2
    assert sorted(buffer.words(2)) == [(5, IN), (2**64 - 1, IN)]


@pytest.mark.parametrize("capacity", [2, 8192])  # 8192 records: a mapping, not a bytearray
@pytest.mark.parametrize("buffer_ffi", FFIS)
def test_a_buffer_serves_a_wait_through_any_ffi(
    kernel: KernelObjects, backend: str, buffer_ffi: str, capacity: int
) -> None:
    # A buffer's pointer is made by its own FFI; a wait through another FFI must pass a pointer
    # of its own making to the same memory (cffi refuses ctypes' pointers, and a pointer to
    # other memory would leave this buffer's records zero).
    epfd = kernel.track(pyepoll.epoll_create1(0, backend=backend))
    efd = kernel.readable_eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, IN, 2**64 - 2, backend=backend)
    buffer = pyepoll.EventBuffer(capacity, get_ffi(buffer_ffi))
    assert buffer.pointer_for(buffer.ffi) is buffer.pointer  # made once, for its own FFI
    result = pyepoll.epoll_wait(epfd, 2, 0, buffer=buffer, backend=backend)
    assert result == buffer.words(1) == [(2**64 - 2, IN)]
    assert buffer.words(2)[1] == (0, 0)


class Subclass(pyepoll.epoll):
    pass


def test_pickling_names_the_class(backend: str) -> None:
    for cls in (pyepoll.epoll, Subclass):
        with cls(backend=backend) as ep, pytest.raises(TypeError) as caught:
            pickle.dumps(ep)
        assert str(caught.value) == f"cannot pickle {cls.__name__!r} object"


def test_interest_list_of_a_descriptor_that_is_not_epoll(kernel: KernelObjects) -> None:
    r, _ = kernel.pipe()
    with pytest.raises(ValueError) as caught:
        pyepoll.interest_list(r)
    assert str(caught.value) == f"fd {r} is not an epoll instance"


def test_an_epoll_object_on_descriptor_zero(kernel: KernelObjects, backend: str) -> None:
    # 0 is a descriptor like any other (a daemon that closed stdin gets it back from
    # epoll_create1): the object must neither take it for "closed" nor leave it open.
    stdin_open = _is_open(0)
    if not stdin_open:  # (mutmut runs the tests with stdin closed) hold 0 during the test
        assert os.open(os.devnull, os.O_RDONLY) == 0
    saved = os.dup(0)
    try:
        os.dup2(kernel.track(pyepoll.epoll_create1(0, backend=backend)), 0)
        ep = pyepoll.epoll.fromfd(0, backend=backend)
        efd = kernel.readable_eventfd()
        ep.register(efd, IN)
        assert (ep.fileno(), ep.closed) == (0, False)
        assert ep.poll(0) == [(efd, IN)]
        assert ep.poll(0.0) == [(efd, IN)]
        with ep:
            pass
        assert ep.closed
        with pytest.raises(OSError):
            os.fstat(0)  # closed by the object
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        if not stdin_open:
            os.close(0)


#: The child of the test below: with 0 closed, epoll_create1 returns 0 (the lowest free
#: number); the object is dropped without close().  Prints the number it got and what
#: fstat(0) says afterwards.
DROPPED_ON_ZERO = """
import errno, gc, os, sys
import pyepoll
os.close(0)
ep = pyepoll.epoll(backend=sys.argv[1])
number = ep.fileno()
del ep
gc.collect()
try:
    os.fstat(0)
except OSError as error:
    print(number, errno.errorcode[error.errno])
else:
    print(number, "open")
"""


def test_dropping_an_epoll_object_on_descriptor_zero_closes_it(backend: str) -> None:
    # The finalizer's half of the test above (select.epoll's deallocator closes the fd; 0 is
    # no exception), in a fresh child: 0 must be free for epoll_create1 to return it, and in
    # this process it is whatever the runner left there.  The child imports the pyepoll this
    # process imported (its directory as the working directory, first on sys.path).
    root = os.path.dirname(os.path.dirname(os.path.abspath(pyepoll.__file__)))
    child = subprocess.run(
        [sys.executable, "-c", DROPPED_ON_ZERO, backend],
        cwd=root,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["0", "EBADF"]
    # The same here, on another number: mutmut runs a mutant only against the tests that
    # reached its function in their own process, and the child's calls do not count there.
    ep = pyepoll.epoll(backend=backend)
    number = ep.fileno()
    del ep
    gc.collect()
    with pytest.raises(OSError) as caught:
        os.fstat(number)
    assert caught.value.errno == errno.EBADF


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def test_fromfd_minus_one_creates_with_the_backend_given(recording: Recording) -> None:
    with pyepoll.epoll.fromfd(-1, backend=recording.backend) as ep:
        assert ep.backend is recording.backend
        assert recording.take() == ["create1"]


@pytest.mark.parametrize("fd", [-2, -(2**31)])
def test_fromfd_of_a_negative_descriptor(fd: int) -> None:
    # select.epoll raises OSError from whatever errno last held (usually 0, "Error"; after a
    # failed call, that call's errno): pyepoll gives the usual case, always.
    with pytest.raises(OSError) as caught:
        pyepoll.epoll.fromfd(fd)
    assert (type(caught.value), caught.value.args) == (OSError, (0, "Error"))
    assert str(caught.value) == "[Errno 0] Error"
