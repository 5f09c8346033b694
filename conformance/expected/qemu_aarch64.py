"""qemu-user 7.2 (Debian 12's qemu-user-static) running arm64 CPython on an x86-64 kernel:
where its epoll and signal emulation differ from Linux, as the aarch64 env sees it.

Each entry is one difference; the env (tox -e aarch64) marks the tests that see it as strict
expected failures. A test listed here that passes (qemu fixed it, or pyepoll stopped reaching
it) fails the env: update this file and the README's drift table together.
"""

from __future__ import annotations

import signal

from conformance.expected import Drift

_BACKENDS = ("pyepoll-libc", "pyepoll-syscall")

#: Signals that tests send while a wait holds them in its temporary mask. qemu-user delivers
#: such a signal only at the program's next sigprocmask (the third entry below), possibly
#: after the test restored the default action, which kills the process; the plugin keeps a
#: harmless handler installed for them around every test and flushes them after each.
CONTAIN_SIGNALS = (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGRTMIN)

DRIFT = [
    Drift(
        foreign="epoll_pwait2 (syscall 441) is not implemented: ENOSYS",
        linux="epoll_pwait2 (since 5.11) waits like epoll_pwait with a timespec timeout",
        clauses=(
            "epoll_pwait2.timeout",
            "epoll_pwait2.null_timeout",
            "epoll_pwait2.EBADF",
            "epoll_pwait2.EINVAL.not_epoll",
            "epoll_pwait2.EFAULT",
            "epoll_pwait2.EINTR",
            "kernel.pwait2.EINVAL_timeout",
        ),
        impls=_BACKENDS,
        tests=(
            "tests/test_lowlevel_wait.py::test_wait_on_closed_epfd_is_ebadf[*-epoll_pwait2]",
            "tests/test_lowlevel_wait.py::test_wait_on_negative_epfd_is_ebadf[*-epoll_pwait2]",
            "tests/test_lowlevel_wait.py::test_wait_on_non_epoll_fd_is_einval[*-epoll_pwait2]",
            "tests/test_lowlevel_wait.py::test_wait_returns_data_and_events[*-epoll_pwait2]",
            "tests/test_lowlevel_wait.py::test_wait_nothing_ready_is_empty[*-epoll_pwait2]",
            "tests/test_lowlevel_wait.py::test_wait_returns_at_most_maxevents[*-epoll_pwait2]",
            "tests/test_lowlevel_wait.py::test_wait_fills_buffer_to_capacity[*-epoll_pwait2]",
            "tests/test_lowlevel_wait.py::test_pwait_none_sigmask_waits_like_epoll_wait[*-epoll_pwait2]",
            "tests/test_lowlevel_wait.py::test_pwait2_negative_timeout_is_einval[*]",
            "tests/test_lowlevel_wait.py::test_longest_timeout_is_accepted[*-epoll_pwait2-INT64_MAX-ns]",
            "tests/test_eintr.py::test_*[*-epoll_pwait2*]",
            "tests/test_timeouts.py::test_*[*-epoll_pwait2*]",
            "tests/test_timeouts.py::test_pwait2_timeout_has_nanosecond_precision[*]",
            "tests/test_sigmask.py::test_*[*-epoll_pwait2*]",
            "tests/test_lowlevel_wait.py::test_raw_pwait2_negative_timeout_is_einval[*]",
            "tests/test_lowlevel_wait.py::test_raw_wait_*[*-epoll_pwait2_raw*]",
            "conformance/test_epoll_pwait.py::test_einval_maxevents[*-epoll_pwait2]",
        ),
    ),
    Drift(
        foreign="the busy-poll ioctls EPIOCSPARAMS/EPIOCGPARAMS are unknown to it: ENOSYS, on "
        "an epoll fd or any other",
        linux="they set and read struct epoll_params (since 6.9); ENOTTY on a non-epoll fd, "
        "EINVAL for a bad value",
        clauses=(
            "kernel.busy_poll.roundtrip",
            "kernel.busy_poll.ENOTTY",
            "kernel.busy_poll.EINVAL",
        ),
        impls=_BACKENDS,
        tests=(
            "tests/test_params.py::test_new_instance_has_zero_params[*]",
            "tests/test_params.py::test_set_then_get_round_trips[*]",
            "tests/test_params.py::test_object_methods_round_trip[*]",
            "tests/test_params.py::test_budget_above_64_with_cap_net_admin[*]",
            "tests/test_params.py::test_set_params_invalid_is_einval[*]",
            "tests/test_params.py::test_set_params_value_outside_its_field_is_refused[*]",
            "tests/test_params.py::test_non_epoll_fd_is_enotty[*]",
            "tests/test_params.py::test_budget_above_64_without_cap_net_admin_is_eperm[*]",
        ),
    ),
    Drift(
        foreign="a signal blocked only by epoll_pwait's (or ppoll's) temporary mask is not "
        "delivered when the call returns, but at the program's next sigprocmask",
        linux="the thread's mask is restored on return, and the pending signal is delivered "
        "then (epoll_pwait(2): the mask is replaced atomically for the call)",
        clauses=("epoll_pwait.sigmask",),
        impls=_BACKENDS,
        tests=(
            "tests/test_sigmask.py::test_signal_arriving_during_the_wait_is_held_until_it_ends[*]",
        ),
    ),
    Drift(
        foreign="SIGRTMAX and SIGRTMAX-1 cannot be handled (qemu keeps the host's top real-time "
        "signals for itself): a handler is never run",
        linux="every real-time signal up to SIGRTMAX can be caught, blocked and sent",
        tests=(
            "tests/test_sigmask.py::test_mask_bit_layout_blocks_exactly_the_listed_signal"
            "[*-epoll_pwait-*-SIGRTMAX-64]",
            "tests/test_sigmask.py::test_mask_bit_layout_blocks_exactly_the_listed_signal"
            "[*-poll-*-SIGRTMAX-64]",
        ),
    ),
    Drift(
        foreign="epoll_pwait with a NULL events buffer fails with EFAULT even when nothing is "
        "ready (qemu locks the whole buffer before the call)",
        linux="the buffer is only written when events are returned: nothing ready returns 0",
        tests=(
            "tests/test_lowlevel_wait.py::test_wait_raw_null_buffer_without_events_returns_zero[*]",
            "tests/test_lowlevel_wait.py::test_raw_wait_null_buffer_without_events_returns_zero"
            "[*-epoll_wait_raw]",
            "tests/test_lowlevel_wait.py::test_raw_wait_null_buffer_without_events_returns_zero"
            "[*-epoll_pwait_raw*]",
        ),
    ),
]
