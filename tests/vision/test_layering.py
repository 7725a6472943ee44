"""The runtime vision code stays a pure core: no Django, and nothing from the offline tools.

Checked on the source (the import statements), not by importing: a lazy import inside a function counts
too, since it runs in the worker as soon as that function does.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import shelfai.vision

VISION = Path(shelfai.vision.__file__).parent
RUNTIME = sorted(p for p in VISION.glob("*.py") if p.name != "__init__.py")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            # ``from shelfai.vision import offline`` names the package in the alias, not the module
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_runtime_modules_are_the_ones_the_offline_package_names():
    assert {p.stem for p in RUNTIME} == {"detector", "evidence", "gaps", "pipeline", "quality", "rows", "sku",
                                         "types"}


@pytest.mark.parametrize("path", RUNTIME, ids=lambda p: p.stem)
def test_a_runtime_module_imports_neither_the_offline_tools_nor_django(path):
    imported = _imports(path)
    assert not {name for name in imported if name.startswith("shelfai.vision.offline")}
    assert not {name for name in imported if name == "django" or name.startswith("django.")}
