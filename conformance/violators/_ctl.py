"""The machinery of epoll_ctl(2) violators: one hook for every control call, one for every event.

A test reaches ``epoll_ctl(2)`` by two paths: an instance's ``register``, ``modify`` and
``unregister`` (EPOLL_CTL_ADD, MOD, DEL) and the raw ``epoll_ctl(epfd, op, fd, ...)``.
:class:`CtlWrapped` routes both through one hook, :meth:`CtlWrapped.ctl`, which sees the call as
a :class:`Ctl` and performs it (or a changed one, or none) with ``do``; a violator overrides that
hook once and breaks the sentence on both paths. What a poll reports goes through
:meth:`CtlWrapped.rewrite`, which also sees the events the registration asked for.

The predicates below look at the descriptors as the kernel saw them: a control call that fails
changes nothing, so looking after the failure sees what the kernel looked at.
"""

from __future__ import annotations

import os
import stat
from typing import Callable, ClassVar, NamedTuple, cast

from conformance import adapters
from conformance.adapters import Events
from conformance.flags import EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD
from conformance.kobjects import Registration, fdinfo
from conformance.violators import violates
from conformance.violators._base import Wrapped, WrappedInstance, WrappedRaw


class Ctl(NamedTuple):
    """One ``epoll_ctl(epfd, op, fd, &{events, data})`` call (``data`` None: the fd itself)."""

    epfd: int
    op: int
    fd: int
    events: int = 0
    data: int | None = None
    null_event: bool = False


Do = Callable[[Ctl], None]
CtlHook = Callable[[Ctl, Do], None]
#: (key, events reported, events the registration asked for) -> (key, events) reported instead.
Rewrite = Callable[[int, int, int], "tuple[int, int]"]
Predicate = Callable[[Ctl], bool]

ADD, DEL, MOD = EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD
#: The operations that carry an event (EPOLL_CTL_DEL ignores it).
WITH_EVENT = frozenset({ADD, MOD})
#: Every op number, the unsupported ones too.
ANY_OP = None


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
            self.hooks.rewrite(key, events, by_key.get(key, 0))
            for key, events in self.inner.poll(timeout_ms, maxevents)
        ]


class CtlRaw(WrappedRaw):
    """The raw ``epoll_ctl`` through the adapter's :meth:`CtlWrapped.ctl` hook."""

    def _do(self, call: Ctl) -> None:
        self.inner.epoll_ctl(
            call.epfd, call.op, call.fd, call.events, call.data, null_event=call.null_event
        )

    def epoll_ctl(
        self,
        epfd: int,
        op: int,
        fd: int,
        events: int = 0,
        data: int | None = None,
        *,
        null_event: bool = False,
    ) -> None:
        cast(CtlWrapped, self.adapter).ctl(Ctl(epfd, op, fd, events, data, null_event), self._do)


class CtlWrapped(Wrapped):
    """A pass-through adapter whose control calls and poll results a violator can change."""

    Instance: ClassVar[type[WrappedInstance]] = CtlInstance
    Raw: ClassVar[type[WrappedRaw]] = CtlRaw

    def ctl(self, call: Ctl, do: Do) -> None:
        """Perform *call* (with *do*), as the kernel would."""
        do(call)

    def rewrite(self, key: int, events: int, asked: int) -> tuple[int, int]:
        """What poll reports for one ready entry."""
        return key, events


def violator(
    module: str,
    name: str,
    doc: str,
    clauses: tuple[str, ...],
    ctl: CtlHook | None = None,
    rewrite: Rewrite | None = None,
) -> type[CtlWrapped]:
    """A registered :class:`CtlWrapped` subclass, *module*'s attribute *name* (the caller
    assigns it there), whose hooks are *ctl* and *rewrite* (pass-through when None)."""
    namespace: dict[str, object] = {"__doc__": doc, "__qualname__": name, "__module__": module}
    if ctl is not None:
        namespace["ctl"] = staticmethod(ctl)
    if rewrite is not None:
        namespace["rewrite"] = staticmethod(rewrite)
    cls = cast("type[CtlWrapped]", type(name, (CtlWrapped,), namespace))
    return violates(*clauses)(cls)


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
                raise OSError(becomes, os.strerror(becomes)) from None

    return hook


def drops(bits: int, ops: frozenset[int] = WITH_EVENT, when: Predicate = always) -> CtlHook:
    """A hook that clears *bits* from the events of an *ops* call while *when* holds."""

    def hook(call: Ctl, do: Do) -> None:
        if call.op in ops and when(call):
            call = call._replace(events=call.events & ~bits)
        do(call)

    return hook


def refuses(code: int, ops: frozenset[int], when: Predicate = always) -> CtlHook:
    """A hook that fails an *ops* call with *code*, without reaching the kernel, when *when*."""

    def hook(call: Ctl, do: Do) -> None:
        if call.op in ops and when(call):
            raise OSError(code, os.strerror(code))
        do(call)

    return hook


# --- what the kernel looks at --------------------------------------------------------------------


def is_epoll(fd: int) -> bool:
    """*fd* is an epoll instance (its /proc/self/fd link names the eventpoll anon inode)."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:[eventpoll]"
    except OSError:
        return False


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
