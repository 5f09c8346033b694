"""The clause catalogue: the controlled vocabulary of the conformance suite.

Every clause has a stable ID (a slug such as ``epoll_ctl.EEXIST``, never a section number), the
page and section it comes from, a verbatim quote of the claim (for man-page clauses; the rendered
text of Linux man-pages 6.03, whitespace collapsed), and the version the quote was taken from.
Kernel-behaviour clauses state, in our words, what the kernel does where the pages are silent or
stale, with the kernel version it was seen on. A clause that cannot be tested safely keeps its
place here with the reason (``untestable``); a clause whose details may differ between two correct
implementations is marked ``impl_defined``.

Every clause has a *kind*. ``binding``: the sentence constrains what an implementation does with
the arguments and results it passes between Python and the kernel (argument conversion, timeouts,
buffers, data words, which errno surfaces as which exception) or something the Python API itself
adds (the ``python.*`` pages). ``kernel``: a fact of the kernel, which any implementation that
passes the calls through unchanged inherits; these are what an emulator or sandbox (qemu-user,
gVisor, WSL) must get right. The kind is written out in every clause, never defaulted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

#: The man-pages release every quote was taken from (the footer of each page on this machine).
MAN_PAGES = "Linux man-pages 6.03"
#: The kernel the kernel-behaviour clauses were observed on.
KERNEL_SEEN = "Linux 6.18"
#: The two kinds of clause (see the module docstring).
BINDING, KERNEL = "binding", "kernel"
KINDS = (BINDING, KERNEL)


@dataclass(frozen=True)
class Clause:
    """One checkable statement of the specification."""

    id: str
    page: str
    section: str
    quote: str
    source: str = MAN_PAGES
    min_kernel: tuple[int, ...] | None = None
    untestable: str | None = None
    impl_defined: bool = False
    #: "binding" or "kernel"; required (keyword), checked below.
    kind: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"clause {self.id!r}: kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def testable(self) -> bool:
        return self.untestable is None

    @property
    def kernel_behaviour(self) -> bool:
        """True for clauses that describe the kernel beyond what the man pages say."""
        return self.source != MAN_PAGES

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "page": self.page,
            "section": self.section,
            "claim": self.quote,
            "source": self.source,
            "min_kernel": ".".join(map(str, self.min_kernel)) if self.min_kernel else None,
            "testable": self.testable,
            "untestable_reason": self.untestable,
            "implementation_defined": self.impl_defined,
            "kind": self.kind,
        }


def _load() -> dict[str, Clause]:
    from conformance.catalogue import epoll7, epoll_create, epoll_ctl, epoll_wait, kernel, python

    table: dict[str, Clause] = {}
    for module in (epoll_create, epoll_ctl, epoll_wait, epoll7, kernel, python):
        for clause in module.CLAUSES:
            if clause.id in table:
                raise ValueError(f"duplicate clause id {clause.id!r}")
            table[clause.id] = clause
    return table


CATALOGUE: dict[str, Clause] = _load()


def get(clause_id: str) -> Clause:
    """The clause named *clause_id*; KeyError for an unknown ID."""
    return CATALOGUE[clause_id]


def clauses() -> Iterator[Clause]:
    """All clauses in catalogue order (page by page, as the pages run)."""
    return iter(CATALOGUE.values())
