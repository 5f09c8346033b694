"""What the kernel holds for a thread asleep in a wait: the timeout it was given, its signal mask.

Read from ``/proc/self/task/<tid>/`` (and, for a timeout passed by pointer, from this process's
own memory through ``/proc/self/mem``) while the thread sleeps, so that a test sees what the
implementation under test handed the kernel rather than what it claims to have handed it.
"""

from __future__ import annotations

import os
import platform
import struct
from typing import NamedTuple

from conformance.timing import wait_syscall

#: Per architecture, per wait syscall: which argument is the timeout, and its unit: "ms" (a C
#: int of milliseconds), "timespec" or "timeval" (a pointer, NULL for none). From the kernel's
#: syscall tables and prototypes (epoll_wait(2), poll(2), select(2)).
_MS, _TIMESPEC, _TIMEVAL = "ms", "timespec", "timeval"
TIMEOUT_ARGUMENT: dict[str, dict[int, tuple[str, int, str]]] = {
    "x86_64": {
        232: ("epoll_wait", 3, _MS),
        281: ("epoll_pwait", 3, _MS),
        441: ("epoll_pwait2", 3, _TIMESPEC),
        7: ("poll", 2, _MS),
        271: ("ppoll", 2, _TIMESPEC),
        23: ("select", 4, _TIMEVAL),
        270: ("pselect6", 4, _TIMESPEC),
    },
    "aarch64": {
        22: ("epoll_pwait", 3, _MS),
        441: ("epoll_pwait2", 3, _TIMESPEC),
        73: ("ppoll", 2, _TIMESPEC),
        72: ("pselect6", 4, _TIMESPEC),
    },
}
_ARGUMENTS = TIMEOUT_ARGUMENT.get(platform.machine())
#: ``struct timespec`` and ``struct timeval`` of these 64-bit architectures: two longs.
_TWO_LONGS = struct.Struct("@qq")
_RESOLUTION_NS = {_MS: 1_000_000, _TIMESPEC: 1, _TIMEVAL: 1_000}


class KernelTimeout(NamedTuple):
    """The timeout a sleeping thread's wait syscall received."""

    syscall: str
    #: The unit the syscall takes its timeout in, in nanoseconds (1 for a timespec).
    resolution_ns: int
    #: The timeout in nanoseconds; None for none (a NULL pointer, or a negative int).
    timeout_ns: int | None


def read_own_memory(address: int, size: int) -> bytes | None:
    """*size* bytes of this process's memory at *address*, or None if they are not mapped.

    Through ``/proc/self/mem``, which fails with EIO on an unmapped address where a ctypes
    read would crash the process.
    """
    try:
        fd = os.open("/proc/self/mem", os.O_RDONLY)
    except OSError:
        return None
    try:
        data = os.pread(fd, size, address)
    except (OSError, OverflowError):
        return None
    finally:
        os.close(fd)
    return data if len(data) == size else None


def _decode(unit: str, argument: int) -> int | None:
    if unit == _MS:
        ms = argument & 0xFFFFFFFF  # a C int, in a 64-bit register
        ms = ms - (1 << 32) if ms & (1 << 31) else ms
        return None if ms < 0 else ms * 1_000_000
    if argument == 0:
        return None
    raw = read_own_memory(argument, _TWO_LONGS.size)
    if raw is None:
        raise LookupError(f"the {unit} at {argument:#x} is not readable")
    seconds, fraction = _TWO_LONGS.unpack(raw)
    return int(seconds * 1_000_000_000 + fraction * _RESOLUTION_NS[unit])


def kernel_timeout(native_id: int) -> KernelTimeout | None:
    """The timeout of the wait syscall thread *native_id* sleeps in, or None when it is not
    seen asleep in one (or that cannot be seen here).

    A pointed-to timeout is read from this process's memory while the thread sleeps: the
    syscall's arguments are read again afterwards, and the reading counts only if the thread
    was still in the same call (so the memory was still the caller's timeout, which the
    kernel copied on entry and the caller cannot have changed while blocked in the call).
    """
    if _ARGUMENTS is None:
        return None
    seen = wait_syscall(native_id)
    if seen is None or seen[0] not in _ARGUMENTS:
        return None
    name, index, unit = _ARGUMENTS[seen[0]]
    try:
        value = _decode(unit, seen[1][index])
    except LookupError:
        return None
    if wait_syscall(native_id) != seen:
        return None
    return KernelTimeout(name, _RESOLUTION_NS[unit], value)


def blocked_signals(native_id: int) -> int | None:
    """The blocked-signal set of thread *native_id* of this process (``SigBlk`` in its
    ``status``: bit *n - 1* for signal *n*), or None where that cannot be read."""
    try:
        with open(f"/proc/self/task/{native_id}/status") as f:
            for line in f:
                if line.startswith("SigBlk:"):
                    return int(line.split()[1], 16)
    except OSError:
        return None
    return None
