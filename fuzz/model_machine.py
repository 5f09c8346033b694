"""Model oracle: the kernel, through ``pyepoll.epoll``, must agree with :mod:`fuzz.model`.

Every rule performs one real call and the same step on the model, then compares the value
or the exception type and errno. After every step the interest lists (via the object under
test) and the readiness of every open descriptor (via poll(2)) must match the model; poll
results must match it exactly, order included (see :mod:`fuzz.model_queue` for why the
order is determined).
"""

from __future__ import annotations

import os
import select
import struct
from typing import Callable

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    precondition,
    rule,
)

import pyepoll
from tests.fd_leaks import assert_no_leak
from tests.kernel import eventfd_add, eventfd_drain, fd_table, new_pipe

from . import kernel, strategies
from .kernel import Outcome, attempt
from .model import ADD, DEL, MOD, Model
from .target import BindingUnderTest, per_backend
from .things import Registration, Shared

MAX_FDS = 24
MAX_EPOLLS = 4
ALL_POLL_BITS = 0xFFFF


class Watched:
    """An epoll object under test, as the bundle holds it."""

    __slots__ = ("ep", "epfd")

    def __init__(self, ep: pyepoll.epoll) -> None:
        self.ep, self.epfd = ep, ep.fileno()

    def __repr__(self) -> str:
        return f"<epoll fd {self.epfd}>"


def room_for_fds(machine: ModelMachine) -> bool:
    return len(machine.model.files) < MAX_FDS


