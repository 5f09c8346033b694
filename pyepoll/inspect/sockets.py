"""Sockets by inode number, from the process's view of ``/proc/PID/net``.

``/proc/PID/fd/N`` names a socket only as ``socket:[INODE]``; the protocol tables of the
process's network namespace (``/proc/PID/net/tcp``, ``udp``, ``unix``...) give that inode's
addresses and state. In the IP tables an address is the raw ``__be32`` words printed with
``%08X`` in host order (so on a little-endian machine an IPv4 address reads byte-reversed) and a
port is ``%04X`` of its host-order value; the state is the kernel's ``TCP_*`` number, which UDP
reuses (7, CLOSE, for an unconnected socket; 1, ESTABLISHED, once connect(2) set a peer).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from typing import NamedTuple

__all__ = ["SocketInfo", "socket_table"]

#: include/net/tcp_states.h
TCP_STATES = {
    1: "ESTABLISHED",
    2: "SYN_SENT",
    3: "SYN_RECV",
    4: "FIN_WAIT1",
    5: "FIN_WAIT2",
    6: "TIME_WAIT",
    7: "CLOSE",
    8: "CLOSE_WAIT",
    9: "LAST_ACK",
    10: "LISTEN",
    11: "CLOSING",
    12: "NEW_SYN_RECV",
}
#: The socket types of /proc/net/unix's Type column (SOCK_STREAM...), by value.
UNIX_TYPES = {socket.SOCK_STREAM: "stream", socket.SOCK_DGRAM: "dgram", 5: "seqpacket"}
#: The IP tables: file name, protocol shown, address family.
IP_TABLES = (
    ("tcp", "tcp", socket.AF_INET),
    ("tcp6", "tcp6", socket.AF_INET6),
    ("udp", "udp", socket.AF_INET),
    ("udp6", "udp6", socket.AF_INET6),
    ("udplite", "udplite", socket.AF_INET),
    ("udplite6", "udplite6", socket.AF_INET6),
    ("raw", "raw", socket.AF_INET),
    ("raw6", "raw6", socket.AF_INET6),
)


class SocketInfo(NamedTuple):
    """One socket: its protocol, local and peer address (None where it has none), state."""

    protocol: str
    local: str | None
    peer: str | None
    state: str | None


def _ip_address(field: str, family: int) -> tuple[str, int]:
    address, port = field.split(":")
    words = [int(address[i : i + 8], 16) for i in range(0, len(address), 8)]
    raw = struct.pack(f"={len(words)}I", *words)  # back to the kernel's byte order
    host = ipaddress.ip_address(raw if family == socket.AF_INET6 else raw[:4])
    shown = f"[{host}]" if family == socket.AF_INET6 else str(host)
    return shown, int(port, 16)


def _read_lines(path: str) -> list[str]:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read().splitlines()[1:]  # the first line is the header
    except OSError:  # the protocol is not built into this kernel, or the process exited
        return []


def _ip_table(pid: int, name: str, protocol: str, family: int) -> dict[int, SocketInfo]:
    table = {}
    for line in _read_lines(f"/proc/{pid}/net/{name}"):
        cols = line.split()
        if len(cols) < 10:
            continue
        (lhost, lport), (rhost, rport) = _ip_address(cols[1], family), _ip_address(cols[2], family)
        state = TCP_STATES.get(int(cols[3], 16), cols[3])
        connected = rport != 0 or state == "ESTABLISHED"
        peer = f"{rhost}:{rport}" if connected else None
        if protocol.startswith(("udp", "raw")):
            state = "connected" if connected else "unconnected"
        table[int(cols[9])] = SocketInfo(protocol, f"{lhost}:{lport}", peer, state)
    return table


def _unix_table(pid: int) -> dict[int, SocketInfo]:
    # Num RefCount Protocol Flags Type St Inode [Path]; Flags 0x10000 is __SO_ACCEPTCON
    # (listening); St is SS_UNCONNECTED (1), SS_CONNECTING (2), SS_CONNECTED (3)...
    table = {}
    for line in _read_lines(f"/proc/{pid}/net/unix"):
        cols = line.split(maxsplit=7)
        if len(cols) < 7:
            continue
        kind = UNIX_TYPES.get(int(cols[4], 16), cols[4])
        listening = int(cols[3], 16) & 0x10000
        st = int(cols[5], 16)
        state = "LISTEN" if listening else {1: "unconnected", 3: "connected"}.get(st, str(st))
        path = cols[7] if len(cols) > 7 else None
        if path is not None and path.startswith("@"):
            path = "@" + path[1:]  # abstract namespace: shown as ss shows it
        table[int(cols[6])] = SocketInfo(f"unix/{kind}", path, None, state)
    return table


def socket_table(pid: int) -> dict[int, SocketInfo]:
    """Every socket of *pid*'s network namespace that /proc/net shows, by inode number."""
    table = _unix_table(pid)
    for name, protocol, family in IP_TABLES:
        table.update(_ip_table(pid, name, protocol, family))
    return table


def socket_inode(link: str) -> int | None:
    """The inode of a ``socket:[INODE]`` link, else None."""
    if link.startswith("socket:[") and link.endswith("]"):
        return int(link[8:-1])
    return None
