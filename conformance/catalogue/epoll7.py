"""Clauses of epoll(7): the overview, level- and edge-triggered modes, Q&A, pitfalls, NOTES.

The Q&A items are numbered Q0..Q9 in the order the page asks them (Q0 is "What is the key used
to distinguish the file descriptors registered in an interest list?"); these numbers are part of
the stable IDs and do not move if the page inserts a question.
"""

from __future__ import annotations

from conformance.catalogue import Clause

PAGE = "epoll(7)"
DESC = "DESCRIPTION"
QA = "Questions and answers"
PIT = "Possible pitfalls and ways to avoid them"

CLAUSES: tuple[Clause, ...] = (
    Clause(
        "epoll.ready_list",
        PAGE,
        DESC,
        "The ready list is a subset of (or, more precisely, a set of references to) the file"
        " descriptors in the interest list.",
        kind="kernel",
    ),
    Clause(
        "epoll.lt",
        PAGE,
        "Level-triggered and edge-triggered",
        "when used as a level-triggered interface (the default, when EPOLLET is not specified),"
        " epoll is simply a faster poll(2), and can be used wherever the latter is used since it"
        " shares the same semantics.",
        kind="kernel",
    ),
    Clause(
        "epoll.et",
        PAGE,
        "Level-triggered and edge-triggered",
        "edge-triggered mode delivers events only when changes occur on the monitored file"
        " descriptor.",
        kind="kernel",
    ),
    Clause(
        "epoll.et.nonblocking",
        PAGE,
        "Level-triggered and edge-triggered",
        "An application that employs the EPOLLET flag should use nonblocking file descriptors to"
        " avoid having a blocking read or write starve a task that is handling multiple file"
        " descriptors.",
        untestable="advice to applications, not a behaviour of the interface",
        kind="kernel",
    ),
    Clause(
        "epoll.oneshot",
        PAGE,
        "Level-triggered and edge-triggered",
        "to tell epoll to disable the associated file descriptor after the receipt of an event"
        " with epoll_wait(2).",
        kind="kernel",
    ),
    Clause(
        "epoll.et.thundering_herd",
        PAGE,
        "Level-triggered and edge-triggered",
        "a file descriptor in the interest list that is marked for edge-triggered (EPOLLET)"
        " notification becomes ready, just one of the threads (or processes) is awoken from"
        " epoll_wait(2).",
        kind="kernel",
    ),
    Clause(
        "epoll.autosleep",
        PAGE,
        "Interaction with autosleep",
        "When the EPOLLWAKEUP flag is set in the events field for a struct epoll_event, the"
        " system will be kept awake from the moment the event is queued,",
        untestable="needs autosleep and suspending the machine",
        kind="kernel",
    ),
    Clause(
        "epoll.proc.max_user_watches",
        PAGE,
        "/proc interfaces",
        "This specifies a limit on the total number of file descriptors that a user can register"
        " across all epoll instances on the system.",
        min_kernel=(2, 6, 28),
        untestable="needs lowering a system-wide sysctl (or registering millions of fds)",
        kind="kernel",
    ),
    Clause(
        "epoll.example.et_inout",
        PAGE,
        "Example for suggested usage",
        "it is possible to add the file descriptor inside the epoll interface (EPOLL_CTL_ADD)"
        " once by specifying (EPOLLIN|EPOLLOUT).",
        kind="kernel",
    ),
    # --- Questions and answers --------------------------------------------------------------
    Clause(
        "epoll.qa.Q0",
        PAGE,
        QA,
        "The key is the combination of the file descriptor number and the open file description",
        kind="kernel",
    ),
    Clause(
        "epoll.qa.Q1",
        PAGE,
        QA,
        "You will probably get EEXIST. However, it is possible to add a duplicate (dup(2),"
        " dup2(2), fcntl(2) F_DUPFD) file descriptor to the same epoll instance.",
        kind="kernel",
    ),
    Clause(
        "epoll.qa.Q1.filtering",
        PAGE,
        QA,
        "This can be a useful technique for filtering events, if the duplicate file descriptors"
        " are registered with different events masks.",
        kind="kernel",
    ),
    Clause("epoll.qa.Q2", PAGE, QA, "Yes, and events would be reported to both.", kind="kernel"),
    Clause(
        "epoll.qa.Q3",
        PAGE,
        QA,
        "If an epoll file descriptor has events waiting, then it will indicate as being readable.",
        kind="kernel",
    ),
    Clause(
        "epoll.qa.Q4",
        PAGE,
        QA,
        "The epoll_ctl(2) call fails (EINVAL). However, you can add an epoll file descriptor"
        " inside another epoll file descriptor set.",
        kind="kernel",
    ),
    Clause(
        "epoll.qa.Q5",
        PAGE,
        QA,
        "Yes, but it does not make sense to do this, since the receiving process would not have"
        " copies of the file descriptors in the interest list.",
        kind="kernel",
    ),
    Clause(
        "epoll.qa.Q6",
        PAGE,
        QA,
        "A file descriptor is removed from an interest list only after all the file descriptors"
        " referring to the underlying open file description have been closed.",
        kind="kernel",
    ),
    Clause("epoll.qa.Q7", PAGE, QA, "They will be combined.", kind="kernel"),
    Clause("epoll.qa.Q8", PAGE, QA, "Modify will reread available I/O.", kind="kernel"),
    Clause(
        "epoll.qa.Q9",
        PAGE,
        QA,
        "You must consider it ready until the next (nonblocking) read/write yields EAGAIN.",
        kind="kernel",
    ),
    Clause(
        "epoll.qa.Q9.packet",
        PAGE,
        QA,
        "For packet/token-oriented files (e.g., datagram socket, terminal in canonical mode), the"
        " only way to detect the end of the read/write I/O space is to continue to read/write"
        " until EAGAIN.",
        kind="kernel",
    ),
    Clause(
        "epoll.qa.Q9.stream",
        PAGE,
        QA,
        "if you call read(2) by asking to read a certain amount of data and read(2) returns a"
        " lower number of bytes, you can be sure of having exhausted the read I/O space for the"
        " file descriptor.",
        kind="kernel",
    ),
    # --- Pitfalls ---------------------------------------------------------------------------
    Clause(
        "epoll.pitfall.dup",
        PAGE,
        QA,
        "even after a file descriptor that is part of an interest list has been closed, events"
        " may be reported for that file descriptor if other file descriptors referring to the"
        " same underlying file description remain open.",
        kind="kernel",
    ),
    Clause(
        "epoll.pitfall.dup.del_first",
        PAGE,
        QA,
        "To prevent this happening, the file descriptor must be explicitly removed from the"
        " interest list (using epoll_ctl(2) EPOLL_CTL_DEL) before it is duplicated.",
        kind="kernel",
    ),
    Clause(
        "epoll.pitfall.starvation",
        PAGE,
        PIT,
        "The solution is to maintain a ready list and mark the file descriptor as ready in its"
        " associated data structure, thereby allowing the application to remember which files"
        " need to be processed but still round robin amongst all the ready files.",
        untestable="advice to applications (keep a ready list of their own), not a behaviour of"
        " the interface",
        kind="kernel",
    ),
    Clause(
        "epoll.pitfall.event_cache",
        PAGE,
        PIT,
        "One solution for this is to call, during the processing of event 47,"
        " epoll_ctl(EPOLL_CTL_DEL) to delete file descriptor 13 and close(2),",
        kind="kernel",
    ),
    # --- NOTES ------------------------------------------------------------------------------
    Clause(
        "epoll.notes.fdinfo",
        PAGE,
        "NOTES",
        "The set of file descriptors that is being monitored via an epoll file descriptor can be"
        " viewed via the entry for the epoll file descriptor in the process's /proc/pid/fdinfo"
        " directory.",
        kind="kernel",
    ),
    Clause(
        "epoll.notes.kcmp",
        PAGE,
        "NOTES",
        "The kcmp(2) KCMP_EPOLL_TFD operation can be used to test whether a file descriptor is"
        " present in an epoll instance.",
        min_kernel=(4, 13),
        kind="kernel",
    ),
)
