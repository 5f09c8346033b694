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
the stack, where an ``int`` leaves the upper half of its 8-byte slot undefined: it is passed
full width (a ``c_size_t`` object with ctypes, a ``size_t`` parameter with cffi).
"""

from __future__ import annotations

import errno
import functools
from typing import Any

from ..abi import ARCH, KERNEL_SIGSET_SIZE, SYSCALLS, SyscallNumbers
from ..ffi import Ffi, RawCall, get_ffi
from . import Backend


def _bind(function: RawCall, number: int | None) -> RawCall:
    if number is None:
        raise OSError(errno.ENOSYS, f"no such syscall on {ARCH}")
    return functools.partial(function, number)


def _with_sigsetsize(pwait: RawCall, sigsetsize: Any) -> RawCall:
    # The raw calls take the mask's size as a sixth argument, which the C wrappers hide.
    def call(epfd: int, events: Any, maxevents: int, timeout: Any, mask: Any) -> int:
        return pwait(epfd, events, maxevents, timeout, mask, sigsetsize)

    return call


def _without_mask(pwait: RawCall, sigsetsize: Any, null: Any) -> RawCall:
    # epoll_wait(2): epoll_pwait with a NULL sigmask is equivalent to epoll_wait.
    def wait(epfd: int, events: Any, maxevents: int, timeout: int) -> int:
        return pwait(epfd, events, maxevents, timeout, null, sigsetsize)

    return wait


# C parameters after the syscall number, per call.
_INT = ("int",)
_CTL = ("int", "int", "int", "void *")
_WAIT = ("int", "void *", "int", "int")
_PWAIT = (*_WAIT, "void *", "size_t")
_PWAIT2 = ("int", "void *", "int", "void *", "void *", "size_t")


def load(numbers: SyscallNumbers | None = None, *, ffi: Ffi | None = None) -> Backend:
    """Bind ``syscall(2)`` for every epoll call through *ffi* (ctypes by default), emulating
    the missing ones.

    ``numbers`` overrides this architecture's table; the test suite passes this table with
    ``epoll_create`` and ``epoll_wait`` set to ``None`` to run the asm-generic emulation on
    any machine.
    """
    if numbers is None:
        numbers = SYSCALLS.get(ARCH)
    if numbers is None:
        raise OSError(errno.ENOSYS, f"pyepoll: no syscall numbers known for {ARCH}")
    if ffi is None:
        ffi = get_ffi("ctypes")
    sigsetsize = ffi.size_t(KERNEL_SIGSET_SIZE)
    create1 = _bind(ffi.syscall(_INT), numbers.epoll_create1)

    if numbers.epoll_create is not None:
        create = _bind(ffi.syscall(_INT), numbers.epoll_create)
    else:

        def create(size: int) -> int:
            # epoll_create(2), NOTES: size is ignored, but must be greater than zero.
            if size <= 0:
                ffi.set_errno(errno.EINVAL)
                return -1
            return create1(0)

    def waits(**hints: bool) -> RawCall:
        if numbers.epoll_wait is not None:
            return _bind(ffi.syscall(_WAIT, **hints), numbers.epoll_wait)
        pwait = _bind(ffi.syscall(_PWAIT, **hints), numbers.epoll_pwait)
        return _without_mask(pwait, sigsetsize, ffi.null)

    return Backend(
        "syscall",
        ffi,
        create=create,
        create1=create1,
        ctl=_bind(ffi.syscall(_CTL), numbers.epoll_ctl),
        wait=waits(),
        wait_nonblocking=waits(keep_gil=True),
        wait_fast=waits(keep_gil=True, errno=False),
        pwait=_with_sigsetsize(_bind(ffi.syscall(_PWAIT), numbers.epoll_pwait), sigsetsize),
        pwait2=_with_sigsetsize(_bind(ffi.syscall(_PWAIT2), numbers.epoll_pwait2), sigsetsize),
        sigset_size=KERNEL_SIGSET_SIZE,
    )
