"""A process with known epoll registrations, for the ``pyepoll.inspect`` tests.

``python -m tests.inspect_child`` builds the registrations below, prints one JSON line that
names their descriptors, then waits until its stdin closes. Nothing in it is Python-specific
for the inspector: it reads the process from /proc like any other.
"""

from __future__ import annotations

import json
import os
import select
import socket
import sys

import pyepoll
from tests.kernel import eventfd_add, new_eventfd


def main() -> None:
    outer = pyepoll.epoll()  # carries chosen data words
    inner = select.epoll()  # nested in outer; select.epoll stores the fd as the data word
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    served, _ = listener.accept()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    left, right = socket.socketpair()
    pipe_r, pipe_w = os.pipe()
    efd = new_eventfd()
    oneshot = new_eventfd()

    outer.register(listener.fileno(), pyepoll.EPOLLIN, data=0x1111)
    outer.register(client.fileno(), pyepoll.EPOLLIN | pyepoll.EPOLLRDHUP, data=0xDEADBEEFCAFE)
    outer.register(udp.fileno(), pyepoll.EPOLLIN, data=3)
    outer.register(left.fileno(), pyepoll.EPOLLIN | pyepoll.EPOLLET, data=4)
    outer.register(inner.fileno(), pyepoll.EPOLLIN, data=5)
    outer.register(oneshot, pyepoll.EPOLLIN | pyepoll.EPOLLONESHOT, data=6)
    eventfd_add(oneshot)
    assert outer.poll(0) == [(6, pyepoll.EPOLLIN)]  # fired: now disarmed
    inner.register(pipe_r, select.EPOLLIN)
    inner.register(efd, select.EPOLLOUT)

    # epoll(7) Q6, twice: a registered number that now names another file.
    reused_r, reused_w = os.pipe()
    inner.register(reused_r)
    keep_reused = os.dup(reused_r)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, reused_r)
    # ...and a registered number closed while a dup keeps its file open
    # (last: nothing may reuse the number).
    closed_r, closed_w = os.pipe()
    inner.register(closed_r)
    keep_closed = os.dup(closed_r)
    os.close(closed_r)

    print(
        json.dumps(
            {
                "outer": outer.fileno(),
                "inner": inner.fileno(),
                "listener": [listener.fileno(), listener.getsockname()[1]],
                "client": [client.fileno(), client.getsockname()[1]],
                "udp": [udp.fileno(), udp.getsockname()[1]],
                "unix": left.fileno(),
                "pipe": pipe_r,
                "eventfd": efd,
                "oneshot": oneshot,
                "closed": closed_r,
                "reused": reused_r,
            }
        ),
        flush=True,
    )
    sys.stdin.read()  # hold everything open until the test is done
    del keep_closed, keep_reused, closed_w, reused_w, pipe_w, served, right


if __name__ == "__main__":
    main()
