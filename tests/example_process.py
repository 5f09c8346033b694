"""Start an example server (``python -m examples.NAME``) as a user would; learn its port."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_example(args: Sequence[str]) -> tuple[subprocess.Popen[str], int]:
    """``python -m *args`` from the checkout with its output piped; the process and the port of
    the ``listening on 127.0.0.1:PORT`` line it prints first (killed, AssertionError, if none)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+)\n", line)
    if match is None:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"{' '.join(args)}: no 'listening on' line: {line!r} {err}")
    return proc, int(match.group(1))
