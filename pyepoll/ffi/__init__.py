"""FFIs: how a backend calls C.  ctypes (standard library) or cffi in ABI mode.

A backend (:mod:`pyepoll.backends`) decides *which* C function does the work (the C library's
wrappers or ``syscall(2)``); an :class:`Ffi` decides *how* Python calls it and how arguments
that are not plain ints reach C: the event buffer, a ``struct epoll_event`` for epoll_ctl(2),
a ``struct __kernel_timespec`` for epoll_pwait2(2), a signal set, a raw address.  Everything
above the backends builds those arguments through the backend's FFI, and reads ``errno``
through it: each FFI keeps its own thread-local copy, taken right after the call (ctypes'
``use_errno``, cffi's ``ffi.errno``), never the global that another call could overwrite.

Two FFIs exist:

``ctypes``
    The standard library's; the default on CPython, where it needs nothing installed and
    measures faster than cffi's ABI mode (see the README's speed section).
``cffi``
    cffi's ABI mode (``ffi.dlopen``): no compiler, no build step.  The default on PyPy, which
    ships cffi and whose JIT calls it for a fraction of the cost of its ctypes.  Available on
    CPython when the ``cffi`` package is installed.

The default is named by the environment variable ``PYEPOLL_FFI``, read when first needed.
"""

from __future__ import annotations

import importlib
import os
import platform
from typing import Any, Callable, cast

__all__ = ["FFI_NAMES", "Ffi", "RawCall", "available_ffis", "default_ffi_name", "get_ffi"]

#: Names of the FFIs this package knows, whether or not importable here.
FFI_NAMES = ("ctypes", "cffi")

#: A raw C call: ints and FFI-made pointers (or the FFI's ``null``) in, the C result out.
RawCall = Callable[..., int]


class Ffi:
    """One way of calling C; the methods below are what every FFI provides.

    ``function`` and ``syscall`` take C parameter types (``"int"``, ``"void *"``,
    ``"size_t"``), which an FFI that checks them (cffi) declares and one that does not
    (ctypes, called without ``argtypes`` for speed) ignores.  A NULL pointer argument is
    :attr:`null`.
    """

    name: str
    #: ``-1`` as this FFI passes it fastest to an ``int`` parameter.
    minus_one: Any
    #: The NULL pointer (``None`` for ctypes, ``ffi.NULL`` for cffi).
    null: Any

    def function(
        self, name: str, params: tuple[str, ...], *, keep_gil: bool = False, errno: bool = True
    ) -> RawCall:
        """The C library's ``int name(params)``; AttributeError if it has no such symbol.

        ``keep_gil``: the call cannot block, the GIL may stay held.  ``errno=False``: errno
        need not be saved (the caller repeats a failed call with ``errno=True`` to learn it).
        Both are hints an FFI may ignore.
        """
        raise NotImplementedError

    def syscall(
        self, params: tuple[str, ...], *, keep_gil: bool = False, errno: bool = True
    ) -> RawCall:
        """``long syscall(long number, params...)``, called as ``call(number, *args)``."""
        raise NotImplementedError

    def get_errno(self) -> int:
        """The errno saved after this thread's last call through this FFI."""
        raise NotImplementedError

    def set_errno(self, value: int) -> None:
        """Set the saved errno (for calls emulated in Python)."""
        raise NotImplementedError

    def buffer_pointer(self, memory: Any) -> Any:
        """A ``void *`` to writable *memory* (a bytearray or mmap), valid while it lives."""
        raise NotImplementedError

    def event(self, events: int, data: int) -> Any:
        """A pointer to a new ``struct epoll_event {events, data}`` (epoll_ctl(2))."""
        raise NotImplementedError

    def timespec(self, seconds: int, nanoseconds: int) -> Any:
        """A pointer to a new ``struct __kernel_timespec`` (epoll_pwait2(2))."""
        raise NotImplementedError

    def bytes_pointer(self, data: Any) -> Any:
        """A pointer to the bytes of *data* (any buffer, e.g. a signal set); None gives NULL."""
        raise NotImplementedError

    def address(self, value: int) -> Any:
        """A ``void *`` holding the raw address *value* (0 is NULL)."""
        raise NotImplementedError

    def size_t(self, value: int) -> Any:
        """*value* as this FFI passes a full-width ``size_t`` argument of ``syscall``."""
        raise NotImplementedError

    def views(self, view: memoryview, pointer: Any) -> tuple[Any, Any, Any]:
        """How to read an event buffer (*view* of its memory, *pointer* made by
        :meth:`buffer_pointer`): its signed and unsigned 32-bit words, indexable, and either
        None (decode with strided slices of the words) or an indexable array of
        ``struct epoll_event`` records with ``.events`` and ``.data`` (decode record by
        record).  Typed ``memoryview`` casts, by default."""
        return view.cast("i"), view.cast("I"), None

    def __repr__(self) -> str:
        return f"<pyepoll ffi {self.name!r}>"


_loaded: dict[str, Ffi] = {}
_unavailable: dict[str, str] = {}


def get_ffi(name: str) -> Ffi:
    """The FFI called *name*.  ValueError for an unknown name, ImportError (with the
    reason) for a known one that cannot be imported here (cffi not installed)."""
    ffi = _loaded.get(name)
    if ffi is not None:
        return ffi
    if name not in FFI_NAMES:
        raise ValueError(f"unknown pyepoll FFI {name!r}; expected one of {', '.join(FFI_NAMES)}")
    if name in _unavailable:
        raise ImportError(_unavailable[name])
    try:
        module = importlib.import_module(f"{__name__}.{name}_ffi")
        ffi = _loaded[name] = cast(Ffi, module.load())
    except ImportError as error:
        _unavailable[name] = f"pyepoll FFI {name!r} is not available: {error}"
        raise ImportError(_unavailable[name]) from error
    return ffi


def available_ffis() -> tuple[str, ...]:
    """The FFIs that import here, the default first."""
    names = []
    for name in FFI_NAMES:
        try:
            get_ffi(name)
        except ImportError:
            continue
        names.append(name)
    default = default_ffi_name()
    return tuple(sorted(names, key=lambda name: name != default))


def default_ffi_name() -> str:
    """``PYEPOLL_FFI`` if set; else cffi on PyPy where it imports, ctypes everywhere else."""
    chosen = os.environ.get("PYEPOLL_FFI")
    if chosen:
        return chosen
    if platform.python_implementation() == "PyPy":
        try:
            get_ffi("cffi")
        except ImportError:
            return "ctypes"
        return "cffi"
    return "ctypes"
