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

Arguments go through ``syscall``'s variadic ``long`` slots as C ``int``s or pointers.  For an
``int`` parameter that is exact, since the kernel reads only the low 32 bits of the register.
``sigsetsize`` is a ``size_t`` and the seventh argument of ``syscall``, which x86-64 passes on
the stack, where an ``int`` leaves the upper half of its 8-byte slot undefined: it is passed as
a ``c_size_t`` object, a full 64-bit value.
"""

from __future__ import annotations

import ctypes
import errno
import functools
from typing import Any

from ..abi import ARCH, KERNEL_SIGSET_SIZE, SYSCALLS, SyscallNumbers
from . import Backend, RawCall, c_function


def _bind(function: RawCall, number: int | None) -> RawCall:
    if number is None:
        raise OSError(errno.ENOSYS, f"no such syscall on {ARCH}")
    return functools.partial(function, number)


_SIGSETSIZE = ctypes.c_size_t(KERNEL_SIGSET_SIZE)


def _with_sigsetsize(pwait: RawCall) -> RawCall:
    # The raw calls take the mask's size as a sixth argument, which the C wrappers hide.
    def call(epfd: int, events: Any, maxevents: int, timeout: Any, mask: Any) -> int:
        return pwait(epfd, events, maxevents, timeout, mask, _SIGSETSIZE)

    return call


def _without_mask(pwait: RawCall) -> RawCall:
    # epoll_wait(2): epoll_pwait with a NULL sigmask is equivalent to epoll_wait.
    def wait(epfd: int, events: Any, maxevents: int, timeout: int) -> int:
        return pwait(epfd, events, maxevents, timeout, None, _SIGSETSIZE)

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
    call = c_function("syscall")
    call_gil = c_function("syscall", keep_gil=True)
    call_fast = c_function("syscall", keep_gil=True, capture_errno=False)
    create1 = _bind(call, numbers.epoll_create1)

    if numbers.epoll_create is not None:
        create = _bind(call, numbers.epoll_create)
    else:

        def create(size: int) -> int:
            # epoll_create(2), NOTES: size is ignored, but must be greater than zero.
            if size <= 0:
                ctypes.set_errno(errno.EINVAL)
                return -1
            return create1(0)

    if numbers.epoll_wait is not None:
        wait = _bind(call, numbers.epoll_wait)
        wait_nonblocking = _bind(call_gil, numbers.epoll_wait)
        wait_fast = _bind(call_fast, numbers.epoll_wait)
    else:
        wait = _without_mask(_bind(call, numbers.epoll_pwait))
        wait_nonblocking = _without_mask(_bind(call_gil, numbers.epoll_pwait))
        wait_fast = _without_mask(_bind(call_fast, numbers.epoll_pwait))

    return Backend(
        "syscall",
        create=create,
        create1=create1,
        ctl=_bind(call, numbers.epoll_ctl),
        wait=wait,
        wait_nonblocking=wait_nonblocking,
        wait_fast=wait_fast,
        pwait=_with_sigsetsize(_bind(call, numbers.epoll_pwait)),
        pwait2=_with_sigsetsize(_bind(call, numbers.epoll_pwait2)),
        sigset_size=KERNEL_SIGSET_SIZE,
    )
