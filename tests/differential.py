"""A table of calls on select.epoll and pyepoll.epoll, for the differential test.

Every case runs the same call against both classes, with the same arguments and the same
real descriptors, and records what happened: the result, or the exception's type, errno and
message.  select.epoll is the reference: a drop-in replacement must not be told apart.
"""

from __future__ import annotations

import copy
import fractions
import math
import os
import pickle
from typing import Any, Callable, NamedTuple

#: What a call did: ("ok", result) or ("raised", type name, errno, message).  Messages are
#: compared for ValueError and OSError, whose texts select.epoll chose; a TypeError or
#: OverflowError from argument parsing is worded by the interpreter (C argument clinic versus
#: a Python signature), and only its type is part of the contract.
Outcome = tuple[Any, ...]


class Fds(NamedTuple):
    """Descriptors shared by both sides of a case."""

    readable: int  # a pipe's read end, with data in it
    writable: int  # that pipe's write end
    regular: int  # a regular file (EPERM)
    unused: int  # a number no descriptor has (EBADF)


class FilenoObject:
    """An object with a fileno() method returning ``value`` (or raising it)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def fileno(self) -> Any:
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value


class IndexOnly:
    """An integer by ``__index__`` only: accepted where CPython converts a C int, refused
    where it wants a descriptor."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


class Boom(Exception):
    """Raised by a fileno() method."""


def outcome(call: Callable[[], Any]) -> Outcome:
    try:
        result = call()
    except Exception as exc:
        message = str(exc) if isinstance(exc, (ValueError, OSError)) else None
        return ("raised", type(exc).__name__, getattr(exc, "errno", None), message)
    return ("ok", result)


#: A call on an epoll object, given the shared descriptors.
Action = Callable[[Any, Fds], Any]


class Case(NamedTuple):
    id: str
    action: Action
    closed: bool = False  # run on a closed object


def _registered(action: Action) -> Action:
    """``action`` after registering the readable end."""

    def run(ep: Any, fds: Fds) -> Any:
        ep.register(fds.readable, 1)
        return action(ep, fds)

    return run


def _close_twice(ep: Any) -> None:
    """Close the object's descriptor behind its back, then close the object."""
    os.close(ep.fileno())
    ep.close()


def _poll_fromfd(cls: Any, fd: int) -> Any:
    """Wrap ``fd`` with fromfd (neither class checks what it is), poll it, close it."""
    with cls.fromfd(fd) as ep:
        return ep.poll(0)


