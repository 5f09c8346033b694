"""The kill matrix (``python -m conformance --prove``): does each clause catch its violators?

A testable clause is *proven* when the suite failed it for at least one violator registered
against it (:mod:`conformance.violators`) and no real implementation (the built-ins) failed it,
at least one of them passing it. Otherwise it is *unproven*, with the reason: no violator, every
violator passed it (or it was n/a, skipped or not run for them), or a real implementation failed
or never passed it. What a violator fails beyond the clauses it names is its *collateral*:
allowed, but listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.catalogue import CATALOGUE, Clause
from conformance.collect import FAIL, IDEF, PASS
from conformance.report import Results, outcome
from conformance.violators import Violator

PROVEN, UNPROVEN = "proven", "unproven"
_PREFIX = "conformance.violators."


def short(name: str) -> str:
    """A violator's name without the package prefix (``ctl:SwallowsEexist``)."""
    return name[len(_PREFIX) :] if name.startswith(_PREFIX) else name


@dataclass
class ClauseProof:
    clause: Clause
    #: Outcome of the clause for each violator registered against it.
    violators: dict[str, str]
    #: Outcome of the clause for each real implementation.
    real: dict[str, str]
    verdict: str = UNPROVEN
    reason: str = ""

    @property
    def kind(self) -> str | None:
        kind = getattr(self.clause, "kind", None)
        return None if kind is None else str(kind)

    @property
    def real_verdict(self) -> str:
        """``pass`` (none failed, one passed at least), ``FAIL``, or ``no pass``."""
        if FAIL in self.real.values():
            return "FAIL"
        return "pass" if {PASS, IDEF} & set(self.real.values()) else "no pass"


@dataclass
class Proof:
    clauses: list[ClauseProof]
    #: For each violator, the clauses it failed without naming them.
    collateral: dict[str, list[str]]
    violators: Mapping[str, Violator]
    #: Violators naming a clause the catalogue does not have: (violator, clause ID).
    unknown: list[tuple[str, str]] = field(default_factory=list)

    @property
    def proven(self) -> int:
        return sum(1 for c in self.clauses if c.verdict == PROVEN)

    @property
    def complete(self) -> bool:
        """Every testable clause proven, and no violator names an unknown clause."""
        return self.proven == len(self.clauses) and not self.unknown

    def as_dict(self) -> dict[str, Any]:
        return {
            "testable": len(self.clauses),
            "proven": self.proven,
            "clauses": {
                c.clause.id: {
                    "kind": c.kind,
                    "verdict": c.verdict,
                    "reason": c.reason,
                    "violators": c.violators,
                    "real": c.real,
                }
                for c in self.clauses
            },
            "violators": {
                v.name: {
                    "clauses": list(v.clauses),
                    "mistake": v.mistake,
                    "collateral": self.collateral.get(v.name, []),
                }
                for v in self.violators.values()
            },
            "unknown_clauses": [list(pair) for pair in self.unknown],
        }


def prove(
    results: Results,
    clauses: Sequence[Clause],
    violators: Mapping[str, Violator],
    real: Iterable[str],
) -> Proof:
    """The verdict on each testable clause of *clauses*, from the run's *results*."""
    real = list(real)
    proofs = []
    for clause in clauses:
        if not clause.testable:
            continue
        targets = [v.name for v in violators.values() if clause.id in v.clauses]
        proofs.append(
            _verdict(
                ClauseProof(
                    clause,
                    {name: outcome(results, clause, name) for name in targets},
                    {name: outcome(results, clause, name) for name in real},
                )
            )
        )
    collateral = {
        v.name: [
            c.id for c in clauses if c.id not in v.clauses and outcome(results, c, v.name) == FAIL
        ]
        for v in violators.values()
    }
    unknown = [(v.name, c) for v in violators.values() for c in v.clauses if c not in CATALOGUE]
    return Proof(proofs, {k: v for k, v in collateral.items() if v}, violators, unknown)


def _verdict(proof: ClauseProof) -> ClauseProof:
    failed_real = [name for name, result in proof.real.items() if result == FAIL]
    if failed_real:
        proof.reason = f"a real implementation failed it: {', '.join(failed_real)}"
    elif proof.real_verdict != "pass":
        shown = ", ".join(f"{name} {result}" for name, result in proof.real.items())
        proof.reason = f"no real implementation passed it ({shown})"
    elif not proof.violators:
        proof.reason = "no violator"
    elif FAIL in proof.violators.values():
        proof.verdict = PROVEN
    else:
        shown = ", ".join(f"{short(name)} {result}" for name, result in proof.violators.items())
        proof.reason = f"no violator failed it ({shown})"
    return proof


def table(proof: Proof) -> str:
    """One line per testable clause, then the unproven with their reasons, the collateral,
    and the count."""
    width = max([len("clause")] + [len(c.clause.id) for c in proof.clauses]) + 2
    lines = [f"{'clause'.ljust(width)}{'kind':9}{'verdict':10}{'real':9}violators"]
    lines.append("-" * (width + 40))
    for c in proof.clauses:
        shown = ", ".join(
            f"{short(name)} {'FAIL' if result == FAIL else result}"
            for name, result in c.violators.items()
        )
        lines.append(
            f"{c.clause.id.ljust(width)}{c.kind or '-':9}{c.verdict:10}{c.real_verdict:9}"
            f"{shown or '(none)'}".rstrip()
        )
    unproven = [c for c in proof.clauses if c.verdict != PROVEN]
    if unproven:
        lines += ["", f"Unproven ({len(unproven)}):"]
        lines += [f"  {c.clause.id}: {c.reason}" for c in unproven]
    if proof.unknown:
        lines += ["", "Violators naming clauses the catalogue does not have:"]
        lines += [f"  {short(name)}: {clause_id}" for name, clause_id in proof.unknown]
    if proof.collateral:
        lines += ["", "Collateral (clauses a violator fails without naming them):"]
        lines += [f"  {short(name)}: {', '.join(ids)}" for name, ids in proof.collateral.items()]
    lines += ["", f"{proof.proven} of {len(proof.clauses)} testable clauses proven"]
    return "\n".join(lines) + "\n"
