"""The ``epoll-catalogue`` directive: the clause catalogue, rendered from the code.

The conformance suite's catalogue (``conformance/catalogue``) is the controlled vocabulary of
clause IDs; this directive renders it when the documentation is built, page by page, so the
published catalogue is always the one the runner uses.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

from conformance.catalogue import CATALOGUE, Clause


def _escape(text: str) -> str:
    """*text* as literal reStructuredText (man-page quotes hold *, |, _ and backquotes)."""
    return re.sub(r"([\\`*_|\[\]<>:])", r"\\\1", text)


def _rst(clause: Clause) -> list[str]:
    facts = [f"*{_escape(clause.section)}*"]
    kind = getattr(clause, "kind", None)
    if kind:
        facts.append(f"kind: **{kind}**")
    if clause.min_kernel:
        facts.append("Linux " + ".".join(map(str, clause.min_kernel)) + "+")
    if clause.impl_defined:
        facts.append("implementation-defined")
    lines = [
        f".. _clause-{clause.id}:",
        "",
        f"``{clause.id}``",
        f"   {' · '.join(facts)}",
        "",
        "   .. epigraph::",
        "",
        f"      {_escape(clause.quote)}",
        "",
        f"   Source: {_escape(clause.source)}.",
    ]
    if not clause.testable:
        lines += ["", f"   **Untestable**: {_escape(clause.untestable or '')}"]
    return [*lines, ""]


class CatalogueDirective(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        pages: dict[str, list[Clause]] = defaultdict(list)
        for clause in CATALOGUE.values():
            pages[clause.page].append(clause)
        text: list[str] = []
        for page, clauses in pages.items():
            testable = sum(c.testable for c in clauses)
            title = _escape(f"{page} — {len(clauses)} clauses, {testable} testable")
            text += [title, "-" * len(title), ""]
            if "(" in page:  # a man page (its mention becomes a link), not kernel behaviour
                text += [f"From the manual page {page}.", ""]
            for clause in clauses:
                text += _rst(clause)
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(text, "<epoll-catalogue>"), container)
        return list(container.children)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("epoll-catalogue", CatalogueDirective)
    return {"parallel_read_safe": True}
