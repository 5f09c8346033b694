"""Event buffers: memory the kernel writes ``struct epoll_event`` records into, and decoding.

A buffer knows its capacity, and every wait passes the kernel a ``maxevents`` no larger than
that capacity: the kernel cannot write past the end (epoll_wait(2): "up to *maxevents* are
returned").

Decoding is the hot path of a wait.  The records are read through typed ``memoryview`` slices
of the buffer (one strided view of the ``events`` fields, one of ``data.fd``) and paired with
``zip``, so that no Python-level loop runs per event.  A record's ``data`` word is read in
one of two ways:

* as ``data.fd``, the low 32 bits as a signed int, which is what select.epoll reports (it only
  ever sets ``data.fd``, so the high half of its words is undefined);
* as the whole 64-bit word, for registrations that stored a word of their own.
"""

from __future__ import annotations

import mmap
import operator
import struct
from typing import Any

from .abi import EP_MAX_EVENTS, EPOLL_EVENT_FORMAT, EPOLL_EVENT_SIZE
from .ffi import Ffi, default_ffi_name, get_ffi

__all__ = ["FD_WORD", "EventBuffer", "Events"]

#: A decoded wait: ``(data, events)`` pairs, in the kernel's order.
Events = list[tuple[int, int]]

_RECORD = struct.Struct(EPOLL_EVENT_FORMAT)
# Record stride, and where ``data.fd`` (the first four bytes of the data union, whatever the
# byte order) starts, in units of 32-bit words.
_STRIDE = EPOLL_EVENT_SIZE // 4
FD_WORD = _STRIDE - 2
# Above this size a buffer is an anonymous mapping: its pages are zero-filled lazily by the
# kernel, so a wait with a huge maxevents costs no more than the events it returns.
_MAPPED_BYTES = 1 << 16


class EventBuffer:
    """Room for ``capacity`` ``struct epoll_event`` records, reusable across waits.

    Pass one to the wait functions (``buffer=``) to avoid an allocation per call in a hot loop.
    A buffer must not be shared by threads that wait at the same time.  Its ``pointer`` is made
    by *ffi* (the default FFI when None); a wait through another FFI makes its own per call.
    """

    __slots__ = (
        "capacity",
        "event_words",
        "fd_words",
        "ffi",
        "memory",
        "pointer",
        "records",
        "view",
    )

    def __init__(self, capacity: int, ffi: Ffi | None = None) -> None:
        capacity = operator.index(capacity)
        if not 0 < capacity <= EP_MAX_EVENTS:
            raise ValueError(f"capacity must be between 1 and {EP_MAX_EVENTS}, got {capacity}")
        self.capacity = capacity
        size = capacity * EPOLL_EVENT_SIZE
        memory: bytearray | mmap.mmap
        memory = bytearray(size) if size <= _MAPPED_BYTES else mmap.mmap(-1, size)
        #: What the kernel writes into.
        self.memory = memory
        self.ffi = ffi if ffi is not None else get_ffi(default_ffi_name())
        #: ``memory`` as *ffi*'s ``struct epoll_event *`` argument, made once.
        self.pointer = self.ffi.buffer_pointer(memory)
        #: The raw bytes, for ``struct.unpack_from``.
        self.view = view = memoryview(memory)
        #: ``fd_words``: the buffer as signed 32-bit words, ``data.fd`` of record *i* is word
        #: ``i * stride + FD_WORD``; ``event_words``: as unsigned 32-bit words, ``events`` of
        #: record *i* is word ``i * stride``; ``records``: None, or the records as the FFI
        #: reads them fastest one by one (see :meth:`pyepoll.ffi.Ffi.views`).
        self.fd_words, self.event_words, self.records = self.ffi.views(view, self.pointer)

    def __repr__(self) -> str:
        return f"<EventBuffer capacity={self.capacity}>"

    def pointer_for(self, ffi: Ffi) -> Any:
        """The buffer as an argument of a call through *ffi*."""
        return self.pointer if ffi is self.ffi else ffi.buffer_pointer(self.memory)

    def fds(self, count: int) -> Events:
        """The first ``count`` records as ``(data.fd, events)``, as select.epoll reports them."""
        if count <= 1:
            return [(self.fd_words[FD_WORD], self.event_words[0])] if count else []
        end = count * _STRIDE
        if self.records is not None:
            fd_words, event_words = self.fd_words, self.event_words
            return [(fd_words[i + FD_WORD], event_words[i]) for i in range(0, end, _STRIDE)]
        # zip over the two strided views builds each pair straight from the buffer: no
        # intermediate lists (measured faster than ``tolist()`` on 3.11 and 3.13).
        return list(zip(self.fd_words[FD_WORD:end:_STRIDE], self.event_words[0:end:_STRIDE]))

    def words(self, count: int) -> Events:
        """The first ``count`` records as ``(data, events)`` with the full 64-bit data word."""
        if self.records is not None:
            return [(record.data, record.events) for record in self.records[0:count]]
        records = _RECORD.iter_unpack(self.view[: count * EPOLL_EVENT_SIZE])
        return [(data, events) for events, data in records]
