"""The cffi FFI, in ABI mode: ``ffi.dlopen(None)``, no compiler, no build step.

cffi checks every argument against a declared prototype, so each C function is declared
here, its pointers as ``void *`` (which accepts any cdata pointer or array, and ``ffi.NULL``,
but not ``None``).  ``syscall`` is variadic in C; cffi would want a typed cdata per variadic
argument, so each use casts it to a fixed prototype instead, as ctypes calls it too.  This is
sound on the architectures pyepoll knows: they pass variadic and fixed integer and pointer
arguments alike, and glibc's ``syscall`` reads only the argument registers and stack slots.

cffi releases the GIL around every call and always saves errno (``ffi.errno``, per thread),
so the ``keep_gil`` and ``errno`` hints change nothing here.

Reading the event buffer: under PyPy's JIT, indexing cdata pointers compiles to plain loads,
and a loop over the records is an order of magnitude faster than PyPy's ``memoryview``
slices; under CPython, where each index is a generic call, the strided ``memoryview`` slices
win (measured with 1, 64 and 1000 records).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, cast

from ..abi import EPOLL_EVENT_SIZE
from . import Ffi, RawCall

__all__ = ["CffiFfi", "load"]

_FUNCTIONS = """
int epoll_create(int size);
int epoll_create1(int flags);
int epoll_ctl(int epfd, int op, int fd, void *event);
int epoll_wait(int epfd, void *events, int maxevents, int timeout);
int epoll_pwait(int epfd, void *events, int maxevents, int timeout, void *sigmask);
int epoll_pwait2(int epfd, void *events, int maxevents, void *timeout, void *sigmask);
int __epoll_pwait2_time64(int epfd, void *events, int maxevents, void *timeout, void *sigmask);
long syscall(long number, ...);
struct __kernel_timespec { int64_t tv_sec; int64_t tv_nsec; };
"""

# struct epoll_event: packed on x86 (12 bytes), naturally aligned elsewhere (16); see abi.
_EVENT = "struct epoll_event { uint32_t events; uint64_t data; };"


# Imported by name: cffi ships no type information (its stubs are a separate package), and
# everything taken from it here is typed at this module's boundary.
cffi: Any = importlib.import_module("cffi")
_JIT = sys.implementation.name == "pypy"


class CffiFfi(Ffi):
    """:class:`~pyepoll.ffi.Ffi` over cffi's ABI mode."""

    name = "cffi"
    minus_one = -1

    def __init__(self) -> None:
        ffi = self.ffi = cffi.FFI()
        ffi.cdef(_FUNCTIONS)
        ffi.cdef(_EVENT, packed=EPOLL_EVENT_SIZE == 12)
        if ffi.sizeof("struct epoll_event") != EPOLL_EVENT_SIZE:
            raise ImportError("cffi's struct epoll_event does not match the ABI's")
        self.lib = ffi.dlopen(None)
        self.null = ffi.NULL
        self._new = ffi.new
        self._from_buffer = ffi.from_buffer
        self._cast = ffi.cast

    def function(
        self, name: str, params: tuple[str, ...], *, keep_gil: bool = False, errno: bool = True
    ) -> RawCall:
        return cast(RawCall, getattr(self.lib, name))

    def syscall(
        self, params: tuple[str, ...], *, keep_gil: bool = False, errno: bool = True
    ) -> RawCall:
        prototype = f"long (*)(long, {', '.join(params)})"
        return cast(RawCall, self.ffi.cast(prototype, self.lib.syscall))

    def get_errno(self) -> int:
        return cast(int, self.ffi.errno)

    def set_errno(self, value: int) -> None:
        self.ffi.errno = value

    def buffer_pointer(self, memory: Any) -> Any:
        return self._from_buffer(memory, require_writable=True)

    def event(self, events: int, data: int) -> Any:
        return self._new("struct epoll_event *", (events, data))

    def timespec(self, seconds: int, nanoseconds: int) -> Any:
        return self._new("struct __kernel_timespec *", (seconds, nanoseconds))

    def bytes_pointer(self, data: Any) -> Any:
        return self.null if data is None else self._from_buffer(data)

    def address(self, value: int) -> Any:
        return self._cast("void *", value)

    def size_t(self, value: int) -> Any:
        return value  # declared size_t in the prototype: cffi passes it full width

    def views(self, view: memoryview, pointer: Any) -> tuple[Any, Any, Any]:
        if not _JIT:
            return super().views(view, pointer)
        cast_ = self._cast
        records = cast_("struct epoll_event *", pointer)
        return cast_("int32_t *", pointer), cast_("uint32_t *", pointer), records


def load() -> CffiFfi:
    """The cffi FFI; ImportError when cffi is not installed."""
    return CffiFfi()
