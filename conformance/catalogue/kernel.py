"""Kernel behaviour the man pages do not state (or state for older kernels).

These clauses are ours: each says, in our words, what Linux does, and carries the kernel it was
seen on (``source``). The man pages lag the kernel; where a page and the kernel disagree the
kernel clause says so and the test follows the running kernel's version.
"""

from __future__ import annotations

from conformance.catalogue import KERNEL_SEEN, Clause

PAGE = "kernel"
SEEN = f"kernel behaviour, seen on {KERNEL_SEEN}"

CLAUSES: tuple[Clause, ...] = (
    Clause(
        "kernel.ctl_null_event",
        PAGE,
        "fs/eventpoll.c: epoll_ctl",
        "EPOLL_CTL_ADD and EPOLL_CTL_MOD with a NULL event pointer fail with EFAULT (the event is"
        " copied from user memory before anything else is checked); EPOLL_CTL_DEL ignores it.",
        source=SEEN,
        kind="kernel",
    ),
    Clause(
        "kernel.nesting_depth",
        PAGE,
        "fs/eventpoll.c: ep_loop_check",
        "A chain of 5 epoll instances (4 links) is accepted; the EPOLL_CTL_ADD that would make it"
        " 6 deep fails with ELOOP (seen on 6.18; kernels before 6.17 fail it with EINVAL).",
        source=SEEN,
        kind="kernel",
    ),
    Clause(
        "kernel.exclusive_bits",
        PAGE,
        "fs/eventpoll.c: EPOLLEXCLUSIVE_OK_BITS",
        "Together with EPOLLEXCLUSIVE exactly EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLWAKEUP"
        " and EPOLLET are accepted; every other bit (EPOLLPRI, EPOLLRDHUP, EPOLLRDNORM,"
        " EPOLLONESHOT, ...) fails with EINVAL.",
        source=SEEN,
        min_kernel=(4, 5),
        kind="kernel",
    ),
    Clause(
        "kernel.exclusive_del",
        PAGE,
        "fs/eventpoll.c: epoll_ctl",
        "An EPOLLEXCLUSIVE registration cannot be modified but can be removed with"
        " EPOLL_CTL_DEL and then added again.",
        source=SEEN,
        min_kernel=(4, 5),
        kind="kernel",
    ),
    Clause(
        "kernel.nested_propagation",
        PAGE,
        "fs/eventpoll.c: ep_eventpoll_poll",
        "An epoll instance inside another reports EPOLLIN to the outer one while it has events"
        " ready, through every level of nesting, and stops once they are consumed.",
        source=SEEN,
        kind="kernel",
    ),
    Clause(
        "kernel.round_robin_order",
        PAGE,
        "fs/eventpoll.c: ep_send_events",
        "With more ready level-triggered fds than maxevents, each wait returns the head of the"
        " ready list and requeues the returned fds at its tail, so successive waits rotate"
        " through the ready fds in a fixed cyclic order.",
        source=SEEN,
        impl_defined=True,
        kind="kernel",
    ),
    Clause(
        "kernel.dup_unremovable",
        PAGE,
        "fs/eventpoll.c: epoll_ctl",
        "Once a registered fd is closed while a duplicate keeps its open file alive,"
        " EPOLL_CTL_DEL can remove the registration neither by the closed number (EBADF) nor by"
        " the duplicate's number (ENOENT); only closing every duplicate removes it.",
        source=SEEN,
        kind="kernel",
    ),
    Clause(
        "kernel.err_hup_stored",
        PAGE,
        "fs/eventpoll.c: epoll_ctl",
        "EPOLL_CTL_ADD and EPOLL_CTL_MOD store EPOLLERR|EPOLLHUP in the registration's event"
        " mask whether or not they were asked for (visible in fdinfo).",
        source=SEEN,
        kind="kernel",
    ),
    Clause(
        "kernel.fdinfo_format",
        PAGE,
        "fs/eventpoll.c: ep_show_fdinfo",
        "/proc/self/fdinfo/<epfd> lists one line per registration: 'tfd: %8d events: %8x"
        " data: %16llx  pos:%lli ino:%lx sdev:%x', after the generic pos/flags/mnt_id/ino lines.",
        source=SEEN,
        min_kernel=(3, 8),
        kind="kernel",
    ),
    Clause(
        "kernel.busy_poll.roundtrip",
        PAGE,
        "fs/eventpoll.c: EPIOCSPARAMS/EPIOCGPARAMS",
        "The EPIOCSPARAMS ioctl stores busy_poll_usecs, busy_poll_budget and prefer_busy_poll;"
        " EPIOCGPARAMS reads them back (all 0 on a new instance).",
        source=SEEN,
        min_kernel=(6, 9),
        kind="kernel",
    ),
    Clause(
        "kernel.busy_poll.ENOTTY",
        PAGE,
        "fs/eventpoll.c: ep_eventpoll_ioctl",
        "The busy-poll ioctls on a file that is not an epoll instance fail with ENOTTY.",
        source=SEEN,
        min_kernel=(6, 9),
        kind="kernel",
    ),
    Clause(
        "kernel.busy_poll.EINVAL",
        PAGE,
        "fs/eventpoll.c: ep_eventpoll_ioctl",
        "EPIOCSPARAMS fails with EINVAL when prefer_busy_poll is greater than 1 or the padding"
        " field is not zero.",
        source=SEEN,
        min_kernel=(6, 9),
        kind="kernel",
    ),
    Clause(
        "kernel.pwait2.EINVAL_timeout",
        PAGE,
        "fs/eventpoll.c: epoll_pwait2",
        "epoll_pwait2() with a negative timeout fails with EINVAL (the timespec is checked"
        " before waiting).",
        source=SEEN,
        min_kernel=(5, 11),
        kind="kernel",
    ),
)
