"""Self-checks of conformance.machine: the ABI is read from the ELF header, and the table it
picks for /proc really shows a waiting thread asleep in a wait. They carry no clause."""

from __future__ import annotations

import os
import select
import struct
import threading
import time

import pytest

from conformance import machine, timing


def elf_header(elf_class: int, data: int, e_machine: int) -> bytes:
    ident = b"\x7fELF" + bytes([elf_class, data, 1]) + bytes(9)
    return ident + struct.pack("<HH" if data == 1 else ">HH", 2, e_machine)


@pytest.mark.parametrize(
    ("elf_class", "e_machine", "abi"),
    [(2, 62, "x86_64"), (1, 3, "i386"), (2, 183, "aarch64"), (1, 40, "arm"), (1, 62, None)],
)
def test_abi_from_elf_reads_class_and_machine(
    elf_class: int, e_machine: int, abi: str | None
) -> None:
    assert machine.abi_from_elf(elf_header(elf_class, 1, e_machine)) == abi


def test_abi_from_elf_refuses_what_is_not_elf() -> None:
    assert machine.abi_from_elf(b'#!/bin/sh\nexec python3.11 "$@"\n') is None
    assert machine.abi_from_elf(elf_header(2, 1, 62)[:19]) is None


def test_abi_from_elf_big_endian() -> None:
    assert machine.abi_from_elf(elf_header(2, 2, 183)) == "aarch64"


def test_interpreter_abi_is_one_of_the_tables() -> None:
    assert machine.ABI in machine.READ_SYSCALL


def test_proc_abi_variable_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(machine.PROC_ABI_VARIABLE, "riscv64")
    assert machine.proc_abi() == "riscv64"
    monkeypatch.setenv(machine.PROC_ABI_VARIABLE, "vax")
    with pytest.raises(ValueError, match="vax"):
        machine.proc_abi()


def test_proc_shows_a_waiting_thread_asleep_in_a_wait() -> None:
    # The proof that PROC_ABI names the right table: a thread blocked in select.epoll.poll is
    # recognised (natively its own ABI's epoll_wait/epoll_pwait; under qemu-user the host's).
    if machine.PROC_ABI is None:
        pytest.skip("/proc/<pid>/task/<tid>/syscall cannot be read here")
    r, w = os.pipe()
    try:
        with select.epoll() as ep:
            ep.register(r, select.EPOLLIN)
            waiter = threading.Thread(target=ep.poll, args=(timing.PROMPT * 4,))
            waiter.start()
            assert waiter.native_id is not None
            deadline = time.monotonic() + timing.PROMPT
            seen = False
            while not seen and time.monotonic() < deadline:
                seen = bool(timing.sleeping_in_wait(waiter.native_id))
                time.sleep(0.001)
            os.write(w, b"x")
            waiter.join()
    finally:
        os.close(r)
        os.close(w)
    assert seen, f"/proc never showed the waiter in a {machine.PROC_ABI} wait syscall"
