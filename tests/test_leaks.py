"""No error path leaves a descriptor open: each failing call is repeated and /proc/self/fd is
compared before and after (on top of the fd-leak guard that wraps every test)."""

from __future__ import annotations

import errno
import resource
from collections.abc import Iterator
from typing import Any, Callable

import pytest

import pyepoll
from tests.differential import CASES, Case, Fds, outcome
from tests.fd_leaks import assert_no_leak
from tests.kernel import KernelObjects, fd_table, unused_fd
from tests.lowlevel_cases import CTL_CASES, CtlCase

REPEAT = 20


def assert_fails_without_leaking(failing: Callable[[], Any]) -> None:
    before = fd_table()
    for _ in range(REPEAT):
        with pytest.raises(Exception):  # noqa: B017 - the errors themselves are tested elsewhere
            failing()
    assert_no_leak(before)


@pytest.mark.parametrize("case", CTL_CASES, ids=[case.id for case in CTL_CASES])
def test_failing_epoll_ctl_leaks_nothing(
    kernel: KernelObjects, backend: str, case: CtlCase
) -> None:
    assert_fails_without_leaking(case.setup(kernel, backend))


CREATE_FAILURES: dict[str, Callable[[str], Any]] = {
    "epoll_create-0": lambda b: pyepoll.epoll_create(0, backend=b),
    "epoll_create-2**31": lambda b: pyepoll.epoll_create(2**31, backend=b),
    "epoll_create1-bad-flags": lambda b: pyepoll.epoll_create1(1, backend=b),
    "epoll-sizehint-0": lambda b: pyepoll.epoll(0, backend=b),
    "epoll-bad-flags": lambda b: pyepoll.epoll(-1, 1, backend=b),
    "epoll-sizehint-str": lambda b: pyepoll.epoll("x", backend=b),  # type: ignore[arg-type]
    "epoll-unknown-backend": lambda b: pyepoll.epoll(backend=b + "-nonsense"),
    "fromfd-str": lambda b: pyepoll.epoll.fromfd("x", backend=b),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("create", CREATE_FAILURES.values(), ids=CREATE_FAILURES.keys())
def test_failing_creation_leaks_nothing(backend: str, create: Callable[[str], Any]) -> None:
    assert_fails_without_leaking(lambda: create(backend))


WAIT_FAILURES: dict[str, Callable[[int, str], Any]] = {
    "wait-maxevents-0": lambda e, b: pyepoll.epoll_wait(e, 0, 0, backend=b),
    "wait-huge-maxevents": lambda e, b: pyepoll.epoll_wait(e, 2**30, 0, backend=b),
    "wait-over-capacity": lambda e, b: pyepoll.epoll_wait(
        e, 3, 0, buffer=pyepoll.EventBuffer(2), backend=b
    ),
    "wait-bad-epfd": lambda e, b: pyepoll.epoll_wait(unused_fd(), 1, 0, backend=b),
    "pwait-bad-signal": lambda e, b: pyepoll.epoll_pwait(e, 1, 0, [0], backend=b),
    "pwait2-negative-timeout": lambda e, b: pyepoll.epoll_pwait2(e, 1, -1, backend=b),
    "wait-raw-efault": lambda e, b: pyepoll.epoll_wait_raw(e, 0, 1, 0, backend=b),
    "pwait-raw-efault": lambda e, b: pyepoll.epoll_pwait_raw(e, 0, 1, 0, [2], backend=b),
    "pwait2-raw-efault": lambda e, b: pyepoll.epoll_pwait2_raw(e, 0, 1, 0, [2], backend=b),
    "pwait2-raw-negative-timeout": lambda e, b: pyepoll.epoll_pwait2_raw(e, 0, 1, -1, backend=b),
}


@pytest.mark.parametrize("wait", WAIT_FAILURES.values(), ids=WAIT_FAILURES.keys())
def test_failing_wait_leaks_nothing(
    kernel: KernelObjects, backend: str, epfd: int, wait: Callable[[int, str], Any]
) -> None:
    pyepoll.epoll_ctl(epfd, pyepoll.EPOLL_CTL_ADD, kernel.readable_eventfd(), 1, backend=backend)
    assert_fails_without_leaking(lambda: wait(epfd, backend))


FAILING_OBJECT_CASES = [
    case
    for case in CASES
    if case.id.startswith(("register-E", "modify-E", "unregister-E", "poll-maxevents"))
    or (
        case.closed
        and case.id not in ("closed-close-again", "closed-exit", "closed-attribute-when-closed")
    )
]


@pytest.mark.parametrize("case", FAILING_OBJECT_CASES, ids=[c.id for c in FAILING_OBJECT_CASES])
def test_failing_epoll_object_call_leaks_nothing(
    kernel: KernelObjects, backend: str, case: Case
) -> None:
    r, w = kernel.pipe()
    fds = Fds(r, w, kernel.regular_file(), unused_fd())
    with pyepoll.epoll(backend=backend) as ep:
        if case.closed:
            ep.close()
        before = fd_table()
        for _ in range(REPEAT):
            assert outcome(lambda: case.action(ep, fds))[0] == "raised"
        assert_no_leak(before)


@pytest.fixture
def no_free_descriptors(kernel: KernelObjects) -> Iterator[None]:
    """Lower RLIMIT_NOFILE to the highest open descriptor and fill every lower hole, so that
    the next descriptor allocation fails with EMFILE."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(fd for fd, _ in fd_table()) + 1, hard))
    try:
        while True:
            try:
                kernel.eventfd()
            except OSError as exc:
                assert exc.errno == errno.EMFILE
                break
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


EMFILE_CALLS: dict[str, Callable[[str], Any]] = {
    "epoll_create": lambda b: pyepoll.epoll_create(1, backend=b),
    "epoll_create1": lambda b: pyepoll.epoll_create1(0, backend=b),
    "epoll": lambda b: pyepoll.epoll(backend=b),
    "fromfd-minus-1": lambda b: pyepoll.epoll.fromfd(-1, backend=b),
}


@pytest.mark.parametrize("create", EMFILE_CALLS.values(), ids=EMFILE_CALLS.keys())
def test_creation_without_free_descriptors_is_emfile(
    backend: str, no_free_descriptors: None, create: Callable[[str], Any]
) -> None:
    # Nothing can be allocated, so there is nothing to leak here; the fd-leak guard checks
    # the descriptors once the limit is back.
    with pytest.raises(OSError) as excinfo:
        create(backend)
    assert excinfo.value.errno == errno.EMFILE
