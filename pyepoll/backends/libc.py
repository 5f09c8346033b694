"""The ``libc`` backend: the C library's own epoll wrappers, over either FFI.

``epoll_pwait2`` entered glibc in 2.35; with an older C library this backend falls back to the
raw syscall for that one call.  On 32-bit targets glibc's ``epoll_pwait2`` takes a 32-bit
``struct timespec``; ``__epoll_pwait2_time64`` takes the 64-bit one this package passes.
"""

from __future__ import annotations

import ctypes

from ..abi import GLIBC_SIGSET_SIZE
from ..ffi import Ffi, RawCall
from . import Backend
from . import syscall as _syscall

_WAIT = ("int", "void *", "int", "int")
_PWAIT2 = ("int", "void *", "int", "void *", "void *")


def _pwait2(ffi: Ffi) -> RawCall:
    name = "__epoll_pwait2_time64" if ctypes.sizeof(ctypes.c_void_p) == 4 else "epoll_pwait2"
    try:
        return ffi.function(name, _PWAIT2)
    except AttributeError:
        return _syscall.load(ffi=ffi).pwait2


def load(*, ffi: Ffi) -> Backend:
    """Bind the C library's epoll functions through *ffi*."""
    return Backend(
        "libc",
        ffi,
        create=ffi.function("epoll_create", ("int",)),
        create1=ffi.function("epoll_create1", ("int",)),
        ctl=ffi.function("epoll_ctl", ("int", "int", "int", "void *")),
        wait=ffi.function("epoll_wait", _WAIT),
        wait_nonblocking=ffi.function("epoll_wait", _WAIT, keep_gil=True),
        wait_fast=ffi.function("epoll_wait", _WAIT, keep_gil=True, errno=False),
        pwait=ffi.function("epoll_pwait", (*_WAIT, "void *")),
        pwait2=_pwait2(ffi),
        sigset_size=GLIBC_SIGSET_SIZE,
    )
