"""ABI facts: constants against the select module, struct layout against the kernel,
syscall numbers per architecture."""

from __future__ import annotations

import ctypes
import os
import select

import pytest

import pyepoll
from conformance import machine
from pyepoll import abi
from tests.kernel import KernelObjects

SELECT_EPOLL_NAMES = sorted(
    name for name in dir(select) if name.startswith("EPOLL") and name != "EPOLL_RDHUP"
)
EVENT_NAMES = [
    "EPOLLIN", "EPOLLPRI", "EPOLLOUT", "EPOLLERR", "EPOLLHUP", "EPOLLRDNORM", "EPOLLRDBAND",
    "EPOLLWRNORM", "EPOLLWRBAND", "EPOLLMSG", "EPOLLRDHUP", "EPOLLEXCLUSIVE", "EPOLLWAKEUP",
    "EPOLLONESHOT", "EPOLLET",
]  # fmt: skip


@pytest.mark.parametrize("name", SELECT_EPOLL_NAMES)
def test_constant_equals_select(name: str) -> None:
    # Compared as the C unsigned int both stand for: select exports them through a C long,
    # so on a 32-bit build EPOLLET (1u << 31) is -2**31 there; pyepoll's flags are unsigned.
    ours, theirs = getattr(pyepoll, name), getattr(select, name)
    assert 0 <= ours <= 0xFFFFFFFF
    assert ours == theirs & 0xFFFFFFFF


def test_select_defines_the_constants_we_compare() -> None:
    # Guards the parametrization above against an interpreter without epoll constants (PyPy's
    # select has fewer than CPython's, but never fewer than these).
    core = {"EPOLLIN", "EPOLLPRI", "EPOLLOUT", "EPOLLERR", "EPOLLHUP", "EPOLLET", "EPOLLONESHOT"}
    assert core <= set(SELECT_EPOLL_NAMES)


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_event_name_is_a_plain_int_with_its_enum_members_value(name: str) -> None:
    # A plain int, as select's: an IntFlag member would turn ``events & EPOLLIN`` into Python
    # code of the enum module (its reflected operator), 27-43x the cost of two ints.
    value = getattr(pyepoll, name)
    assert type(value) is int
    assert value == pyepoll.EpollEvent[name]
    assert type(0xFFFF_FFFF & value) is int


def test_epollwakeup_value_from_linux_eventpoll_h() -> None:
    # select does not export EPOLLWAKEUP; <linux/eventpoll.h> defines it as (1U << 29).
    assert pyepoll.EPOLLWAKEUP == 1 << 29


def test_epoll_cloexec_equals_o_cloexec() -> None:
    assert pyepoll.EPOLL_CLOEXEC == os.O_CLOEXEC
    assert type(pyepoll.EPOLL_CLOEXEC) is int
    assert pyepoll.EPOLL_CLOEXEC == pyepoll.EpollCreateFlag.EPOLL_CLOEXEC


@pytest.mark.parametrize(
    ("name", "value"), [("EPOLL_CTL_ADD", 1), ("EPOLL_CTL_DEL", 2), ("EPOLL_CTL_MOD", 3)]
)
def test_ctl_op_values(name: str, value: int) -> None:
    assert getattr(pyepoll, name) == value
    assert type(getattr(pyepoll, name)) is int
    assert getattr(pyepoll, name) == pyepoll.CtlOp[name]


def test_unknown_event_bits_are_kept() -> None:
    assert int(pyepoll.EpollEvent(1 << 27 | 1)) == 1 << 27 | 1


def test_epoll_event_is_packed_12_bytes_on_x86_only() -> None:
    # <linux/eventpoll.h> packs the struct on x86-64, which gives i386's layout; elsewhere the
    # 64-bit data word is aligned to 8. The ABI is the conformance suite's own finding.
    packed = machine.ABI in ("x86_64", "i386")
    assert ctypes.sizeof(abi.EpollEventStruct) == (12 if packed else 16)
    assert abi.EpollEventStruct.data.offset == (4 if packed else 8)
    assert ctypes.sizeof(abi.EpollEventStruct) == abi.EPOLL_EVENT_SIZE


def test_epoll_params_is_8_bytes() -> None:
    assert ctypes.sizeof(abi.EpollParamsStruct) == 8


