"""Adapters: how the suite drives an epoll implementation, whichever it is.

An :class:`Adapter` creates :class:`Instance` objects (the ``select.epoll`` shape: register,
modify, unregister, poll, close, fileno) and declares *capabilities*, the optional things it
can express. A clause that needs a capability the adapter lacks is reported not-applicable for
it, never passed:

``fromfd``      wrap an existing descriptor (``select.epoll.fromfd``); the suite uses it to aim
                calls at bad descriptors (EBADF, EINVAL "not an epoll fd").
``data``        register/modify with a caller-chosen 64-bit data word.
``raw``         C-semantics calls (:class:`RawApi`): ``epoll_create(size)``, ``epoll_create1``
                with the flags passed to the kernel, ``epoll_ctl`` with any ``op``,
                ``epoll_wait`` with any ``maxevents``.
``raw-address`` NULL event pointers and arbitrary event-buffer addresses (EFAULT clauses).
``pwait``, ``pwait2``  epoll_pwait with a signal mask, epoll_pwait2 with nanoseconds.
``busy-poll``   the EPIOCSPARAMS / EPIOCGPARAMS ioctls.
``interest-list`` ``Instance.interest_list()``, the implementation's own view of the interest
                list as (fd, events, data) triples; checked against /proc/self/fdinfo.
``pyapi``       :attr:`Adapter.pyapi`, the select.epoll-shaped class itself (``sizehint`` and
                ``flags``, ``fromfd``, timeouts in seconds or None, the default event mask,
                ``close``, ``closed``, the context manager), for the ``python.*`` clauses about
                what the Python API adds to the calls.

An instance of a select.epoll-like object is polled in every argument form users write, in
turn (0 and 0.0; no timeout, None, -1 and -1.0; int and float seconds; maxevents left out, -1
or a count): see :class:`_SelectLikeInstance`.

Built-ins: ``select`` (CPython's select.epoll), ``pyepoll-libc`` and ``pyepoll-syscall`` (over
pyepoll's default FFI), and ``pyepoll-libc-cffi`` and ``pyepoll-syscall-cffi`` (or ``-ctypes``
on PyPy) for each other FFI installed here.
Anything else is named ``module:attribute``: either an :class:`Adapter` (instance or subclass),
or a callable with select.epoll's constructor signature, adapted like ``select``.
"""

from __future__ import annotations

import functools
import importlib
import select
from collections.abc import Iterable
from typing import Any, Callable, NamedTuple, Protocol

FROMFD, DATA, RAW, RAW_ADDRESS = "fromfd", "data", "raw", "raw-address"
PWAIT, PWAIT2, BUSY_POLL = "pwait", "pwait2", "busy-poll"
INTEREST_LIST = "interest-list"
PYAPI = "pyapi"
ALL_CAPABILITIES = frozenset(
    {FROMFD, DATA, RAW, RAW_ADDRESS, PWAIT, PWAIT2, BUSY_POLL, INTEREST_LIST, PYAPI}
)

Events = list[tuple[int, int]]


class AdapterError(ValueError):
    """An implementation name that does not name a usable adapter."""


class Instance(Protocol):
    """One epoll instance, as the suite uses it. Timeouts are milliseconds, -1 blocks."""

    def register(self, fd: int, events: int, data: int | None = None) -> None: ...
    def modify(self, fd: int, events: int, data: int | None = None) -> None: ...
    def unregister(self, fd: int) -> None: ...
    def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events: ...
    def close(self) -> None: ...
    def fileno(self) -> int: ...
    def interest_list(self) -> list[tuple[int, int, int]]: ...


class Ctl(NamedTuple):
    """One ``epoll_ctl(epfd, op, fd, &{events, data})`` call, the arguments of
    :meth:`RawApi.epoll_ctl` (``data`` None: the fd itself; ``null_event``: a NULL event
    pointer instead of ``&{events, data}``)."""

    epfd: int
    op: int
    fd: int
    events: int = 0
    data: int | None = None
    null_event: bool = False


