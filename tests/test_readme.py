"""The Python snippets of the README and of the documentation pages run as written, on this
interpreter."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SNIPPETS = {
    f"{page.stem}{i}": code
    for page in PAGES
    for i, code in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), re.S))
}


def test_pages_have_snippets() -> None:
    assert "README0" in SNIPPETS and len(SNIPPETS) >= 4


@pytest.mark.parametrize("code", SNIPPETS.values(), ids=list(SNIPPETS))
def test_snippet_runs(code: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
