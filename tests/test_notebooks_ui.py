"""The analyst and dashboard notebooks stay thin (STYLE §9) and Voila's settings hold.

``make nbval`` executes them (``pytest --nbval-lax notebooks dashboards``); here only
their shape is checked, without a kernel.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

from forcedsync_kit import dashboard, resources
from forcedsync_kit.fields import FIELDS, parameter_lines

ROOT = Path(__file__).resolve().parent.parent
JOB = ROOT / "notebooks" / "forced_sync_job.ipynb"
#: The job notebook processes tasks, calls and appointments unless told otherwise.
JOB_DEFAULTS = {"SELTSK": True, "SELCLL": True, "SELBAP": True}
NOTEBOOKS = [
    ROOT / "notebooks" / "analyst.ipynb",
    ROOT / "dashboards" / "dashboard.ipynb",
]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    cells = nb.cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    params = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and cells.index(params[0]) == 1
    for stmt in ast.parse(params[0].source).body:
        assert isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)
    for line in params[0].source.splitlines():
        assert "# type: " in line
    assert 'db_url = ""' in params[0].source  # "" means $FORCEDSYNC_DB_URL
    code = [c for c in cells if c.cell_type == "code" and c is not params[0]]
    assert 1 <= len(code) <= 4
    for cell in code:
        assert not cell.outputs and cell.execution_count is None  # stripped
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(node, ast.FunctionDef | ast.ClassDef)
        assert "sys.path" not in cell.source and "select " not in cell.source.lower()
    assert any("forcedsync_kit" in c.source for c in code)


def test_voila_settings_and_template() -> None:
    conf = json.loads((resources.dashboards_dir() / "voila.json").read_text())
    assert conf["VoilaConfiguration"]["strip_sources"] is True
    assert conf["VoilaConfiguration"]["show_tracebacks"] is False
    templates = resources.dashboards_dir() / "jupyter" / "voila" / "templates"
    template = templates / "forcedsync"
    assert (template / "index.html.j2").is_file()
    cmd = dashboard.command(8999)
    assert "--Voila.port_retries=0" in cmd and "--Voila.ip=127.0.0.1" in cmd
    assert "--template=forcedsync" in cmd and "--no-browser" in cmd


def test_dashboard_environment_resolves_a_relative_duckdb_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = dashboard.environment("demo.duckdb", base={"PATH": "/usr/bin"})
    assert env["FORCEDSYNC_DB_URL"] == f"duckdb:///{tmp_path / 'demo.duckdb'}"
    jupyter = resources.dashboards_dir() / "jupyter"
    assert env["JUPYTER_PATH"].split(":")[0] == str(jupyter)


def test_job_parameters_cell_is_generated_from_the_fields() -> None:
    """Regenerate: ``fields.parameter_lines(JOB_DEFAULTS)`` below the first comment."""
    nb = nbformat.read(JOB, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    lines = cell.source.splitlines()
    assert lines[0].startswith("# Criteria")
    assert lines[1 : 1 + len(FIELDS)] == parameter_lines(JOB_DEFAULTS)
    assert lines[1 + len(FIELDS)] == ""  # then the job's own parameters


def test_dashboard_runs_in_a_writable_copy_outside_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Voila's root (where Download writes) is never the installed package's folder."""
    started: dict[str, object] = {}

    def popen(cmd: list[str], **kwargs: object) -> object:
        started.update(cmd=cmd, **kwargs)
        return None

    monkeypatch.setattr(dashboard.subprocess, "Popen", popen)
    monkeypatch.setattr(dashboard.tempfile, "tempdir", str(tmp_path))
    dashboard.launch(f"duckdb:///{tmp_path / 'demo.duckdb'}", 8999)
    root = Path(str(started["cwd"]))
    package = resources.dashboards_dir()
    assert root.parent == tmp_path and package.resolve() not in root.resolve().parents
    for name in ("dashboard.ipynb", "voila.json"):
        assert (root / name).read_bytes() == (package / name).read_bytes()
    assert dashboard.NOTEBOOK in started["cmd"]  # type: ignore[operator]
    (root / "fsk-exports").mkdir()  # the kernel writes the exports here
    mine = dashboard.launch("duckdb:///x.duckdb", 8999, workdir=tmp_path / "given")
    assert mine is None and started["cwd"] == tmp_path / "given"