@pytest.mark.parametrize(
    ("name", "value"), [("EPIOCSPARAMS", 0x40088A01), ("EPIOCGPARAMS", 0x80088A02)]
)
def test_busy_poll_ioctl_numbers(name: str, value: int) -> None:
    assert getattr(abi, name) == value


DATA_WORDS = [0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 32, 0xDEADBEEF_CAFEBABE, 1 << 63, 2**64 - 1]


@pytest.mark.parametrize("data", DATA_WORDS, ids=hex)
def test_data_word_round_trips_through_the_kernel(
    kernel: KernelObjects, backend: str, epfd: int, data: int
) -> None:
    # A wrong struct layout would put the kernel's copy of the word somewhere else.
    efd = kernel.readable_eventfd()
    pyepoll.epoll_ctl(epfd, pyepoll.EPOLL_CTL_ADD, efd, pyepoll.EPOLLIN, data, backend=backend)
    assert pyepoll.epoll_wait(epfd, 4, 0, backend=backend) == [(data, pyepoll.EPOLLIN)]


@pytest.mark.parametrize("data", DATA_WORDS, ids=hex)
def test_data_word_round_trips_through_epoll_object(
    kernel: KernelObjects, backend: str, data: int
) -> None:
    efd = kernel.readable_eventfd()
    with pyepoll.epoll(backend=backend) as ep:
        ep.register(efd, pyepoll.EPOLLIN, data=data)
        assert ep.poll(0) == [(data, pyepoll.EPOLLIN)]


def test_data_word_is_stored_whole_in_the_kernel(
    kernel: KernelObjects, backend: str, epfd: int
) -> None:
    efd = kernel.eventfd()
    word = 0x0123456789ABCDEF
    pyepoll.epoll_ctl(epfd, pyepoll.EPOLL_CTL_ADD, efd, pyepoll.EPOLLIN, word, backend=backend)
    assert [entry.data for entry in pyepoll.interest_list(epfd)] == [word]


@pytest.mark.parametrize("data", [2**64, -1], ids=["2**64", "-1"])
def test_data_word_outside_64_bits_is_refused(
    kernel: KernelObjects, backend: str, epfd: int, data: int
) -> None:
    efd = kernel.eventfd()
    with pytest.raises(OverflowError):
        pyepoll.epoll_ctl(epfd, pyepoll.EPOLL_CTL_ADD, efd, pyepoll.EPOLLIN, data, backend=backend)
    assert pyepoll.interest_list(epfd) == []


X86_64 = {
    "epoll_create": 213, "epoll_create1": 291, "epoll_ctl": 233,
    "epoll_wait": 232, "epoll_pwait": 281, "epoll_pwait2": 441,
}  # fmt: skip
I386 = {
    "epoll_create": 254, "epoll_create1": 329, "epoll_ctl": 255,
    "epoll_wait": 256, "epoll_pwait": 319, "epoll_pwait2": 441,
}  # fmt: skip
AARCH64 = {
    "epoll_create": None, "epoll_create1": 20, "epoll_ctl": 21,
    "epoll_wait": None, "epoll_pwait": 22, "epoll_pwait2": 441,
}  # fmt: skip


@pytest.mark.parametrize(
    ("arch", "table"), [("x86_64", X86_64), ("i386", I386), ("aarch64", AARCH64)]
)
def test_syscall_numbers(arch: str, table: dict[str, int | None]) -> None:
    assert abi.SYSCALLS[arch]._asdict() == table


@pytest.mark.parametrize(
    ("machine", "pointer_size", "arch"),
    [("x86_64", 8, "x86_64"), ("x86_64", 4, "i386"), ("aarch64", 8, "aarch64"),
     ("arm64", 8, "aarch64"), ("aarch64", 4, "arm"), ("i686", 4, "i386")],
)  # fmt: skip
def test_arch_of_machine_and_pointer_size(machine: str, pointer_size: int, arch: str) -> None:
    assert abi.arch_of(machine, pointer_size) == arch


def test_this_process_uses_its_interpreters_table() -> None:
    # pyepoll reads uname and the pointer size; the conformance suite reads the interpreter's
    # ELF header. An i386 Python on an x86-64 kernel sees uname say x86_64.
    assert abi.ARCH == machine.ABI
