"""State, comparison and invariants of the differential oracle (rules live beside it).

Both sides poll the *same* kernel objects (pipes, socketpairs, eventfds, dups, /dev/null):
every data operation on them happens once, and every epoll operation happens on each side,
reference (select.epoll) first, with nothing in between. Each side owns its own epoll
instances, which the kernel keeps independent (epoll(7)): an edge that one instance sees,
the other sees too.

What must agree after every step: the value, or the exception type and errno (and for
ValueError/TypeError/OverflowError the message, which select.epoll defines) of each call;
``poll`` results as multisets, since epoll_wait(2) leaves the report order unspecified; the
interest lists read from /proc/self/fdinfo (proc(5)), compared on fd, events and the low 32
bits of data, because select.epoll sets only ``data.fd`` and leaves the upper half
uninitialised; and the number of open descriptors once an example is torn down.

Descriptor numbers: shared fds have one number on both sides and compare directly. Nested
epoll instances differ per side; they live at numbers >= ``NESTED_BASE`` that no shared fd
reaches, and results name them by label. A stale registration (a closed number whose open
file a dup keeps alive, epoll(7) Q6) reports the number it was registered under on both
sides alike, even after the number is reused.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from typing import Callable, Union

from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant

from tests.fd_leaks import assert_no_leak
from tests.kernel import fd_table

from . import kernel
from .kernel import Outcome, attempt
from .target import BindingUnderTest, kernel_interest
from .things import EpollPair, Shared

#: Whether select.epoll here is CPython's, whose argument checks pyepoll reproduces.
REFERENCE_CHECKS_ARGUMENTS = sys.implementation.name == "cpython"
#: Nested epoll instances live at or above this number; shared fds stay below it.
NESTED_BASE = 512
#: Caps that keep one example small.
MAX_SHARED = 40
MAX_PAIRS = 8
#: The kernel caps the wakeup paths from one file up through nested instances (EINVAL from
#: epoll_ctl beyond it, fs/eventpoll.c path_limits: 1000, 500, 100, 50, 10 by depth). Both
#: sides poll the same files, so their paths add up, and a register could fail on the second
#: side only. Three nested instances per side keep every count far below those limits.
MAX_NESTED = 3
LOW32 = 0xFFFFFFFF

Target = Union[Shared, EpollPair]
Labelled = list[tuple[tuple[str, int], int]]


class DifferentialBase(BindingUnderTest, RuleBasedStateMachine):
    """What every differential rule needs: the bundles, both sides, the comparisons."""

    #: Compare the text of ValueError/TypeError/OverflowError as well as the type. Only
    #: CPython's select.epoll is the reference for argument handling: PyPy's differs from
    #: it in messages and in some types (see REFERENCE_CHECKS_ARGUMENTS).
    compare_messages = REFERENCE_CHECKS_ARGUMENTS

    fds = Bundle("fds")
    epolls = Bundle("epolls")
    nested = Bundle("nested")
    closed_epolls = Bundle("closed_epolls")
    registrations = Bundle("registrations")

    def __init__(self) -> None:
        super().__init__()
        self.fds_at_start = fd_table()
        self.shared: list[Shared] = []
        self.pairs: list[EpollPair] = []
        self.names: tuple[dict[int, str], dict[int, str]] = ({}, {})
        self.counter = 0

    def agree(self, what: str, ref: Outcome, sut: Outcome) -> Outcome:
        """Fail unless both sides did the same thing."""
        if ref.key(self.compare_messages) != sut.key(self.compare_messages):
            raise AssertionError(f"{what}: select.epoll {ref}, pyepoll {sut}")
        return ref

    def on_both(
        self,
        what: str,
        pair: EpollPair,
        call: Callable[[int], object],
        normalise: Callable[[int, object], object] = lambda side, v: v,
    ) -> Outcome:
        """Run ``call(side)`` for the reference side, then the side under test; compare."""
        outcomes = [self.run_side(side, call, normalise) for side in (0, 1)]
        return self.agree(f"{what} on {pair.name}", outcomes[0], outcomes[1])

    @staticmethod
    def run_side(
        side: int, call: Callable[[int], object], normalise: Callable[[int, object], object]
    ) -> Outcome:
        return attempt(lambda: call(side), lambda v: normalise(side, v))

    def label(self, side: int, number: int) -> str:
        if number >= NESTED_BASE:
            return self.names[side].get(number, str(number))
        return str(number)

    def fd_of(self, target: Target, side: int) -> int:
        if isinstance(target, Shared):
            return target.fd
        return target.side(side).fileno()

    def labelled(self, side: int, events: object) -> Labelled:
        """poll() results as a multiset, data words named."""
        assert isinstance(events, list), f"poll returned {type(events).__name__}"
        pairs: Iterable[tuple[int, int]] = events
        return sorted(Counter((self.label(side, d), e) for d, e in pairs).items())

    def adopt(self, kind: str, *numbers: int) -> tuple[Shared, ...]:
        made = tuple(Shared(fd, kind) for fd in numbers)
        self.shared.extend(made)
        return made

    def pair_of(self, ref: object, sut: object) -> EpollPair:
        self.counter += 1
        pair = EpollPair(f"ep{self.counter}", ref, sut)  # type: ignore[arg-type]
        self.pairs.append(pair)
        return pair

    def forget(self, pair: EpollPair) -> None:
        self.pairs.remove(pair)
        for names in self.names:
            for number in [n for n, name in names.items() if name == pair.name]:
                del names[number]

    @invariant()
    def interest_lists_agree(self) -> None:
        """/proc/self/fdinfo of the reference against ``interest_list()`` of the other."""
        for pair in self.pairs:
            reported = (kernel_interest(pair.ref.fileno()), self.sut_interest(pair.sut))
            lists = [
                sorted(
                    (self.label(side, e.fd), e.events, self.label(side, e.data & LOW32))
                    for e in reported[side]
                )
                for side in (0, 1)
            ]
            if lists[0] != lists[1]:
                raise AssertionError(
                    f"interest list of {pair.name}: select.epoll {lists[0]}, pyepoll {lists[1]}"
                )

    @invariant()
    def closed_flags_agree(self) -> None:
        for pair in self.pairs:
            if pair.ref.closed != pair.sut.closed:
                raise AssertionError(f"{pair.name}.closed: {pair.ref.closed} vs {pair.sut.closed}")

    def teardown(self) -> None:
        for pair in self.pairs:
            pair.close()
        for fd in self.shared:
            kernel.close_quietly(fd.fd)
        assert_no_leak(self.fds_at_start)
