"""tox inline plugin: let tox find every Python that pyenv (or the system) has installed.

tox asks virtualenv for an interpreter matching `py39`, `py310`, ... and virtualenv searches
PATH. pyenv puts only shims on PATH, and the shim of a version that is not selected by
`pyenv global`/`local` exits with an error, so without help tox sees one CPython and skips the
others. tox ignores PYENV_VERSION here; what works is `tox --discover PATH...`, which makes
virtualenv try the given executables first.

This plugin does that by itself: it appends pyenv's installed interpreters
(`$(pyenv root)/versions/*/bin/python3`, newest first) and a real `pypy3` on PATH to the
`--discover` list, after any paths the user passed. virtualenv still checks each candidate's
implementation and version against the env's spec, so a candidate can only fill the env it fits.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from tox.plugin import impl

if TYPE_CHECKING:
    from tox.config.sets import ConfigSet
    from tox.session.state import State

#: The oldest CPython the project supports; older pyenv versions are not offered to tox.
MIN_CPYTHON = (3, 9)

_CPYTHON_DIR = re.compile(r"^(\d+)\.(\d+)\.(\d+)")
_PYPY_DIR = re.compile(r"^pypy3")


def pyenv_root() -> Path | None:
    """Where pyenv keeps its versions: $PYENV_ROOT, else `pyenv root`, else ~/.pyenv."""
    root = os.environ.get("PYENV_ROOT")
    if root:
        return Path(root)
    pyenv = shutil.which("pyenv")
    if pyenv is not None:
        try:
            out = subprocess.run(
                [pyenv, "root"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            return Path(out)
    home = Path.home() / ".pyenv"
    return home if home.is_dir() else None


def _version_key(name: str) -> tuple[tuple[int, ...], bool]:
    # Newest first; of equal versions the regular build before a free-threaded "3.13.0t".
    return tuple(int(part) for part in re.findall(r"\d+", name)), not name.endswith("t")


def pyenv_interpreters(root: Path) -> list[str]:
    """Executables of pyenv's CPython >= 3.9 and PyPy 3 versions, newest first.

    pyenv-virtualenv environments appear in versions/ as symlinks; they are left out so that
    tox builds on a base interpreter, not on somebody's virtualenv.
    """
    versions = root / "versions"
    if not versions.is_dir():
        return []
    found: list[tuple[tuple[tuple[int, ...], bool], str]] = []
    for entry in versions.iterdir():
        if entry.is_symlink() or not entry.is_dir():
            continue
        cpython = _CPYTHON_DIR.match(entry.name)
        if cpython is not None:
            if (int(cpython.group(1)), int(cpython.group(2))) < MIN_CPYTHON:
                continue
            names = ["python3"]
        elif _PYPY_DIR.match(entry.name):
            names = ["pypy3", "python3"]
        else:
            continue
        for name in names:
            exe = entry / "bin" / name
            if os.access(exe, os.X_OK):
                found.append((_version_key(entry.name), str(exe)))
                break
    found.sort(reverse=True)
    return [exe for _, exe in found]


def path_pypy(root: Path | None) -> list[str]:
    """A `pypy3` on PATH (e.g. Debian's /usr/bin/pypy3), unless it is only a pyenv shim."""
    exe = shutil.which("pypy3")
    if exe is None:
        return []
    if root is not None and Path(exe).parent == root / "shims":
        return []
    return [exe]


def extra_interpreters() -> list[str]:
    """Every interpreter this plugin offers to tox's discovery, in the order tried."""
    root = pyenv_root()
    found = pyenv_interpreters(root) if root is not None else []
    return found + path_pypy(root)


@impl
def tox_add_core_config(core_conf: ConfigSet, state: State) -> None:
    """Extend `--discover` once, before any env looks for its interpreter."""
    del core_conf  # part of the hook's signature; the options live on the state
    options = state.conf.options
    discover = list(getattr(options, "discover", None) or [])
    discover.extend(exe for exe in extra_interpreters() if exe not in discover)
    options.discover = discover
