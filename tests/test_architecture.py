"""The package's shape holds: the checker stays independent of what it checks, one
module owns the solver's private parts, and no module reaches into another's
private names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "advisor"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every ``from M import N`` and ``import M`` (name "")."""
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
    return found


def test_only_verify_imports_the_checker() -> None:
    importers = {
        _name(path)
        for path in MODULES
        for module, name in _imports(path)
        if module == "advisor.checker" or (module == "advisor" and name == "checker")
    }
    assert importers == {"advisor.solving.verify"}


@pytest.mark.parametrize("private", ["_solver_model", "_pyomo_var_to_solver_var_map"])
def test_only_the_session_touches_the_solver_interfaces_private_parts(private: str) -> None:
    """The session, and the hand-off of its model to HiGHS (a subclass of Pyomo's)."""
    users = {_name(p) for p in MODULES if private in p.read_text(encoding="utf-8")}
    assert users <= {"advisor.solving.session", "advisor.solving.handoff"}
    assert "advisor.solving.session" in users


def test_no_module_imports_another_modules_private_names() -> None:
    reaching = [
        f"{_name(path)}: from {module} import {name}"
        for path in MODULES
        for module, name in _imports(path)
        if module.startswith("advisor") and name.startswith("_") and not name.startswith("__")
    ]
    assert reaching == []


def test_the_stages_import_downstream_only() -> None:
    """inputs know nothing of solving; solving nothing of analysis, reports or the CLI;
    reports nothing of the CLI."""
    forbidden = {
        "advisor.inputs": ("advisor.solving", "advisor.analysis", "advisor.report", "advisor.cli"),
        "advisor.solving": ("advisor.analysis", "advisor.report", "advisor.cli"),
        "advisor.analysis": ("advisor.report", "advisor.cli"),
        "advisor.report": ("advisor.cli",),
    }
    wrong = [
        f"{_name(path)} imports {module}"
        for path in MODULES
        for stage, banned in forbidden.items()
        if _name(path).startswith(stage)
        for module, _ in _imports(path)
        if module.startswith(banned)
    ]
    assert wrong == []
