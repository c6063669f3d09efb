"""House rules that keep the code testable: only gateway/ touches Flask, SQLAlchemy and RQ."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = {"flask", "sqlalchemy", "rq", "werkzeug", "redis", "alembic"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", ["channels", "normalizer", "dedupe", "config"])
def test_plain_packages_do_not_import_frameworks(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    offenders = {str(f.relative_to(ROOT)): sorted(imported_roots(f) & FRAMEWORKS) for f in files}
    assert {f: found for f, found in offenders.items() if found} == {}
