"""The epoll system calls with C semantics: ints in, ints out, errno raised as OSError.

Each function is a thin, checked wrapper around one C call.  Arguments are range-checked
before any syscall (a C ``int`` that does not fit raises OverflowError, a ``maxevents`` the
kernel would refuse raises its EINVAL, except in the ``*_raw`` waits, which pass everything on
to the kernel); failures raise ``OSError`` with the kernel's errno,
as the standard subclass (FileExistsError for EEXIST, ...).  Waits return ``(data, events)``
pairs, ``data`` being the full 64-bit word stored with the registration.  Waits retry EINTR
(PEP 475, see :mod:`pyepoll.waiting`).

Unlike :class:`pyepoll.epoll`, nothing here adds Python conventions: ``epoll_create`` returns
an inheritable descriptor, exactly as the C call does, and the caller closes what it opens.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable
from typing import Any

from .abi import EP_MAX_EVENTS
from .backends import Backend, BackendLike, get_backend
from .buffer import EventBuffer, Events
from .convert import UINT64_MAX, as_c_int, as_int64, as_u64, optional_sigset
from .errors import raise_errno, raise_last_error
from .waiting import ms_attempt, wait_with_retry

__all__ = [
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_pwait2_raw",
    "epoll_pwait_raw",
    "epoll_wait",
    "epoll_wait_raw",
]


def _checked(result: int, chosen: Backend) -> int:
    if result < 0:
        raise_last_error(chosen.get_errno)
    return result


def epoll_create(size: int, *, backend: BackendLike = None) -> int:
    """``epoll_create(size)``: open a new epoll instance; return its descriptor.

    *size* is ignored by the kernel since Linux 2.6.8 but must be positive.
    Raises EINVAL (size <= 0), EMFILE, ENFILE, ENOMEM.  epoll_create(2).
    """
    size = as_c_int(size)
    chosen = get_backend(backend)
    return _checked(chosen.create(size), chosen)


def epoll_create1(flags: int = 0, *, backend: BackendLike = None) -> int:
    """``epoll_create1(flags)``: open a new epoll instance; ``EPOLL_CLOEXEC`` is the only flag.

    Raises EINVAL (unknown flag), EMFILE, ENFILE, ENOMEM.  epoll_create(2).
    """
    flags = as_c_int(flags)
    chosen = get_backend(backend)
    return _checked(chosen.create1(flags), chosen)


def _event_mask(events: Any) -> int:
    value = as_u64(events)
    if value > 0xFFFFFFFF:
        raise OverflowError(f"events must fit in 32 unsigned bits, got {value}")
    return value


def epoll_ctl(
    epfd: int,
    op: int,
    fd: int,
    events: int = 0,
    data: int | None = None,
    *,
    null_event: bool = False,
    backend: BackendLike = None,
) -> None:
    """``epoll_ctl(epfd, op, fd, &ev)``: add, change or remove an interest-list entry.

    ``ev.events`` is *events*, ``ev.data`` is *data* (a 64-bit word; the fd itself when
    ``None``).  ``null_event=True`` passes a NULL event pointer instead, which the kernel
    accepts for EPOLL_CTL_DEL and refuses with EFAULT for ADD and MOD.
    Raises EBADF, EEXIST, EINVAL, ELOOP, ENOENT, ENOMEM, ENOSPC, EPERM, EFAULT.  epoll_ctl(2).
    """
    epfd, op, fd = as_c_int(epfd), as_c_int(op), as_c_int(fd)
    word = fd & UINT64_MAX if data is None else as_u64(data)
    chosen = get_backend(backend)
    event = chosen.ffi.null if null_event else chosen.ffi.event(_event_mask(events), word)
    _checked(chosen.ctl(epfd, op, fd, event), chosen)


def _buffer_for(
    maxevents: Any, buffer: EventBuffer | None, chosen: Backend
) -> tuple[int, EventBuffer, Any]:
    """``maxevents`` checked, the buffer to wait into, and its pointer for *chosen*'s FFI."""
    maxevents = as_c_int(maxevents)
    # epoll_wait(2), ERRORS: EINVAL "maxevents is less than or equal to zero", and the kernel's
    # upper bound INT_MAX / sizeof(struct epoll_event): refused here, before any allocation.
    if not 0 < maxevents <= EP_MAX_EVENTS:
        raise_errno(errno.EINVAL)
    if buffer is None:
        buffer = EventBuffer(maxevents, chosen.ffi)
    elif maxevents > buffer.capacity:
        raise ValueError(f"maxevents {maxevents} exceeds the buffer's capacity {buffer.capacity}")
    return maxevents, buffer, buffer.pointer_for(chosen.ffi)


