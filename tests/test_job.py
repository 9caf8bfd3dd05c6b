"""Headless jobs (issue #4): the job notebook under papermill and ``forcedsync job``.

Kernel start-ups cost seconds, so the notebook runs are few and each checks much; the
parameter handling is tested without a kernel.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import nbformat
import papermill as pm
import pytest
import sqlalchemy as sa
import yaml
from builders import NOW, World, pending, syncdata_rows
from conftest import drop_pg_schema, pg_url_or_skip

from forcedsync_kit import db, job, runlog
from forcedsync_kit import schema as s
from forcedsync_kit.criteria import PARAMETERS
from forcedsync_kit.errors import CriteriaError

NOW_ISO = NOW.isoformat()
FORCEDSYNC = [sys.executable, "-m", "forcedsync_kit"]
NOTEBOOK = (
    Path(__file__).resolve().parent.parent / "notebooks" / "forced_sync_job.ipynb"
)
# The criteria of the job tests select 2 tasks (T1 insert, T2 supersede), a call, an
# appointment and, with TSKFORCOR, T1's contact K1: 5 R rows. T3 is too old; K2 (a
# contact with a pending C row) is not selected.
CRITERIA = {
    "SELTSK": "1",
    "TSKFORCOR": "1",
    "SELCLL": "1",
    "SELBAP": "1",
    "TSKDATDEB": "2026-01-01",
    "FLGTRCDET": "1",
}
EXPECTED = {("TSK", "T1"), ("TSK", "T2"), ("CLL", "L1"), ("BAP", "A1"), ("COR", "K1")}


def folder(engine: sa.Engine) -> sa.Engine:
    w = World(engine).base()
    w.user("SALES1", rep="R2", function=1, profile="SALES")
    w.customer("C1", "R1")
    w.contact("K1", bpr="C1")
    w.contact("K2", bpr="C1")
    w.task("T1", cor="K1")
    w.task("T2")
    w.task("T3", start=dt.date(2025, 6, 1))
    w.call("L1")
    w.appointment("A1")
    w.queue("TSK", "T2", "M")
    w.queue("COR", "K2", "C")
    w.commit()
    return engine


def pairs(values: dict[str, str]) -> list[str]:
    return [arg for k, v in values.items() for arg in ("-p", f"{k}={v}")]


def fsync(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*FORCEDSYNC, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def job_cli(
    url: str,
    out: Path,
    *extra: str,
    operator: str = "ADMIN",
    env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    return fsync(
        "job",
        "--db",
        url,
        "--operator",
        operator,
        "--now",
        NOW_ISO,
        "--output",
        str(out),
        *extra,
        env=env,
    )


def fsy_state(engine: sa.Engine) -> tuple[list[Any], list[Any]]:
    """FSYRUN kinds/status and FSYLOG rows without run ids, for 'no trace' checks."""
    with engine.connect() as conn:
        runs = [
            tuple(r)
            for r in conn.execute(
                sa.select(s.fsyrun.c.runkind, s.fsyrun.c.status, s.fsyrun.c.usr)
            )
        ]
        logs = sorted(
            tuple(r)
            for r in conn.execute(
                sa.select(
                    s.fsylog.c.sydtyp,
                    s.fsylog.c.sydkey,
                    s.fsylog.c.outcome,
                    s.fsylog.c.newsydnum,
                )
            )
        )
    return runs, logs


def error_outputs(path: Path) -> list[dict[str, Any]]:
    nb = nbformat.read(path, as_version=4)
    return [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]


@pytest.fixture
def twin(backend: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database on the same backend as ``backend``."""
    if backend.startswith("duckdb"):
        url = f"duckdb:///{tmp_path / 'twin.duckdb'}"
        db.init(db.connect(url))
        yield url
        return
    url = pg_url_or_skip()
    db.init(db.connect(url))
    try:
        yield url
    finally:
        drop_pg_schema(url)


# --- without a kernel --------------------------------------------------------------


def test_notebook_declares_every_parameter_with_help() -> None:
    inferred = pm.inspect_notebook(str(NOTEBOOK))
    expected = [p.upper() for p in PARAMETERS] + list(job.JOB_PARAMETERS)
    assert list(inferred) == expected
    assert all(p["help"].strip() for p in inferred.values())
    defaults = {k: v["default"] for k, v in inferred.items()}
    assert defaults["STALEDAYS"] == "7" and defaults["COMMIT"] == "False"
    assert {defaults[k] for k in ("SELTSK", "SELCLL", "SELBAP")} == {"True"}
    assert set(defaults.values()) <= {"None", "False", "True", "7"}
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].metadata.get("tags") == ["parameters"]
    assert 1 <= len(code) - 1 <= 4
    for cell in code:
        assert not cell.outputs and cell.execution_count is None
        assert not any(
            w in cell.source for w in ("def ", "class ", "sys.path", "SELECT ", "sa.")
        )