class RawApi(Protocol):
    """C-semantics calls: ints in, ints out, failures as OSError carrying the kernel's errno."""

    def epoll_create(self, size: int) -> int: ...
    def epoll_create1(self, flags: int) -> int: ...
    def epoll_ctl(
        self,
        epfd: int,
        op: int,
        fd: int,
        events: int = 0,
        data: int | None = None,
        *,
        null_event: bool = False,
    ) -> None: ...
    def epoll_wait(self, epfd: int, maxevents: int, timeout_ms: int) -> Events: ...
    def epoll_wait_raw(
        self, epfd: int, address: int, maxevents: int, timeout_ms: int, call: str = "epoll_wait"
    ) -> int: ...
    def epoll_pwait(
        self, epfd: int, maxevents: int, timeout_ms: int, sigmask: Iterable[int] | None
    ) -> Events: ...
    def epoll_pwait2(
        self, epfd: int, maxevents: int, timeout_ns: int | None, sigmask: Iterable[int] | None
    ) -> Events: ...
    def get_params(self, epfd: int) -> tuple[int, int, int]: ...
    def set_params(self, epfd: int, params: tuple[int, int, int], pad: int = 0) -> None: ...


class Adapter:
    """An implementation under test: a name, capabilities, a factory of instances."""

    name: str = "?"
    description: str = ""
    capabilities: frozenset[str] = frozenset()

    def create(self) -> Instance:
        raise NotImplementedError

    def fromfd(self, fd: int) -> Instance:
        """An instance wrapping *fd* (capability ``fromfd``); closing it closes *fd*."""
        raise NotImplementedError

    @property
    def raw(self) -> RawApi:
        """The C-semantics calls (capability ``raw``)."""
        raise NotImplementedError

    @property
    def pyapi(self) -> Any:
        """The select.epoll-shaped class (capability ``pyapi``): ``pyapi(sizehint, flags)``
        makes an object with select.epoll's whole Python API, ``pyapi.fromfd(fd)`` wraps one."""
        raise NotImplementedError

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    def __repr__(self) -> str:
        return f"<adapter {self.name}>"


#: Stands for an argument left out of a call.
_OMITTED: Any = object()


