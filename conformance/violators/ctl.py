"""Violators of epoll_ctl(2): each gets one sentence of the page wrong.

Most are generated from the tables below (an errno swallowed or changed, an event bit dropped
from what is registered, a bit dropped from or added to what a poll reports); the rest, whose
mistake is an operation done differently, are written out as hooks. Each is a class of this
module, loaded as ``conformance.violators.ctl:<Name>``; the hooks are described in
:mod:`conformance.violators._ctl`.

Left out on purpose: ``epoll_ctl.EPOLLEXCLUSIVE.mixed`` and ``epoll_ctl.EPOLLHUP.data_first``,
whose tests are being reworked together with their violators; EPOLLWAKEUP, ENOMEM and ENOSPC,
which the catalogue marks untestable.
"""

from __future__ import annotations

import errno
import socket
import stat
from typing import Callable

from conformance import flags as F
from conformance.adapters import Ctl, Events
from conformance.kobjects import is_epoll, is_open
from conformance.violators._ctl import (
    ADD,
    ADD_ONLY,
    ANY_OP,
    DEL,
    DEL_ONLY,
    EXCLUSIVE_OK,
    MOD,
    MOD_ONLY,
    WITH_EVENT,
    CtlHook,
    Do,
    Hooked,
    Rewrite,
    define_hooked,
    drops,
    file_type,
    refuses,
    registration,
    swallows,
    watches,
)

#: The bits a registration keeps once its EPOLLONESHOT event fired (fs/eventpoll.c,
#: EP_PRIVATE_BITS): nothing else, so fdinfo shows it disabled.
PRIVATE_BITS = F.EPOLLWAKEUP | F.EPOLLONESHOT | F.EPOLLET | F.EPOLLEXCLUSIVE
#: capabilities(7): CAP_BLOCK_SUSPEND, which EPOLLWAKEUP needs.
CAP_BLOCK_SUSPEND = 36
UINT32_MAX = (1 << 32) - 1
_IN_EXCLUSIVE = F.EPOLLIN | F.EPOLLEXCLUSIVE


# --- what a call is about ------------------------------------------------------------------------


def _exclusive(call: Ctl) -> bool:
    return bool(call.events & F.EPOLLEXCLUSIVE)


def _exclusive_registration(call: Ctl) -> bool:
    found = registration(call.epfd, call.fd)
    return not _exclusive(call) and found is not None and bool(found.events & F.EPOLLEXCLUSIVE)


def _is_seqpacket(call: Ctl) -> bool:
    if file_type(call.fd) != stat.S_IFSOCK:
        return False
    sock = socket.socket(fileno=call.fd)
    try:
        return sock.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_SEQPACKET
    finally:
        sock.detach()  # the descriptor stays the caller's


def _lacks_block_suspend(call: Ctl) -> bool:
    """EPOLLWAKEUP is asked for and the effective capability set lacks CAP_BLOCK_SUSPEND."""
    if not call.events & F.EPOLLWAKEUP:
        return False
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("CapEff:"):
                return not int(line.split()[1], 16) >> CAP_BLOCK_SUSPEND & 1
    return True


def _not_epoll(call: Ctl) -> bool:
    return is_open(call.epfd) and not is_epoll(call.epfd)


def _unknown_op(call: Ctl) -> bool:
    return call.op not in (ADD, DEL, MOD)


def _invalid_beside_exclusive(call: Ctl) -> bool:
    return _exclusive(call) and bool(call.events & ~EXCLUSIVE_OK)


def _exclusive_on_epoll(call: Ctl) -> bool:
    return _exclusive(call) and is_epoll(call.fd)


def _cycle(call: Ctl) -> bool:
    return watches(call.fd, call.epfd)


def _is(kind: int) -> Callable[[Ctl], bool]:
    return lambda call: file_type(call.fd) == kind


# --- operations done differently -----------------------------------------------------------------


def _undoes(op: int) -> CtlHook:
    """A hook under which an *op* call is checked by the kernel (its errors stand) and then
    undone: an ADD removed again, a MOD or DEL followed by the registration as it was."""

    def hook(call: Ctl, do: Do) -> None:
        before = registration(call.epfd, call.fd) if call.op == op != ADD else None
        do(call)
        if call.op == op == ADD:
            do(Ctl(call.epfd, DEL, call.fd))
        elif before is not None:
            back = ADD if op == DEL else MOD
            do(call._replace(op=back, events=before.events, data=before.data))

    return hook


