"""Differential oracle: ``pyepoll.epoll`` against ``select.epoll`` through one random sequence.

The machine (state, comparisons, invariants) is described in :mod:`fuzz.differential_base`;
bad-argument rules are in :mod:`fuzz.bad_arguments`. This module holds the rules that make
and change kernel objects and drive register/modify/unregister/poll, and one concrete
machine per backend.
"""

from __future__ import annotations

import os
import select
from typing import Any, Callable, Union

from hypothesis import strategies as st
from hypothesis.stateful import consumes, multiple, precondition, rule

import pyepoll
from conformance import flags as F
from tests.kernel import eventfd_add, new_pipe

from . import kernel, strategies
from .bad_arguments import BadArgumentRules
from .differential_base import MAX_NESTED, MAX_PAIRS, MAX_SHARED, NESTED_BASE, Target
from .kernel import Outcome, attempt
from .target import per_backend
from .things import EpollPair, Fileno, Registration, Shared

# (either side's epoll object, the fd argument: of any kind, the fuzzer passes bad ones too)
Ctl = Callable[[Union[select.epoll, pyepoll.epoll], Any], object]
fds, epolls = BadArgumentRules.fds, BadArgumentRules.epolls
nested, closed_epolls = BadArgumentRules.nested, BadArgumentRules.closed_epolls
registrations = BadArgumentRules.registrations
any_epoll = st.one_of(epolls, nested)
any_target = st.one_of(fds, nested)


def room_for_fds(machine: DifferentialMachine) -> bool:
    return len(machine.shared) < MAX_SHARED


def room_for_epolls(machine: DifferentialMachine) -> bool:
    return len(machine.pairs) < MAX_PAIRS


