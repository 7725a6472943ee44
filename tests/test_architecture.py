"""The import rule of docs/ARCHITECTURE.md, held by reading every module's imports.

A stage never imports a later stage; only ``shelfai.pipeline`` knows what comes next. Entry points
(views, APIs, serializers, admin, commands) may read any stage. Nobody hides an import of another
package in a function body, and the pure cores import no Django.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Earlier layers first. A module may import its own layer's packages only if it is in the same
# package (no sideways imports between, say, vision and authenticity), and any earlier layer.
LAYERS: list[set[str]] = [
    {"shelfai.env", "shelfai.settings", "shelfai.celery", "shelfai.pil_safety", "shelfai.tasks_common",
     "shelfai.csvfiles", "shelfai.api_errors", "shelfai.formats"},  # foundations
    {"shelfai.vision", "shelfai.authenticity"},                    # pure cores: pixels in, dataclasses out
    {"shelfai.accounts"},
    {"shelfai.stores"},                                            # master data
    {"shelfai.visits"},                                            # intake; stage 1 (authenticity) rows
    {"shelfai.detection"},                                         # stage 2
    {"shelfai.compliance"},                                        # stage 3 (and the placement rules)
    {"shelfai.review"},                                            # a reviewer's decisions, read by claims
    {"shelfai.claims"},                                            # stages 4 and 5
    {"shelfai.pipeline"},                                          # the journey: knows every stage
    {"shelfai.alerts"},                                            # reads every stage's facts; nobody calls it
    {"analytics", "forecasting"},                                  # readers of the facts
    {"shelfai.web", "shelfai.urls", "shelfai.wsgi", "shelfai.asgi"},
]
PURE = {"shelfai.vision", "shelfai.authenticity"}
ENTRY_POINT_MODULES = {"api", "views", "serializers", "urls", "admin", "forms"}


def layer_of(package: str) -> int:
    for index, layer in enumerate(LAYERS):
        if package in layer:
            return index
    raise AssertionError(f"{package} is in no layer of tests/test_architecture.py: add it where it belongs")


def package_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "shelfai" and len(parts) > 1:
        return f"shelfai.{parts[1]}"
    if parts[0] in ("analytics", "forecasting"):
        return parts[0]
    return None


def is_entry_point(path: Path) -> bool:
    return path.stem in ENTRY_POINT_MODULES or "commands" in path.parts or "templatetags" in path.parts


def modules(root: Path):
    for top in ("shelfai", "analytics", "forecasting"):
        for path in sorted((root / top).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ".".join(path.relative_to(root).with_suffix("").parts)


def imports_of(path: Path):
    """(imported module, line, inside a function?) for every ``from x import`` / ``import x``."""
    tree = ast.parse(path.read_text())
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_function |= {id(sub) for sub in ast.walk(node) if sub is not node}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            yield names, node.lineno, id(node) in in_function
        elif isinstance(node, ast.Import):
            yield [a.name for a in node.names], node.lineno, id(node) in in_function


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for path, module in modules(root):
        own = package_of(module)
        if own is None or module == "shelfai.__init__":  # the package root only starts the Celery app
            continue
        for names, line, in_function in imports_of(path):
            # "from shelfai import celery" names the module shelfai.celery, so look at every name.
            targets = {package_of(n) for n in names} - {None, own}
            for target in sorted(targets):
                where = f"{path.relative_to(root)}:{line} imports {target}"
                if in_function:
                    found.append(f"{where} inside a function body (import it at the top, or move the code)")
                if own in PURE and target not in PURE | {"shelfai.pil_safety"}:
                    found.append(f"{where}: a pure core imports only other pure code")
                if layer_of(target) > layer_of(own) and not (is_entry_point(path) and target not in LAYERS[-1]):
                    found.append(f"{where}: a later layer than {own}")
                if layer_of(target) == layer_of(own) > 0 and not is_entry_point(path):
                    found.append(f"{where}: sideways, within one layer")
    return found


def test_every_import_follows_the_pipelines_order():
    assert violations() == []


@pytest.mark.parametrize("package", sorted(PURE))
def test_pure_cores_import_no_django(package):
    folder = ROOT.joinpath(*package.split("."))
    used = [f"{path.relative_to(ROOT)}:{line}" for path in folder.rglob("*.py")
            for names, line, _ in imports_of(path) if any(n == "django" or n.startswith("django.") for n in names)]
    assert used == []


def test_the_rule_catches_a_stage_calling_the_next(tmp_path):
    """The checker itself: a scoring module that imports claims is caught, and so is a hidden import."""
    fake = tmp_path / "shelfai" / "compliance"
    fake.mkdir(parents=True)
    (fake / "services.py").write_text(
        "from shelfai.claims.models import ExpenseClaim\n\ndef f():\n    from shelfai.detection import engine\n")
    (fake / "views.py").write_text("from shelfai.claims.models import ExpenseClaim\n")  # an entry point may
    found = violations(tmp_path)
    assert len(found) == 2, found
    assert any("imports shelfai.claims: a later layer" in v for v in found)
    assert any("imports shelfai.detection inside a function body" in v for v in found)
