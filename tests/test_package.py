"""The packaged notebooks, the named kernel and ``forcedsync job --kernel/--timeout``.

The wheel itself is tested in test_wheel.py; here the checkout's code: the files
found with importlib.resources, ``forcedsync kernel install`` and what a job does
when its kernel is missing or a cell runs past ``--timeout``.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from builders import NOW, World, syncdata_rows
from click.testing import CliRunner

from forcedsync_kit import db, kernel, resources, runlog
from forcedsync_kit.cli import cli
from forcedsync_kit.errors import BackendError

ROOT = Path(__file__).resolve().parent.parent
FORCEDSYNC = [sys.executable, "-m", "forcedsync_kit"]
CRITERIA = ["-p", "SELTSK=1", "-p", "TSKDATDEB=2026-01-01", "--now", NOW.isoformat()]


def folder(url: str) -> None:
    w = World(db.connect(url)).base()
    w.task("T1")
    w.task("T2")
    w.commit()


def fsync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FORCEDSYNC, *args], capture_output=True, text=True, timeout=300
    )


def test_packaged_files_are_the_repository_links() -> None:
    with resources.job_notebook() as job:
        assert job.is_file() and ROOT / "forcedsync_kit" in job.parents
        assert (ROOT / "notebooks" / "forced_sync_job.ipynb").resolve() == job
    folder_ = resources.dashboards_dir()
    assert (folder_ / "voila.json").is_file() and (
        folder_ / "dashboard.ipynb"
    ).is_file()
    assert (ROOT / "dashboards" / "voila.json").resolve() == folder_ / "voila.json"


def test_kernel_install_writes_a_kernelspec_for_this_python(tmp_path: Path) -> None:
    res = fsync("kernel", "install", "--prefix", str(tmp_path / "env"))
    assert res.returncode == 0, res.stderr
    spec = tmp_path / "env" / "share" / "jupyter" / "kernels" / "forcedsync"
    data = json.loads((spec / "kernel.json").read_text())
    assert data["argv"][0] == sys.executable and "ipykernel_launcher" in data["argv"]
    assert data["display_name"] == "Python (forcedsync)"
    assert str(spec) in res.stdout


def test_kernel_install_refuses_two_places_and_writes_nothing(tmp_path: Path) -> None:
    res = fsync("kernel", "install", "--user", "--prefix", str(tmp_path / "env"))
    assert res.returncode == 1 and res.stderr.count("\n") == 1
    assert "--user and --prefix" in res.stderr
    assert not (tmp_path / "env").exists()
    with pytest.raises(BackendError, match="--user and --sys-prefix"):
        kernel.kernel_prefix(user=True, sys_prefix=True)
    assert kernel.kernel_prefix() == sys.prefix
    assert kernel.kernel_prefix(prefix=str(tmp_path)) == str(tmp_path.resolve())


def test_job_on_a_missing_kernel_writes_nothing(backend: str, tmp_path: Path) -> None:
    folder(backend)
    engine = db.connect(backend)
    before = syncdata_rows(engine)
    out = tmp_path / "out"
    res = fsync(
        "job", "--db", backend, "--operator", "ADMIN", *CRITERIA, "--commit",
        "--kernel", "no-such-kernel", "--output", str(out),
    )  # fmt: skip
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
    assert "The Jupyter kernel 'no-such-kernel' is not installed" in res.stderr
    assert syncdata_rows(engine) == before and runlog.list_runs(engine) == []
    assert not out.exists()


def slow_notebook(path: Path, *, before_run: bool) -> Path:
    """The job notebook with a cell sleeping 10 minutes before or after the run."""
    with resources.job_notebook() as job:
        nb = nbformat.read(job, as_version=4)
    run_cell = next(i for i, c in enumerate(nb.cells) if "run_job(" in c.source)
    sleep = nbformat.v4.new_code_cell("import time\ntime.sleep(600)")
    nb.cells.insert(run_cell if before_run else run_cell + 1, sleep)
    nbformat.write(nb, path)
    return path


def run_slow_job(
    monkeypatch: pytest.MonkeyPatch, backend: str, tmp_path: Path, before_run: bool
) -> tuple[int, str, float]:
    """``forcedsync job --commit --timeout 20`` on the slow notebook, in process."""
    notebook = slow_notebook(tmp_path / "slow.ipynb", before_run=before_run)

    @contextlib.contextmanager
    def packaged() -> Iterator[Path]:
        yield notebook

    monkeypatch.setattr(resources, "job_notebook", packaged)
    args = ["job", "--db", backend, "--operator", "ADMIN", *CRITERIA, "--commit"]
    start = time.monotonic()
    res = CliRunner().invoke(
        cli, [*args, "--timeout", "20", "--output", str(tmp_path / "out")]
    )
    return res.exit_code, res.stderr, time.monotonic() - start


@pytest.mark.slow
def test_timeout_before_the_run_stops_the_job_and_writes_nothing(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder(backend)
    engine = db.connect(backend)
    before = syncdata_rows(engine)
    code, err, seconds = run_slow_job(monkeypatch, backend, tmp_path, True)
    assert code == 1 and err.count("\n") == 1, err
    assert "ran longer than --timeout 20 s" in err
    assert seconds < 300  # the 10-minute cell was stopped
    assert syncdata_rows(engine) == before and runlog.list_runs(engine) == []


@pytest.mark.slow
def test_timeout_after_a_committed_run_says_it_was_committed(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder(backend)
    engine = db.connect(backend)
    before = syncdata_rows(engine)
    code, err, seconds = run_slow_job(monkeypatch, backend, tmp_path, False)
    [run] = runlog.list_runs(engine)
    assert code == 3 and err.count("\n") == 1, err
    assert f"run {run.run_id} was committed, then this failed" in err
    assert "ran longer than --timeout 20 s" in err and seconds < 300
    assert run.written == 2 and syncdata_rows(engine) != before


def test_dashboard_and_job_name_the_missing_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without [ui] / [jobs] (made absent here: None in sys.modules), one line."""
    for name in ("voila", "papermill"):
        monkeypatch.setitem(sys.modules, name, None)
    for args, extra in (
        (["dashboard", "--demo", "--db", str(tmp_path / "x.duckdb")], "ui"),
        (["job", "-p", "SELTSK=1", "--output", str(tmp_path / "o")], "jobs"),
        (["kernel", "install", "--prefix", str(tmp_path / "k")], "jobs"),
    ):
        res = CliRunner().invoke(cli, args)
        assert res.exit_code == 1 and res.stderr.count("\n") == 1, res.stderr
        assert f"install forcedsync[{extra}]" in res.stderr
    assert not any((tmp_path / n).exists() for n in ("x.duckdb", "o", "k"))
