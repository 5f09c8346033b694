"""The base of generated and hand-written violators: a full-capability adapter, passed through.

:class:`Wrapped` wraps an existing adapter (pyepoll's libc backend by default, which has every
capability, so that a violator can break any clause, raw calls and data words included). A
violator overrides one thing in its nested ``Instance`` or ``Raw`` class; everything it does not
override goes to the wrapped implementation unchanged::

    @violates("epoll_ctl.EEXIST")
    class SwallowsEexist(Wrapped):
        \"\"\"Registering a registered fd again "succeeds" silently.\"\"\"

        class Instance(WrappedInstance):
            def register(self, fd: int, events: int, data: int | None = None) -> None:
                with contextlib.suppress(FileExistsError):
                    self.inner.register(fd, events, data)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, ClassVar, TypeVar, cast

from conformance import adapters
from conformance.adapters import Adapter, Events, RawApi, load
from conformance.violators import violates


class WrappedInstance:
    """An :class:`~conformance.adapters.Instance` that passes every call to ``inner``."""

    def __init__(self, inner: adapters.Instance, adapter: Wrapped) -> None:
        self.inner = inner
        self.adapter = adapter

    def register(self, fd: int, events: int, data: int | None = None) -> None:
        self.inner.register(fd, events, data)

    def modify(self, fd: int, events: int, data: int | None = None) -> None:
        self.inner.modify(fd, events, data)

    def unregister(self, fd: int) -> None:
        self.inner.unregister(fd)

    def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events:
        return self.inner.poll(timeout_ms, maxevents)

    def close(self) -> None:
        self.inner.close()

    def fileno(self) -> int:
        return self.inner.fileno()

    def interest_list(self) -> list[tuple[int, int, int]]:
        return self.inner.interest_list()


class WrappedRaw:
    """A :class:`~conformance.adapters.RawApi` that passes every call to ``inner``; a violator
    overrides the calls it breaks (attribute access reaches the rest)."""

    def __init__(self, inner: RawApi, adapter: Wrapped) -> None:
        self.inner = inner
        self.adapter = adapter

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Wrapped(Adapter):
    """An adapter that behaves exactly like ``base`` except where a subclass overrides."""

    #: The implementation wrapped (a built-in name or ``module:attribute``).
    base: ClassVar[str] = "pyepoll-libc"
    Instance: ClassVar[type[WrappedInstance]] = WrappedInstance
    Raw: ClassVar[type[WrappedRaw]] = WrappedRaw

    def __init__(self) -> None:
        self.inner = load(self.base)
        self.capabilities = self.inner.capabilities
        self.description = (self.__doc__ or "").strip().splitlines()[0] if self.__doc__ else ""

    def create(self) -> adapters.Instance:
        return self.Instance(self.inner.create(), self)

    def fromfd(self, fd: int) -> adapters.Instance:
        return self.Instance(self.inner.fromfd(fd), self)

    @property
    def pyapi(self) -> Any:
        """The wrapped implementation's select.epoll-shaped class (violators of the ``python.*``
        clauses override this)."""
        return self.inner.pyapi

    @property
    def raw(self) -> RawApi:
        # The calls a violator does not override reach the wrapped RawApi through __getattr__.
        return cast(RawApi, self.Raw(self.inner.raw, self))


W = TypeVar("W", bound=Wrapped)


def oserror(code: int) -> OSError:
    """The OSError the kernel's errno *code* becomes in Python (FileExistsError for EEXIST...)."""
    return OSError(code, os.strerror(code))


def violator(
    module: str,
    name: str,
    mistake: str,
    clauses: Iterable[str],
    base: type[W],
    **attributes: object,
) -> type[W]:
    """A violator made by a generator: the subclass *name* of *base* (Wrapped or one of its
    kinds) with *attributes* (its
    ``Instance``, ``Raw`` or ``Epoll`` class, its hooks), registered as breaking *clauses*.
    *mistake* is its docstring; the caller assigns the class to *module*'s attribute *name*,
    the name ``--impl`` loads it by."""
    namespace = {"__doc__": mistake, "__module__": module, "__qualname__": name, **attributes}
    return violates(*clauses)(cast("type[W]", type(name, (base,), namespace)))
