"""Clauses of select.epoll's own contract: what the Python API adds to the three system calls.

The quotes come from CPython's documentation of ``select.epoll`` (Doc/library/select.rst, the text
of Python 3.9 and later: it has 3.9's note on ``unregister`` and EBADF, and not 3.14's
EPOLLWAKEUP; reST markup dropped), from the docstrings and text signatures of ``select.epoll``
(CPython 3.11.7, ``help(select.epoll)``), and from PEP 475 (retry on EINTR) and PEP 446
(non-inheritable descriptors), which that documentation cites. Where CPython's documented
behaviour is stated only in its changelog or source (the rounding of timeouts, bpo-20311 in 3.4;
what a too large or negative timeout does), the clause says it in our words, with the CPython
version it was seen on. Every clause here is of kind ``binding``: the kernel has no say in any of
them. The tests reach the select.epoll-shaped class itself (adapter capability ``pyapi``).
"""

from __future__ import annotations

from conformance.catalogue import Clause

PAGE = "Python select.epoll"
#: The reST text of the select module's documentation.
DOCS = "CPython Doc/library/select.rst (Python 3.9+ text)"
#: The docstrings and text signatures of select.epoll and its methods.
DOCSTRINGS = "select.epoll docstrings, CPython 3.11.7"
#: CPython behaviour stated in its changelog or source rather than in the library reference.
SEEN = "CPython behaviour, seen on CPython 3.11.7 (Modules/selectmodule.c)"
BINDING = "binding"
#: The constants the documentation names: the eventmask table, and EPOLL_CLOEXEC for *flags*.
CONSTANTS = (
    "EPOLLIN",
    "EPOLLOUT",
    "EPOLLPRI",
    "EPOLLERR",
    "EPOLLHUP",
    "EPOLLET",
    "EPOLLONESHOT",
    "EPOLLEXCLUSIVE",
    "EPOLLRDHUP",
    "EPOLLRDNORM",
    "EPOLLRDBAND",
    "EPOLLWRNORM",
    "EPOLLWRBAND",
    "EPOLLMSG",
    "EPOLL_CLOEXEC",
)

CREATE = "select.epoll(sizehint=-1, flags=0)"
POLL = "epoll.poll(timeout=None, maxevents=-1)"
EINTR_NOTE = (
    "The function is now retried with a recomputed timeout when interrupted by a signal, except"
    " if the signal handler raises an exception (see PEP 475 for the rationale), instead of"
    " raising InterruptedError."
)