class DifferentialMachine(BadArgumentRules):
    """pyepoll.epoll with ``backend`` against select.epoll, step by step."""

    # -- kernel objects both sides share ----------------------------------------------

    @precondition(room_for_fds)
    @rule(target=fds)
    def new_pipe(self) -> object:
        r, w = new_pipe()
        return multiple(*self.adopt("pipe_r", r) + self.adopt("pipe_w", w))

    @precondition(room_for_fds)
    @rule(target=fds)
    def new_socketpair(self) -> object:
        return multiple(*self.adopt("sock", *kernel.socketpair()))

    @precondition(room_for_fds)
    @rule(target=fds, initval=st.sampled_from((0, 1, 2**32 - 1)), semaphore=st.booleans())
    def new_eventfd(self, initval: int, semaphore: bool) -> Shared:
        return self.adopt("eventfd", kernel.eventfd(initval, semaphore))[0]

    @precondition(room_for_fds)
    @rule(target=fds)
    def new_devnull(self) -> Shared:
        """/dev/null has no poll method: epoll_ctl(2), ERRORS: EPERM."""
        return self.adopt("devnull", os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC))[0]

    @precondition(room_for_fds)
    @rule(target=fds, fd=fds)
    def dup(self, fd: Shared) -> Shared:
        return self.adopt(fd.kind, os.dup(fd.fd))[0]

    @rule(fd=fds)
    def renumber(self, fd: Shared) -> None:
        """dup(2) then close(2) the old number: its entries stay, now stale (epoll(7), Q6)."""
        new = os.dup(fd.fd)
        os.close(fd.fd)
        fd.fd = new

    @rule(fd=consumes(fds))
    def close(self, fd: Shared) -> None:
        self.shared.remove(fd)
        os.close(fd.fd)

    @rule(
        fd=fds,
        size=strategies.byte_counts(70000),
        value=st.one_of(st.integers(0, 3), st.integers(0, 2**64 - 1)),
    )
    def write(self, fd: Shared, size: int, value: int) -> None:
        if fd.kind == "eventfd":
            attempt(lambda: eventfd_add(fd.fd, value))
        else:
            attempt(lambda: os.write(fd.fd, b"x" * size))

    @rule(fd=fds, size=strategies.byte_counts(70000))
    def read(self, fd: Shared, size: int) -> None:
        attempt(lambda: os.read(fd.fd, 8 if fd.kind == "eventfd" else size))

    @rule(fd=fds, how=st.sampled_from((0, 1, 2)))
    def shutdown(self, fd: Shared, how: int) -> None:
        attempt(lambda: kernel.shutdown(fd.fd, how))

    # -- epoll objects, one per side ---------------------------------------------------

    @precondition(room_for_epolls)
    @rule(target=epolls, sizehint=st.sampled_from((-1, 1, 1000)), cloexec=st.booleans())
    def new_epoll(self, sizehint: int, cloexec: bool) -> EpollPair:
        flags = F.EPOLL_CLOEXEC if cloexec else 0
        return self.pair_of(select.epoll(sizehint, flags), self.new_sut(sizehint, flags))

    @precondition(lambda self: room_for_epolls(self) and len(self.names[0]) < MAX_NESTED)
    @rule(target=nested)
    def new_nested(self) -> EpollPair:
        """An epoll instance to be polled by others, numbered >= NESTED_BASE on each side."""
        with select.epoll() as first_ref:
            ref = select.epoll.fromfd(kernel.dup_high(first_ref.fileno(), NESTED_BASE))
        with self.new_sut() as first_sut:
            sut = self.sut_fromfd(kernel.dup_high(first_sut.fileno(), NESTED_BASE))
        pair = self.pair_of(ref, sut)
        for side in (0, 1):
            self.names[side][pair.side(side).fileno()] = pair.name
        return pair

    @precondition(room_for_epolls)
    @rule(target=epolls, pair=epolls)
    def fromfd(self, pair: EpollPair) -> EpollPair:
        """epoll.fromfd(dup(fileno)): a second object for the same epoll instance."""
        return self.pair_of(
            select.epoll.fromfd(os.dup(pair.ref.fileno())),
            self.sut_fromfd(os.dup(pair.sut.fileno())),
        )

    @rule(target=closed_epolls, pair=consumes(epolls), as_context=st.booleans())
    def close_epoll(self, pair: EpollPair, as_context: bool) -> EpollPair:
        if as_context:
            self.on_both("__exit__", pair, lambda side: pair.side(side).__exit__(None, None, None))
        else:
            self.on_both("close()", pair, lambda side: pair.side(side).close())
        self.forget(pair)
        return pair

    @rule(pair=consumes(nested))
    def close_nested(self, pair: EpollPair) -> None:
        self.on_both("close()", pair, lambda side: pair.side(side).close())
        self.forget(pair)

    # -- the epoll calls -------------------------------------------------------------

    def ctl(self, what: str, pair: EpollPair, call: Ctl, obj: Target, wrap: bool) -> Outcome:
        def argument(side: int) -> object:
            fd = self.fd_of(obj, side)
            return Fileno(fd) if wrap else fd

        return self.on_both(
            f"{what}({obj!r})", pair, lambda side: call(pair.side(side), argument(side))
        )

    def alive(self, reg: Registration) -> bool:
        """Whether both halves of a remembered registration are still open."""
        return reg.epoll in self.pairs and (reg.fd in self.shared or reg.fd in self.pairs)

    @rule(
        target=registrations,
        pair=any_epoll,
        obj=any_target,
        mask=strategies.event_masks(),
        wrap=st.booleans(),
    )
    def register(self, pair: EpollPair, obj: Target, mask: int, wrap: bool) -> object:
        done = self.ctl(
            f"register[{mask:#x}]", pair, lambda ep, fd: ep.register(fd, mask), obj, wrap
        )
        return Registration(pair, obj) if done.ok else multiple()

    @rule(
        pair=any_epoll,
        many=st.lists(any_target, min_size=2, max_size=6, unique=True),
        mask=strategies.level_triggered_masks(),
    )
    def register_many(self, pair: EpollPair, many: list[Target], mask: int) -> None:
        """Several level-triggered entries at once: the ground for round robin (epoll(7))."""
        for obj in many:
            self.register(pair, obj, mask, False)

    @rule(pair=any_epoll, obj=any_target, mask=strategies.event_masks(), wrap=st.booleans())
    def modify(self, pair: EpollPair, obj: Target, mask: int, wrap: bool) -> None:
        self.ctl(f"modify[{mask:#x}]", pair, lambda ep, fd: ep.modify(fd, mask), obj, wrap)

    @rule(reg=registrations, mask=strategies.event_masks())
    def modify_registered(self, reg: Registration, mask: int) -> None:
        if self.alive(reg):
            self.modify(reg.epoll, reg.fd, mask, False)

    @rule(reg=consumes(registrations))
    def unregister_registered(self, reg: Registration) -> None:
        if self.alive(reg):
            self.unregister(reg.epoll, reg.fd, False)

    @rule(pair=any_epoll, obj=any_target, wrap=st.booleans())
    def unregister(self, pair: EpollPair, obj: Target, wrap: bool) -> None:
        self.ctl("unregister", pair, lambda ep, fd: ep.unregister(fd), obj, wrap)

    @rule(pair=any_epoll, maxevents=strategies.maxevents(), timeout=st.sampled_from((0, 0.0, 1e-9)))
    def poll(self, pair: EpollPair, maxevents: int, timeout: float) -> None:
        """poll(timeout, maxevents); 1e-9 s rounds up to a 1 ms wait, as select.epoll does."""
        self.on_both(
            f"poll({timeout}, {maxevents})",
            pair,
            lambda side: pair.side(side).poll(timeout, maxevents),
            self.labelled,
        )

    @precondition(lambda self: bool(self.pairs))
    @rule(maxevents=strategies.maxevents())
    def poll_all(self, maxevents: int) -> None:
        for pair in list(self.pairs):
            self.poll(pair, maxevents, 0)


#: The machine once per backend (and FFI): DifferentialLibc, DifferentialSyscallCffi...
MACHINES = per_backend(DifferentialMachine, "Differential", __name__)
globals().update(MACHINES)
DifferentialLibc = MACHINES["DifferentialLibc"]
DifferentialSyscall = MACHINES["DifferentialSyscall"]
