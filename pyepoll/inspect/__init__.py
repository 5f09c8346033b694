"""``pyepoll.inspect``: the epoll interest lists of live processes, read from /proc.

``python -m pyepoll.inspect PID`` (or ``--all``, ``--json``, ``--watch SECONDS``) lists, for each
epoll instance of each process, each registration: its fd and what that fd is (a TCP, UDP or
UNIX socket with its addresses and state, a pipe, an eventfd, another epoll...), its events by
name and its data word, and flags registrations that outlived their fd number (epoll(7), Q6).
Modules: :mod:`~pyepoll.inspect.procfs` (reading /proc), :mod:`~pyepoll.inspect.sockets`
(/proc/PID/net), :mod:`~pyepoll.inspect.model` (the report), :mod:`~pyepoll.inspect.render`.
"""

from __future__ import annotations

from pyepoll.inspect.model import Epoll, Process, Registration, event_names, inspect_process
from pyepoll.inspect.procfs import Vanished

__all__ = ["Epoll", "Process", "Registration", "Vanished", "event_names", "inspect_process"]