CLAUSES: tuple[Clause, ...] = (
    # --- the constructor ----------------------------------------------------------------------
    Clause(
        "python.epoll.noninheritable",
        PAGE,
        CREATE,
        "The new file descriptor is non-inheritable.",
        source=f"{DOCS}; PEP 446",
        kind=BINDING,
    ),
    Clause(
        "python.epoll.flags",
        PAGE,
        CREATE,
        "flags is deprecated and completely ignored. However, when supplied, its value must be 0"
        " or select.EPOLL_CLOEXEC, otherwise OSError is raised.",
        source=DOCS,
        kind=BINDING,
    ),
    Clause(
        "python.epoll.sizehint",
        PAGE,
        CREATE,
        "It must be positive, or -1 to use the default. It is only used on older systems where"
        " epoll_create1() is not available; otherwise it has no effect (though its value is still"
        " checked).",
        source=DOCS,
        kind=BINDING,
    ),
    Clause(
        "python.epoll.context_manager",
        PAGE,
        CREATE,
        "epoll objects support the context management protocol: when used in a with statement,"
        " the new file descriptor is automatically closed at the end of the block.",
        source=DOCS,
        kind=BINDING,
    ),
    Clause(
        "python.select.constants",
        PAGE,
        "eventmask; select.epoll(sizehint=-1, flags=0)",
        "EPOLLIN EPOLLOUT EPOLLPRI EPOLLERR EPOLLHUP EPOLLET EPOLLONESHOT EPOLLEXCLUSIVE"
        " EPOLLRDHUP EPOLLRDNORM EPOLLRDBAND EPOLLWRNORM EPOLLWRBAND EPOLLMSG; its value must be 0"
        " or select.EPOLL_CLOEXEC",
        source=f"{DOCS} (the eventmask table's constants, and the flags sentence)",
        kind=BINDING,
    ),
    # --- the object's lifetime ----------------------------------------------------------------
    Clause(
        "python.epoll.close",
        PAGE,
        "epoll.close()",
        "Close the control file descriptor of the epoll object.",
        source=DOCS,
        kind=BINDING,
    ),
    Clause(
        "python.epoll.closed_operations",
        PAGE,
        "epoll.close()",
        "Further operations on the epoll object will raise an exception.",
        source=DOCSTRINGS,
        # CPython raises ValueError("I/O operation on closed epoll object"); the type is
        # required, the message is reported when it differs.
        impl_defined=True,
        kind=BINDING,
    ),
    Clause(
        "python.epoll.closed",
        PAGE,
        "epoll.closed",
        "True if the epoll object is closed.",
        source=DOCS,
        kind=BINDING,
    ),
    Clause(
        "python.epoll.fileno",
        PAGE,
        "epoll.fileno()",
        "Return the file descriptor number of the control fd.",
        source=DOCS,
        kind=BINDING,
    ),
    Clause(
        "python.epoll.fromfd",
        PAGE,
        "epoll.fromfd(fd)",
        "Create an epoll object from a given file descriptor.",
        source=DOCS,
        kind=BINDING,
    ),
    # --- the interest list --------------------------------------------------------------------
    Clause(
        "python.epoll.register.default_mask",
        PAGE,
        "epoll.register(fd[, eventmask])",
        "eventmask=select.EPOLLIN | select.EPOLLPRI | select.EPOLLOUT",
        source=DOCSTRINGS,
        kind=BINDING,
    ),
    Clause(
        "python.epoll.register.EEXIST",
        PAGE,
        "epoll.register(fd[, eventmask])",
        "Registers a new fd or raises an OSError if the fd is already registered.",
        source=DOCSTRINGS,
        kind=BINDING,
    ),
    Clause(
        "python.epoll.unregister.EBADF",
        PAGE,
        "epoll.unregister(fd)",
        "Changed in version 3.9: The method no longer ignores the EBADF error.",
        source=DOCS,
        kind=BINDING,
    ),
    # --- poll ---------------------------------------------------------------------------------
    Clause(
        "python.epoll.poll.returns_list",
        PAGE,
        POLL,
        "Returns a list containing any descriptors that have events to report, as a list of"
        " (fd, events) 2-tuples.",
        source=DOCSTRINGS,
        kind=BINDING,
    ),
    Clause(
        "python.epoll.poll.timeout_none",
        PAGE,
        POLL,
        "a timeout of None or -1 makes poll wait indefinitely",
        source=DOCSTRINGS,
        kind=BINDING,
    ),
    Clause(
        "python.epoll.poll.timeout_negative",
        PAGE,
        POLL,
        "A timeout of -0.001 s or less (one that is still negative in whole milliseconds, rounded"
        " up) waits indefinitely, as -1 does: select.epoll passes -1 to epoll_wait for every"
        " negative millisecond count.",
        source=SEEN,
        kind=BINDING,
    ),
    Clause(
        "python.epoll.poll.timeout_rounding",
        PAGE,
        POLL,
        "A positive timeout is rounded away from zero to whole milliseconds (ROUND_CEILING), so"
        " that poll never waits less than asked: a timeout of one nanosecond or one microsecond"
        " waits one millisecond, it is not rounded to a zero-timeout poll.",
        source=f"{SEEN}; CPython changelog, bpo-20311 (3.4)",
        kind=BINDING,
    ),
    Clause(
        "python.epoll.poll.timeout_overflow",
        PAGE,
        POLL,
        "A timeout whose milliseconds do not fit in epoll_wait's int raises OverflowError; it is"
        " never wrapped or clamped into some other wait (the timeout is the maximum time to wait"
        " in seconds).",
        source=SEEN,
        kind=BINDING,
    ),
    Clause(
        "python.epoll.poll.maxevents_default",
        PAGE,
        POLL,
        "the maximum number of events returned; -1 means no limit",
        source=DOCSTRINGS,
        kind=BINDING,
    ),
    Clause(
        "python.epoll.poll.maxevents_invalid",
        PAGE,
        POLL,
        "A maxevents of 0, or below -1, raises ValueError before anything is waited for.",
        source=SEEN,
        kind=BINDING,
    ),
    Clause(
        "python.epoll.poll.eintr_retry",
        PAGE,
        POLL,
        EINTR_NOTE,
        source=f"{DOCS}; PEP 475",
        kind=BINDING,
    ),
    Clause(
        "python.epoll.poll.eintr_handler_raises",
        PAGE,
        POLL,
        EINTR_NOTE,
        source=f"{DOCS}; PEP 475",
        kind=BINDING,
    ),
)
