"""ABI facts of the epoll interface: data, no policy.

Everything here is a property of the kernel's user-space interface on one architecture:
the layout of ``struct epoll_event`` and ``struct epoll_params``, the syscall numbers, the
size of the kernel's signal set and the ioctl request numbers.  Nothing in this module calls
the kernel.

``struct epoll_event`` (``<linux/eventpoll.h>``) is ``{ __u32 events; __u64 data; }``.  The
kernel declares it ``__attribute__((packed))`` on x86-64 only, so that 64-bit kernels share one
layout with i386 user space, where a ``__u64`` is 4-byte aligned anyway: 12 bytes on both x86
ABIs.  Every other architecture aligns ``data`` naturally: 16 bytes, with 4 bytes of padding.
"""

from __future__ import annotations

import ctypes
import platform
import struct
from typing import NamedTuple

__all__ = [
    "ARCH",
    "EPIOCGPARAMS",
    "EPIOCSPARAMS",
    "EPOLL_EVENT_FORMAT",
    "EPOLL_EVENT_SIZE",
    "EP_MAX_EVENTS",
    "GLIBC_SIGSET_SIZE",
    "KERNEL_NSIG",
    "KERNEL_SIGSET_SIZE",
    "SYSCALLS",
    "EpollEventStruct",
    "EpollParamsStruct",
    "KernelTimespec",
    "SyscallNumbers",
    "arch_of",
]


class SyscallNumbers(NamedTuple):
    """Syscall numbers of the epoll family on one architecture.

    ``None`` marks a syscall the architecture does not have: the asm-generic table (aarch64,
    riscv64, loongarch64) never had ``epoll_create`` or ``epoll_wait``; C libraries implement
    them over ``epoll_create1`` and ``epoll_pwait``.
    """

    epoll_create: int | None
    epoll_create1: int
    epoll_ctl: int
    epoll_wait: int | None
    epoll_pwait: int
    epoll_pwait2: int


#: Per-architecture syscall numbers (the ``arch/*/entry/syscalls`` tables of the kernel source).
#: ``epoll_pwait2`` (Linux 5.11) got the same number, 441, on every architecture.
SYSCALLS: dict[str, SyscallNumbers] = {
    "x86_64": SyscallNumbers(213, 291, 233, 232, 281, 441),
    "i386": SyscallNumbers(254, 329, 255, 256, 319, 441),
    "arm": SyscallNumbers(250, 357, 251, 252, 346, 441),
    "aarch64": SyscallNumbers(None, 20, 21, None, 22, 441),
    "riscv64": SyscallNumbers(None, 20, 21, None, 22, 441),
    "loongarch64": SyscallNumbers(None, 20, 21, None, 22, 441),
}

_MACHINE_ALIASES = {
    "amd64": "x86_64",
    "i486": "i386",
    "i586": "i386",
    "i686": "i386",
    "x86": "i386",
    "arm64": "aarch64",
}


def arch_of(machine: str, pointer_size: int) -> str:
    """Name of the user-space ABI for ``uname -m`` output and the process's pointer size.

    The pointer size matters: a 32-bit process on a 64-bit kernel uses the 32-bit table
    (``uname -m`` says ``x86_64`` to an i386 Python running on an x86-64 kernel).
    """
    name = _MACHINE_ALIASES.get(machine, machine)
    if name.startswith("armv") or name == "armhf":
        name = "arm"
    if name == "x86_64" and pointer_size == 4:
        name = "i386"
    if name == "aarch64" and pointer_size == 4:
        name = "arm"
    return name


#: The ABI of this process.
ARCH = arch_of(platform.machine(), ctypes.sizeof(ctypes.c_void_p))

_X86 = ARCH in ("x86_64", "i386")

#: ``struct`` format of one ``struct epoll_event``: native byte order, no automatic alignment.
EPOLL_EVENT_FORMAT = "=IQ" if _X86 else "=I4xQ"
EPOLL_EVENT_SIZE = struct.calcsize(EPOLL_EVENT_FORMAT)


class EpollEventStruct(ctypes.Structure):
    """``struct epoll_event``: ``events`` then the 64-bit ``data`` word (epoll_ctl(2))."""

    _pack_ = 4 if _X86 else 8
    _fields_ = [("events", ctypes.c_uint32), ("data", ctypes.c_uint64)]


assert ctypes.sizeof(EpollEventStruct) == EPOLL_EVENT_SIZE

#: epoll_wait(2), ERRORS: EINVAL when maxevents exceeds this (``INT_MAX / sizeof(struct
#: epoll_event)``, fs/eventpoll.c ``EP_MAX_EVENTS``).
EP_MAX_EVENTS = 0x7FFFFFFF // EPOLL_EVENT_SIZE


class KernelTimespec(ctypes.Structure):
    """``struct __kernel_timespec``: 64-bit seconds and nanoseconds on every architecture
    (epoll_pwait2(2) takes this type, not the C library's ``struct timespec``)."""

    _fields_ = [("tv_sec", ctypes.c_int64), ("tv_nsec", ctypes.c_int64)]


#: Number of signals the kernel knows (``_NSIG``): 64 on every architecture listed above
#: (MIPS, not listed, has 128).
KERNEL_NSIG = 64
#: ``sizeof(kernel sigset_t)``: the only value the raw epoll_pwait/epoll_pwait2 syscalls accept
#: as their sixth argument, ``sigsetsize``; anything else is EINVAL.
KERNEL_SIGSET_SIZE = KERNEL_NSIG // 8
#: ``sizeof(sigset_t)`` in glibc (1024 bits), which is what the C library wrappers read.
GLIBC_SIGSET_SIZE = 128


class EpollParamsStruct(ctypes.Structure):
    """``struct epoll_params`` (Linux 6.9, ``<linux/eventpoll.h>``), 8 bytes."""

    _fields_ = [
        ("busy_poll_usecs", ctypes.c_uint32),
        ("busy_poll_budget", ctypes.c_uint16),
        ("prefer_busy_poll", ctypes.c_uint8),
        ("pad", ctypes.c_uint8),
    ]


assert ctypes.sizeof(EpollParamsStruct) == 8


def _ioc(direction: int, type_: int, nr: int, size: int) -> int:
    # asm-generic/ioctl.h: dir in bits 30-31, size in 16-29, type in 8-15, nr in 0-7.
    return (direction << 30) | (size << 16) | (type_ << 8) | nr


_IOC_WRITE, _IOC_READ = 1, 2
_EPOLL_IOC_TYPE = 0x8A
#: ``_IOW(0x8A, 0x01, struct epoll_params)``: set busy-poll parameters.
EPIOCSPARAMS = _ioc(_IOC_WRITE, _EPOLL_IOC_TYPE, 1, ctypes.sizeof(EpollParamsStruct))
#: ``_IOR(0x8A, 0x02, struct epoll_params)``: read busy-poll parameters.
EPIOCGPARAMS = _ioc(_IOC_READ, _EPOLL_IOC_TYPE, 2, ctypes.sizeof(EpollParamsStruct))