CASES = [
    # register: fd conversion
    Case("register-object", lambda ep, f: ep.register(object())),
    Case("register-None", lambda ep, f: ep.register(None)),
    Case("register-float", lambda ep, f: ep.register(1.0)),
    Case("register-str", lambda ep, f: ep.register("0")),
    Case("register-minus-1", lambda ep, f: ep.register(-1)),
    Case("register-minus-2**40", lambda ep, f: ep.register(-(2**40))),
    Case("register-2**31", lambda ep, f: ep.register(2**31)),
    Case("register-2**63", lambda ep, f: ep.register(2**63)),
    Case("register-index-object", lambda ep, f: ep.register(IndexOnly(f.readable))),
    Case("register-fileno-object", lambda ep, f: ep.register(FilenoObject(f.readable))),
    Case("register-fileno-negative", lambda ep, f: ep.register(FilenoObject(-1))),
    Case("register-fileno-str", lambda ep, f: ep.register(FilenoObject("3"))),
    Case("register-fileno-raises", lambda ep, f: ep.register(FilenoObject(Boom("x")))),
    # register: the event mask
    Case("register-mask-str", lambda ep, f: ep.register(f.readable, "x")),
    Case("register-mask-None", lambda ep, f: ep.register(f.readable, None)),
    Case("register-mask-float", lambda ep, f: ep.register(f.readable, 1.0)),
    Case("register-mask-2**32", lambda ep, f: ep.register(f.readable, 2**32)),
    Case("register-mask-2**64", lambda ep, f: ep.register(f.readable, 2**64)),
    Case("register-mask-index-object", lambda ep, f: ep.register(f.readable, IndexOnly(1))),
    Case("register-mask-minus-1", lambda ep, f: ep.register(f.readable, -1)),
    Case("register-keywords", lambda ep, f: ep.register(fd=f.readable, eventmask=1)),
    Case("register-too-many-args", lambda ep, f: ep.register(f.readable, 1, 2)),
    # register: kernel errors
    Case("register-EBADF", lambda ep, f: ep.register(f.unused)),
    Case("register-EPERM-regular-file", lambda ep, f: ep.register(f.regular)),
    Case("register-EEXIST", _registered(lambda ep, f: ep.register(f.readable))),
    Case("register-EINVAL-itself", lambda ep, f: ep.register(ep)),
    # modify, unregister
    Case("modify", _registered(lambda ep, f: ep.modify(f.readable, 4))),
    Case("modify-keywords", _registered(lambda ep, f: ep.modify(fd=f.readable, eventmask=4))),
    Case("modify-ENOENT", lambda ep, f: ep.modify(f.readable, 1)),
    Case("modify-EBADF", lambda ep, f: ep.modify(f.unused, 1)),
    Case("modify-no-mask", _registered(lambda ep, f: ep.modify(f.readable))),
    Case("modify-minus-1", lambda ep, f: ep.modify(-1, 1)),
    Case("modify-object", lambda ep, f: ep.modify(object(), 1)),
    Case("modify-mask-minus-1", _registered(lambda ep, f: ep.modify(f.readable, -1))),
    Case("unregister", _registered(lambda ep, f: ep.unregister(f.readable))),
    Case("unregister-keyword", _registered(lambda ep, f: ep.unregister(fd=f.readable))),
    Case("unregister-ENOENT", lambda ep, f: ep.unregister(f.readable)),
    Case("unregister-EBADF", lambda ep, f: ep.unregister(f.unused)),
    Case("unregister-minus-1", lambda ep, f: ep.unregister(-1)),
    Case("unregister-object", lambda ep, f: ep.unregister(object())),
    # poll
    Case("poll-ready", _registered(lambda ep, f: ep.poll(0))),
    Case("poll-keywords", _registered(lambda ep, f: ep.poll(timeout=0, maxevents=1))),
    Case("poll-float-zero", _registered(lambda ep, f: ep.poll(0.0, 1))),
    Case("poll-nothing-ready", lambda ep, f: ep.poll(0)),
    Case("poll-maxevents-0", lambda ep, f: ep.poll(0, 0)),
    Case("poll-maxevents-minus-2", lambda ep, f: ep.poll(0, -2)),
    Case("poll-maxevents-2**31", lambda ep, f: ep.poll(0, 2**31)),
    Case("poll-maxevents-float", lambda ep, f: ep.poll(0, 1.0)),
    Case("poll-maxevents-str", lambda ep, f: ep.poll(0, "1")),
    Case("poll-index-object-maxevents", _registered(lambda ep, f: ep.poll(0, IndexOnly(1)))),
    Case("poll-index-object-timeout", _registered(lambda ep, f: ep.poll(IndexOnly(0)))),
    Case("poll-timeout-fraction", lambda ep, f: ep.poll(fractions.Fraction(1, 100))),
    Case("poll-timeout-minus-1e-10", lambda ep, f: ep.poll(-1e-10)),  # rounds to 0 ms: no wait
    Case("poll-timeout-minus-0.0009", lambda ep, f: ep.poll(-0.0009)),
    Case("poll-timeout-minus-0.0", lambda ep, f: ep.poll(-0.0)),
    Case("poll-timeout-minus-3e6", lambda ep, f: ep.poll(-3e6)),
    Case("poll-timeout-ms-below-int", lambda ep, f: ep.poll(-(2**31) // 1000 - 1)),
    Case("poll-timeout-minus-2**40", lambda ep, f: ep.poll(-(2**40))),
    Case("poll-timeout-str", lambda ep, f: ep.poll("x")),
    Case("poll-timeout-list", lambda ep, f: ep.poll([])),
    Case("poll-timeout-nan", lambda ep, f: ep.poll(math.nan)),
    Case("poll-timeout-inf", lambda ep, f: ep.poll(math.inf)),
    Case("poll-timeout-1e20", lambda ep, f: ep.poll(1e20)),
    Case("poll-timeout-2**63", lambda ep, f: ep.poll(2**63)),
    Case("poll-timeout-ms-above-int", lambda ep, f: ep.poll(2**31 // 1000 + 1)),
    Case("poll-too-many-args", lambda ep, f: ep.poll(0, 1, 2)),
    # the object itself
    Case("fileno-type", lambda ep, f: type(ep.fileno())),
    Case("closed-attribute", lambda ep, f: ep.closed),
    Case("close-after-fd-closed-elsewhere", lambda ep, f: _close_twice(ep)),
    Case("enter-returns-self", lambda ep, f: ep.__enter__() is ep),
    Case("pickle", lambda ep, f: pickle.dumps(ep)),
    Case("copy", lambda ep, f: copy.copy(ep)),
    Case("fromfd-str", lambda ep, f: type(ep).fromfd("3")),
    Case("fromfd-2**31", lambda ep, f: type(ep).fromfd(2**31)),
    Case("fromfd-not-an-epoll-fd", lambda ep, f: _poll_fromfd(type(ep), os.dup(f.readable))),
    # a closed object
    Case("closed-register", lambda ep, f: ep.register(f.readable), closed=True),
    Case("closed-register-minus-1", lambda ep, f: ep.register(-1), closed=True),
    Case("closed-register-object", lambda ep, f: ep.register(object()), closed=True),
    Case("closed-register-bad-mask", lambda ep, f: ep.register(f.readable, "x"), closed=True),
    Case("closed-modify", lambda ep, f: ep.modify(f.readable, 1), closed=True),
    Case("closed-unregister", lambda ep, f: ep.unregister(f.readable), closed=True),
    Case("closed-poll", lambda ep, f: ep.poll(0), closed=True),
    Case("closed-poll-none", lambda ep, f: ep.poll(), closed=True),
    Case("closed-poll-bad-maxevents", lambda ep, f: ep.poll(0, 0), closed=True),
    Case("closed-poll-bad-timeout", lambda ep, f: ep.poll("x"), closed=True),
    Case("closed-fileno", lambda ep, f: ep.fileno(), closed=True),
    Case("closed-close-again", lambda ep, f: ep.close(), closed=True),
    Case("closed-enter", lambda ep, f: ep.__enter__(), closed=True),
    Case("closed-exit", lambda ep, f: ep.__exit__(None, None, None), closed=True),
    Case("closed-attribute-when-closed", lambda ep, f: ep.closed, closed=True),
]

#: Constructor calls: (id, args, kwargs).
CONSTRUCTOR_CASES: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("no-args", (), {}),
    ("sizehint-16", (16,), {}),
    ("sizehint-1", (1,), {}),
    ("sizehint-minus-1", (-1,), {}),
    ("sizehint-0", (0,), {}),
    ("sizehint-minus-2", (-2,), {}),
    ("sizehint-keyword-minus-2", (), {"sizehint": -2}),
    ("sizehint-2**31", (2**31,), {}),
    ("sizehint-float", (1.5,), {}),
    ("sizehint-str", ("foo",), {}),
    ("sizehint-None", (None,), {}),
    ("sizehint-tuple", ((),), {}),
    ("sizehint-list", (["foo"],), {}),
    ("sizehint-dict", ({},), {}),
    ("sizehint-True", (True,), {}),
    ("three-args", (1, 2, 3), {}),
    ("flags-0", (), {"flags": 0}),
    ("flags-cloexec", (-1, 0o2000000), {}),
    ("flags-cloexec-keyword", (), {"flags": 0o2000000}),
    ("flags-12356", (), {"flags": 12356}),
    ("flags-minus-1", (-1, -1), {}),
    ("flags-2**31", (-1, 2**31), {}),
    ("flags-float", (-1, 1.0), {}),
    ("flags-None", (-1, None), {}),
    ("unknown-keyword", (), {"foo": 1}),
]


def constructor_outcome(cls: Callable[..., Any], args: Any, kwargs: Any) -> Outcome:
    def construct() -> str | None:
        ep = cls(*args, **kwargs)
        ep.close()
        return type(ep).__name__

    return outcome(construct)
