"""The core of the epoll model: entries, wait queues, ready lists and epoll_wait(2).

This follows the kernel's algorithm (fs/eventpoll.c) because epoll(7) only describes its
effects, and the fuzzer compares report *order* too:

* An entry (epitem) is keyed by (open file, fd number). EPOLL_CTL_ADD hangs it on the file's
  wait queue, at the head (newest first), or at the tail with EPOLLEXCLUSIVE, and puts it at
  the tail of the ready list if the file is already ready for its events.
* A wakeup walks a wait queue from the head and appends each entry to its instance's ready
  list unless it is already there, it is a disarmed EPOLLONESHOT entry, or the wakeup names
  events the entry does not ask for (a wakeup naming none, as close and shutdown send, takes
  every entry). With no blocked waiter, EPOLLEXCLUSIVE changes nothing here: it only limits
  how many *blocked* waiters one event wakes.
* epoll_wait takes the whole ready list, re-polls each entry in order and reports the ones
  still ready, up to maxevents. A reported EPOLLONESHOT entry is disarmed (its mask keeps
  only the private bits); a reported level-triggered entry goes back to the tail; edge-
  triggered ones do not. Entries not reached are put back at the *head*, so a level-triggered
  ready set is served round robin when maxevents is smaller than it (epoll(7), Q&A).
* EPOLL_CTL_MOD sets the new mask and, if the file is ready for it, appends the entry unless
  it is already queued. EPOLL_CTL_DEL and the release of a file remove entries.
"""

from __future__ import annotations

from conformance import flags as ev

#: Bits that say how an entry reports, not what (EP_PRIVATE_BITS in fs/eventpoll.c).
PRIVATE_BITS = ev.EPOLLWAKEUP | ev.EPOLLONESHOT | ev.EPOLLET | ev.EPOLLEXCLUSIVE


class Entry:
    """One registration: an epitem."""

    def __init__(self, instance: Instance, file: object, fd: int, events: int, data: int) -> None:
        self.instance, self.file, self.fd = instance, file, fd
        self.events, self.data = events, data

    def revents(self) -> int:
        return self.file.mask() & self.events  # type: ignore[attr-defined, no-any-return]


class WaitQueue:
    """A file's wait queue, holding the epoll entries that watch it."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, entry: Entry) -> None:
        if entry.events & ev.EPOLLEXCLUSIVE:
            self.entries.append(entry)
        else:
            self.entries.insert(0, entry)

    def remove(self, entry: Entry) -> None:
        self.entries.remove(entry)

    def wake(self, key: int) -> None:
        """wake_up_poll(queue, key): key 0 wakes every entry (ep_poll_callback)."""
        for entry in list(self.entries):
            if not entry.events & ~PRIVATE_BITS:
                continue
            if key and not key & entry.events:
                continue
            entry.instance.make_ready(entry)


class Instance:
    """One epoll instance: its interest list and ready list."""

    def __init__(self) -> None:
        self.entries: dict[tuple[int, int], Entry] = {}
        self.ready: list[Entry] = []

    def make_ready(self, entry: Entry) -> None:
        if entry not in self.ready:
            self.ready.append(entry)

    def insert(self, entry: Entry) -> None:
        self.entries[(id(entry.file), entry.fd)] = entry
        entry.file.queue.add(entry)  # type: ignore[attr-defined]
        if entry.revents():
            self.make_ready(entry)

    def modify(self, entry: Entry, events: int, data: int) -> None:
        entry.events, entry.data = events, data
        if entry.revents():
            self.make_ready(entry)

    def remove(self, entry: Entry) -> None:
        del self.entries[(id(entry.file), entry.fd)]
        entry.file.queue.remove(entry)  # type: ignore[attr-defined]
        if entry in self.ready:
            self.ready.remove(entry)

    def wait(self, maxevents: int) -> list[tuple[int, int]]:
        scan, self.ready = self.ready, []
        reported: list[tuple[int, int]] = []
        reached = 0
        for entry in scan:
            if len(reported) >= maxevents:
                break
            reached += 1
            revents = entry.revents()
            if not revents:
                continue
            reported.append((entry.data, revents))
            if entry.events & ev.EPOLLONESHOT:
                entry.events &= PRIVATE_BITS
            elif not entry.events & ev.EPOLLET:
                self.ready.append(entry)
        self.ready = scan[reached:] + self.ready
        return reported

    def close(self) -> None:
        for entry in list(self.entries.values()):
            self.remove(entry)
