"""The per-module table of a mutmut run (``tox -e mutation``), read from ``mutants/``.

mutmut 3 keeps each mutated file's verdicts in ``mutants/<path>.meta`` (JSON: the exit code of
the test run per mutant).  ``python -m tests.mutation_report`` prints, per module, how many
mutants were killed, survived, timed out, had no test reaching them, or ended otherwise
(segfault, suspicious, not checked), then the names of the checked mutants that were not
killed, which the triage (tests/mutation-triage.md) accounts for one by one.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

#: mutmut 3.8's reading of a test run's exit code (mutmut/stats.py), the codes it writes.
_STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    36: "timeout",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
}
COLUMNS = ("killed", "survived", "timeout", "no tests", "other")


def status(exit_code: int | None) -> str:
    """The column a mutant's exit code counts in."""
    return "other" if exit_code is None else _STATUS.get(exit_code, "other")


def verdicts(root: Path) -> dict[str, dict[str, int | None]]:
    """Per module (dotted name), each mutant's exit code."""
    found: dict[str, dict[str, int | None]] = {}
    for meta in sorted(root.glob("pyepoll/**/*.py.meta")):
        module = ".".join(meta.relative_to(root).with_suffix("").with_suffix("").parts)
        found[module.removesuffix(".__init__")] = json.loads(meta.read_text())["exit_code_by_key"]
    return found


def table(found: dict[str, dict[str, int | None]]) -> list[str]:
    """A Markdown table: one row per module, then the total."""
    lines = ["| module | " + " | ".join(COLUMNS) + " | total |", "|---" * (len(COLUMNS) + 2) + "|"]
    total: Counter[str] = Counter()
    for module, codes in found.items():
        counts = Counter(status(code) for code in codes.values())
        total.update(counts)
        cells = " | ".join(str(counts[column]) for column in COLUMNS)
        lines.append(f"| `{module}` | {cells} | {len(codes)} |")
    cells = " | ".join(str(total[column]) for column in COLUMNS)
    lines.append(f"| all | {cells} | {sum(total.values())} |")
    return lines


def main(root: Path) -> None:
    found = verdicts(root)
    print("\n".join(table(found)))
    for codes in found.values():
        for name, code in codes.items():
            if code is not None and status(code) not in ("killed", "timeout"):
                print(status(code), name)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "mutants"))