class ModelMachine(BindingUnderTest, RuleBasedStateMachine):
    """pyepoll.epoll with ``backend`` against the executable model."""

    fds = Bundle("fds")
    epolls = Bundle("epolls")
    registrations = Bundle("registrations")

    def __init__(self) -> None:
        super().__init__()
        self.fds_at_start = fd_table()
        self.model = Model()
        self.open: list[Shared] = []
        self.watched: list[Watched] = []

    def agree(self, what: str, real: Outcome, model: Outcome) -> None:
        if real.key(False) != model.key(False):
            raise AssertionError(f"{what}: kernel via pyepoll {real}, model {model}")

    def adopt(self, kind: str, *numbers: int) -> list[Shared]:
        made = [Shared(fd, kind) for fd in numbers]
        self.open.extend(made)
        return made

    # -- descriptors -----------------------------------------------------------------

    @precondition(room_for_fds)
    @rule(target=fds)
    def new_pipe(self) -> object:
        r, w = new_pipe()
        self.model.open_pipe(r, w)
        return multiple(*self.adopt("pipe_r", r) + self.adopt("pipe_w", w))

    @precondition(room_for_fds)
    @rule(target=fds)
    def new_socketpair(self) -> object:
        a, b = kernel.socketpair()
        self.model.open_socketpair(a, b)
        return multiple(*self.adopt("sock", a, b))

    @precondition(room_for_fds)
    @rule(target=fds, initval=st.sampled_from((0, 1, kernel.EVENTFD_MAX)), semaphore=st.booleans())
    def new_eventfd(self, initval: int, semaphore: bool) -> Shared:
        fd = kernel.eventfd(0, semaphore)
        if initval:  # eventfd(2) takes an unsigned int; larger counts come from a write
            eventfd_add(fd, initval)
        self.model.open_eventfd(fd, initval, semaphore)
        return self.adopt("eventfd", fd)[0]

    @precondition(room_for_fds)
    @rule(target=fds, fd=fds)
    def dup(self, fd: Shared) -> Shared:
        new = os.dup(fd.fd)
        self.model.dup(fd.fd, new)
        return self.adopt(fd.kind, new)[0]

    @rule(fd=fds)
    def renumber(self, fd: Shared) -> None:
        """dup(2) then close(2) the old number: its entries stay, now stale (epoll(7), Q6)."""
        new = os.dup(fd.fd)
        self.model.dup(fd.fd, new)
        os.close(fd.fd)
        self.model.close(fd.fd)
        fd.fd = new

    @rule(fd=consumes(fds))
    def close(self, fd: Shared) -> None:
        os.close(fd.fd)
        self.open.remove(fd)
        self.model.close(fd.fd)

    @rule(
        fd=fds,
        size=strategies.byte_counts(1024),
        value=st.one_of(st.integers(0, 3), st.integers(0, 2**64 - 1)),
    )
    def write(self, fd: Shared, size: int, value: int) -> None:
        if fd.kind == "eventfd":
            payload = struct.pack("=Q", value)
        else:
            size = min(size, self.model.files[fd.fd].write_room())
            if not size:
                return  # the model's regime ends here (see fuzz.model_files)
            payload = b"x" * size
        real = attempt(lambda: os.write(fd.fd, payload))
        self.agree(f"write({fd!r}, {len(payload)})", real, self.model.write(fd.fd, size, value))

    @rule(fd=fds, size=strategies.byte_counts(2048))
    def read(self, fd: Shared, size: int) -> None:
        call: Callable[[], object]
        if fd.kind == "eventfd":
            call = lambda: eventfd_drain(fd.fd)  # noqa: E731
        else:
            call = lambda: len(os.read(fd.fd, size))  # noqa: E731
        self.agree(f"read({fd!r}, {size})", attempt(call), self.model.read(fd.fd, size))

    @rule(fd=fds, how=st.sampled_from((0, 1, 2)))
    def shutdown(self, fd: Shared, how: int) -> None:
        real = attempt(lambda: kernel.shutdown(fd.fd, how))
        self.agree(f"shutdown({fd!r}, {how})", real, self.model.shutdown(fd.fd, how))

    # -- epoll -----------------------------------------------------------------------

    @precondition(lambda self: len(self.watched) < MAX_EPOLLS)
    @rule(target=epolls)
    def new_epoll(self) -> Watched:
        watched = Watched(self.new_sut())
        self.model.epoll_create(watched.epfd)
        self.watched.append(watched)
        return watched

    @rule(ep=consumes(epolls))
    def close_epoll(self, ep: Watched) -> None:
        ep.ep.close()
        self.watched.remove(ep)
        self.model.epoll_close(ep.epfd)

    def ctl(
        self,
        what: str,
        ep: Watched,
        op: int,
        fd: Shared,
        mask: int,
        data: int | None,
        call: Callable[[], object],
    ) -> Outcome:
        expected = self.model.ctl(ep.epfd, op, fd.fd, mask, data)
        self.agree(f"{what}({fd!r}, {mask:#x}, data={data}) on {ep!r}", attempt(call), expected)
        return expected

    def alive(self, reg: Registration) -> bool:
        """Whether both halves of a remembered registration are still open."""
        return reg.epoll in self.watched and reg.fd in self.open

    @rule(
        target=registrations,
        ep=epolls,
        fd=fds,
        mask=strategies.event_masks(),
        data=st.one_of(st.none(), strategies.data_words()),
    )
    def register(self, ep: Watched, fd: Shared, mask: int, data: int | None) -> object:
        done = self.ctl(
            "register", ep, ADD, fd, mask, data, lambda: ep.ep.register(fd.fd, mask, data=data)
        )
        return Registration(ep, fd) if done.ok else multiple()

    @rule(
        ep=epolls,
        many=st.lists(fds, min_size=2, max_size=6, unique=True),
        mask=strategies.level_triggered_masks(),
    )
    def register_many(self, ep: Watched, many: list[Shared], mask: int) -> None:
        """Several level-triggered entries at once: the ground for round robin (epoll(7))."""
        for fd in many:
            self.register(ep, fd, mask, None)

    @rule(
        ep=epolls,
        fd=fds,
        mask=strategies.event_masks(),
        data=st.one_of(st.none(), strategies.data_words()),
    )
    def modify(self, ep: Watched, fd: Shared, mask: int, data: int | None) -> None:
        self.ctl("modify", ep, MOD, fd, mask, data, lambda: ep.ep.modify(fd.fd, mask, data=data))

    @rule(
        reg=registrations,
        mask=strategies.event_masks(),
        data=st.one_of(st.none(), strategies.data_words()),
    )
    def modify_registered(self, reg: Registration, mask: int, data: int | None) -> None:
        if self.alive(reg):
            self.modify(reg.epoll, reg.fd, mask, data)

    @rule(ep=epolls, fd=fds)
    def unregister(self, ep: Watched, fd: Shared) -> None:
        self.ctl("unregister", ep, DEL, fd, 0, None, lambda: ep.ep.unregister(fd.fd))

    @rule(reg=consumes(registrations))
    def unregister_registered(self, reg: Registration) -> None:
        if self.alive(reg):
            self.unregister(reg.epoll, reg.fd)

    @rule(ep=epolls, maxevents=strategies.maxevents())
    def poll(self, ep: Watched, maxevents: int) -> None:
        real = attempt(lambda: list(ep.ep.poll(0, maxevents)))
        expected = self.model.wait(ep.epfd, 1023 if maxevents == -1 else maxevents)
        self.agree(f"poll(0, {maxevents}) on {ep!r}", real, Outcome(value=expected))

    @precondition(lambda self: bool(self.watched))
    @rule(maxevents=strategies.maxevents())
    def poll_all(self, maxevents: int) -> None:
        for watched in self.watched:
            self.poll(watched, maxevents)

    # -- what must hold after every step ---------------------------------------------

    @invariant()
    def interest_lists_agree(self) -> None:
        for watched in self.watched:
            real = sorted(self.sut_interest(watched.ep))
            expected = self.model.interest(watched.epfd)
            if [tuple(e) for e in real] != expected:
                raise AssertionError(
                    f"interest list of {watched!r}: pyepoll {real}, model {expected}"
                )

    @invariant()
    def readiness_agrees(self) -> None:
        """poll(2) on every open descriptor reports what the model's files say."""
        poller = select.poll()
        for fd in self.model.files:
            poller.register(fd, ALL_POLL_BITS)
        seen = dict(poller.poll(0))
        for fd in self.model.files:
            expected = self.model.mask(fd) & ALL_POLL_BITS
            if seen.get(fd, 0) != expected:
                raise AssertionError(
                    f"poll(2) readiness of fd {fd} "
                    f"({self.model.files[fd].kind}): kernel "
                    f"{seen.get(fd, 0):#x}, model {expected:#x}"
                )

    def teardown(self) -> None:
        for watched in self.watched:
            watched.ep.close()
        for fd in self.open:
            kernel.close_quietly(fd.fd)
        assert_no_leak(self.fds_at_start)


#: The machine once per backend (and FFI): ModelLibc, ModelSyscallCffi...
MACHINES = per_backend(ModelMachine, "Model", __name__)
globals().update(MACHINES)
ModelLibc = MACHINES["ModelLibc"]
ModelSyscall = MACHINES["ModelSyscall"]
