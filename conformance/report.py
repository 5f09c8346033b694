"""Turning per-test rows into per-clause results, and those into table, JSON or JUnit XML.

A clause may have several tests per implementation (a parametrized group); its result for an
implementation is the worst of them: fail, then implementation-defined, then pass, then skip,
then n/a (n/a only when every test of the clause was not applicable).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import Any

from conformance.adapters import Adapter
from conformance.catalogue import KINDS, Clause
from conformance.collect import FAIL, IDEF, NA, PASS, SKIP

#: The runner contract version (conformance/CONTRACT.md).
CONTRACT_VERSION = "1.2"
UNTESTABLE, NOT_RUN = "untestable", "not run"
_RANK = {FAIL: 0, IDEF: 1, PASS: 2, SKIP: 3, NA: 4}
_CELL = {
    FAIL: "FAIL",
    IDEF: "impl-def",
    PASS: "pass",
    SKIP: "skip",
    NA: "n/a",
    UNTESTABLE: "untestable",
    NOT_RUN: "-",
}

Results = dict[str, dict[str, dict[str, Any]]]


def aggregate(rows: Iterable[dict[str, Any]]) -> Results:
    """clause -> implementation -> {outcome, message, tests}."""
    results: Results = {}
    for row in rows:
        if not row.get("clause") or not row.get("impl"):
            continue
        cell = results.setdefault(row["clause"], {}).setdefault(
            row["impl"], {"outcome": NA, "message": "", "tests": 0}
        )
        cell["tests"] += 1
        if _RANK[row["outcome"]] < _RANK[cell["outcome"]] or cell["tests"] == 1:
            cell["outcome"], cell["message"] = row["outcome"], row["message"]
    return results


def outcome(results: Results, clause: Clause, impl: str) -> str:
    if not clause.testable:
        return UNTESTABLE
    return str(results.get(clause.id, {}).get(impl, {}).get("outcome", NOT_RUN))


def summary(results: Results, clauses: Sequence[Clause], impls: Sequence[str]) -> dict[str, Any]:
    out: dict[str, dict[str, int]] = {}
    for impl in impls:
        counts = out.setdefault(impl, {})
        for clause in clauses:
            key = outcome(results, clause, impl)
            counts[key] = counts.get(key, 0) + 1
    return out


def failed(results: Results) -> bool:
    return any(cell["outcome"] == FAIL for row in results.values() for cell in row.values())


def table(results: Results, clauses: Sequence[Clause], impls: Sequence[str]) -> str:
    """The clause x implementation matrix (with each clause's kind), then the failures with
    their messages."""
    width = max([len("clause")] + [len(c.id) for c in clauses]) + 2
    kind = max(len(k) for k in KINDS) + 2
    cols = [max(len(name), 10) + 2 for name in impls]
    head = "clause".ljust(width) + "kind".ljust(kind)
    lines = [(head + "".join(n.ljust(w) for n, w in zip(impls, cols))).rstrip()]
    lines.append("-" * (width + kind + sum(cols) - 2))
    for clause in clauses:
        cells = [_CELL[outcome(results, clause, impl)].ljust(w) for impl, w in zip(impls, cols)]
        lines.append((clause.id.ljust(width) + clause.kind.ljust(kind) + "".join(cells)).rstrip())
    lines.append("")
    for impl, counts in summary(results, clauses, impls).items():
        shown = ", ".join(
            f"{counts[k]} {_CELL[k] if k != NOT_RUN else k}"
            for k in (PASS, FAIL, IDEF, SKIP, NA, UNTESTABLE, NOT_RUN)
            if k in counts
        )
        lines.append(f"{impl}: {shown}")
    notes = [
        (c.id, impl, results[c.id][impl])
        for c in clauses
        for impl in impls
        if outcome(results, c, impl) in (FAIL, IDEF)
    ]
    if notes:
        lines.append("")
    for cid, impl, cell in notes:
        lines.append(f"{_CELL[cell['outcome']]} {cid} [{impl}]: {cell['message']}")
    return "\n".join(lines) + "\n"


def to_json(
    results: Results,
    clauses: Sequence[Clause],
    adapters: Sequence[Adapter],
    errors: Sequence[str],
    proof: Any = None,
) -> str:
    """The whole report as one JSON object; with ``--prove``, *proof* (a
    :class:`conformance.proof.Proof`) adds its ``proof`` section."""
    impls = [a.name for a in adapters]
    document = {
        "contract": CONTRACT_VERSION,
        "implementations": [
            {"name": a.name, "description": a.description, "capabilities": sorted(a.capabilities)}
            for a in adapters
        ],
        "clauses": [c.as_dict() for c in clauses],
        "results": {c.id: {impl: _json_cell(results, c, impl) for impl in impls} for c in clauses},
        "summary": summary(results, clauses, impls),
        "summary_by_kind": {
            kind: summary(results, [c for c in clauses if c.kind == kind], impls) for kind in KINDS
        },
        "errors": list(errors),
    }
    if proof is not None:
        document["proof"] = proof.as_dict()
    return json.dumps(document, indent=2) + "\n"


def _json_cell(results: Results, clause: Clause, impl: str) -> dict[str, Any]:
    cell = results.get(clause.id, {}).get(impl)
    if not clause.testable:
        return {"outcome": UNTESTABLE, "message": clause.untestable}
    if cell is None:
        return {"outcome": NOT_RUN, "message": ""}
    return {"outcome": cell["outcome"], "message": cell["message"], "tests": cell["tests"]}


def to_junit(
    results: Results, clauses: Sequence[Clause], impls: Sequence[str], errors: Sequence[str]
) -> str:
    """One testsuite per implementation, one testcase per clause."""
    root = ET.Element("testsuites", name="epoll conformance")
    for impl in impls:
        suite = ET.SubElement(root, "testsuite", name=impl)
        counts = {"tests": 0, "failures": 0, "skipped": 0, "errors": 0}
        for clause in clauses:
            result = outcome(results, clause, impl)
            if result == NOT_RUN:
                continue
            counts["tests"] += 1
            case = ET.SubElement(
                suite, "testcase", classname=clause.id.split(".")[0], name=clause.id
            )
            message = _message(results, clause, impl)
            if result == FAIL:
                counts["failures"] += 1
                ET.SubElement(case, "failure", message=message).text = message
            elif result in (SKIP, NA, UNTESTABLE):
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=f"{result}: {message}")
            elif result == IDEF:
                ET.SubElement(case, "system-out").text = f"{IDEF}: {message}"
        for key, value in counts.items():
            suite.set(key, str(value))
    for error in errors:
        suite = ET.SubElement(root, "testsuite", name="suite errors", tests="1", errors="1")
        case = ET.SubElement(suite, "testcase", classname="conformance", name="collection")
        ET.SubElement(case, "error", message=error.splitlines()[0]).text = error
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _message(results: Results, clause: Clause, impl: str) -> str:
    if not clause.testable:
        return clause.untestable or ""
    cell: dict[str, Any] | None = results.get(clause.id, {}).get(impl)
    return "" if cell is None else str(cell["message"])
