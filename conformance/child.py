"""Checks that must run in a child process, because they change the process itself.

``python -m conformance.child TASK IMPL`` prints one line, the observation, and exits 0; the
parent test compares it. A child that cannot check its task here exits with :data:`SKIPPED`
and says why on stderr; the parent test then skips with that reason. Tasks:

``emfile``          lower RLIMIT_NOFILE so that no descriptor is free, then create an instance
                    (epoll_create(2), ERRORS: EMFILE); prints the errno name.
``wakeup-nocap``    drop every capability (setuid to nobody), register EPOLLIN|EPOLLWAKEUP and
                    print the mask the kernel stored, from fdinfo (epoll_ctl(2), BUGS).

After the drop, nobody may not be able to read the checkout (a clone under a 0700 home
directory, such as root's), so a task that drops privileges first runs its whole path once
with them: whatever the implementation and the oracle import lazily is then in sys.modules.
"""

from __future__ import annotations

import errno
import os
import resource
import subprocess
import sys

import pytest

from conformance.adapters import Adapter, load
from conformance.flags import EPOLLIN, EPOLLWAKEUP
from conformance.kobjects import fdinfo, is_open, open_fds

#: The exit status of a child that could not check its task here (automake's "skipped").
SKIPPED = 77
#: The overflow uid and gid (nobody, nogroup): owns nothing the test needs.
NOBODY = 65534


class Skipped(Exception):
    """The task cannot be checked in this environment; the message says why."""


def spawn(
    task: str, impl: str, env: dict[str, str], cwd: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m conformance.child TASK IMPL`` in a fresh interpreter, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "conformance.child", task, impl],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_child(task: str, impl: str) -> str:
    """Run *task* for implementation *impl* in a fresh interpreter; its output line."""
    proc = spawn(task, impl, dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, sys.path))))
    if proc.returncode == SKIPPED:
        pytest.skip(f"child {task}: {proc.stderr.strip()}")
    if proc.returncode != 0:
        raise AssertionError(f"child {task} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout.strip()


def _emfile(impl: str) -> str:
    adapter = load(impl)
    adapter.create().close()  # load whatever the implementation loads lazily
    lowest_free = next(n for n in range(len(open_fds()) + 1) if not is_open(n))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free, hard))
    try:
        adapter.create().close()
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, repr(exc))
    return "created"


def _drop_privileges() -> None:
    """setgroups(0, NULL), setgid(2), setuid(2) to nobody: setuid(2) from uid 0 to another uid
    clears every capability (capabilities(7), "Effect of user ID changes on capabilities").

    Leaves the working directory first: nobody may not be allowed to stay in it.
    """
    os.chdir("/")
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def _unreadable_path_entries() -> list[str]:
    """The sys.path entries this process is denied (not merely absent, like a zip never made)."""
    denied = []
    for entry in filter(None, sys.path):
        try:
            os.listdir(entry)
        except PermissionError:
            denied.append(entry)
        except OSError:
            pass
    return denied


def _stored_wakeup_mask(adapter: Adapter, fd: int) -> int:
    """Register *fd* for EPOLLIN|EPOLLWAKEUP in a new instance; the mask fdinfo shows."""
    ep = adapter.create()
    try:
        ep.register(fd, EPOLLIN | EPOLLWAKEUP)
        ep.poll(0)
        (registration,) = fdinfo(ep.fileno())
        return registration.events
    finally:
        ep.close()


def _wakeup_nocap(impl: str) -> str:
    adapter = load(impl)
    # Load what the implementation loads lazily (cffi, say) while its files are still readable.
    adapter.create().close()
    r, _ = os.pipe()
    _stored_wakeup_mask(adapter, r)  # with privileges: every lazy import happens here
    _drop_privileges()
    try:
        return hex(_stored_wakeup_mask(adapter, r))
    except ImportError as exc:
        unreadable = _unreadable_path_entries()
        if not unreadable:
            raise
        raise Skipped(
            f"the implementation imported a module after setuid({NOBODY}), and uid {NOBODY}"
            f" cannot read {', '.join(unreadable)} ({exc})"
        ) from exc


TASKS = {"emfile": _emfile, "wakeup-nocap": _wakeup_nocap}

if __name__ == "__main__":
    try:
        print(TASKS[sys.argv[1]](sys.argv[2]))
    except Skipped as exc:
        print(exc, file=sys.stderr)
        sys.exit(SKIPPED)