def _ms_to_ns(timeout_ms: Any) -> int | None:
    timeout_ms = as_c_int(timeout_ms)
    return None if timeout_ms < 0 else timeout_ms * 1_000_000


def epoll_wait(
    epfd: int,
    maxevents: int,
    timeout_ms: int,
    *,
    buffer: EventBuffer | None = None,
    backend: BackendLike = None,
) -> Events:
    """``epoll_wait(epfd, events, maxevents, timeout)``: wait for events; return at most
    *maxevents* ``(data, events)`` pairs.

    *timeout_ms*: -1 (or any negative) blocks, 0 returns at once.  *buffer* is a reusable
    :class:`EventBuffer` of at least *maxevents* capacity.
    Raises EBADF, EFAULT, EINTR (retried, PEP 475), EINVAL.  epoll_wait(2).
    """
    epfd = as_c_int(epfd)
    timeout_ns = _ms_to_ns(timeout_ms)
    chosen = get_backend(backend)
    maxevents, buffer, pointer = _buffer_for(maxevents, buffer, chosen)
    attempt = ms_attempt(chosen.wait, epfd, pointer, maxevents)
    return buffer.words(wait_with_retry(attempt, timeout_ns, chosen.get_errno))


def epoll_pwait(
    epfd: int,
    maxevents: int,
    timeout_ms: int,
    sigmask: Iterable[int] | None = None,
    *,
    buffer: EventBuffer | None = None,
    backend: BackendLike = None,
) -> Events:
    """``epoll_pwait(epfd, events, maxevents, timeout, &sigmask)``: :func:`epoll_wait` with
    the thread's signal mask replaced by *sigmask* (signal numbers) for the duration of the
    wait, atomically; ``None`` leaves the mask alone.  epoll_wait(2), epoll_pwait().
    """
    epfd = as_c_int(epfd)
    timeout_ns = _ms_to_ns(timeout_ms)
    chosen = get_backend(backend)
    maxevents, buffer, pointer = _buffer_for(maxevents, buffer, chosen)
    return buffer.words(_pwait(chosen, epfd, pointer, maxevents, timeout_ns, sigmask))


def _pwait(
    chosen: Backend,
    epfd: int,
    events: Any,
    maxevents: int,
    timeout_ns: int | None,
    sigmask: Iterable[int] | None,
) -> int:
    """epoll_pwait with the EINTR policy; the count."""
    mask = chosen.ffi.bytes_pointer(optional_sigset(sigmask, chosen.sigset_size))
    attempt = ms_attempt(chosen.pwait, epfd, events, maxevents, mask)
    return wait_with_retry(attempt, timeout_ns, chosen.get_errno)


def _pwait2(
    chosen: Backend, epfd: int, events: Any, maxevents: int, timeout_ns: Any, mask: Any
) -> int:
    """epoll_pwait2 with *timeout_ns* (None blocks) and the EINTR policy; the count."""
    if timeout_ns is not None:
        timeout_ns = as_int64(timeout_ns)

    def attempt(remaining_ns: int | None) -> int:
        spec = chosen.ffi.null
        if remaining_ns is not None:
            spec = chosen.ffi.timespec(*divmod(remaining_ns, 1_000_000_000))
        return chosen.pwait2(epfd, events, maxevents, spec, mask)

    if timeout_ns is not None and timeout_ns < 0:
        # No retry policy for a timeout the kernel refuses: one call, its EINVAL raised.
        return _checked(attempt(timeout_ns), chosen)
    return wait_with_retry(attempt, timeout_ns, chosen.get_errno)


