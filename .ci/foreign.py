"""A Debian CPython of another architecture, unpacked into a cache directory and run from there.

    python .ci/foreign.py build i386            # build (or reuse) it; print its launcher
    python .ci/foreign.py run aarch64 -- -m pytest -n 2 tests   # run it on the checkout

Nothing foreign is installed on the host: apt reads Debian's package lists for the foreign
architecture into a private state directory inside the cache (the host's dpkg database and
apt lists are not touched, so neither ``dpkg --add-architecture`` nor apt's lock is needed),
``apt-get download`` fetches the interpreter and the shared libraries it needs, and
``dpkg -x`` unpacks them into ``<cache>/root``. The host's pip installs the pure-Python test
dependencies (pyproject's ``test`` extra, wheels only) into that interpreter's own
``dist-packages``, where it finds them without PYTHONPATH (tests that start a child with a
PYTHONPATH of their own still get them). pyepoll itself is the checkout, on PYTHONPATH.

The interpreter runs through its own dynamic loader (i386, natively on an x86-64 kernel's
32-bit compat layer: ``ld-linux.so.2 --library-path``) or under qemu-user (arm64:
``qemu-aarch64-static -L <root>``, from the host package qemu-user-static). Either way the
launcher ``<root>/usr/bin/python3`` is a shell script that hands itself to the loader as
``argv[0]``, so that ``sys.executable`` is the launcher and child processes (pytest-xdist's
workers, the tests' subprocesses) start the same way without binfmt_misc.

The cache is ``${XDG_CACHE_HOME:-~/.cache}/pyepoll-foreign/<arch>``, reused while its stamp
(this script's format version and the requirements) matches; ``--refresh`` rebuilds it.

A machine without apt-get or dpkg (or, for arm64, without qemu-aarch64-static) cannot run the
env: ``run`` then prints a ``foreign: SKIPPED`` line with the reason and exits 0, and .ci/run
reports the env as skipped, loudly. Any other failure (network, a missing package) fails.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

CHECKOUT = Path(__file__).resolve().parent.parent
#: Bump when the layout of the cache changes, so that old caches are rebuilt.
FORMAT = 3
#: What the interpreter needs: the binary, its shared library part and the standard library;
#: and CPython's own regression tests (tests/test_cpython_suite.py runs test_epoll on pyepoll).
ROOTS = (
    "python3.11-minimal", "libpython3.11-minimal", "libpython3.11-stdlib",
    "libpython3.11-testsuite",
)  # fmt: skip
#: Dependencies that only dpkg's maintainer scripts or other programs use, not the interpreter:
#: the MIME tables (mimetypes falls back to its built-in map), readline's inputrc, and what
#: those pull in (perl, dpkg, install-info); net-tools, for a few network regression tests.
NOT_NEEDED = frozenset({"media-types", "mime-support", "mailcap", "readline-common", "net-tools"})
PYTHON = "python3.11"
#: Where Debian's site.py looks for packages, relative to the root (sys.prefix is root/usr).
SITE = "usr/lib/python3/dist-packages"
SKIPPED = "foreign: SKIPPED"


class Arch(NamedTuple):
    """One foreign architecture: Debian's name, the multiarch triplet, pip's platform tag."""

    debian: str
    triplet: str
    platform: str
    #: Its dynamic loader, relative to the root.
    loader: str
    #: ``uname -m`` of the kernels that run it natively.
    native: tuple[str, ...]
    #: qemu-user's executable for it elsewhere, or None where only a native kernel will do.
    qemu: str | None


ARCHES = {
    "i386": Arch(
        "i386", "i386-linux-gnu", "manylinux2014_i686", "lib/ld-linux.so.2",
        ("x86_64", "i686", "i386"), None,
    ),
    "arm64": Arch(
        "arm64", "aarch64-linux-gnu", "manylinux2014_aarch64", "lib/ld-linux-aarch64.so.1",
        ("aarch64",), "qemu-aarch64-static",
    ),
}  # fmt: skip
ALIASES = {"aarch64": "arm64", "i686": "i386"}


class Unavailable(Exception):
    """This host lacks a tool the env needs (not a failure: the env is skipped, loudly)."""


def cache_dir(arch: Arch) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pyepoll-foreign" / arch.debian


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise Unavailable(f"{name} not found on PATH")
    return path


#: Test requirements left out per architecture. Under qemu-user every test runs 10-30x slower,
#: and with cffi installed the suites run once more over pyepoll's cffi FFI: that second pass
#: makes the same system calls through the same emulator, and would not fit CI's time budget.
WITHOUT = {"arm64": ("cffi",)}


def requirements(arch: Arch | None = None) -> list[str]:
    """pyproject's ``test`` extra (a list of double-quoted strings, on one line or several),
    less what :data:`WITHOUT` leaves out for *arch*."""
    text = (CHECKOUT / "pyproject.toml").read_text()
    found = re.search(r"^test = \[(.*?)\]$", text, re.MULTILINE | re.DOTALL)
    if found is None:
        raise SystemExit("foreign: no 'test = [...]' extra in pyproject.toml")
    wanted = re.findall(r'"([^"]+)"', found.group(1))
    left_out = WITHOUT.get(arch.debian, ()) if arch is not None else ()
    return [r for r in wanted if re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0] not in left_out]


def log(message: str) -> None:
    print(f"foreign: {message}", file=sys.stderr, flush=True)


def check(cmd: list[str], **kwargs: object) -> str:
    """Run *cmd* without stdin; its output, or SystemExit with that output on failure."""
    done = subprocess.run(
        cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False, **kwargs
    )  # type: ignore[call-overload]
    if done.returncode != 0:
        output = done.stdout + done.stderr
        raise SystemExit(f"foreign: {' '.join(cmd)} failed ({done.returncode}):\n{output}")
    out: str = done.stdout
    return out


class Apt:
    """apt-get and apt-cache for *arch* with a private state directory under *state*."""

    def __init__(self, arch: Arch, state: Path) -> None:
        for sub in ("lists/partial", "archives/partial"):
            (state / sub).mkdir(parents=True, exist_ok=True)
        (state / "status").touch()
        self.options = [
            f"-oDir::State={state}",
            f"-oDir::State::Lists={state / 'lists'}",
            f"-oDir::State::status={state / 'status'}",
            f"-oDir::Cache={state}",
            f"-oDir::Cache::archives={state / 'archives'}",
            f"-oAPT::Architecture={arch.debian}",
            f"-oAPT::Architectures::={arch.debian}",
            # apt fetches as the unprivileged _apt user, who cannot enter a cache in a
            # directory only root can read; the lists are verified by signature all the same.
            "-oAPT::Sandbox::User=root",
            "-oAcquire::Languages=none",
            "-oDebug::NoLocking=1",
            "-q",
        ]

    def update(self) -> None:
        """apt-get update. An index that fails to download (a mirror caught mid-sync serves
        a file of the wrong size) leaves that suite out, with a warning: the packages then come
        from the suites that did download, and if one is missing, the closure fails loudly."""
        done = subprocess.run(
            [tool("apt-get"), *self.options, "update"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            errors = [line for line in done.stdout.splitlines() if line.startswith("E:")]
            log("WARNING: apt-get update: " + " / ".join(errors or [done.stderr.strip()]))

    def depends(self, names: list[str]) -> dict[str, list[str]]:
        """Each package's Depends and Pre-Depends, the first of each group of alternatives,
        except groups that are all NOT_NEEDED."""
        text = check([tool("apt-cache"), *self.options, "show", "--no-all-versions", *names])
        result: dict[str, list[str]] = {}
        for block in text.strip().split("\n\n"):
            fields = dict(re.findall(r"^([\w-]+): (.*)$", block, re.MULTILINE))
            deps: list[str] = []
            for key in ("Pre-Depends", "Depends"):
                for group in filter(None, fields.get(key, "").split(",")):
                    # "libc6 (>= 2.34)", "media-types | mime-support", "python3:any"
                    alternatives = [re.split(r"[ (:]", alt.strip())[0] for alt in group.split("|")]
                    if not set(alternatives) <= NOT_NEEDED:
                        deps.append(alternatives[0])
            result[fields["Package"]] = deps
        return result

    def closure(self, roots: tuple[str, ...]) -> list[str]:
        """The packages *roots* need, transitively."""
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            batch = sorted(set(todo) - seen)
            todo = []
            seen.update(batch)
            for deps in self.depends(batch).values():
                todo.extend(dep for dep in deps if dep not in seen)
        return sorted(seen)

    def download(self, names: list[str], into: Path) -> list[Path]:
        into.mkdir(parents=True, exist_ok=True)
        check([tool("apt-get"), *self.options, "download", *names], cwd=into)
        return sorted(into.glob("*.deb"))


def emulator(arch: Arch) -> str | None:
    """qemu-user's path where this kernel cannot run *arch* natively, else None."""
    if os.uname().machine in arch.native:
        return None
    if arch.qemu is None:
        raise Unavailable(f"{arch.debian} needs a kernel of {'/'.join(arch.native)}")
    return tool(arch.qemu)