def _mod_adds_to_old(call: Ctl, do: Do) -> None:
    found = registration(call.epfd, call.fd) if call.op == MOD else None
    do(call if found is None else call._replace(events=call.events | found.events))


def _et_as_oneshot(call: Ctl, do: Do) -> None:
    if call.op in WITH_EVENT and call.events & F.EPOLLET and not _exclusive(call):
        call = call._replace(events=call.events | F.EPOLLONESHOT)
    do(call)


def _mod_as_del_add(call: Ctl, do: Do) -> None:
    if call.op != MOD:
        return do(call)
    do(call._replace(op=DEL))
    do(call._replace(op=ADD))


def _mod_keeps_data(call: Ctl, do: Do) -> None:
    do(call._replace(data=None) if call.op == MOD else call)


def _mod_skips_disabled(call: Ctl, do: Do) -> None:
    found = registration(call.epfd, call.fd) if call.op == MOD else None
    if found is not None and not found.events & ~PRIVATE_BITS:
        return None  # a fired EPOLLONESHOT registration: left disabled
    do(call)


# --- what a poll reports -------------------------------------------------------------------------


def _drops_reported(bit: int) -> Rewrite:
    return lambda key, events, asked: [(key, events & ~bit)]


def _drops_unasked(bit: int) -> Rewrite:
    return lambda key, events, asked: [(key, events if asked & bit else events & ~bit)]


def _leaks(flag: int) -> Rewrite:
    return lambda key, events, asked: [(key, events | asked & flag)]


def _rdhup_on_data(key: int, events: int, asked: int) -> Events:
    if asked & F.EPOLLRDHUP and events & F.EPOLLIN:
        events |= F.EPOLLRDHUP
    return [(key, events)]


def _signed(key: int, events: int, asked: int) -> Events:
    return [(key - (1 << 64) if key >> 63 else key, events)]


def _truncated(key: int, events: int, asked: int) -> Events:
    return [(key & UINT32_MAX, events)]


# --- the violators -------------------------------------------------------------------------------


#: An event type or input flag dropped from ADD and MOD, and the clauses that breaks.
DROPPED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("EPOLLIN", ("EPOLLIN",)),
    ("EPOLLOUT", ("EPOLLOUT",)),
    ("EPOLLRDHUP", ("EPOLLRDHUP",)),
    ("EPOLLPRI", ("EPOLLPRI",)),
    ("EPOLLET", ("EPOLLET",)),
    ("EPOLLONESHOT", ("EPOLLONESHOT",)),
    # Without the flag nothing the kernel refuses because of it is refused.
    (
        "EPOLLEXCLUSIVE",
        (
            "EPOLLEXCLUSIVE.allowed",
            "EINVAL.exclusive_events",
            "EINVAL.exclusive_mod",
            "EINVAL.exclusive_registered",
            "EINVAL.exclusive_epoll",
        ),
    ),
)

