"""The ctypes FFI: the standard library's, no dependency.

Functions are built without ``restype`` or ``argtypes`` (see :func:`c_function`), so every
argument must already be what C expects: ints (range-checked above), ``byref`` pointers,
ctypes objects or ``None``.
"""

from __future__ import annotations

import ctypes
import platform
from typing import Any, cast

from ..abi import EpollEventStruct, KernelTimespec
from . import Ffi, RawCall

__all__ = ["CtypesFfi", "c_function", "load"]

_function_classes: dict[int, type] = {}


def c_function(name: str, *, keep_gil: bool = False, capture_errno: bool = True) -> RawCall:
    """``name`` from the C library as a ctypes function returning a C ``int``.

    ``keep_gil``: call without releasing the GIL (only for calls that cannot block).
    ``capture_errno``: save ``errno`` for ``ctypes.get_errno()`` after the call; without it the
    call skips a thread-state lookup, and a caller that sees a failure must repeat the call
    with a capturing function to learn why.

    The function has no ``restype`` at all, so ctypes turns its result into an int with one
    direct conversion instead of its generic result converter (a table search per call), and
    no ``argtypes``: integers go in as C ``int``, ctypes objects and ``byref`` as pointers.
    Every integer is range-checked before it gets here.  This is how ``CDLL`` builds its own
    functions; ``_CFuncPtr`` and the flags are ctypes internals, so an interpreter without
    other interpreters (PyPy, whose ctypes returns None from such a function) get ordinary
    ``CDLL``/``PyDLL`` functions.
    """
    if platform.python_implementation() == "CPython":
        flags = ctypes._FUNCFLAG_CDECL  # type: ignore[attr-defined]
        if keep_gil:
            flags |= ctypes._FUNCFLAG_PYTHONAPI  # type: ignore[attr-defined]
        if capture_errno:
            flags |= ctypes._FUNCFLAG_USE_ERRNO  # type: ignore[attr-defined]
        cls = _function_classes.get(flags)
        if cls is None:
            base = ctypes._CFuncPtr  # type: ignore[attr-defined]
            cls = _function_classes[flags] = type("CFunction", (base,), {"_flags_": flags})
        return cast(RawCall, cls((name, ctypes.CDLL(None))))
    # PyPy has no PyDLL (and no GIL release cost worth avoiding): CDLL for everything.
    dll_type = getattr(ctypes, "PyDLL", ctypes.CDLL) if keep_gil else ctypes.CDLL
    function = dll_type(None, use_errno=capture_errno)[name]
    function.restype = ctypes.c_int
    return cast(RawCall, function)


class CtypesFfi(Ffi):
    """:class:`~pyepoll.ffi.Ffi` over ctypes."""

    name = "ctypes"
    #: ctypes converts a negative Python int only after a failed unsigned conversion, which
    #: raises and clears an OverflowError on every call: a ready-made C int avoids it.
    minus_one = ctypes.c_int(-1)
    null = None

    def function(
        self, name: str, params: tuple[str, ...], *, keep_gil: bool = False, errno: bool = True
    ) -> RawCall:
        return c_function(name, keep_gil=keep_gil, capture_errno=errno)

    def syscall(
        self, params: tuple[str, ...], *, keep_gil: bool = False, errno: bool = True
    ) -> RawCall:
        return c_function("syscall", keep_gil=keep_gil, capture_errno=errno)

    get_errno = staticmethod(ctypes.get_errno)

    def set_errno(self, value: int) -> None:
        ctypes.set_errno(value)

    def buffer_pointer(self, memory: Any) -> Any:
        # ``byref`` of the first byte, made once: ctypes passes it without converting anything
        # per call.  Deliberately not a ``c_char * size`` array: that would make a ctypes type
        # per size, which 3.9-3.11 cache only weakly, so a buffer's death would leave the dead
        # type (a self-referencing cycle) to the cycle collector.  ``from_buffer`` keeps
        # ``memory`` alive and checks only that one byte fits.
        return ctypes.byref(ctypes.c_char.from_buffer(memory))

    def event(self, events: int, data: int) -> Any:
        return ctypes.byref(EpollEventStruct(events, data))

    def timespec(self, seconds: int, nanoseconds: int) -> Any:
        return ctypes.byref(KernelTimespec(seconds, nanoseconds))

    def bytes_pointer(self, data: Any) -> Any:
        return data  # a ctypes array, bytes or None pass as they are

    def address(self, value: int) -> Any:
        return ctypes.c_void_p(value)

    def size_t(self, value: int) -> Any:
        return ctypes.c_size_t(value)


def load() -> CtypesFfi:
    """The ctypes FFI."""
    return CtypesFfi()
