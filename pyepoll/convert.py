"""Argument checks and conversions that mirror CPython's, with CPython's exception types.

select.epoll parses its arguments with CPython's argument-clinic converters; a drop-in
replacement has to refuse the same inputs with the same exception types, and this module is
the only place that knows how.  Everything here runs before any syscall.
"""

from __future__ import annotations

import ctypes
import functools
import math
import operator
import signal
import sys
import time
from collections.abc import Iterable
from typing import Any

__all__ = [
    "INT_MAX",
    "INT_MIN",
    "UINT64_MAX",
    "as_c_int",
    "as_event_mask",
    "as_fd",
    "as_int64",
    "as_u64",
    "ns_to_ms",
    "optional_sigset",
    "poll_timeout_ms",
    "seconds_to_ns",
    "sigset",
]

INT_MAX = 2**31 - 1
INT_MIN = -(2**31)
UINT64_MAX = 2**64 - 1
_TIME_T_RANGE = range(-(2**63), 2**63)
#: Timeouts that overflow the interpreter's 64-bit nanosecond clock: a float, and an int too
#: large even for a C ``long long``.
_FLOAT_PROBE = -1e300
_INT_PROBE = -(2**70)


@functools.cache
def _overflow_message(probe: float) -> str:
    """The message of the OverflowError this interpreter raises for a timeout of *probe*
    seconds, with ``{value}`` where the interpreter quotes the value.

    The wording differs between CPython versions and even patch releases (3.11.2 says
    "timestamp too large to convert to C _PyTime_t" for a float, 3.11.7 "timestamp out of
    range for platform time_t"), so it is learned, once, from ``time.sleep``, which converts
    its argument with the converter select.epoll.poll uses (``_PyTime_FromSecondsObject``
    with ``_PyTime_ROUND_TIMEOUT``) before it refuses a negative length: the probe never
    sleeps.  PyPy quotes the value; CPython does not.
    """
    try:
        time.sleep(probe)
    except OverflowError as exc:
        return str(exc).replace(str(probe), "{value}")
    except ValueError:  # converted without overflow, then refused as negative
        pass
    return "timestamp too large to convert to C _PyTime_t"


def _overflow(probe: float, timeout: object) -> OverflowError:
    return OverflowError(_overflow_message(probe).format(value=timeout))


def _index(value: Any) -> int:
    """``operator.index``, with the TypeError wording of this Python's argument parser."""
    if sys.version_info < (3, 10) and not isinstance(value, int):
        # 3.9's "i" and "I" converters refuse floats and non-integers in their own words.
        if isinstance(value, float):
            raise TypeError("integer argument expected, got float")
        if not hasattr(type(value), "__index__"):
            raise TypeError(f"an integer is required (got type {type(value).__name__})")
    number = operator.index(value)
    # 3.9's operator.index returns an int subclass (a bool) as it is; the C converters, and
    # operator.index from 3.10 on, give its exact int value, which messages then print (0,
    # not False).  int.__index__ makes that copy without calling an overridden __int__.
    return number if type(number) is int else int.__index__(number)


def as_c_int(value: Any) -> int:
    """A C ``int`` argument: any object with ``__index__``; OverflowError out of range."""
    number = _index(value)
    if not INT_MIN <= number <= INT_MAX:
        raise OverflowError("Python int too large to convert to C int")
    return number


def as_event_mask(value: Any) -> int:
    """An ``unsigned int`` event mask, converted the way select.epoll does it: the value is
    masked to 32 bits (``PyLong_AsUnsignedLongMask``), so -1 means every bit."""
    return _index(value) & 0xFFFFFFFF


def as_int64(value: Any) -> int:
    """A C ``int64_t`` (a nanosecond count): OverflowError out of range."""
    number = operator.index(value)
    if not -(2**63) <= number < 2**63:
        raise OverflowError("Python int too large to convert to C int64_t")
    return number


