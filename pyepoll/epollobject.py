"""``pyepoll.epoll``: a drop-in replacement for ``select.epoll``.

Some facts about epoll that this class relies on (epoll(7)):

* A registration belongs to an *open file description*, not to a descriptor number: the
  interest list is keyed by (fd, open file).  Closing an fd removes its registrations only
  when no other descriptor (a dup(2), a fork's copy, a passed fd) refers to the same open file
  (epoll(7), Q6).  Until then events keep being reported under the closed number, and
  ``unregister`` of that number fails with EBADF: unregister before closing.
* Level-triggered registrations report an fd for as long as it is ready; EPOLLET reports a
  transition to ready, once per new arrival of data; EPOLLONESHOT disables the registration
  after one report, until ``modify`` re-arms it (epoll(7), DESCRIPTION).
* The epoll fd itself is close-on-exec, like every fd CPython creates (PEP 446).

Where select.epoll defines a behaviour (argument parsing, rounding of timeouts, exception
types and messages, ``fromfd``), this class reproduces it; everything it adds is keyword-only:
``register(..., data=...)``, ``poll(..., sigmask=...)``, ``backend=``.

Speed: a wait with timeout 0 cannot block, so it is made without releasing the GIL; event
records are decoded by :class:`~pyepoll.buffer.EventBuffer` without a per-event Python loop.
Buffers are taken from a small per-object pool (a deque: its pop and append are atomic and,
unlike a list's, never reallocate), so threads may poll one object at once; a pooled buffer
grows to the largest maxevents asked for.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Iterable
from errno import EINTR, EINVAL
from math import ceil
from time import monotonic_ns
from types import TracebackType
from typing import Any

from .abi import EP_MAX_EVENTS
from .backends import Backend, BackendLike, get_backend
from .buffer import FD_WORD, EventBuffer, Events
from .convert import as_c_int, as_event_mask, as_fd, as_u64, poll_timeout_ms, sigset
from .errors import closed_error, raise_errno, raise_last_error
from .fdinfo import Interest, interest_list
from .ffi import RawCall
from .flags import (
    EPOLL_CLOEXEC,
    EPOLL_CTL_ADD,
    EPOLL_CTL_DEL,
    EPOLL_CTL_MOD,
    EPOLLIN,
    EPOLLOUT,
    EPOLLPRI,
)
from .params import EpollParams, epoll_get_params, epoll_set_params
from .waiting import check_signals, ms_attempt, wait_with_retry

__all__ = ["epoll"]

#: select.epoll's default ``maxevents``: FD_SETSIZE - 1.
DEFAULT_MAXEVENTS = 1023
_DEFAULT_MASK = EPOLLIN | EPOLLPRI | EPOLLOUT
_ADD, _MOD, _DEL = EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL
_CLOEXEC = EPOLL_CLOEXEC
_ZERO, _UNLIMITED = 0, -1
#: Buffers up to this capacity (768 KiB on x86-64) are kept for reuse; larger ones, asked
#: for by a huge maxevents, are made for one call.
_MAX_POOLED = 1 << 16
#: Float timeouts up to this many seconds convert to a C int of milliseconds without checks.
_MAX_PLAIN_SECONDS = float(2**31 // 1000 - 1)


def _checked_maxevents(number: int) -> int:
    """select.epoll.poll's *maxevents* check: -1 means the default, then at least 1."""
    if number == _UNLIMITED:
        return DEFAULT_MAXEVENTS
    if number < 1:
        raise ValueError(f"maxevents must be greater than 0, got {number}")
    if number > EP_MAX_EVENTS:
        raise_errno(EINVAL)  # epoll_wait(2): above the kernel's own bound
    return number


