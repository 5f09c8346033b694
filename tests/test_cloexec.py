"""Close-on-exec, observed where it matters: in a program started by exec.

The child is started with ``close_fds=False``, so every descriptor that is not close-on-exec
survives into it; it reports what its descriptor number refers to."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import pyepoll
from tests.kernel import KernelObjects

CHILD = """
import os, sys
try:
    print(os.readlink(f"/proc/self/fd/{sys.argv[1]}"))
except FileNotFoundError:
    print("closed")
"""


def seen_after_exec(fd: int) -> str:
    """What descriptor ``fd`` is in a freshly exec'd child: a readlink target, or 'closed'."""
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(fd)],
        close_fds=False,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return child.stdout.strip()


@pytest.mark.parametrize(
    ("flags", "after_exec"),
    [(0, "anon_inode:[eventpoll]"), (pyepoll.EPOLL_CLOEXEC, "closed")],
    ids=["0-kept", "CLOEXEC-closed"],
)
def test_epoll_create1_flags_decide_survival_across_exec(
    kernel: KernelObjects, backend: str, flags: int, after_exec: str
) -> None:
    epfd = kernel.track(pyepoll.epoll_create1(flags, backend=backend))
    assert seen_after_exec(epfd) == after_exec


def test_epoll_create_fd_survives_exec(kernel: KernelObjects, backend: str) -> None:
    epfd = kernel.track(pyepoll.epoll_create(1, backend=backend))
    assert seen_after_exec(epfd) == "anon_inode:[eventpoll]"


@pytest.mark.parametrize("flags", [0, pyepoll.EPOLL_CLOEXEC], ids=["0", "CLOEXEC"])
def test_epoll_object_fd_is_closed_across_exec(backend: str, flags: int) -> None:
    # select.epoll always creates its fd close-on-exec, whatever *flags* says (PEP 446).
    with pyepoll.epoll(flags=flags, backend=backend) as ep:
        assert seen_after_exec(ep.fileno()) == "closed"


def test_child_sees_an_inheritable_control_fd(kernel: KernelObjects) -> None:
    # The method's own check: an inheritable descriptor does reach the child.
    r, _ = kernel.pipe()
    os.set_inheritable(r, True)
    assert seen_after_exec(r).startswith("pipe:")
