"""The ``syscall`` backend: ``syscall(2)`` with this architecture's numbers.

It bypasses the C library's epoll wrappers, and so shows what the kernel itself does.  Two
calls are missing on the asm-generic architectures (aarch64, riscv64, loongarch64) and are
emulated here exactly as C libraries do it:

* ``epoll_create(size)``: epoll_create(2), NOTES: *size* is ignored since Linux 2.6.8 but must
  be greater than zero, so EINVAL for ``size <= 0``, then ``epoll_create1(0)``.
* ``epoll_wait(...)`` is ``epoll_pwait(..., NULL)``: with a NULL mask the two are the same call
  (epoll_wait(2), DESCRIPTION of epoll_pwait).

The raw ``epoll_pwait`` and ``epoll_pwait2`` take a sixth argument the C wrappers hide,
``sigsetsize``, which must equal the kernel's ``sizeof(sigset_t)`` (8 bytes here), not the C
library's 128: anything else is EINVAL.
"""

from __future__ import annotations

import ctypes
import errno
import functools
from typing import Any

from ..abi import ARCH, KERNEL_SIGSET_SIZE, SYSCALLS, SyscallNumbers
from . import Backend, RawCall, gil_holding_int_function

_L = ctypes.c_long
_P = ctypes.c_void_p


def _prototype(dll: ctypes.CDLL, *argtypes: Any) -> ctypes._NamedFuncPointer:
    # ``syscall`` is variadic and reads every argument as a ``long``; one prototype per arity,
    # each its own function object (``dll[name]`` is not cached, unlike attribute access).
    function = dll["syscall"]
    function.restype = _L
    function.argtypes = (_L, *argtypes)
    return function


def _bind(function: Any, number: int | None) -> RawCall:
    if number is None:
        raise OSError(errno.ENOSYS, f"no such syscall on {ARCH}")
    return functools.partial(function, number)


def _without_mask(pwait: RawCall) -> RawCall:
    # epoll_wait(2): epoll_pwait with a NULL sigmask is equivalent to epoll_wait.
    def wait(epfd: int, events: Any, maxevents: int, timeout: int) -> int:
        return pwait(epfd, events, maxevents, timeout, None, KERNEL_SIGSET_SIZE)

    return wait


def load(numbers: SyscallNumbers | None = None) -> Backend:
    """Bind ``syscall(2)`` for every epoll call, emulating the missing ones.

    ``numbers`` overrides this architecture's table; the test suite passes this table with
    ``epoll_create`` and ``epoll_wait`` set to ``None`` to run the asm-generic emulation on
    any machine.
    """
    if numbers is None:
        numbers = SYSCALLS.get(ARCH)
    if numbers is None:
        raise OSError(errno.ENOSYS, f"pyepoll: no syscall numbers known for {ARCH}")
    libc = ctypes.CDLL(None, use_errno=True)
    libc_gil = ctypes.PyDLL(None, use_errno=True)
    one_arg = _prototype(libc, _L)
    ctl = _prototype(libc, _L, _L, _L, _P)
    wait = _prototype(libc, _L, _P, _L, _L)
    wait_gil = _prototype(libc_gil, _L, _P, _L, _L)
    fast_syscall = gil_holding_int_function("syscall")
    pwait = _prototype(libc, _L, _P, _L, _L, _P, _L)
    pwait_gil = _prototype(libc_gil, _L, _P, _L, _L, _P, _L)
    pwait2 = _prototype(libc, _L, _P, _L, _P, _P, _L)

    create1 = _bind(one_arg, numbers.epoll_create1)
    raw_pwait = _bind(pwait, numbers.epoll_pwait)

    def with_sigsetsize(call: RawCall) -> RawCall:
        def bound(epfd: int, events: Any, maxevents: int, timeout: Any, mask: Any) -> int:
            return call(epfd, events, maxevents, timeout, mask, KERNEL_SIGSET_SIZE)

        return bound

    if numbers.epoll_create is not None:
        create = _bind(one_arg, numbers.epoll_create)
    else:

        def create(size: int) -> int:
            if size <= 0:
                ctypes.set_errno(errno.EINVAL)
                return -1
            return create1(0)

    if numbers.epoll_wait is not None:
        wait_call = _bind(wait, numbers.epoll_wait)
        wait_nonblocking = _bind(wait_gil, numbers.epoll_wait)
        wait_fast = _bind(fast_syscall, numbers.epoll_wait)
    else:
        wait_call = _without_mask(raw_pwait)
        wait_nonblocking = _without_mask(_bind(pwait_gil, numbers.epoll_pwait))
        wait_fast = _without_mask(_bind(fast_syscall, numbers.epoll_pwait))

    return Backend(
        "syscall",
        create=create,
        create1=create1,
        ctl=_bind(ctl, numbers.epoll_ctl),
        wait=wait_call,
        wait_nonblocking=wait_nonblocking,
        wait_fast=wait_fast,
        pwait=with_sigsetsize(raw_pwait),
        pwait2=with_sigsetsize(_bind(pwait2, numbers.epoll_pwait2)),
        sigset_size=KERNEL_SIGSET_SIZE,
    )
