"""Clauses of epoll_wait(2), which also documents epoll_pwait() and epoll_pwait2().

epoll_pwait2(2) is the same page (the installed epoll_pwait2.2 is a link to epoll_wait.2); its
ERRORS apply to all three calls, so the catalogue repeats each ERRORS entry per call, with that
call's minimum kernel.
"""

from __future__ import annotations

from conformance.catalogue import Clause

PAGE = "epoll_wait(2)"
DESC = "DESCRIPTION"

#: The wait calls, the page name each is documented under, and the kernel that added it.
WAIT_CALLS: tuple[tuple[str, str, tuple[int, ...] | None], ...] = (
    ("epoll_wait", PAGE, None),
    ("epoll_pwait", PAGE, (2, 6, 19)),
    ("epoll_pwait2", "epoll_pwait2(2)", (5, 11)),
)


def _errors() -> list[Clause]:
    out: list[Clause] = []
    for call, page, since in WAIT_CALLS:
        out += [
            Clause(
                f"{call}.EBADF",
                page,
                "ERRORS",
                "epfd is not a valid file descriptor.",
                min_kernel=since,
                kind="kernel",
            ),
            Clause(
                f"{call}.EINVAL.not_epoll",
                page,
                "ERRORS",
                "epfd is not an epoll file descriptor,",
                min_kernel=since,
                kind="kernel",
            ),
            Clause(
                f"{call}.EINVAL.maxevents",
                page,
                "ERRORS",
                "maxevents is less than or equal to zero.",
                min_kernel=since,
                kind="binding",
            ),
            Clause(
                f"{call}.EFAULT",
                page,
                "ERRORS",
                "The memory area pointed to by events is not accessible with write permissions.",
                min_kernel=since,
                kind="binding",
            ),
            Clause(
                f"{call}.EINTR",
                page,
                "ERRORS",
                "The call was interrupted by a signal handler"
                " before either (1) any of the requested events occurred or (2) the timeout"
                " expired;",
                min_kernel=since,
                kind="binding",
            ),
        ]
    return out


CLAUSES: tuple[Clause, ...] = (
    Clause(
        "epoll_wait.maxevents",
        PAGE,
        DESC,
        "Up to maxevents are returned by epoll_wait().",
        kind="binding",
    ),
    Clause(
        "epoll_wait.unblock_on_event",
        PAGE,
        DESC,
        "A call to epoll_wait() will block until either: o a file descriptor delivers an event;",
        kind="kernel",
    ),
    Clause(
        "epoll_wait.timeout",
        PAGE,
        DESC,
        "The timeout argument specifies the number of milliseconds that epoll_wait() will block.",
        kind="binding",
    ),
    Clause(
        "epoll_wait.timeout.monotonic",
        PAGE,
        DESC,
        "Time is measured against the CLOCK_MONOTONIC clock.",
        untestable="needs stepping CLOCK_REALTIME to show it has no effect, a system-wide change",
        kind="kernel",
    ),
    Clause(
        "epoll_wait.timeout.infinite",
        PAGE,
        DESC,
        "Specifying a timeout of -1 causes epoll_wait() to block indefinitely,",
        kind="binding",
    ),
    Clause(
        "epoll_wait.timeout.zero",
        PAGE,
        DESC,
        "specifying a timeout equal to zero cause epoll_wait() to return immediately, even if no"
        " events are available.",
        kind="binding",
    ),
    Clause(
        "epoll_wait.data",
        PAGE,
        DESC,
        "The data field of each returned epoll_event structure contains the same data as was"
        " specified in the most recent call to epoll_ctl(2) (EPOLL_CTL_ADD, EPOLL_CTL_MOD) for"
        " the corresponding open file descriptor.",
        kind="binding",
    ),
    Clause(
        "epoll_wait.events",
        PAGE,
        DESC,
        "The events field is a bit mask that indicates the events that have occurred for the"
        " corresponding open file description.",
        kind="binding",
    ),
    Clause(
        "epoll_wait.return_count",
        PAGE,
        "RETURN VALUE",
        "On success, epoll_wait() returns the number of file descriptors ready for the requested"
        " I/O, or zero if no file descriptor became ready during the requested timeout"
        " milliseconds.",
        kind="binding",
    ),
    Clause(
        "epoll_pwait.sigmask",
        PAGE,
        "DESCRIPTION (epoll_pwait())",
        "epoll_pwait() allows an application to safely wait until either a file descriptor"
        " becomes ready or until a signal is caught.",
        min_kernel=(2, 6, 19),
        kind="binding",
    ),
    Clause(
        "epoll_pwait.null_sigmask",
        PAGE,
        "DESCRIPTION (epoll_pwait())",
        "The sigmask argument may be specified as NULL, in which case epoll_pwait() is equivalent"
        " to epoll_wait().",
        min_kernel=(2, 6, 19),
        kind="binding",
    ),
    Clause(
        "epoll_pwait2.timeout",
        PAGE,
        "DESCRIPTION (epoll_pwait2())",
        "It takes an argument of type timespec to be able to specify nanosecond resolution"
        " timeout.",
        min_kernel=(5, 11),
        kind="binding",
    ),
    Clause(
        "epoll_pwait2.null_timeout",
        PAGE,
        "DESCRIPTION (epoll_pwait2())",
        "If timeout is NULL, then epoll_pwait2() can block indefinitely.",
        min_kernel=(5, 11),
        kind="binding",
    ),
    *_errors(),
    Clause(
        "epoll_wait.notes.add_while_waiting",
        PAGE,
        "NOTES",
        "If the new file descriptor becomes ready, it will cause the epoll_wait() call to unblock.",
        kind="kernel",
    ),
    Clause(
        "epoll_wait.notes.round_robin",
        PAGE,
        "NOTES",
        "If more than maxevents file descriptors are ready when epoll_wait() is called, then"
        " successive epoll_wait() calls will round robin through the set of ready file"
        " descriptors.",
        kind="kernel",
    ),
    Clause(
        "epoll_wait.notes.empty_interest_list",
        PAGE,
        "NOTES",
        "The call will block until some file descriptor is later added to the interest list (in"
        " another thread) and that file descriptor becomes ready.",
        kind="kernel",
    ),
    Clause(
        "epoll_wait.notes.sigsetsize",
        PAGE,
        "NOTES (C library/kernel differences)",
        "The raw epoll_pwait() and epoll_pwait2() system calls have a sixth argument, size_t"
        " sigsetsize, which specifies the size in bytes of the sigmask argument.",
        untestable="internal to an implementation (no API passes sigsetsize); a wrong size"
        " makes epoll_pwait.sigmask fail with EINVAL, so that clause covers it",
        kind="binding",
    ),
    Clause(
        "epoll_wait.bugs.long_timeout",
        PAGE,
        "BUGS",
        "Before Linux 2.6.37, a timeout value larger than approximately LONG_MAX / HZ"
        " milliseconds is treated as -1 (i.e., infinity).",
        untestable="telling a long timeout from infinity needs waiting more than 35 minutes",
        kind="kernel",
    ),
)
