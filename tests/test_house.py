"""The house rules that a reader relies on: imports point one way, modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(p for package in ("crawler", "pipelines") for p in (ROOT / package).rglob("*.py"))
MAX_LINES = 320  # "split a module by concept when it passes ~300 lines" (DESIGN.md)


def imported(path: Path) -> set[str]:
    """Every module name ``path`` imports, at any depth (lazy imports in functions too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path", [p for p in MODULES if p.relative_to(ROOT).parts[0] == "pipelines"], ids=lambda p: str(p.relative_to(ROOT))
)
def test_pipelines_never_import_crawler(path):
    assert not {name for name in imported(path) if name == "crawler" or name.startswith("crawler.")}


def test_modules_stay_small():
    big = {
        str(p.relative_to(ROOT)): n
        for p in MODULES
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not big
