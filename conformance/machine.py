"""Which syscall ABI this process runs, and which syscall table ``/proc`` shows it in.

Found out here, without pyepoll (the oracle does not trust the implementation under test,
and pyepoll.abi is part of it). Neither is ``platform.machine()``: that is the kernel's
``uname -m``, which says ``x86_64`` to an i386 interpreter running on an x86-64 kernel.

- :data:`ABI`, the interpreter's own ABI: the ELF header of ``/proc/self/exe`` (its class and
  ``e_machine``), else ``uname -m`` corrected by the pointer size.
- :data:`PROC_ABI`, the table of the numbers in ``/proc/<pid>/task/<tid>/syscall``. Natively it
  is :data:`ABI`'s. Under qemu-user it is the host's: the guest's syscalls are made by qemu,
  on the host, with the host's numbers (qemu-aarch64 on x86-64 shows epoll_pwait as 281, not
  22). It is calibrated by reading that file for the reading thread itself, which shows the
  ``read`` being made: 0 on x86-64, 3 on i386 and arm, 63 on the asm-generic table. The
  environment variable ``EPOLL_CONFORMANCE_PROC_ABI`` (an ABI name) overrides it, for a
  machine where the calibration cannot tell tables apart.
"""

from __future__ import annotations

import os
import platform
import struct
import threading

__all__ = ["ABI", "PROC_ABI", "PROC_ABI_VARIABLE", "READ_SYSCALL", "abi_from_elf", "proc_abi"]

#: (ELF class: 1 = 32-bit, 2 = 64-bit; e_machine) -> ABI name.
_ELF_MACHINES = {
    (1, 3): "i386",
    (2, 62): "x86_64",
    (1, 40): "arm",
    (2, 183): "aarch64",
    (2, 243): "riscv64",
    (2, 258): "loongarch64",
}
_UNAME_ALIASES = {"amd64": "x86_64", "i686": "i386", "i586": "i386", "arm64": "aarch64"}

#: read(2)'s number in each table (arch/*/entry/syscalls; include/uapi/asm-generic/unistd.h).
READ_SYSCALL = {"x86_64": 0, "i386": 3, "arm": 3, "aarch64": 63, "riscv64": 63, "loongarch64": 63}
PROC_ABI_VARIABLE = "EPOLL_CONFORMANCE_PROC_ABI"


def abi_from_elf(header: bytes) -> str | None:
    """The ABI of an ELF file from its first 20 bytes; None if unknown or not ELF."""
    if len(header) < 20 or header[:4] != b"\x7fELF" or header[5] not in (1, 2):
        return None
    (machine,) = struct.unpack_from("<H" if header[5] == 1 else ">H", header, 18)
    return _ELF_MACHINES.get((header[4], machine))


def _abi() -> str:
    try:
        with open("/proc/self/exe", "rb") as exe:
            found = abi_from_elf(exe.read(20))
    except OSError:
        found = None
    if found is not None:
        return found
    machine = _UNAME_ALIASES.get(platform.machine(), platform.machine())
    if struct.calcsize("P") == 4:
        machine = {"x86_64": "i386", "aarch64": "arm"}.get(machine, machine)
    return "arm" if machine.startswith("armv") else machine


#: The ABI this interpreter runs.
ABI = _abi()


def proc_abi() -> str | None:
    """The table of the syscall numbers ``/proc`` shows for this process (module docstring);
    None where ``/proc/<pid>/task/<tid>/syscall`` cannot be read."""
    named = os.environ.get(PROC_ABI_VARIABLE)
    if named:
        if named not in READ_SYSCALL:
            raise ValueError(f"{PROC_ABI_VARIABLE}={named!r}: not one of {sorted(READ_SYSCALL)}")
        return named
    try:
        fd = os.open(f"/proc/self/task/{threading.get_native_id()}/syscall", os.O_RDONLY)
    except OSError:
        return None
    try:
        first = os.read(fd, 64).split()[0]
    finally:
        os.close(fd)
    if not first.isdigit():
        return None
    number = int(first)
    if READ_SYSCALL.get(ABI) == number:
        return ABI
    return next((abi for abi, read in READ_SYSCALL.items() if read == number), None)


#: The table of the numbers in /proc (None: they cannot be seen here).
PROC_ABI = proc_abi()
