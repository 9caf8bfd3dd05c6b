"""Meta-tests: layering, docstrings of the public API, error pickling, CLI help."""

from __future__ import annotations

import ast
import inspect
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import forcedsync_kit
from forcedsync_kit import errors
from forcedsync_kit.cli import cli

GOLDEN = Path(__file__).parent / "golden" / "cli"


def _imports_in_fresh_interpreter(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(m for m in sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return set(out.split())


def _module_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


def test_criteria_imports_no_sqlalchemy() -> None:
    """criteria.py and its local imports (errors, fields, edges, safeload) are pure."""
    pkg = Path(forcedsync_kit.__file__).parent
    crit = _module_imports(pkg / "criteria.py")
    pure = {".errors", ".fields", ".edges", ".safeload"}
    assert {n for n in crit if n.startswith(".")} <= pure
    fields = _module_imports(pkg / "fields.py")
    assert {n for n in fields if n.startswith(".")} == {".edges", ".errors"}
    mods = [_module_imports(pkg / f"{m[1:]}.py") for m in sorted(pure)]
    for names in mods:
        assert {n for n in names if n.startswith(".")} <= pure
    for names in (crit, *mods):
        assert not any(
            n.split(".")[0] in {"sqlalchemy", "duckdb", "psycopg"} for n in names
        )


def test_core_modules_import_neither_ui_nor_cli() -> None:
    mods = _imports_in_fresh_interpreter("forcedsync_kit")
    assert "forcedsync_kit.cli" not in mods
    assert not any(m.startswith("forcedsync_kit.ui") for m in mods)
    assert "ipywidgets" not in mods


def test_every_exported_name_has_a_docstring() -> None:
    for name in forcedsync_kit.__all__:
        obj = getattr(forcedsync_kit, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), name


@pytest.mark.parametrize("cls", [errors.ForcedSyncError, errors.BackendError])
def test_plain_errors_pickle(cls: type[errors.ForcedSyncError]) -> None:
    exc = cls("Database 'x' is busy.")
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is cls and str(again) == "Database 'x' is busy."


def test_structured_errors_pickle() -> None:
    for exc in (
        errors.UserResolutionError("USER", "X", "USER='X' is unknown."),
        errors.MarkingError("rolled back.", "SELTSK=True"),
        errors.RunNotFoundError("abc", "No force run 'abc'."),
    ):
        again = pickle.loads(pickle.dumps(exc))
        assert str(again) == str(exc) and again.__dict__ == exc.__dict__


def _commands() -> list[str]:
    return sorted(cli.commands)


@pytest.mark.parametrize("command", ["", *_commands()])
def test_help_matches_golden(command: str, update_golden: bool) -> None:
    args = [command, "--help"] if command else ["--help"]
    res = CliRunner().invoke(cli, args, terminal_width=100)
    assert res.exit_code == 0
    doc = cli.commands[command].help if command else cli.help
    assert doc and "Example:" in doc
    path = GOLDEN / f"{command or 'forcedsync'}.txt"
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(res.stdout)
    assert path.exists(), f"{path} missing: run pytest --update-golden"
    assert res.stdout == path.read_text()
