"""House rules that keep the code testable and each channel in one home: only gateway/ touches Flask, SQLAlchemy
and RQ; the plain packages never reach into gateway/; no channel package imports another channel's."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = {"flask", "sqlalchemy", "rq", "werkzeug", "redis", "alembic"}
PLAIN = ["channels", "normalizer", "dedupe", "config", "dispatch"]
# Packages under channels/ and gateway/ that every chat channel shares: not channels themselves.
SHARED = {"chat"}
# dedupe/cluster.py reads report times with channels.times; the dedupe work moves that parser out of channels/.
KNOWN_PLAIN_TO_CHANNELS = {("dedupe/cluster.py", "channels.times")}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module a file imports, at any depth (`from a import b` counts as `a` and `a.b`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _files(package: str) -> list[Path]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    return files


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def channel_packages() -> set[str]:
    """The channel packages: every package under channels/ and gateway/ that is not shared by several channels."""
    found = set()
    for side in ("channels", "gateway"):
        found |= {p.parent.name for p in (ROOT / side).glob("*/__init__.py")}
    return found - SHARED - {"console", "web", "migrations", "static"}


@pytest.mark.parametrize("package", PLAIN)
def test_plain_packages_do_not_import_frameworks(package):
    offenders = {_rel(f): sorted({m.split(".")[0] for m in imported_modules(f)} & FRAMEWORKS) for f in _files(package)}
    assert {f: found for f, found in offenders.items() if found} == {}


@pytest.mark.parametrize("package", PLAIN)
def test_plain_packages_never_import_gateway(package):
    offenders = {_rel(f): sorted(m for m in imported_modules(f) if m.split(".")[0] == "gateway")
                 for f in _files(package)}
    assert {f: found for f, found in offenders.items() if found} == {}


@pytest.mark.parametrize("package", ["normalizer", "dedupe", "config", "dispatch"])
def test_the_pipeline_packages_do_not_depend_on_channel_adapters(package):
    offenders = {(_rel(f), m) for f in _files(package) for m in imported_modules(f) if m.split(".")[0] == "channels"}
    assert {(f, m) for f, m in offenders
            if not any(f == known_file and (m + ".").startswith(known + ".")
                       for known_file, known in KNOWN_PLAIN_TO_CHANNELS)} == set()


def test_no_channel_package_imports_another():
    channels = channel_packages()
    assert {"wechat", "sms", "hotline", "mobile_app", "partner_webhook"} <= channels
    offenders = []
    for side in ("channels", "gateway"):
        for name in sorted(channels):
            package = ROOT / side / name
            if not package.is_dir():
                continue
            for f in sorted(package.rglob("*.py")):
                for module in imported_modules(f):
                    parts = module.split(".")
                    if len(parts) > 1 and parts[0] in ("channels", "gateway") and parts[1] in channels - {name}:
                        offenders.append((_rel(f), module))
    assert offenders == []


def test_each_registered_channel_lives_in_its_own_package():
    from gateway.registry import CHANNELS

    homes = [spec.blueprint.import_name.split(".")[:2] for spec in CHANNELS]
    assert all(root == "gateway" and pkg in channel_packages() for root, pkg in homes), homes
    assert len({pkg for _, pkg in homes}) == len(homes)


def test_this_rule_catches_a_cross_channel_import(tmp_path):
    # The check reads what a file imports, including imports inside functions.
    sample = tmp_path / "intake.py"
    sample.write_text("def f():\n    from gateway.wechat import intake\n    from channels.chat.intents import x\n")
    assert imported_modules(sample) == {"gateway.wechat", "gateway.wechat.intake", "channels.chat.intents",
                                        "channels.chat.intents.x"}