def launcher_script(arch: Arch, root: Path) -> str:
    real = root / "usr" / "bin" / PYTHON
    qemu = emulator(arch)
    if qemu is None:
        libs = f"{root}/lib/{arch.triplet}:{root}/usr/lib/{arch.triplet}"
        run = f'"{root / arch.loader}" --argv0 "$0" --library-path "{libs}" "{real}"'
    else:
        run = f'"{qemu}" -L "{root}" -0 "$0" "{real}"'
    return f'#!/bin/sh\n# {arch.debian} {PYTHON}, made by pyepoll/.ci/foreign.py\nexec {run} "$@"\n'


def stamp_of(arch: Arch) -> dict[str, object]:
    return {"format": FORMAT, "arch": arch.debian, "requirements": requirements(arch)}


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """One builder per cache directory at a time (two CI runs may share a cache)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build(arch: Arch, refresh: bool = False) -> Path:
    """The launcher of *arch*'s interpreter, building the cache first where needed."""
    emulator(arch)
    for name in ("apt-get", "apt-cache", "dpkg"):
        tool(name)
    cache = cache_dir(arch)
    launcher = cache / "root" / "usr" / "bin" / "python3"
    stamp = cache / "stamp.json"
    with locked(cache):
        if not refresh and stamp.is_file() and json.loads(stamp.read_text()) == stamp_of(arch):
            return launcher
        log(f"building the {arch.debian} interpreter in {cache}")
        stamp.unlink(missing_ok=True)
        for old in ("root", "debs"):
            shutil.rmtree(cache / old, ignore_errors=True)
        apt = Apt(arch, cache / "apt")
        apt.update()
        packages = apt.closure(ROOTS)
        log(f"{len(packages)} packages: {' '.join(packages)}")
        for deb in apt.download(packages, cache / "debs"):
            check([tool("dpkg"), "-x", str(deb), str(cache / "root")])
        shutil.rmtree(cache / "debs")
        launcher.write_text(launcher_script(arch, cache / "root"))
        launcher.chmod(0o755)
        pip_install(arch, cache / "root" / SITE)
        stamp.write_text(json.dumps(stamp_of(arch)))
    return launcher