def test_notebook_params_refuses_unknown_names() -> None:
    ns = {"SELTSK": 1, "DB_URL": None, "In": [], "_i1": "", "job": job}
    assert job.notebook_params(ns) == {"SELTSK": 1}
    with pytest.raises(CriteriaError, match="Unknown parameter 'SELTKS'"):
        job.notebook_params({"SELTKS": 1})
    with pytest.raises(CriteriaError, match="upper case, SELTSK"):
        job.notebook_params({"seltsk": 1})


def test_job_parameters_merge_file_and_pairs(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("seltsk: 1\nTSKDATDEB: 2026-01-01\nSELCLL: true\n")
    got = job.job_parameters(f, ["SELCLL=0", "tskdatfin=2026-12-31"])
    assert got == {  # YAML values stay as written; Criteria parses them
        "SELTSK": "1",
        "TSKDATDEB": "2026-01-01",
        "SELCLL": "0",
        "TSKDATFIN": "2026-12-31",
    }
    with pytest.raises(CriteriaError, match="use --commit"):
        job.job_parameters(None, ["COMMIT=1"])
    with pytest.raises(CriteriaError, match="Unknown parameter 'BOGUS'"):
        job.job_parameters(None, ["BOGUS=1"])


def test_job_command_refuses_unknown_parameter_before_running(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from forcedsync_kit.cli import cli

    res = CliRunner().invoke(cli, ["job", "-p", "SELTKS=1", "--output", str(tmp_path)])
    assert res.exit_code == 1
    assert res.stderr.startswith("Error: Unknown parameter 'SELTKS'")
    assert not (tmp_path / "job.ipynb").exists()


# --- through papermill -------------------------------------------------------------


def test_papermill_preview_writes_summary_and_leaves_syncdata(
    backend: str, tmp_path: Path
) -> None:
    engine = folder(db.connect(backend))
    before = syncdata_rows(engine)
    params = tmp_path / "params.yaml"
    params.write_text(
        yaml.safe_dump(
            {
                "FLGTRCDET": True,
                "TSKFORCOR": True,
                "DB_URL": backend,
                "OPERATOR": "ADMIN",
            }
        )
    )
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(NOTEBOOK),
            str(tmp_path / "o.ipynb"),
            "-f",
            str(params),
            "-p",
            "SELTSK",
            "1",
            "-p",
            "TSKDATDEB",
            "2026-01-01",
            "-p",
            "OUTPUT_DIR",
            str(out),
            "-p",
            "NOW",
            NOW_ISO,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert syncdata_rows(engine) == before
    assert fsy_state(engine) == ([], [])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "PREVIEW" and summary["run_id"] is None
    assert summary["commit"] is False and summary["written"] == 0
    assert summary["to_write"] == 5 and summary["selected"] == 5  # CLL/BAP defaults
    assert summary["counts"]["TSK"] == {
        "insert": 1,
        "supersede": 1,
        "already": 0,
        "skip": 0,
    }
    assert summary["user"] == "ADMIN" and summary["now"] == NOW_ISO
    # The kernel ran this environment's interpreter.
    assert os.path.dirname(summary["python"]) == os.path.dirname(sys.executable)
    log = (out / "preview.log").read_text()
    assert summary["log"] == "preview.log"
    assert "TSK\tT2\tsupersede\t-" in log and "nothing committed" in log


def test_job_commit_writes_what_force_writes(
    backend: str, twin: str, tmp_path: Path
) -> None:
    forced, jobbed = folder(db.connect(backend)), folder(db.connect(twin))
    params = tmp_path / "nightly.json"
    params.write_text(json.dumps(CRITERIA))
    code, _, err = finish(
        fsync(
            "force",
            "--db",
            backend,
            "--operator",
            "ADMIN",
            "--params",
            str(params),
            "--now",
            NOW_ISO,
            "--yes",
            "--log",
            str(tmp_path / "force.log"),
        )
    )
    assert code == 0, err
    out = tmp_path / "out"
    # On PostgreSQL the URL carries a password (the test server trusts local users):
    # it reaches the kernel through the environment, never the kept notebook.
    url = twin.replace("postgres@", "postgres:s3cret@")
    code, stdout, err = finish(job_cli(url, out, "--params", str(params), "--commit"))
    assert code == 0, err
    assert err == ""
    injected = nbformat.read(out / "job.ipynb", as_version=4).cells[2]
    assert "injected-parameters" in injected.metadata["tags"]
    assert ("DB_URL = None" in injected.source) == ("s3cret" in url)
    assert "s3cret" not in (out / "job.ipynb").read_text()
    assert "s3cret" not in (out / "summary.json").read_text()
    assert syncdata_rows(jobbed) == syncdata_rows(forced)
    assert set(pending(jobbed)) >= EXPECTED
    assert fsy_state(jobbed) == fsy_state(forced)
    summary = json.loads((out / "summary.json").read_text())
    run = runlog.list_runs(jobbed)[0]
    assert summary["status"] == "DONE" and summary["run_id"] == run.run_id
    assert summary["written"] == run.written == len(EXPECTED)
    assert f"Run {run.run_id}: 5 record(s) marked R." in stdout
    assert (out / "job.ipynb").is_file() and str(out / "job.ipynb") in stdout
    log = out / f"run-{run.run_id}.log"
    assert log.read_text() == runlog.detailed_log(jobbed, run.run_id)


def test_refused_job_exits_1_and_writes_nothing(backend: str, tmp_path: Path) -> None:
    engine = folder(db.connect(backend))
    before = syncdata_rows(engine)
    out = tmp_path / "out"
    code, stdout, err = finish(
        job_cli(backend, out, *pairs(CRITERIA), "--commit", operator="SALES1")
    )
    assert code == 1
    assert err.startswith("Error: ") and err.count("\n") == 1
    assert "SALES1" in err and "FUNSYD6" in err
    assert syncdata_rows(engine) == before
    assert fsy_state(engine) == ([], [])
    [error] = error_outputs(out / "job.ipynb")
    assert error["ename"] == "UserResolutionError"
    assert error["evalue"] == err.removeprefix("Error: ").strip()
    assert str(out / "job.ipynb") in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "FAILED" and summary["run_id"] is None
    assert summary["error"] == error["evalue"]


def test_bad_criterion_fails_inside_the_notebook(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'db.duckdb'}"
    engine = db.connect(url)
    db.init(engine)
    folder(engine)
    before = syncdata_rows(engine)
    code, _, err = finish(
        job_cli(
            url,
            tmp_path / "out",
            "-p",
            "SELTSK=1",
            "-p",
            "TSKDATDEB=2026-13-45",
            "--commit",
        )
    )
    assert code == 1
    assert (
        err == "Error: TSKDATDEB='2026-13-45' is not a date: write it as YYYY-MM-DD.\n"
    )
    assert [e["ename"] for e in error_outputs(tmp_path / "out" / "job.ipynb")] == [
        "CriteriaError"
    ]
    assert syncdata_rows(engine) == before


# --- concurrency -------------------------------------------------------------------


def test_busy_duckdb_file_waits_within_bound_or_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    url = f"duckdb:///{path}"
    engine = db.connect(url)
    db.init(engine)
    folder(engine)
    before = syncdata_rows(engine)
    holder = duckdb.connect(str(path))  # another process would hold the file so
    try:
        impatient = job_cli(
            url,
            tmp_path / "a",
            *pairs(CRITERIA),
            "--commit",
            env={"FORCEDSYNC_BUSY_TIMEOUT": "1"},
        )
        patient = job_cli(
            url,
            tmp_path / "b",
            *pairs(CRITERIA),
            "--commit",
            env={"FORCEDSYNC_BUSY_TIMEOUT": "60"},
        )
        code, _, err = finish(impatient)
        assert code == 1
        assert "is busy: another forcedsync process has held it for over 1 s" in err
        assert err.startswith("Error: Database ") and err.count("\n") == 1
        assert patient.poll() is None  # still waiting for the file
        time.sleep(0.5)
    finally:
        holder.close()
    code, _, err = finish(patient)
    assert code == 0, err
    assert syncdata_rows(engine) != before
    runs, logs = fsy_state(engine)
    assert runs == [("FORCE", "DONE", "ADMIN")]
    assert {(t, k) for t, k, *_ in logs} == EXPECTED
    assert json.loads((tmp_path / "a" / "summary.json").read_text())["status"] == (
        "FAILED"
    )


def test_two_simultaneous_jobs_both_succeed_one_after_the_other(
    backend: str, tmp_path: Path
) -> None:
    engine = folder(db.connect(backend))
    procs = [
        job_cli(backend, tmp_path / name, *pairs(CRITERIA), "--commit")
        for name in ("a", "b")
    ]
    results = [finish(p) for p in procs]
    assert [r[0] for r in results] == [0, 0], [r[2] for r in results]
    summaries = [
        json.loads((tmp_path / n / "summary.json").read_text()) for n in ("a", "b")
    ]
    # Serialised: whichever ran first wrote the 5 rows, the other found them 'already'.
    assert sorted(x["written"] for x in summaries) == [0, 5]
    runs = runlog.list_runs(engine)
    assert sorted(r.written for r in runs) == [0, 5]
    assert {r.status for r in runs} == {"DONE"}
    assert {k: v for k, v in pending(engine).items() if k in EXPECTED} == {
        k: ["R"] for k in EXPECTED
    }
    assert pending(engine)[("COR", "K2")] == ["C"]
    # No half run: each run's FSYLOG covers the whole selection.
    _, logs = fsy_state(engine)
    assert sorted((t, k) for t, k, *_ in logs) == sorted([*EXPECTED, *EXPECTED])
    assert len(syncdata_rows(engine)) == len(EXPECTED) + 1
