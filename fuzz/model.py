"""An executable model of the epoll spec for pipes, eventfds and socketpairs.

It holds a descriptor table (numbers -> open files, shared by dup(2)), the epoll instances,
and answers every call with the Outcome the kernel should produce. Readiness and wakeups
come from :mod:`fuzz.model_files`; entries, ready lists and epoll_wait from
:mod:`fuzz.model_queue`.

epoll_ctl(2) errors, in the order the kernel checks them (fs/eventpoll.c, do_epoll_ctl):
EPOLLWAKEUP is silently dropped without CAP_BLOCK_SUSPEND, and always on a kernel built
without CONFIG_PM_SLEEP (as on this machine's VM), so ``KEEPS_WAKEUP`` asks the kernel once; then
EINVAL for EPOLLEXCLUSIVE on MOD, or on ADD with any bit outside EPOLLIN, EPOLLOUT,
EPOLLERR, EPOLLHUP, EPOLLWAKEUP, EPOLLET; then EEXIST (ADD) / ENOENT (MOD, DEL) from the
lookup of (open file, fd); then EINVAL for MOD of an entry made with EPOLLEXCLUSIVE.
ADD and MOD always add EPOLLERR | EPOLLHUP to the stored mask (epoll_ctl(2), NOTES).

Closing a descriptor releases its open file only when it was the last one referring to it;
only then do the file's entries leave every interest list (epoll(7), Q6). Until then they
stay, keyed by the closed number, and report events under their data word.
"""

from __future__ import annotations

import errno
import os
import select

from conformance import flags as ev
from tests.kernel import interest_entries

from .kernel import Outcome, failure
from .model_files import EventFd, File, pipe, socketpair
from .model_queue import Entry, Instance

EXCLUSIVE_OK = (
    ev.EPOLLIN
    | ev.EPOLLOUT
    | ev.EPOLLERR
    | ev.EPOLLHUP
    | ev.EPOLLWAKEUP
    | ev.EPOLLET
    | ev.EPOLLEXCLUSIVE
)
ADD, DEL, MOD = 1, 2, 3


def _keeps_wakeup() -> bool:
    """Does epoll_ctl keep EPOLLWAKEUP here? Read back from /proc/self/fdinfo (proc(5))."""
    with select.epoll() as probe:
        r, w = os.pipe()
        try:
            probe.register(r, select.EPOLLIN | ev.EPOLLWAKEUP)
            (entry,) = interest_entries(probe.fileno())
        finally:
            os.close(r)
            os.close(w)
    return bool(entry.events & ev.EPOLLWAKEUP)


KEEPS_WAKEUP = _keeps_wakeup()


class Model:
    """Descriptor table plus epoll instances."""

    def __init__(self) -> None:
        self.files: dict[int, File] = {}
        self.instances: dict[int, Instance] = {}

    # -- descriptors -------------------------------------------------------------

    def open_pipe(self, r: int, w: int) -> None:
        self.files[r], self.files[w] = pipe()

    def open_socketpair(self, a: int, b: int) -> None:
        self.files[a], self.files[b] = socketpair()

    def open_eventfd(self, fd: int, count: int, semaphore: bool) -> None:
        self.files[fd] = EventFd(count, semaphore)

    def dup(self, old: int, new: int) -> None:
        self.files[new] = self.files[old]
        self.files[new].refs += 1

    def close(self, fd: int) -> None:
        file = self.files.pop(fd)
        file.refs -= 1
        if file.refs:
            return
        for instance in self.instances.values():  # eventpoll_release(), then f_op->release
            for entry in [e for e in instance.entries.values() if e.file is file]:
                instance.remove(entry)
        file.release()

    def mask(self, fd: int) -> int:
        return self.files[fd].mask()

    # -- data operations -----------------------------------------------------------

    def write(self, fd: int, size: int, value: int) -> Outcome:
        return self.files[fd].write(size, value)

    def read(self, fd: int, size: int) -> Outcome:
        return self.files[fd].read(size)

    def shutdown(self, fd: int, how: int) -> Outcome:
        return self.files[fd].shutdown(how)

    # -- epoll ---------------------------------------------------------------------

    def epoll_create(self, epfd: int) -> None:
        self.instances[epfd] = Instance()

    def epoll_close(self, epfd: int) -> None:
        self.instances.pop(epfd).close()

    def ctl(self, epfd: int, op: int, fd: int, events: int, data: int | None) -> Outcome:
        instance, file = self.instances[epfd], self.files[fd]
        if not KEEPS_WAKEUP:
            events &= ~ev.EPOLLWAKEUP
        if op != DEL and events & ev.EPOLLEXCLUSIVE and (op == MOD or events & ~EXCLUSIVE_OK):
            return failure(errno.EINVAL)
        entry = instance.entries.get((id(file), fd))
        stored = events | ev.EPOLLERR | ev.EPOLLHUP
        word = fd if data is None else data
        if op == ADD:
            if entry is not None:
                return failure(errno.EEXIST)
            instance.insert(Entry(instance, file, fd, stored, word))
        elif entry is None:
            return failure(errno.ENOENT)
        elif op == DEL:
            instance.remove(entry)
        elif entry.events & ev.EPOLLEXCLUSIVE:
            return failure(errno.EINVAL)
        else:
            instance.modify(entry, stored, word)
        return Outcome(value=None)

    def wait(self, epfd: int, maxevents: int) -> list[tuple[int, int]]:
        return self.instances[epfd].wait(maxevents)

    def interest(self, epfd: int) -> list[tuple[int, int, int]]:
        """The interest list as /proc shows it (fd, events, data), in a canonical order."""
        return sorted((e.fd, e.events, e.data) for e in self.instances[epfd].entries.values())