def epoll_pwait2(
    epfd: int,
    maxevents: int,
    timeout_ns: int | None = None,
    sigmask: Iterable[int] | None = None,
    *,
    buffer: EventBuffer | None = None,
    backend: BackendLike = None,
) -> Events:
    """``epoll_pwait2(epfd, events, maxevents, &timeout, &sigmask)``: :func:`epoll_pwait`
    with a nanosecond timeout; ``None`` blocks (a NULL timeout).  Linux 5.11.

    A negative *timeout_ns* is passed on as such and refused by the kernel with EINVAL.
    epoll_pwait2(2).
    """
    epfd = as_c_int(epfd)
    chosen = get_backend(backend)
    maxevents, buffer, pointer = _buffer_for(maxevents, buffer, chosen)
    mask = chosen.ffi.bytes_pointer(optional_sigset(sigmask, chosen.sigset_size))
    return buffer.words(_pwait2(chosen, epfd, pointer, maxevents, timeout_ns, mask))


# -- the raw waits: any events address, any maxevents, passed on to the kernel unchecked -----


def _raw_args(
    epfd: Any, events_address: Any, maxevents: Any, chosen: Backend
) -> tuple[int, Any, int]:
    events = chosen.ffi.address(as_u64(events_address))
    return as_c_int(epfd), events, as_c_int(maxevents)


def epoll_wait_raw(
    epfd: int, events_address: int, maxevents: int, timeout_ms: int, *, backend: BackendLike = None
) -> int:
    """``epoll_wait(epfd, (struct epoll_event *)events_address, maxevents, timeout)``.

    UNSAFE: the kernel writes up to *maxevents* records at *events_address*.  This exists to
    exercise epoll_wait(2), ERRORS: EFAULT (pass 0, or an unmapped address) and EINVAL
    (*maxevents* is passed on unchecked, so 0 or less reaches the kernel); never pass the
    address of live memory smaller than *maxevents* records.  Returns the number of events
    written.
    """
    chosen = get_backend(backend)
    epfd, events, maxevents = _raw_args(epfd, events_address, maxevents, chosen)
    attempt = ms_attempt(chosen.wait, epfd, events, maxevents)
    return wait_with_retry(attempt, _ms_to_ns(timeout_ms), chosen.get_errno)


def epoll_pwait_raw(
    epfd: int,
    events_address: int,
    maxevents: int,
    timeout_ms: int,
    sigmask: Iterable[int] | None = None,
    *,
    backend: BackendLike = None,
) -> int:
    """``epoll_pwait(epfd, (struct epoll_event *)events_address, maxevents, timeout,
    &sigmask)``; *sigmask* ``None`` is a NULL mask.

    UNSAFE in the same way as :func:`epoll_wait_raw`; the number of events written.
    epoll_wait(2), epoll_pwait().
    """
    chosen = get_backend(backend)
    epfd, events, maxevents = _raw_args(epfd, events_address, maxevents, chosen)
    return _pwait(chosen, epfd, events, maxevents, _ms_to_ns(timeout_ms), sigmask)


def epoll_pwait2_raw(
    epfd: int,
    events_address: int,
    maxevents: int,
    timeout_ns: int | None = None,
    sigmask: Iterable[int] | None = None,
    *,
    backend: BackendLike = None,
) -> int:
    """``epoll_pwait2(epfd, (struct epoll_event *)events_address, maxevents, &timeout,
    &sigmask)``; *timeout_ns* ``None`` is a NULL timeout, *sigmask* ``None`` a NULL mask.
    Linux 5.11.

    UNSAFE in the same way as :func:`epoll_wait_raw`; the number of events written.
    epoll_pwait2(2).
    """
    chosen = get_backend(backend)
    epfd, events, maxevents = _raw_args(epfd, events_address, maxevents, chosen)
    mask = chosen.ffi.bytes_pointer(optional_sigset(sigmask, chosen.sigset_size))
    return _pwait2(chosen, epfd, events, maxevents, timeout_ns, mask)
