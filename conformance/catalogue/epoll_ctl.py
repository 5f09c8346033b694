"""Clauses of epoll_ctl(2): the operations, the event bits, the input flags, ERRORS and BUGS."""

from __future__ import annotations

from conformance.catalogue import Clause

PAGE = "epoll_ctl(2)"
DESC = "DESCRIPTION"
ERR = "ERRORS"

CLAUSES: tuple[Clause, ...] = (
    # --- the three operations -------------------------------------------------------------
    Clause(
        "epoll_ctl.ADD",
        PAGE,
        DESC,
        "Add an entry to the interest list of the epoll file descriptor, epfd.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.MOD",
        PAGE,
        DESC,
        "Change the settings associated with fd in the interest list to the new settings"
        " specified in event.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.DEL",
        PAGE,
        DESC,
        "Remove (deregister) the target file descriptor fd from the interest list.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.DEL.null_event",
        PAGE,
        "DESCRIPTION, BUGS",
        "The event argument is ignored and can be NULL (but see BUGS below).",
        min_kernel=(2, 6, 9),
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.data",
        PAGE,
        DESC,
        "The data member of the epoll_event structure specifies data that the kernel should save"
        " and then return (via epoll_wait(2)) when this file descriptor becomes ready.",
        kind="binding",
    ),
    Clause(
        "epoll_ctl.input_flags_not_returned",
        PAGE,
        DESC,
        "The events member of the epoll_event structure is a bit mask composed by ORing together"
        " zero or more event types, returned by epoll_wait(2), and input flags, which affect its"
        " behaviour, but aren't returned.",
        kind="kernel",
    ),
    # --- event types ------------------------------------------------------------------------
    Clause(
        "epoll_ctl.EPOLLIN",
        PAGE,
        DESC,
        "The associated file is available for read(2) operations.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPOLLOUT",
        PAGE,
        DESC,
        "The associated file is available for write(2) operations.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPOLLRDHUP",
        PAGE,
        DESC,
        "Stream socket peer closed connection, or shut down writing half of connection.",
        min_kernel=(2, 6, 17),
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPOLLPRI",
        PAGE,
        DESC,
        "There is an exceptional condition on the file descriptor.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPOLLERR",
        PAGE,
        DESC,
        "This event is also reported for the write end of a pipe when the read end has been"
        " closed.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPOLLERR.always",
        PAGE,
        DESC,
        "epoll_wait(2) will always report for this event; it is not necessary to set it in events"
        " when calling epoll_ctl().",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPOLLHUP.always",
        PAGE,
        DESC,
        "epoll_wait(2) will always wait for this event; it is not necessary to set it in events"
        " when calling epoll_ctl().",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPOLLHUP.data_first",
        PAGE,
        DESC,
        "Subsequent reads from the channel will return 0 (end of file) only after all outstanding"
        " data in the channel has been consumed.",
        kind="kernel",
    ),
    # --- input flags ------------------------------------------------------------------------
    Clause(
        "epoll_ctl.EPOLLET",
        PAGE,
        DESC,
        "Requests edge-triggered notification for the associated file descriptor. The default"
        " behavior for epoll is level-triggered.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPOLLONESHOT",
        PAGE,
        DESC,
        "the file descriptor is disabled in the interest list and no other events will be"
        " reported by the epoll interface.",
        min_kernel=(2, 6, 2),
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPOLLONESHOT.rearm",
        PAGE,
        DESC,
        "The user must call epoll_ctl() with EPOLL_CTL_MOD to rearm the file descriptor with a"
        " new event mask.",
        min_kernel=(2, 6, 2),
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPOLLWAKEUP",
        PAGE,
        DESC,
        'ensure that the system does not enter "suspend" or "hibernate" while this event is'
        " pending or being processed.",
        min_kernel=(3, 5),
        untestable="needs suspending the machine",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPOLLEXCLUSIVE",
        PAGE,
        DESC,
        "When a wakeup event occurs and multiple epoll file descriptors are attached to the same"
        " target file using EPOLLEXCLUSIVE, one or more of the epoll file descriptors will receive"
        " an event with epoll_wait(2).",
        min_kernel=(4, 5),
        impl_defined=True,
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPOLLEXCLUSIVE.mixed",
        PAGE,
        DESC,
        "then events will be provided to all epoll instances that did not specify EPOLLEXCLUSIVE,"
        " and at least one of the epoll instances that did specify EPOLLEXCLUSIVE.",
        min_kernel=(4, 5),
        impl_defined=True,
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPOLLEXCLUSIVE.allowed",
        PAGE,
        DESC,
        "The following values may be specified in conjunction with EPOLLEXCLUSIVE: EPOLLIN,"
        " EPOLLOUT, EPOLLWAKEUP, and EPOLLET. EPOLLHUP and EPOLLERR can also be specified,",
        min_kernel=(4, 5),
        kind="kernel",
    ),
    # --- ERRORS -----------------------------------------------------------------------------
    Clause(
        "epoll_ctl.EBADF.epfd",
        PAGE,
        ERR,
        "epfd or fd is not a valid file descriptor.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EBADF.fd", PAGE, ERR, "epfd or fd is not a valid file descriptor.", kind="kernel"
    ),
    Clause(
        "epoll_ctl.EEXIST",
        PAGE,
        ERR,
        "op was EPOLL_CTL_ADD, and the supplied file descriptor fd is already registered with"
        " this epoll instance.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EINVAL.not_epoll",
        PAGE,
        ERR,
        "epfd is not an epoll file descriptor,",
        kind="kernel",
    ),
    Clause("epoll_ctl.EINVAL.same_fd", PAGE, ERR, "fd is the same as epfd,", kind="kernel"),
    Clause(
        "epoll_ctl.EINVAL.op",
        PAGE,
        ERR,
        "the requested operation op is not supported by this interface.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EINVAL.exclusive_events",
        PAGE,
        ERR,
        "An invalid event type was specified along with EPOLLEXCLUSIVE in events.",
        min_kernel=(4, 5),
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EINVAL.exclusive_mod",
        PAGE,
        ERR,
        "op was EPOLL_CTL_MOD and events included EPOLLEXCLUSIVE.",
        min_kernel=(4, 5),
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EINVAL.exclusive_registered",
        PAGE,
        ERR,
        "op was EPOLL_CTL_MOD and the EPOLLEXCLUSIVE flag has previously been applied to this"
        " epfd, fd pair.",
        min_kernel=(4, 5),
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EINVAL.exclusive_epoll",
        PAGE,
        ERR,
        "EPOLLEXCLUSIVE was specified in event and fd refers to an epoll instance.",
        min_kernel=(4, 5),
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.ELOOP.cycle",
        PAGE,
        ERR,
        "this EPOLL_CTL_ADD operation would result in a circular loop of epoll instances"
        " monitoring one another",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.ELOOP.depth",
        PAGE,
        ERR,
        "or a nesting depth of epoll instances greater than 5.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.ENOENT.mod",
        PAGE,
        ERR,
        "op was EPOLL_CTL_MOD or EPOLL_CTL_DEL, and fd is not registered with this epoll instance.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.ENOENT.del",
        PAGE,
        ERR,
        "op was EPOLL_CTL_MOD or EPOLL_CTL_DEL, and fd is not registered with this epoll instance.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.ENOMEM",
        PAGE,
        ERR,
        "There was insufficient memory to handle the requested op control operation.",
        untestable="needs exhausting kernel memory, which would disturb the whole machine",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.ENOSPC",
        PAGE,
        ERR,
        "The limit imposed by /proc/sys/fs/epoll/max_user_watches was encountered while trying"
        " to register (EPOLL_CTL_ADD) a new file descriptor on an epoll instance.",
        untestable="needs lowering the system-wide sysctl fs.epoll.max_user_watches (or"
        " registering millions of fds), which would disturb the whole machine",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPERM.regular_file",
        PAGE,
        ERR,
        "The target file fd does not support epoll. This error can occur if fd refers to, for"
        " example, a regular file or a directory.",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.EPERM.directory",
        PAGE,
        ERR,
        "The target file fd does not support epoll. This error can occur if fd refers to, for"
        " example, a regular file or a directory.",
        kind="kernel",
    ),
    # --- NOTES and BUGS ---------------------------------------------------------------------
    Clause(
        "epoll_ctl.notes.pollable",
        PAGE,
        "NOTES",
        "The epoll interface supports all file descriptors that support poll(2).",
        kind="kernel",
    ),
    Clause(
        "epoll_ctl.bugs.EPOLLWAKEUP_ignored",
        PAGE,
        "BUGS",
        "If EPOLLWAKEUP is specified in flags, but the caller does not have the CAP_BLOCK_SUSPEND"
        " capability, then the EPOLLWAKEUP flag is silently ignored.",
        min_kernel=(3, 5),
        kind="kernel",
    ),
)
