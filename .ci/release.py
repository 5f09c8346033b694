"""Check the release artifacts the way a user receives them (tox env ``release``).

1. ``python -m build`` makes the sdist and the wheel into a fresh directory;
2. ``twine check`` validates their metadata (the README must render on PyPI);
3. the wheel holds pyepoll and only pyepoll (conformance/ and fuzz/ run from a checkout);
4. the wheel is installed into a new virtual environment made by the system's ``python3`` when
   it is an externally managed one (PEP 668: Debian 12+, Ubuntu 23.04+), where a plain
   ``pip install`` is refused, else by this interpreter;
5. the conformance runner, copied out of the checkout so that nothing can import the
   checkout's pyepoll, runs against the installed wheel on both backends and must pass.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    print("release:", " ".join(args), flush=True)
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(
            f"release: FAILED ({proc.returncode}): {' '.join(args)}\n{proc.stdout}{proc.stderr}"
        )
    return proc.stdout


def system_python() -> str:
    """The system python3 if it is externally managed (the hard case), else this one."""
    system = shutil.which("python3", path="/usr/bin")
    if system:
        stdlib = subprocess.run(
            [system, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if stdlib and os.path.exists(os.path.join(stdlib, "EXTERNALLY-MANAGED")):
            return system
    return sys.executable


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="pyepoll-release-"))
    try:
        dist = work / "dist"
        run(sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT))
        artifacts = sorted(glob.glob(str(dist / "*")))
        run(sys.executable, "-m", "twine", "check", "--strict", *artifacts)
        (wheel,) = glob.glob(str(dist / "*.whl"))
        tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
        stray = {t for t in tops if not t.startswith("pyepoll") and not t.endswith(".pth")}
        if stray:
            sys.exit(f"release: FAILED: the wheel holds more than pyepoll: {sorted(stray)}")

        python = system_python()
        venv = work / "venv"
        run(python, "-m", "venv", str(venv))
        vpython = str(venv / "bin" / "python")
        run(vpython, "-m", "pip", "install", "-q", f"{wheel}[conformance]")
        suite = work / "suite"
        shutil.copytree(
            ROOT / "conformance",
            suite / "conformance",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        where = run(vpython, "-c", "import pyepoll; print(pyepoll.__file__)", cwd=work, env=env)
        if not where.startswith(str(venv)):
            sys.exit(f"release: FAILED: pyepoll imported from {where.strip()}, not the venv")
        out = run(
            vpython,
            "-m",
            "conformance",
            "--impl",
            "pyepoll-libc",
            "--impl",
            "pyepoll-syscall",
            "-n",
            "2",
            cwd=suite,
            env=env,
        )
        print(out.strip().splitlines()[-1] if out.strip() else "")
        print(
            f"release: OK: {', '.join(os.path.basename(a) for a in artifacts)} "
            f"installed into a venv of {python} and conformant"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