class epoll:
    """select.epoll(sizehint=-1, flags=0): an edge- and level-triggered I/O event poller.

    *sizehint* and *flags* are validated as select.epoll does and otherwise ignored: the
    instance is always created with ``epoll_create1(EPOLL_CLOEXEC)``.  epoll_create(2).
    """

    __slots__ = ("__weakref__", "_backend", "_epfd", "_fast", "_pool", "_wait", "_words")

    _epfd: int
    _backend: Backend
    _pool: deque[EventBuffer]
    _words: bool
    _fast: RawCall | None
    _wait: RawCall

    def __new__(cls, sizehint: int = -1, flags: int = 0, *, backend: BackendLike = None) -> epoll:
        sizehint, flags = as_c_int(sizehint), as_c_int(flags)
        if sizehint != -1 and sizehint <= 0:
            raise ValueError("negative sizehint")
        if flags and flags != _CLOEXEC:
            raise OSError("invalid flags")
        chosen = get_backend(backend)
        epfd = chosen.create1(_CLOEXEC)
        if epfd < 0:
            raise_last_error(chosen.get_errno)
        return cls._wrap(epfd, chosen)

    @classmethod
    def _wrap(cls, epfd: int, chosen: Backend) -> epoll:
        self = object.__new__(cls)
        self._epfd = epfd
        self._backend = chosen
        self._pool = deque()
        self._words = False
        self._fast = chosen.wait_fast if epfd >= 0 else None
        self._wait = chosen.wait
        return self

    @classmethod
    def fromfd(cls, fd: int, *, backend: BackendLike = None) -> epoll:
        """Create an epoll object from an existing epoll file descriptor, which it now owns.

        As with select.epoll, -1 creates a new instance and other negative values raise
        OSError.
        """
        fd = as_c_int(fd)
        if fd == -1:
            return epoll.__new__(cls, backend=backend)
        if fd < 0:
            # select.epoll raises OSError from an unset errno here: errno 0, "Error".
            raise OSError(0, "Error")
        return cls._wrap(fd, get_backend(backend))

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the epoll fd; further operations raise ValueError.  Idempotent.

        Like select.epoll's, it never raises: close(2) releases the descriptor even when it
        reports an error, and an fd that was already closed behind the object's back (EBADF)
        is closed as far as this object is concerned.
        """
        epfd = self._epfd
        if epfd >= 0:
            self._epfd = -1
            self._fast = None
            with contextlib.suppress(OSError):
                os.close(epfd)

    def __del__(self) -> None:
        # Garbage collection closes the fd, as select.epoll's deallocator does.
        if getattr(self, "_epfd", -1) >= 0:
            self.close()

    @property
    def closed(self) -> bool:
        """True once the epoll fd is closed."""
        return self._epfd < 0

    def fileno(self) -> int:
        """The epoll fd."""
        if self._epfd < 0:
            raise closed_error()
        return self._epfd

    @property
    def backend(self) -> Backend:
        """The backend this object calls the kernel through."""
        return self._backend

    def __enter__(self) -> epoll:
        if self._epfd < 0:
            raise closed_error()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __reduce__(self) -> Any:
        raise TypeError(f"cannot pickle {type(self).__name__!r} object")

    # -- the interest list ------------------------------------------------------------------

    def _ctl(self, op: int, fd: int, mask: int, data: int | None) -> None:
        if self._epfd < 0:
            raise closed_error()
        if data is None:
            word = fd
        else:
            word = as_u64(data)
            # From now on, report whole data words rather than data.fd (general path only).
            self._words = True
            self._fast = None
        chosen = self._backend
        if chosen.ctl(self._epfd, op, fd, chosen.ffi.event(mask, word)) < 0:
            raise_last_error(chosen.get_errno)

    def register(self, fd: Any, eventmask: int = _DEFAULT_MASK, *, data: int | None = None) -> None:
        """Register *fd* (an int or an object with ``fileno()``) for *eventmask*.

        ``data`` (keyword-only, pyepoll's extension) is a 64-bit word that :meth:`poll` then
        reports instead of the fd.  Registering an fd twice raises FileExistsError (EEXIST).
        epoll_ctl(2), EPOLL_CTL_ADD.
        """
        self._ctl(_ADD, as_fd(fd), as_event_mask(eventmask), data)

    def modify(self, fd: Any, eventmask: int, *, data: int | None = None) -> None:
        """Change the event mask (and data word) of a registered fd; re-arms EPOLLONESHOT.
        FileNotFoundError (ENOENT) if *fd* is not registered.  epoll_ctl(2), EPOLL_CTL_MOD.
        """
        self._ctl(_MOD, as_fd(fd), as_event_mask(eventmask), data)

    def unregister(self, fd: Any) -> None:
        """Remove *fd* from the interest list.  FileNotFoundError (ENOENT) if it is not
        registered; OSError (EBADF) if *fd* is already closed.  epoll_ctl(2), EPOLL_CTL_DEL.
        """
        fd = as_fd(fd)
        self._ctl(_DEL, fd, 0, None)

    def interest_list(self) -> list[Interest]:
        """What the kernel holds for this instance, see :func:`pyepoll.interest_list`."""
        return interest_list(self.fileno())

    def get_params(self) -> EpollParams:
        """The busy-poll parameters (Linux 6.9), see :func:`pyepoll.epoll_get_params`."""
        return epoll_get_params(self.fileno())

    def set_params(self, params: EpollParams) -> None:
        """Set the busy-poll parameters (Linux 6.9), see :func:`pyepoll.epoll_set_params`."""
        epoll_set_params(self.fileno(), params)

    # -- waiting ----------------------------------------------------------------------------

    def poll(
        self,
        timeout: float | None = None,
        maxevents: int = -1,
        *,
        sigmask: Iterable[int] | None = None,
    ) -> Events:
        """Wait for events: a list of ``(fd, events)`` pairs (``(data, events)`` for
        registrations made with ``data=``).

        *timeout* in seconds: None or negative blocks, 0 returns at once, a positive value is
        rounded up to the next millisecond (never waits less than asked).  *maxevents* -1
        means FD_SETSIZE - 1.  *sigmask* (pyepoll's extension): signals to block during the
        wait, atomically (epoll_pwait).  EINTR is retried with the remaining time (PEP 475).
        epoll_wait(2).
        """
        # This method is the hot path of every event loop.  ``poll(0)`` and ``poll(0, n)``
        # (what loops call between callbacks) and ``poll(0.0)`` (what selectors pass) get a
        # path of their own, picked out by ``is`` tests against the interpreter's cached small
        # ints and an exact float type test; every other call, including an int or float
        # subclass, takes the general path, which accepts the same values.
        if sigmask is None and (timeout is _ZERO or (type(timeout) is float and timeout == 0.0)):
            fast = self._fast  # None once closed, or once data words are reported
            if fast is not None and (
                maxevents is _UNLIMITED
                or (type(maxevents) is int and 0 < maxevents <= DEFAULT_MAXEVENTS)
            ):  # anything else: the general path checks it
                if maxevents is _UNLIMITED:
                    maxevents = DEFAULT_MAXEVENTS
                pool = self._pool
                try:
                    buffer = pool.pop()
                except IndexError:
                    buffer = EventBuffer(DEFAULT_MAXEVENTS, self._backend.ffi)
                # Cannot block: GIL kept, errno not captured (``_recover`` learns it).
                count = fast(self._epfd, buffer.pointer, maxevents, 0)
                if count == 1:
                    result = [(buffer.fd_words[FD_WORD], buffer.event_words[0])]
                else:
                    if count < 0:
                        count = self._recover(buffer, maxevents, 0, 0)
                    result = buffer.fds(count)
                pool.append(buffer)
                return result
        # The general path, in select.epoll's order: maxevents converted to a C int (by its
        # argument parser), then the closed check, the timeout, and maxevents' value.
        if maxevents is _UNLIMITED:
            maxevents = DEFAULT_MAXEVENTS
        elif type(maxevents) is not int or not 0 < maxevents <= DEFAULT_MAXEVENTS:
            maxevents = as_c_int(maxevents)
        epfd = self._epfd
        if epfd < 0:
            raise closed_error()
        if timeout is None or timeout is _UNLIMITED:
            ms = -1
        elif type(timeout) is float and 0.0 <= timeout <= _MAX_PLAIN_SECONDS:
            # poll_timeout_ms's rounding (up to ns, then up to ms), inlined for the common case.
            ms = -(-ceil(timeout * 1e9) // 1_000_000)
        else:
            ms = poll_timeout_ms(timeout)
        if not 0 < maxevents <= DEFAULT_MAXEVENTS:
            maxevents = _checked_maxevents(maxevents)
        pool = self._pool
        try:
            spare: EventBuffer | None = pool.pop()
        except IndexError:
            spare = None
        if spare is not None and spare.capacity >= maxevents:
            buffer = spare
        else:
            # Grow: selectors pass maxevents = the number of registered fds, so a large
            # interest list asks for more than the default on every call.
            buffer = EventBuffer(max(maxevents, DEFAULT_MAXEVENTS), self._backend.ffi)
        if sigmask is None:
            start = monotonic_ns() if ms > 0 else 0
            if ms < 0:
                count = self._wait(epfd, buffer.pointer, maxevents, self._backend.ffi.minus_one)
            elif ms:
                count = self._wait(epfd, buffer.pointer, maxevents, ms)
            else:
                count = self._backend.wait_nonblocking(epfd, buffer.pointer, maxevents, 0)
            if count < 0:
                count = self._recover(buffer, maxevents, ms, start)
        else:
            count = self._wait_masked(buffer, maxevents, ms, sigmask)
        if count == 1 and not self._words:
            result = [(buffer.fd_words[FD_WORD], buffer.event_words[0])]
        else:
            result = buffer.words(count) if self._words else buffer.fds(count)
        if buffer.capacity <= _MAX_POOLED:
            pool.append(buffer)
        return result

    def _recover(self, buffer: EventBuffer, maxevents: int, ms: int, start: int) -> int:
        """After a failed wait begun at *start* (monotonic ns): raise its error, or, for
        EINTR, run the signal handlers and wait again for what remains of *ms*."""
        epfd, pointer, chosen = self._epfd, buffer.pointer, self._backend
        if ms == 0:
            # ``wait_fast`` does not capture errno.  A zero-timeout wait fails deterministically
            # (EBADF, EINVAL, EFAULT), so the same call, capturing errno, tells why.
            count = chosen.wait_nonblocking(epfd, pointer, maxevents, 0)
            if count >= 0:
                return count
        if chosen.get_errno() != EINTR:
            raise_last_error(chosen.get_errno)
        check_signals()
        if ms == 0:
            return 0  # no time left to retry with, as select.epoll
        remaining = None if ms < 0 else start + ms * 1_000_000 - monotonic_ns()
        if remaining is not None and remaining < 0:
            return 0
        attempt = ms_attempt(chosen.wait, epfd, pointer, maxevents)
        return wait_with_retry(attempt, remaining, chosen.get_errno)

    def _wait_masked(
        self, buffer: EventBuffer, maxevents: int, ms: int, sigmask: Iterable[int]
    ) -> int:
        epfd, pointer, chosen = self._epfd, buffer.pointer, self._backend
        mask = chosen.ffi.bytes_pointer(sigset(sigmask, chosen.sigset_size))
        attempt = ms_attempt(chosen.pwait, epfd, pointer, maxevents, mask)
        return wait_with_retry(attempt, None if ms < 0 else ms * 1_000_000, chosen.get_errno)


epoll.__module__ = "pyepoll"
