"""The machinery of control-call violators: one hook for every control call, one for every event.

A test reaches ``epoll_ctl(2)`` by two paths: an instance's ``register``, ``modify`` and
``unregister`` (EPOLL_CTL_ADD, MOD, DEL) and the raw ``epoll_ctl(epfd, op, fd, ...)``.
:class:`CtlWrapped` routes both through one hook, :meth:`CtlWrapped.ctl`, which sees the call as
a :class:`~conformance.adapters.Ctl` and performs it (or a changed one, or none) with ``do``; a
violator overrides that hook once and breaks the sentence on both paths. What a poll reports
goes through :meth:`CtlWrapped.rewrite`, which also sees the events the registration asked for.
The violators of epoll_ctl(2), epoll(7) and the kernel clauses that change a control call or
what a poll reports are all made from these two hooks (:class:`Hooked`, :func:`define_hooked`).

The predicates below look at the descriptors as the kernel saw them: a control call that fails
changes nothing, so looking after the failure sees what the kernel looked at.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, MutableMapping
from typing import Any, Callable, ClassVar, NamedTuple, cast

from conformance import adapters
from conformance import flags as F
from conformance.adapters import Ctl, Events
from conformance.kobjects import Registration, fdinfo, is_epoll
from conformance.violators._base import Wrapped, WrappedInstance, WrappedRaw, oserror, violator

Do = Callable[[Ctl], None]
CtlHook = Callable[[Ctl, Do], None]
#: (key, events reported, events the registration asked for) -> the records reported instead
#: (none, that one changed, or several).
Rewrite = Callable[[int, int, int], Events]
Predicate = Callable[[Ctl], bool]

ADD, DEL, MOD = F.EPOLL_CTL_ADD, F.EPOLL_CTL_DEL, F.EPOLL_CTL_MOD
ADD_ONLY, MOD_ONLY, DEL_ONLY = frozenset({ADD}), frozenset({MOD}), frozenset({DEL})
#: The operations that carry an event (EPOLL_CTL_DEL ignores it).
WITH_EVENT = frozenset({ADD, MOD})
#: Every op number, the unsupported ones too.
ANY_OP = None
#: The bits the kernel accepts together with EPOLLEXCLUSIVE, itself included (fs/eventpoll.c,
#: EPOLLEXCLUSIVE_OK_BITS).
EXCLUSIVE_OK = (
    F.EPOLLIN | F.EPOLLOUT | F.EPOLLERR | F.EPOLLHUP | F.EPOLLWAKEUP | F.EPOLLET | F.EPOLLEXCLUSIVE
)


class CtlInstance(WrappedInstance):
    """register / modify / unregister through the adapter's :meth:`CtlWrapped.ctl` hook; poll
    through its :meth:`CtlWrapped.rewrite`, with what each key's registration asked for."""

    def __init__(self, inner: adapters.Instance, adapter: Wrapped) -> None:
        super().__init__(inner, adapter)
        self.hooks = cast(CtlWrapped, adapter)
        #: fd -> (the key poll reports it by, the events its last ADD or MOD asked for).
        self.asked: dict[int, tuple[int, int]] = {}

    def _do(self, call: Ctl) -> None:
        if call.op == ADD:
            self.inner.register(call.fd, call.events, call.data)
        elif call.op == MOD:
            self.inner.modify(call.fd, call.events, call.data)
        else:
            self.inner.unregister(call.fd)

    def _ctl(self, op: int, fd: int, events: int = 0, data: int | None = None) -> None:
        try:
            epfd = self.inner.fileno()
        except ValueError:  # closed: the inner call raises what the implementation raises
            epfd = -1
        self.hooks.ctl(Ctl(epfd, op, fd, events, data), self._do)
        if op == DEL:
            self.asked.pop(fd, None)
        else:
            self.asked[fd] = (fd if data is None else data, events)

    def register(self, fd: int, events: int, data: int | None = None) -> None:
        self._ctl(ADD, fd, events, data)

    def modify(self, fd: int, events: int, data: int | None = None) -> None:
        self._ctl(MOD, fd, events, data)

    def unregister(self, fd: int) -> None:
        self._ctl(DEL, fd)

    def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events:
        by_key = dict(self.asked.values())
        return [
            record
            for key, events in self.inner.poll(timeout_ms, maxevents)
            for record in self.hooks.rewrite(key, events, by_key.get(key, 0))
        ]


