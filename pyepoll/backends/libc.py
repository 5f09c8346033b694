"""The ``libc`` backend: the C library's own epoll wrappers, loaded with ctypes.

The functions are called without ``argtypes``: every integer argument is a C ``int`` and every
pointer a ctypes object or ``None``, which is exactly ctypes' default conversion, and skipping
per-argument converters is measurably faster.  The layers above range-check every integer
before it gets here, so ctypes' silent masking of oversized ints never applies.

``epoll_pwait2`` entered glibc in 2.35; with an older C library this backend falls back to the
raw syscall for that one call.  On 32-bit targets glibc's ``epoll_pwait2`` takes a 32-bit
``struct timespec``; ``__epoll_pwait2_time64`` takes the 64-bit one this package passes.
"""

from __future__ import annotations

import ctypes

from ..abi import GLIBC_SIGSET_SIZE
from . import Backend, gil_holding_int_function
from . import syscall as _syscall


def _function(dll: ctypes.CDLL, name: str) -> ctypes._NamedFuncPointer:
    function = dll[name]
    function.restype = ctypes.c_int
    return function


def load() -> Backend:
    """Bind the C library's epoll functions."""
    # CDLL releases the GIL around each call; PyDLL keeps it (used for non-blocking waits).
    libc = ctypes.CDLL(None, use_errno=True)
    libc_gil = ctypes.PyDLL(None, use_errno=True)
    pwait2_name = "__epoll_pwait2_time64" if ctypes.sizeof(ctypes.c_void_p) == 4 else "epoll_pwait2"
    try:
        pwait2 = _function(libc, pwait2_name)
    except AttributeError:
        pwait2 = _syscall.load().pwait2  # type: ignore[assignment]
    return Backend(
        "libc",
        create=_function(libc, "epoll_create"),
        create1=_function(libc, "epoll_create1"),
        ctl=_function(libc, "epoll_ctl"),
        wait=_function(libc, "epoll_wait"),
        wait_nonblocking=_function(libc_gil, "epoll_wait"),
        wait_fast=gil_holding_int_function("epoll_wait"),
        pwait=_function(libc, "epoll_pwait"),
        pwait2=pwait2,
        sigset_size=GLIBC_SIGSET_SIZE,
    )