def as_u64(value: Any) -> int:
    """The 64-bit ``data`` word of ``struct epoll_event``: 0 <= data < 2**64."""
    number = operator.index(value)
    if not 0 <= number <= UINT64_MAX:
        raise OverflowError(f"data must fit in 64 unsigned bits, got {number}")
    return number


def as_fd(obj: Any) -> int:
    """A file descriptor: an int, or an object whose ``fileno()`` returns one
    (``PyObject_AsFileDescriptor``).  Negative descriptors are refused with ValueError."""
    if isinstance(obj, int):
        fd = obj
    else:
        fileno = getattr(obj, "fileno", None)
        if fileno is None:
            raise TypeError("argument must be an int, or have a fileno() method.")
        fd = fileno()
        if not isinstance(fd, int):
            raise TypeError("fileno() returned a non-integer")
    if not INT_MIN <= fd <= INT_MAX:
        raise OverflowError("Python int too large to convert to C int")
    if fd < 0:
        raise ValueError(f"file descriptor cannot be a negative integer ({fd})")
    return fd


def seconds_to_ns(timeout: Any) -> int:
    """Seconds (int or float) to integer nanoseconds, rounded away from zero, so that a
    positive timeout never becomes a shorter one (CPython's ``_PyTime_ROUND_TIMEOUT``)."""
    if isinstance(timeout, float):
        if math.isnan(timeout):
            raise ValueError("Invalid value NaN (not a number)")
        scaled = timeout * 1e9
        if not -(2.0**63) <= scaled < 2.0**63:
            raise _overflow(_FLOAT_PROBE, timeout)
        return math.ceil(scaled) if scaled >= 0 else math.floor(scaled)
    try:
        seconds = operator.index(timeout)
    except TypeError:
        raise TypeError("timeout must be an integer or None") from None
    ns = seconds * 1_000_000_000
    if ns not in _TIME_T_RANGE:
        raise _overflow(_INT_PROBE, timeout)
    return ns


def poll_timeout_ms(timeout: Any) -> int:
    """select.epoll.poll's *timeout* (seconds, or None) as epoll_wait(2)'s milliseconds.

    None and negative values become -1 (block); anything else is rounded up, first to
    nanoseconds and then to milliseconds, exactly as CPython does it; a result outside a C
    ``int`` raises OverflowError.
    """
    if timeout is None:
        return -1
    if type(timeout) is int and -1 <= timeout <= INT_MAX // 1000:
        return -1 if timeout < 0 else timeout * 1000
    ms = ns_to_ms(seconds_to_ns(timeout))
    if not INT_MIN <= ms <= INT_MAX:
        raise OverflowError("timeout is too large")
    return -1 if ms < 0 else ms


def ns_to_ms(ns: int) -> int:
    """Nanoseconds to milliseconds, rounded away from zero (epoll_wait(2) has millisecond
    resolution; rounding up keeps "wait at least this long")."""
    return -(-ns // 1_000_000) if ns >= 0 else -(ns // -1_000_000)


def sigset(signals: Iterable[Any], size: int) -> ctypes.Array[ctypes.c_char]:
    """A ``sigset_t`` of ``size`` bytes holding ``signals``.

    The kernel's layout: an array of ``unsigned long``, signal *n* is bit ``(n - 1) % W`` of word
    ``(n - 1) // W``, each word in native byte order.
    """
    word_bits = ctypes.sizeof(ctypes.c_ulong) * 8
    words = [0] * (size * 8 // word_bits)
    for sig in signals:
        number = operator.index(sig)
        if not 1 <= number < signal.NSIG:
            raise ValueError(f"signal number {number} out of range [1; {signal.NSIG - 1}]")
        words[(number - 1) // word_bits] |= 1 << ((number - 1) % word_bits)
    raw = b"".join(word.to_bytes(word_bits // 8, sys.byteorder) for word in words)
    return ctypes.create_string_buffer(raw, size)


def optional_sigset(signals: Iterable[Any] | None, size: int) -> ctypes.Array[ctypes.c_char] | None:
    """:func:`sigset`, or ``None`` (a NULL mask) for ``None``."""
    return None if signals is None else sigset(signals, size)
