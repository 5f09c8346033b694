"""The ``libc`` backend: the C library's own epoll wrappers, loaded with ctypes.

``epoll_pwait2`` entered glibc in 2.35; with an older C library this backend falls back to the
raw syscall for that one call.  On 32-bit targets glibc's ``epoll_pwait2`` takes a 32-bit
``struct timespec``; ``__epoll_pwait2_time64`` takes the 64-bit one this package passes.
"""

from __future__ import annotations

import ctypes

from ..abi import GLIBC_SIGSET_SIZE
from . import Backend, RawCall, c_function
from . import syscall as _syscall


def _pwait2() -> RawCall:
    name = "__epoll_pwait2_time64" if ctypes.sizeof(ctypes.c_void_p) == 4 else "epoll_pwait2"
    try:
        return c_function(name)
    except AttributeError:
        return _syscall.load().pwait2


def load() -> Backend:
    """Bind the C library's epoll functions."""
    return Backend(
        "libc",
        create=c_function("epoll_create"),
        create1=c_function("epoll_create1"),
        ctl=c_function("epoll_ctl"),
        wait=c_function("epoll_wait"),
        wait_nonblocking=c_function("epoll_wait", keep_gil=True),
        wait_fast=c_function("epoll_wait", keep_gil=True, capture_errno=False),
        pwait=c_function("epoll_pwait"),
        pwait2=_pwait2(),
        sigset_size=GLIBC_SIGSET_SIZE,
    )
