"""Differential rules for bad arguments and closed objects (select.epoll defines the errors).

Every call here must fail before it reaches the kernel, or fail in the kernel with the errno
select.epoll gets: EBADF for a number that is not open (epoll_ctl(2), ERRORS), EINVAL when
the "epoll" fd is not one (fromfd of a pipe; epoll_wait(2), ERRORS), ValueError for a closed
object, a negative fd or maxevents < 1 other than -1, TypeError/OverflowError for types and
ranges. poll() is only called where it cannot block: on an object with a ready eventfd.
Argument checks (constructor, register/modify/unregister, poll) are compared on CPython
only: PyPy's select.epoll makes them its own way (other messages, another order, an errno
on bad flags, NaN timeouts accepted). Closed objects and fromfd are compared everywhere.
"""

from __future__ import annotations

import os
import select
from typing import Callable

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from . import kernel, strategies
from .differential_base import NESTED_BASE, REFERENCE_CHECKS_ARGUMENTS, DifferentialBase, Target
from .kernel import attempt
from .things import EpollPair, Fileno, Shared

Call = Callable[[object], object]

#: Operations tried on a closed epoll object; each must raise the same ValueError.
CLOSED_OPS: dict[str, Callable[[object, int], object]] = {
    "register": lambda ep, fd: ep.register(fd),  # type: ignore[attr-defined]
    "modify": lambda ep, fd: ep.modify(fd, 1),  # type: ignore[attr-defined]
    "unregister": lambda ep, fd: ep.unregister(fd),  # type: ignore[attr-defined]
    "poll": lambda ep, fd: ep.poll(0),  # type: ignore[attr-defined]
    "fileno": lambda ep, fd: ep.fileno(),  # type: ignore[attr-defined]
    "close": lambda ep, fd: ep.close(),  # type: ignore[attr-defined]
    "closed": lambda ep, fd: ep.closed,  # type: ignore[attr-defined]
    "__enter__": lambda ep, fd: ep.__enter__() and None,  # type: ignore[attr-defined]
}
#: fd-taking methods and the extra arguments they get.
FD_OPS: dict[str, Callable[[object, object, object], object]] = {
    "register": lambda ep, fd, mask: ep.register(fd, mask),  # type: ignore[attr-defined]
    "modify": lambda ep, fd, mask: ep.modify(fd, mask),  # type: ignore[attr-defined]
    "unregister": lambda ep, fd, mask: ep.unregister(fd),  # type: ignore[attr-defined]
}
BAD_FD_ARGS = st.one_of(
    st.sampled_from(strategies.BAD_FDS),
    st.sampled_from((*strategies.BAD_FDS, 0)).map(Fileno),
)


class Unopened:
    """Stands for "a descriptor number that is not open right now" in a drawn argument."""

    def __repr__(self) -> str:
        return "UNOPENED"


UNOPENED = Unopened()


def unopened_number() -> int:
    """A descriptor number below NESTED_BASE that is not open right now."""
    taken = {int(n) for n in os.listdir("/proc/self/fd")}
    return next(n for n in range(256, NESTED_BASE) if n not in taken)


class BadArgumentRules(DifferentialBase):
    """Rules whose every call is expected to fail the same way on both sides."""

    @precondition(lambda self: REFERENCE_CHECKS_ARGUMENTS)
    @rule(args=st.sampled_from(strategies.BAD_CONSTRUCTOR_ARGS))
    def bad_constructor(self, args: tuple[object, object]) -> None:
        made: list[object] = []

        def build(factory: Callable[[object, object], object]) -> object:
            made.append(factory(*args))
            return None

        # Closed even when the sides disagree: no descriptor is left to the collector.
        try:
            self.agree(
                f"epoll{args!r}",
                attempt(lambda: build(select.epoll)),  # type: ignore[arg-type]
                attempt(lambda: build(self.new_sut)),
            )
        finally:
            for ep in made:
                ep.close()  # type: ignore[attr-defined]

    @precondition(lambda self: REFERENCE_CHECKS_ARGUMENTS)
    @rule(
        pair=DifferentialBase.epolls,
        op=st.sampled_from(sorted(FD_OPS)),
        fd=st.one_of(BAD_FD_ARGS, st.just(UNOPENED), DifferentialBase.fds),
        mask=st.one_of(st.sampled_from(strategies.BAD_MASKS), st.just(1)),
    )
    def bad_ctl(self, pair: EpollPair, op: str, fd: object, mask: object) -> None:
        """register/modify/unregister with a bad fd, a closed number, or a bad mask."""
        if fd is UNOPENED:
            fd = unopened_number()
        elif isinstance(fd, Shared):
            fd = fd.fd
        self.on_both(
            f"{op}({fd!r}, {mask!r})", pair, lambda side: FD_OPS[op](pair.side(side), fd, mask)
        )

    @precondition(lambda self: REFERENCE_CHECKS_ARGUMENTS)
    @rule(
        timeout=st.one_of(st.sampled_from(strategies.BAD_TIMEOUTS), st.just(0)),
        maxevents=st.one_of(st.sampled_from(strategies.BAD_MAXEVENTS), st.just(-1)),
    )
    def bad_poll(self, timeout: object, maxevents: object) -> None:
        """poll() with bad arguments, on fresh objects where a ready eventfd stops any block."""
        ready = kernel.eventfd(1)
        pair = self.pair_of(select.epoll(), self.new_sut())
        try:
            for side in (0, 1):
                pair.side(side).register(ready, select.EPOLLIN)
            self.on_both(
                f"poll({timeout!r}, {maxevents!r})",
                pair,
                lambda side: pair.side(side).poll(timeout, maxevents),  # type: ignore[arg-type]
                lambda side, v: self.labelled(side, v),
            )
        finally:
            self.forget(pair)
            pair.close()
            os.close(ready)

    @rule(target_fd=DifferentialBase.fds, op=st.sampled_from(("poll", "register")))
    def fromfd_non_epoll(self, target_fd: Shared, op: str) -> None:
        """fromfd() of a pipe/socket/eventfd is accepted; using it fails with EINVAL."""
        pair = self.pair_of(
            select.epoll.fromfd(os.dup(target_fd.fd)), self.sut_fromfd(os.dup(target_fd.fd))
        )
        try:
            calls: dict[str, Call] = {
                "poll": lambda ep: ep.poll(0),  # type: ignore[attr-defined]
                "register": lambda ep: ep.register(target_fd.fd),  # type: ignore[attr-defined]
            }
            self.on_both(
                f"fromfd({target_fd!r}).{op}", pair, lambda side: calls[op](pair.side(side))
            )
        finally:
            self.forget(pair)
            pair.close()

    @rule(
        pair=DifferentialBase.closed_epolls,
        op=st.sampled_from(sorted(CLOSED_OPS)),
        obj=st.one_of(DifferentialBase.fds, DifferentialBase.nested),
    )
    def closed_op(self, pair: EpollPair, op: str, obj: Target) -> None:
        self.on_both(
            f"closed.{op}",
            pair,
            lambda side: CLOSED_OPS[op](pair.side(side), self.fd_of(obj, side)),
        )
