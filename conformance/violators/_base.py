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

Violators that repeat a pattern are generated, each still a named class of its module (the
name ``--impl`` loads it by), by one of two mechanisms: :func:`rewriting` with
:class:`Rewritten` table rows, for an argument changed on its way (a timeout, a mask, flags),
at any layer (``Instance``, ``Raw``, or the select.epoll-shaped ``Epoll`` of a
:class:`PythonApiWrapped`); and the control-call and poll-result hooks of
:mod:`conformance.violators._ctl`. :func:`violator` makes and registers such a class;
:func:`errno_changed` and :func:`oserror` serve the hand-written ones too.
"""

from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any, Callable, ClassVar, NamedTuple, TypeVar, cast

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


class PythonApiWrapped(Wrapped):
    """The wrapped implementation, with ``Epoll`` (a select.epoll-shaped class: pyepoll's, with
    a mistake) as the Python API under test (the ``python.*`` clauses)."""

    Epoll: ClassVar[type]

    @property
    def pyapi(self) -> Any:
        return self.Epoll


W = TypeVar("W", bound=Wrapped)
C = TypeVar("C")


def oserror(code: int) -> OSError:
    """The OSError the kernel's errno *code* becomes in Python (FileExistsError for EEXIST...)."""
    return OSError(code, os.strerror(code))


@contextlib.contextmanager
def errno_changed(changes: Mapping[int, int | None]) -> Iterator[None]:
    """Within: an OSError whose errno is a key of *changes* is swallowed (the value None) or
    raised again as that errno; other errors pass unchanged."""
    try:
        yield
    except OSError as exc:
        if exc.errno is None or exc.errno not in changes:
            raise
        becomes = changes[exc.errno]
        if becomes is not None:
            raise oserror(becomes) from None


def violator(
    module: str,
    name: str,
    mistake: str,
    clauses: Iterable[str],
    base: type[W],
    **attributes: object,
) -> type[W]:
    """A violator made by a generator: the subclass *name* of *base* (Wrapped or one of its
    kinds) with *attributes* (its ``Instance``, ``Raw`` or ``Epoll`` class, its hooks),
    registered as breaking *clauses*. *mistake* is its docstring; the caller assigns the class
    to *module*'s attribute *name*, the name ``--impl`` loads it by."""
    for attribute, value in attributes.items():
        if isinstance(value, type) and value.__module__ == __name__:  # made by rewriting()
            value.__module__, value.__qualname__ = module, f"{name}.{attribute}"
    namespace = {"__doc__": mistake, "__module__": module, "__qualname__": name, **attributes}
    return violates(*clauses)(cast("type[W]", type(name, (base,), namespace)))


def rewriting(base: type[C], method: str, **changes: Callable[[Any], Any]) -> type[C]:
    """A subclass of *base* whose *method* passes each argument named in *changes* through
    that function and the others as they are: to ``inner`` for a :class:`WrappedInstance` or
    :class:`WrappedRaw`, to *base*'s method for a select.epoll-shaped class. The arguments are
    named as in the method's declaration (:class:`~conformance.adapters.RawApi`'s for Raw)."""
    to_inner = issubclass(base, (WrappedInstance, WrappedRaw))
    signature = inspect.signature(getattr(RawApi if issubclass(base, WrappedRaw) else base, method))
    unknown = set(changes) - set(signature.parameters)
    if unknown:
        raise TypeError(f"{base.__name__}.{method} has no argument {', '.join(sorted(unknown))}")

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for argument, change in changes.items():
            bound.arguments[argument] = change(bound.arguments[argument])
        target = getattr(self.inner if to_inner else super(cls, self), method)
        return target(*bound.args[1:], **bound.kwargs)

    cls = cast("type[C]", type(base.__name__, (base,), {method: call}))
    return cls


class Rewritten(NamedTuple):
    """A violator that changes arguments on their way (:func:`rewriting`), as a table holds it."""

    name: str
    clauses: tuple[str, ...]
    #: What it gets wrong (the class's docstring).
    mistake: str
    #: What it changes: :class:`WrappedInstance`, :class:`WrappedRaw`, or a select.epoll-shaped
    #: class (a :class:`PythonApiWrapped`'s ``Epoll``).
    layer: type
    method: str
    #: Argument name -> what the method passes on instead of it.
    changes: dict[str, Callable[[Any], Any]]


def define_rewritten(namespace: MutableMapping[str, Any], rows: Iterable[Rewritten]) -> None:
    """Make and register the violator of each of *rows* and assign it in *namespace* (a
    module's ``globals()``) under its name."""
    for row in rows:
        layer: type = rewriting(row.layer, row.method, **row.changes)
        base: type[Wrapped]
        if issubclass(row.layer, WrappedRaw):
            base, attribute = Wrapped, "Raw"
        elif issubclass(row.layer, WrappedInstance):
            base, attribute = Wrapped, "Instance"
        else:
            base, attribute = PythonApiWrapped, "Epoll"
        namespace[row.name] = violator(
            namespace["__name__"], row.name, row.mistake, row.clauses, base, **{attribute: layer}
        )
