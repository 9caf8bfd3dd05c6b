"""``forcedsync job --export`` and ``--expect``: the job's own options from the CLI.

Before 2026-12-01 the notebook had EXPORT but the command had no ``--export`` (and
refused ``-p EXPORT=csv`` by pointing at it), and a scheduled job could not be given
the token of the preview an analyst approved.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import sqlalchemy as sa
from builders import syncdata_rows
from test_job import CRITERIA, finish, folder, fsy_state, job_cli, pairs

from forcedsync_kit import db
from forcedsync_kit import schema as s


def database(tmp_path: Path) -> tuple[str, sa.Engine]:
    url = f"duckdb:///{tmp_path / 'db.duckdb'}"
    engine = db.connect(url)
    db.init(engine)
    folder(engine)
    return url, engine


def test_job_export_option_writes_every_selected_record(tmp_path: Path) -> None:
    url, engine = database(tmp_path)
    out = tmp_path / "out"
    code, stdout, err = finish(job_cli(url, out, *pairs(CRITERIA), "--export", "csv"))
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    with (out / "preview.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert summary["export"] == "preview.csv"
    assert len(rows) == summary["selected"] == 5
    assert "Preview only: 5 record(s) would be marked R." in stdout
    assert f"Export: {out.resolve() / 'preview.csv'}" in stdout.splitlines()


def test_job_expect_refuses_a_changed_queue_then_forces_an_unchanged_one(
    tmp_path: Path,
) -> None:
    url, engine = database(tmp_path)
    code, _, err = finish(job_cli(url, tmp_path / "preview", *pairs(CRITERIA)))
    assert code == 0, err
    summary = json.loads((tmp_path / "preview" / "summary.json").read_text())
    approved = summary["token"]
    with engine.begin() as conn:  # a sync in between: T2's pending M row was sent
        conn.execute(sa.delete(s.syncdata).where(s.syncdata.c.sydkey == "T2"))
    before = syncdata_rows(engine)
    code, _, err = finish(
        job_cli(
            url, tmp_path / "stale", *pairs(CRITERIA), "--commit", "--expect", approved
        )
    )
    assert code == 1
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    assert "changed" in err and "TSK supersede 1 -> 0" in err
    assert syncdata_rows(engine) == before and fsy_state(engine) == ([], [])

    code, _, err = finish(job_cli(url, tmp_path / "fresh", *pairs(CRITERIA)))
    fresh = json.loads((tmp_path / "fresh" / "summary.json").read_text())["token"]
    code, stdout, err = finish(
        job_cli(url, tmp_path / "go", *pairs(CRITERIA), "--commit", "--expect", fresh)
    )
    assert code == 0, err
    done = json.loads((tmp_path / "go" / "summary.json").read_text())
    assert done["status"] == "DONE" and done["written"] == 5
    assert f"Run {done['run_id']}: 5 record(s) marked R." in stdout


def test_job_parameters_given_as_criteria_point_at_real_options(
    tmp_path: Path,
) -> None:
    url, _ = database(tmp_path)
    for name, option in (("EXPORT", "--export"), ("EXPECT", "--expect")):
        code, _, err = finish(job_cli(url, tmp_path / "x", "-p", f"{name}=csv"))
        assert code == 1
        assert err == (
            f"Error: {name} is an option of 'forcedsync job', not a criterion: "
            f"use {option}.\n"
        )
