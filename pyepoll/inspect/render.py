"""Text and JSON views of :class:`~pyepoll.inspect.model.Process` reports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from pyepoll.inspect.model import Process, Registration, event_names

__all__ = ["as_json", "as_text"]


def _target(reg: Registration) -> str:
    d = reg.detail
    if reg.kind.startswith(("tcp", "udp", "raw", "unix")):
        ends = d.get("local") or "(unnamed)"
        if d.get("peer"):
            ends += f" -> {d['peer']}"
        return f"{reg.kind} {ends} {d.get('state') or ''}".rstrip()
    if reg.kind == "file":
        return f"file {d['path']}"
    shown = " ".join(f"{k}={v}" for k, v in d.items() if v is not None)
    return f"{reg.kind} {shown}".rstrip()


def _line(reg: Registration) -> str:
    events = "|".join(event_names(reg.events)) or "0"
    text = f"fd {reg.fd:<5} {events:<28} data {reg.data:#x}  {_target(reg)}"
    if reg.disarmed:
        text += "  [disarmed: EPOLLONESHOT fired]"
    if reg.stale:
        text += f"\n          STALE: {reg.stale} (epoll(7) Q6)"
    return text


def as_text(processes: Sequence[Process], errors: Sequence[str] = ()) -> str:
    """One block per process with epoll instances; then one line per process not read."""
    out = []
    for proc in processes:
        if not proc.epolls:
            continue
        out.append(f"PID {proc.pid}: {proc.command}")
        for ep in proc.epolls:
            count = len(ep.registrations)
            out.append(f"  epoll fd {ep.fd}: {count} registration{'s' * (count != 1)}")
            out += ["    " + _line(reg) for reg in ep.registrations]
    if not out:
        out.append("no epoll instances found")
    out += [f"error: {message}" for message in errors]
    return "\n".join(out) + "\n"


def as_json(processes: Sequence[Process], errors: Sequence[str] = ()) -> str:
    """``{"processes": [...], "errors": [...]}``; events as a number and as names."""
    procs = []
    for proc in processes:
        item = asdict(proc)
        for ep, ep_item in zip(proc.epolls, item["epolls"]):
            for reg, reg_item in zip(ep.registrations, ep_item["registrations"]):
                reg_item["event_names"] = event_names(reg.events)
                reg_item["disarmed"] = reg.disarmed
        procs.append(item)
    return json.dumps({"processes": procs, "errors": list(errors)}, indent=2) + "\n"