class CtlRaw(WrappedRaw):
    """The raw ``epoll_ctl`` through the adapter's :meth:`CtlWrapped.ctl` hook."""

    def _do(self, call: Ctl) -> None:
        epfd, op, fd, events, data, null_event = call
        self.inner.epoll_ctl(epfd, op, fd, events, data, null_event=null_event)

    def epoll_ctl(self, *args: Any, **kwargs: Any) -> None:
        """:meth:`~conformance.adapters.RawApi.epoll_ctl`, through the hook."""
        cast(CtlWrapped, self.adapter).ctl(Ctl(*args, **kwargs), self._do)


class CtlWrapped(Wrapped):
    """A pass-through adapter whose control calls and poll results a violator can change."""

    Instance: ClassVar[type[WrappedInstance]] = CtlInstance
    Raw: ClassVar[type[WrappedRaw]] = CtlRaw

    def ctl(self, call: Ctl, do: Do) -> None:
        """Perform *call* (with *do*), as the kernel would."""
        do(call)

    def rewrite(self, key: int, events: int, asked: int) -> Events:
        """What poll reports for one ready entry."""
        return [(key, events)]


class Hooked(NamedTuple):
    """A violator of a :class:`CtlWrapped` kind, as a table holds it."""

    name: str
    #: The clauses it breaks (in a table that gives a prefix, without it).
    clauses: tuple[str, ...]
    #: What it gets wrong (the class's docstring).
    mistake: str
    ctl: CtlHook | None = None
    rewrite: Rewrite | None = None


def define_hooked(
    namespace: MutableMapping[str, Any], rows: Iterable[Hooked], prefix: str = ""
) -> None:
    """Make and register the violator of each of *rows* and assign it in *namespace* (a
    module's ``globals()``) under its name; *prefix* goes before each clause."""
    for row in rows:
        hooks = {"ctl": row.ctl, "rewrite": row.rewrite}
        namespace[row.name] = violator(
            namespace["__name__"],
            row.name,
            row.mistake,
            [prefix + clause for clause in row.clauses],
            CtlWrapped,
            **{name: staticmethod(hook) for name, hook in hooks.items() if hook is not None},
        )


def always(call: Ctl) -> bool:
    return True


# --- hooks built from a table row ----------------------------------------------------------------


def swallows(
    code: int, ops: frozenset[int] | None, when: Predicate = always, becomes: int | None = None
) -> CtlHook:
    """A hook under which an *ops* call (None: any) failing with *code* while *when* holds
    "succeeds" (or fails with *becomes* instead)."""

    def hook(call: Ctl, do: Do) -> None:
        try:
            do(call)
        except OSError as exc:
            if exc.errno != code or not (ops is None or call.op in ops) or not when(call):
                raise
            if becomes is not None:
                raise oserror(becomes) from None

    return hook


def rewrites(
    change: Callable[[int], int], ops: frozenset[int] = WITH_EVENT, when: Predicate = always
) -> CtlHook:
    """A hook that registers ``change(events)`` instead of the events of an *ops* call while
    *when* holds."""

    def hook(call: Ctl, do: Do) -> None:
        if call.op in ops and when(call):
            call = call._replace(events=change(call.events))
        do(call)

    return hook


def drops(bits: int, ops: frozenset[int] = WITH_EVENT, when: Predicate = always) -> CtlHook:
    """A hook that clears *bits* from the events of an *ops* call while *when* holds."""
    return rewrites(lambda events: events & ~bits, ops, when)


def refuses(code: int, ops: frozenset[int], when: Predicate = always) -> CtlHook:
    """A hook that fails an *ops* call with *code*, without reaching the kernel, when *when*."""

    def hook(call: Ctl, do: Do) -> None:
        if call.op in ops and when(call):
            raise oserror(code)
        do(call)

    return hook


# --- what the kernel looks at --------------------------------------------------------------------


def file_type(fd: int) -> int:
    """The S_IFMT bits of *fd* (0 when it is not open)."""
    try:
        return stat.S_IFMT(os.fstat(fd).st_mode)
    except OSError:
        return 0


def registration(epfd: int, fd: int) -> Registration | None:
    """*fd*'s entry in *epfd*'s interest list, from /proc/self/fdinfo (None if absent, or if
    *epfd* is not open)."""
    try:
        entries = fdinfo(epfd)
    except FileNotFoundError:
        return None
    return next((r for r in entries if r.fd == fd), None)


def watches(outer: int, target: int) -> bool:
    """The epoll instance *outer* is *target* or watches it, directly or through nested
    instances (EPOLL_CTL_ADD of *outer* into *target* would close a loop: ELOOP)."""
    seen: set[int] = set()
    todo = [outer]
    while todo:
        fd = todo.pop()
        if fd == target:
            return True
        if fd not in seen and is_epoll(fd):
            seen.add(fd)
            todo.extend(r.fd for r in fdinfo(fd))
    return False