ROWS: tuple[Hooked, ...] = (
    # --- ERRORS: the errno swallowed (the call "succeeds") or changed ----------------------------
    Hooked(
        "SwallowsEbadfEpfd",
        ("EBADF.epfd",),
        "A control call on a closed epfd succeeds silently (EBADF swallowed).",
        swallows(errno.EBADF, ANY_OP, lambda c: not is_open(c.epfd)),
    ),
    Hooked(
        "SwallowsEbadfFd",
        ("EBADF.fd",),
        "A control call on a closed target fd succeeds silently (EBADF swallowed).",
        swallows(errno.EBADF, ANY_OP, lambda c: is_open(c.epfd)),
    ),
    Hooked(
        "SwallowsEexist",
        ("EEXIST",),
        "EPOLL_CTL_ADD of an fd already registered succeeds silently (EEXIST swallowed).",
        swallows(errno.EEXIST, ADD_ONLY),
    ),
    Hooked(
        "SwallowsEinvalNotEpoll",
        ("EINVAL.not_epoll",),
        "A control call on an epfd that is not an epoll instance succeeds silently.",
        swallows(errno.EINVAL, ANY_OP, _not_epoll),
    ),
    Hooked(
        "SwallowsEinvalSameFd",
        ("EINVAL.same_fd",),
        "Registering an epoll instance in itself succeeds silently (EINVAL swallowed).",
        swallows(errno.EINVAL, ANY_OP, lambda c: c.fd == c.epfd),
    ),
    Hooked(
        "SwallowsEinvalOp",
        ("EINVAL.op",),
        "An unsupported op succeeds silently (EINVAL swallowed).",
        swallows(errno.EINVAL, ANY_OP, _unknown_op),
    ),
    Hooked(
        "SwallowsEinvalExclusiveEvents",
        ("EINVAL.exclusive_events",),
        "EPOLLEXCLUSIVE with an event type it does not allow is accepted (EINVAL swallowed).",
        swallows(errno.EINVAL, ADD_ONLY, _invalid_beside_exclusive),
    ),
    Hooked(
        "SwallowsEinvalExclusiveMod",
        ("EINVAL.exclusive_mod",),
        "EPOLL_CTL_MOD with EPOLLEXCLUSIVE succeeds silently (EINVAL swallowed).",
        swallows(errno.EINVAL, MOD_ONLY, _exclusive),
    ),
    Hooked(
        "SwallowsEinvalExclusiveRegistered",
        ("EINVAL.exclusive_registered",),
        "EPOLL_CTL_MOD of an EPOLLEXCLUSIVE registration succeeds silently (EINVAL swallowed).",
        swallows(errno.EINVAL, MOD_ONLY, _exclusive_registration),
    ),
    Hooked(
        "SwallowsEinvalExclusiveEpoll",
        ("EINVAL.exclusive_epoll",),
        "Adding an epoll instance with EPOLLEXCLUSIVE succeeds silently (EINVAL swallowed).",
        swallows(errno.EINVAL, ADD_ONLY, _exclusive_on_epoll),
    ),
    Hooked(
        "SwallowsEloopCycle",
        ("ELOOP.cycle",),
        "An EPOLL_CTL_ADD that would close a loop of epoll instances succeeds silently.",
        swallows(errno.ELOOP, ADD_ONLY, _cycle),
    ),
    Hooked(
        "EloopDepthAsEinval",
        ("ELOOP.depth",),
        "Nesting epoll instances too deep fails with EINVAL, not ELOOP (as before Linux 6.17).",
        swallows(errno.ELOOP, ADD_ONLY, lambda c: not _cycle(c), becomes=errno.EINVAL),
    ),
    Hooked(
        "SwallowsEnoentMod",
        ("ENOENT.mod",),
        "EPOLL_CTL_MOD of an fd that is not registered succeeds silently (ENOENT swallowed).",
        swallows(errno.ENOENT, MOD_ONLY),
    ),
    Hooked(
        "SwallowsEnoentDel",
        ("ENOENT.del",),
        "EPOLL_CTL_DEL of an fd that is not registered succeeds silently (ENOENT swallowed).",
        swallows(errno.ENOENT, DEL_ONLY),
    ),
    Hooked(
        "SwallowsEpermRegularFile",
        ("EPERM.regular_file",),
        "Registering a regular file succeeds silently (EPERM swallowed).",
        swallows(errno.EPERM, ADD_ONLY, _is(stat.S_IFREG)),
    ),
    Hooked(
        "SwallowsEpermDirectory",
        ("EPERM.directory",),
        "Registering a directory succeeds silently (EPERM swallowed).",
        swallows(errno.EPERM, ADD_ONLY, _is(stat.S_IFDIR)),
    ),
    # --- an event type or input flag dropped from what ADD and MOD register ----------------------
    *(
        Hooked(
            f"Drops{name.capitalize()}",
            clauses,
            f"Registers without {name}.",
            drops(F.EVENT_BITS[name]),
        )
        for name, clauses in DROPPED
    ),
    Hooked(
        "ExclusiveWakesNobody",
        ("EPOLLEXCLUSIVE",),
        "An EPOLLEXCLUSIVE registration is added without its event types: no instance wakes.",
        drops(F.EPOLLIN | F.EPOLLOUT, ADD_ONLY, _exclusive),
    ),
    Hooked(
        "DropsFlagsBesideExclusive",
        ("EPOLLEXCLUSIVE.allowed",),
        "EPOLLET and EPOLLWAKEUP given with EPOLLEXCLUSIVE are silently dropped.",
        drops(F.EPOLLET | F.EPOLLWAKEUP, ADD_ONLY, _exclusive),
    ),
    Hooked(
        "RejectsFlagsBesideExclusive",
        ("EPOLLEXCLUSIVE.allowed",),
        "EPOLLEXCLUSIVE is refused (EINVAL) with anything but EPOLLIN.",
        refuses(errno.EINVAL, ADD_ONLY, lambda c: _exclusive(c) and c.events != _IN_EXCLUSIVE),
    ),
    # --- what a poll reports ---------------------------------------------------------------------
    Hooked(
        "NeverReportsEpollerr",
        ("EPOLLERR", "EPOLLERR.always"),
        "Poll never reports EPOLLERR.",
        rewrite=_drops_reported(F.EPOLLERR),
    ),
    Hooked(
        "DropsUnaskedEpollerr",
        ("EPOLLERR.always",),
        "Poll reports EPOLLERR only to registrations that asked for it.",
        rewrite=_drops_unasked(F.EPOLLERR),
    ),
    Hooked(
        "DropsUnaskedEpollhup",
        ("EPOLLHUP.always",),
        "Poll reports EPOLLHUP only to registrations that asked for it.",
        rewrite=_drops_unasked(F.EPOLLHUP),
    ),
    *(
        Hooked(
            f"Leaks{name.capitalize()}",
            ("input_flags_not_returned",),
            f"Poll returns the input flag {name} of registrations that set it.",
            rewrite=_leaks(F.EVENT_BITS[name]),
        )
        for name in ("EPOLLET", "EPOLLONESHOT", "EPOLLEXCLUSIVE", "EPOLLWAKEUP")
    ),
    Hooked(
        "RdhupOnData",
        ("EPOLLRDHUP",),
        "Poll reports EPOLLRDHUP whenever a socket that asked for it is readable.",
        rewrite=_rdhup_on_data,
    ),
    Hooked(
        "SignedDataWord",
        ("data",),
        "Poll returns data words as signed 64-bit values.",
        rewrite=_signed,
    ),
    Hooked(
        "TruncatedDataWord",
        ("data",),
        "Poll returns only the low 32 bits of data words.",
        rewrite=_truncated,
    ),
    # --- an operation done differently -----------------------------------------------------------
    Hooked(
        "AddUndone",
        ("ADD",),
        "EPOLL_CTL_ADD is checked by the kernel, then the entry is removed again.",
        _undoes(ADD),
    ),
    Hooked(
        "ModUndone",
        ("MOD",),
        "EPOLL_CTL_MOD is checked by the kernel, then the old settings are put back.",
        _undoes(MOD),
    ),
    Hooked(
        "DelUndone",
        ("DEL",),
        "EPOLL_CTL_DEL is checked by the kernel, then the entry is added back as it was.",
        _undoes(DEL),
    ),
    Hooked(
        "ModAddsToOld",
        ("MOD",),
        "EPOLL_CTL_MOD adds the new events to the old ones instead of replacing them.",
        _mod_adds_to_old,
    ),
    Hooked(
        "EtAsOneshot",
        ("EPOLLET",),
        "An EPOLLET registration reports one edge only, as if EPOLLONESHOT were set.",
        _et_as_oneshot,
    ),
    Hooked(
        "ModAsDelAdd",
        ("EINVAL.exclusive_mod", "EINVAL.exclusive_registered"),
        "EPOLL_CTL_MOD is done as EPOLL_CTL_DEL then EPOLL_CTL_ADD.",
        _mod_as_del_add,
    ),
    Hooked(
        "ModKeepsData",
        ("data",),
        "EPOLL_CTL_MOD ignores the new data word (the fd is stored instead).",
        _mod_keeps_data,
    ),
    Hooked(
        "OneshotNotRearmed",
        ("EPOLLONESHOT.rearm",),
        "EPOLL_CTL_MOD of a disabled EPOLLONESHOT registration leaves it disabled.",
        _mod_skips_disabled,
    ),
    Hooked(
        "NullEventDelFaults",
        ("DEL.null_event",),
        "EPOLL_CTL_DEL with a NULL event fails with EFAULT (as before Linux 2.6.9).",
        refuses(errno.EFAULT, DEL_ONLY, lambda c: c.null_event),
    ),
    Hooked(
        "RefusesSeqpacket",
        ("notes.pollable",),
        "Registering a SOCK_SEQPACKET socket (which poll(2) supports) fails with EPERM.",
        refuses(errno.EPERM, ADD_ONLY, _is_seqpacket),
    ),
    Hooked(
        "RefusesWakeupWithoutCapability",
        ("bugs.EPOLLWAKEUP_ignored",),
        "EPOLLWAKEUP without CAP_BLOCK_SUSPEND fails with EPERM instead of being ignored.",
        refuses(errno.EPERM, WITH_EVENT, _lacks_block_suspend),
    ),
)

define_hooked(globals(), ROWS, prefix="epoll_ctl.")
