"""The binding under test: which ``epoll`` class and which backend a machine drives.

Machines name their backend in a class attribute (``backend = "syscall"``), the way
CPython's test_selectors names the selector; the mutation tests swap ``epoll_class`` for a
deliberately broken subclass of :class:`pyepoll.epoll`.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

import pyepoll
from pyepoll.backends import backend_labels
from tests.kernel import Registration as Entry
from tests.kernel import interest_entries

_Machine = TypeVar("_Machine", bound="BindingUnderTest")


class BindingUnderTest:
    """Mixin for state machines: builds the epoll objects under test."""

    #: Backend name passed as ``backend=`` to every pyepoll call.
    backend: ClassVar[str] = "libc"
    #: The class under test; mutants replace it.
    epoll_class: ClassVar[type[pyepoll.epoll]] = pyepoll.epoll

    def new_sut(self, sizehint: object = -1, flags: object = 0) -> pyepoll.epoll:
        """epoll(sizehint, flags, backend=...) of the class under test."""
        return self.epoll_class(sizehint, flags, backend=self.backend)  # type: ignore[arg-type]

    def sut_fromfd(self, fd: int) -> pyepoll.epoll:
        """epoll.fromfd(fd, backend=...) of the class under test."""
        return self.epoll_class.fromfd(fd, backend=self.backend)

    @staticmethod
    def sut_interest(ep: pyepoll.epoll) -> list[Entry]:
        """The interest list as the object under test reports it."""
        return [Entry(i.fd, i.events, i.data) for i in ep.interest_list()]


def per_backend(base: type[_Machine], stem: str, module: str) -> dict[str, type[_Machine]]:
    """One subclass of *base* per backend label, named ``<stem>Libc``, ``<stem>Syscall``
    (default FFI), ``<stem>LibcCffi``... (see :func:`pyepoll.backends.backend_labels`).
    The caller binds them as attributes of *module*, where pickle finds them."""
    machines: dict[str, type[_Machine]] = {}
    for label, name in backend_labels().items():
        class_name = stem + "".join(part.title() for part in label.split("-"))
        namespace = {"backend": name, "__module__": module, "__qualname__": class_name}
        machines[class_name] = type(class_name, (base,), namespace)
    return machines


def kernel_interest(epfd: int) -> list[Entry]:
    """The interest list of any epoll fd, read from /proc/self/fdinfo (proc(5)) by the suites'
    own parser, not by pyepoll's, which is under test."""
    return interest_entries(epfd)
