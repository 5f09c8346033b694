"""Hypothesis strategies shared by the fuzz machines: event masks, data words, bad arguments.

The event bits come from ``conformance.flags``, the suites' own copy of the kernel's header,
never from pyepoll: the fuzzer does not trust the binding it is checking (the machines and the
model import them from there too).
"""

from __future__ import annotations

import functools
import operator

from hypothesis import strategies as st

from conformance.flags import (
    EPOLLERR,
    EPOLLET,
    EPOLLEXCLUSIVE,
    EPOLLHUP,
    EPOLLIN,
    EPOLLMSG,
    EPOLLONESHOT,
    EPOLLOUT,
    EPOLLPRI,
    EPOLLRDBAND,
    EPOLLRDHUP,
    EPOLLRDNORM,
    EPOLLWAKEUP,
    EPOLLWRBAND,
    EPOLLWRNORM,
)

#: Readiness bits a caller may ask for.
READINESS_BITS = (
    EPOLLIN,
    EPOLLPRI,
    EPOLLOUT,
    EPOLLERR,
    EPOLLHUP,
    EPOLLRDNORM,
    EPOLLRDBAND,
    EPOLLWRNORM,
    EPOLLWRBAND,
    EPOLLMSG,
    EPOLLRDHUP,
)
#: Bits that change how a registration reports, not what it reports.
MODIFIER_BITS = (EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE, EPOLLWAKEUP)
#: Bits no flag names (POLLNVAL, POLLREMOVE, ...): the kernel stores them as given.
UNNAMED_BITS = (0x020, 0x800, 0x1000, 0x4000, 0x8000, 1 << 16, 1 << 27)

#: 64-bit values of the data word that exercise its edges.
DATA_EDGES = (0, 1, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1)


def _union(bits: list[int]) -> int:
    return functools.reduce(operator.or_, bits, 0)


def event_masks() -> st.SearchStrategy[int]:
    """Mostly meaningful masks (readiness bits plus modifiers), sometimes any 32-bit value."""
    readiness = st.lists(st.sampled_from(READINESS_BITS), max_size=4).map(_union)
    modifiers = st.one_of(
        st.just(0),
        st.sampled_from((EPOLLET, EPOLLONESHOT, EPOLLET | EPOLLONESHOT)),
        st.lists(st.sampled_from(MODIFIER_BITS + UNNAMED_BITS), max_size=2).map(_union),
    )
    common = st.sampled_from((EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT, EPOLLIN | EPOLLRDHUP))
    meaningful = st.one_of(common, readiness).flatmap(lambda r: modifiers.map(lambda m: r | m))
    return st.one_of(meaningful, meaningful, meaningful, st.integers(0, 2**32 - 1))


def data_words() -> st.SearchStrategy[int]:
    """The 64-bit epoll_data word: edges and arbitrary values."""
    return st.one_of(st.sampled_from(DATA_EDGES), st.integers(0, 2**64 - 1))


def level_triggered_masks() -> st.SearchStrategy[int]:
    """Masks of plain level-triggered entries: what several fds at once register with, the
    ground for round robin (epoll(7))."""
    return st.sampled_from((EPOLLIN | EPOLLOUT, EPOLLIN))


def maxevents() -> st.SearchStrategy[int]:
    """poll(maxevents=...): select.epoll's -1 default, small counts for round robin."""
    return st.one_of(st.just(-1), st.just(1), st.integers(1, 4), st.integers(5, 64))


def byte_counts(largest: int) -> st.SearchStrategy[int]:
    """Sizes for read(2)/write(2), biased to small ones."""
    return st.one_of(st.integers(1, 16), st.integers(1, largest))


#: Descriptor arguments that are not valid descriptors, with what they probe.
BAD_FDS: tuple[object, ...] = (
    -1,
    -(2**31),
    2**31,
    2**63,
    2**64,
    "0",
    1.5,
    None,
    b"1",
)
#: Event masks outside ``unsigned int`` or of the wrong type.
BAD_MASKS: tuple[object, ...] = (-1, -(2**31) - 1, 2**32, 2**64, "1", 1.0, None)
#: poll() timeouts that must be rejected before any wait (so none can block).
BAD_TIMEOUTS: tuple[object, ...] = ("0", b"", float("nan"), 2**70, -(2**70), 1e300, -1e300)
#: poll() maxevents values that must be rejected.
BAD_MAXEVENTS: tuple[object, ...] = (0, -2, -(2**31), 2**31, 2**64, "1", 1.0, None)
#: epoll() constructor arguments: (sizehint, flags).
BAD_CONSTRUCTOR_ARGS: tuple[tuple[object, object], ...] = (
    (0, 0),
    (-2, 0),
    (2**31, 0),
    ("1", 0),
    (-1, 1),
    (-1, 2**31),
    (-1, -1),
    (-1, "0"),
    (1, 0o2000000),
    (2**31 - 1, 0),
    (-1, None),
)