def pip_install(arch: Arch, target: Path) -> None:
    """The test dependencies, as wheels for *arch*'s CPython 3.11, with the host's pip."""
    with tempfile.TemporaryDirectory() as tmp:
        check(
            [
                sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "--no-input", "--target", str(target), "--only-binary=:all:",
                "--platform", arch.platform, "--implementation", "cp",
                "--python-version", "3.11", "--abi", "cp311", *requirements(arch),
            ],
            env={**os.environ, "PIP_CACHE_DIR": str(Path(tmp) / "pip")},
        )  # fmt: skip


def environment() -> dict[str, str]:
    """The environment the foreign interpreter runs the checkout in."""
    env = dict(os.environ)
    for name in ("PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONEXECUTABLE"):
        env.pop(name, None)
    env["PYTHONPATH"] = str(CHECKOUT)
    env["PYTHONNOUSERSITE"] = "1"
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["build", "run"])
    parser.add_argument("arch", choices=sorted([*ARCHES, *ALIASES]))
    parser.add_argument("--refresh", action="store_true", help="rebuild the cache")
    parser.add_argument("args", nargs="*", help="run: the interpreter's arguments (after --)")
    options = parser.parse_args(argv)
    arch = ARCHES[ALIASES.get(options.arch, options.arch)]
    try:
        launcher = build(arch, options.refresh)
    except Unavailable as exc:
        print(f"{SKIPPED} {options.arch}: {exc}; this env did not run", flush=True)
        return 0
    if options.command == "build":
        print(launcher)
        return 0
    os.chdir(CHECKOUT)
    os.execve(str(launcher), [str(launcher), *options.args], environment())


if __name__ == "__main__":
    sys.exit(main())
