"""The deduction rules sit below the report: ``scoring`` imports ``rules``, never the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

import shelfai.compliance

COMPLIANCE = Path(shelfai.compliance.__file__).parent


def _imports(name: str) -> set[str]:
    tree = ast.parse((COMPLIANCE / f"{name}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_rules_and_the_shared_types_do_not_import_scoring():
    assert "shelfai.compliance.scoring" not in _imports("rules")
    assert not {m for m in _imports("types") if m.startswith("shelfai.")}