def timeout_forms(timeout_ms: int) -> tuple[Any, ...]:
    """The ways a user writes select.epoll.poll's *timeout* for *timeout_ms* milliseconds:
    blocking is no argument, None, -1 or -1.0; zero is 0 or 0.0; a positive timeout is a float
    of seconds, or also an int when it is whole seconds."""
    if timeout_ms < 0:
        return (_OMITTED, None, -1, -1.0)
    if timeout_ms == 0:
        return (0, 0.0)
    if timeout_ms % 1000 == 0:
        return (timeout_ms // 1000, timeout_ms / 1000)
    return (timeout_ms / 1000,)


def maxevents_forms(maxevents: int) -> tuple[Any, ...]:
    """The ways a user writes *maxevents*: the default left out or written -1; else itself."""
    return (_OMITTED, -1) if maxevents == -1 else (maxevents,)


class _SelectLikeInstance:
    """Drives an object shaped like select.epoll (timeouts in seconds, data by keyword).

    ``poll(timeout_ms, maxevents)`` is turned into each of the argument forms users pass, in
    turn: the *n*-th poll of an instance (from 0) writes the timeout as form ``n`` of
    :func:`timeout_forms` and maxevents as form ``n // len(timeout forms)`` of
    :func:`maxevents_forms`, cyclically. So an instance's polls with timeout 0 and the default
    maxevents are ``poll(0)`` (the int an implementation's fast path may pick out), then
    ``poll(0.0)``, ``poll(0, -1)``, ``poll(0.0, -1)``; its first blocking one is ``poll()``;
    a test polling a few times reaches every form. The rotation is per instance, so a test's
    calls are the same whatever ran before it (and whichever worker runs it).
    """

    def __init__(self, obj: Any, with_data: bool) -> None:
        self._obj = obj
        self._with_data = with_data
        self._polls = 0

    def _args(self, data: int | None) -> dict[str, int]:
        if data is None:
            return {}
        if not self._with_data:
            raise TypeError("this implementation has no data word (capability 'data')")
        return {"data": data}

    def register(self, fd: int, events: int, data: int | None = None) -> None:
        self._obj.register(fd, events, **self._args(data))

    def modify(self, fd: int, events: int, data: int | None = None) -> None:
        self._obj.modify(fd, events, **self._args(data))

    def unregister(self, fd: int) -> None:
        self._obj.unregister(fd)

    def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events:
        n, self._polls = self._polls, self._polls + 1
        timeouts = timeout_forms(timeout_ms)
        timeout = timeouts[n % len(timeouts)]
        counts = maxevents_forms(maxevents)
        count = counts[n // len(timeouts) % len(counts)]
        if count is _OMITTED:
            args = () if timeout is _OMITTED else (timeout,)
            events = self._obj.poll(*args)
        elif timeout is _OMITTED:
            events = self._obj.poll(maxevents=count)
        else:
            events = self._obj.poll(timeout, count)
        return [(int(key), int(mask)) for key, mask in events]

    def close(self) -> None:
        self._obj.close()

    def fileno(self) -> int:
        return int(self._obj.fileno())

    def interest_list(self) -> list[tuple[int, int, int]]:
        return [(int(fd), int(events), int(data)) for fd, events, data in self._obj.interest_list()]


class SelectLikeAdapter(Adapter):
    """An adapter for a callable with select.epoll's constructor (and maybe ``fromfd``)."""

    def __init__(self, name: str, factory: Callable[..., Any], description: str = "") -> None:
        self.name = name
        self.description = (
            description
            or f"{getattr(factory, '__module__', '?')}."
            f"{getattr(factory, '__qualname__', factory)!s}"
        )
        self._factory: Any = factory
        self.capabilities = frozenset({FROMFD, PYAPI} if hasattr(factory, "fromfd") else {PYAPI})

    @property
    def pyapi(self) -> Any:
        return self._factory

    def create(self) -> Instance:
        return _SelectLikeInstance(self._factory(), self.has(DATA))

    def fromfd(self, fd: int) -> Instance:
        return _SelectLikeInstance(self._factory.fromfd(fd), self.has(DATA))


class _PyepollRaw:
    """pyepoll's low-level functions, bound to one backend."""

    def __init__(self, backend: str) -> None:
        self._b = backend
        self._m: Any = importlib.import_module("pyepoll")

    def epoll_create(self, size: int) -> int:
        return int(self._m.epoll_create(size, backend=self._b))

    def epoll_create1(self, flags: int) -> int:
        return int(self._m.epoll_create1(flags, backend=self._b))

    def epoll_ctl(self, *args: Any, **kwargs: Any) -> None:
        """:meth:`RawApi.epoll_ctl`, its arguments read as a :class:`Ctl`."""
        epfd, op, fd, events, data, null_event = Ctl(*args, **kwargs)
        self._m.epoll_ctl(epfd, op, fd, events, data, null_event=null_event, backend=self._b)

    def epoll_wait(self, epfd: int, maxevents: int, timeout_ms: int) -> Events:
        return list(self._m.epoll_wait(epfd, maxevents, timeout_ms, backend=self._b))

    def epoll_wait_raw(
        self, epfd: int, address: int, maxevents: int, timeout_ms: int, call: str = "epoll_wait"
    ) -> int:
        """*call* (epoll_wait, epoll_pwait or epoll_pwait2, NULL sigmask) with *address* as the
        events pointer, through pyepoll's ``*_raw`` functions."""
        if call == "epoll_wait":
            count = self._m.epoll_wait_raw(epfd, address, maxevents, timeout_ms, backend=self._b)
        elif call == "epoll_pwait":
            count = self._m.epoll_pwait_raw(
                epfd, address, maxevents, timeout_ms, None, backend=self._b
            )
        else:
            timeout_ns = None if timeout_ms < 0 else timeout_ms * 1_000_000
            count = self._m.epoll_pwait2_raw(
                epfd, address, maxevents, timeout_ns, None, backend=self._b
            )
        return int(count)

    def epoll_pwait(
        self, epfd: int, maxevents: int, timeout_ms: int, sigmask: Iterable[int] | None
    ) -> Events:
        return list(self._m.epoll_pwait(epfd, maxevents, timeout_ms, sigmask, backend=self._b))

    def epoll_pwait2(
        self, epfd: int, maxevents: int, timeout_ns: int | None, sigmask: Iterable[int] | None
    ) -> Events:
        return list(self._m.epoll_pwait2(epfd, maxevents, timeout_ns, sigmask, backend=self._b))

    def get_params(self, epfd: int) -> tuple[int, int, int]:
        usecs, budget, prefer = self._m.epoll_get_params(epfd)
        return int(usecs), int(budget), int(prefer)

    def set_params(self, epfd: int, params: tuple[int, int, int], pad: int = 0) -> None:
        self._m.epoll_set_params(epfd, self._m.EpollParams(*params), pad=pad)


class PyepollAdapter(SelectLikeAdapter):
    """``pyepoll.epoll`` objects and functions with one backend ("libc" or "syscall")."""

    def __init__(self, backend: str, cls: Any = None, label: str | None = None) -> None:
        """*cls* replaces ``pyepoll.epoll`` (a violator's subclass of it, say); *label* names
        the adapter ``pyepoll-<label>`` (default: the backend's name)."""
        pyepoll: Any = importlib.import_module("pyepoll")
        cls = cls or pyepoll.epoll

        def factory(*args: Any, **kwargs: Any) -> Any:
            return cls(*args, backend=backend, **kwargs)

        factory.__module__ = "pyepoll"  # where its constants are (EPOLLIN, EPOLL_CLOEXEC...)

        factory.fromfd = lambda fd: cls.fromfd(fd, backend=backend)  # type: ignore[attr-defined]
        name = f"pyepoll-{label or backend}"
        super().__init__(name, factory, f"pyepoll.epoll(backend={backend!r})")
        self.capabilities = ALL_CAPABILITIES
        self._raw = _PyepollRaw(backend)

    @property
    def raw(self) -> RawApi:
        return self._raw


def _select_adapter() -> Adapter:
    return SelectLikeAdapter("select", select.epoll, "CPython select.epoll")


def _pyepoll_adapters() -> dict[str, Callable[[], Adapter]]:
    # pyepoll-libc and pyepoll-syscall over the default FFI, pyepoll-libc-cffi (say) and
    # pyepoll-syscall-cffi over each other FFI installed here.
    labels = importlib.import_module("pyepoll.backends").backend_labels()
    return {
        f"pyepoll-{label}": functools.partial(PyepollAdapter, name, label=label)
        for label, name in labels.items()
    }


BUILTINS: dict[str, Callable[[], Adapter]] = {"select": _select_adapter, **_pyepoll_adapters()}


def load(spec: str) -> Adapter:
    """The adapter named *spec*: a built-in name or ``module:attribute``."""
    if spec in BUILTINS:
        try:
            return BUILTINS[spec]()
        except ImportError as exc:
            raise AdapterError(f"built-in adapter {spec!r} cannot load: {exc}") from exc
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise AdapterError(
            f"unknown implementation {spec!r}: use one of {', '.join(BUILTINS)} or module:attribute"
        )
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            obj = getattr(obj, part)
    except Exception as exc:  # whatever importing a third-party module raises
        raise AdapterError(f"cannot load implementation {spec!r}: {exc!r}") from exc
    if isinstance(obj, type) and issubclass(obj, Adapter):
        obj = obj()
    if isinstance(obj, Adapter):
        if obj.name == Adapter.name:
            obj.name = spec
        return obj
    if not callable(obj):
        raise AdapterError(f"{spec!r} is neither an Adapter nor a select.epoll-like callable")
    return SelectLikeAdapter(spec, obj)
