"""Clauses of epoll_create(2): epoll_create() and epoll_create1()."""

from __future__ import annotations

from conformance.catalogue import Clause

PAGE = "epoll_create(2)"
_NOT_SAFE = "needs exhausting a system-wide resource, which would disturb the whole machine"

CLAUSES: tuple[Clause, ...] = (
    Clause(
        "epoll_create.size_ignored",
        PAGE,
        "DESCRIPTION",
        "Since Linux 2.6.8, the size argument is ignored, but must be greater than zero;",
        min_kernel=(2, 6, 8),
        kind="kernel",
    ),
    Clause(
        "epoll_create.returns_fd",
        PAGE,
        "DESCRIPTION",
        "epoll_create() returns a file descriptor referring to the new epoll instance.",
        kind="kernel",
    ),
    Clause(
        "epoll_create.destroy_on_close",
        PAGE,
        "DESCRIPTION",
        "When all file descriptors referring to an epoll instance have been closed, the kernel"
        " destroys the instance and releases the associated resources for reuse.",
        kind="kernel",
    ),
    Clause(
        "epoll_create1.flags_zero",
        PAGE,
        "DESCRIPTION",
        "If flags is 0, then, other than the fact that the obsolete size argument is dropped,"
        " epoll_create1() is the same as epoll_create().",
        min_kernel=(2, 6, 27),
        kind="kernel",
    ),
    Clause(
        "epoll_create1.EPOLL_CLOEXEC",
        PAGE,
        "DESCRIPTION",
        "Set the close-on-exec (FD_CLOEXEC) flag on the new file descriptor.",
        min_kernel=(2, 6, 27),
        kind="kernel",
    ),
    Clause("epoll_create.EINVAL.size", PAGE, "ERRORS", "size is not positive.", kind="kernel"),
    Clause(
        "epoll_create1.EINVAL.flags",
        PAGE,
        "ERRORS",
        "(epoll_create1()) Invalid value specified in flags.",
        min_kernel=(2, 6, 27),
        kind="kernel",
    ),
    Clause(
        "epoll_create.EMFILE.max_user_instances",
        PAGE,
        "ERRORS",
        "The per-user limit on the number of epoll instances imposed by"
        " /proc/sys/fs/epoll/max_user_instances was encountered.",
        untestable="max_user_instances existed only in Linux 2.6.28 (removed in 2.6.29, per the"
        " source of epoll(7)); no such limit exists to encounter",
        kind="kernel",
    ),
    Clause(
        "epoll_create.EMFILE",
        PAGE,
        "ERRORS",
        "The per-process limit on the number of open file descriptors has been reached.",
        kind="kernel",
    ),
    Clause(
        "epoll_create.ENFILE",
        PAGE,
        "ERRORS",
        "The system-wide limit on the total number of open files has been reached.",
        untestable=_NOT_SAFE + " (fs.file-max)",
        kind="kernel",
    ),
    Clause(
        "epoll_create.ENOMEM",
        PAGE,
        "ERRORS",
        "There was insufficient memory to create the kernel object.",
        untestable=_NOT_SAFE + " (kernel memory)",
        kind="kernel",
    ),
)
