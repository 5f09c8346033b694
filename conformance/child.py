"""Checks that must run in a child process, because they change the process itself.

``python -m conformance.child TASK IMPL`` prints one line, the observation, and exits 0; the
parent test compares it. Tasks:

``emfile``          lower RLIMIT_NOFILE so that no descriptor is free, then create an instance
                    (epoll_create(2), ERRORS: EMFILE); prints the errno name.
``wakeup-nocap``    drop every capability (setuid to nobody), register EPOLLIN|EPOLLWAKEUP and
                    print the mask the kernel stored, from fdinfo (epoll_ctl(2), BUGS).
"""

from __future__ import annotations

import errno
import os
import resource
import subprocess
import sys

from conformance.adapters import load
from conformance.flags import EPOLLIN, EPOLLWAKEUP
from conformance.kobjects import fdinfo, is_open, open_fds


def run_child(task: str, impl: str) -> str:
    """Run *task* for implementation *impl* in a fresh interpreter; its output line."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.child", task, impl],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
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


def _wakeup_nocap(impl: str) -> str:
    adapter = load(impl)
    # Load what the implementation loads lazily (cffi, say) while its files are still readable.
    adapter.create().close()
    r, _ = os.pipe()
    os.setgid(65534)
    os.setuid(65534)
    ep = adapter.create()
    ep.register(r, EPOLLIN | EPOLLWAKEUP)
    (registration,) = fdinfo(ep.fileno())
    return hex(registration.events)


TASKS = {"emfile": _emfile, "wakeup-nocap": _wakeup_nocap}

if __name__ == "__main__":
    print(TASKS[sys.argv[1]](sys.argv[2]))
