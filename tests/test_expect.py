"""What you saw is what is forced: ``force(expect=token)``, ``force --expect``,
``preview --json`` (token) and ``preview --out`` (the export), on both backends."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from builders import NOW, World, count, syncdata_rows
from click.testing import CliRunner

from forcedsync_kit import Criteria, force, preview, token
from forcedsync_kit import schema as s
from forcedsync_kit.cli import cli
from forcedsync_kit.errors import CriteriaError, PreviewChangedError

CRITERIA = Criteria(user="ADMIN", seltsk=True)
NOW_ISO = NOW.isoformat()
ARGS = ["--operator", "ADMIN", "-p", "SELTSK=1", "--now", NOW_ISO]


def folder(engine: sa.Engine) -> World:
    w = World(engine).base()
    for n in range(1, 6):
        w.task(f"T{n}")
    w.queue("TSK", "T2", "C")
    w.queue("TSK", "T3", "R")
    return w.commit()


def change_queue(engine: sa.Engine) -> None:
    """A sync in between: T2's pending C row is sent; T1 gets a pending A row."""
    q = s.syncdata
    with engine.begin() as conn:
        row = conn.execute(sa.select(q).where(q.c.sydkey == "T2")).one()._asdict()
        conn.execute(sa.delete(q).where(q.c.sydkey == "T2"))
        conn.execute(sa.insert(q).values({**row, "sydkey": "T1", "sydatttyp": "A"}))


EXPECTED_DIFF = {("TSK", "supersede"): (1, 0), ("TSK", "skip"): (0, 1)}


def run(backend: str, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, [*args[:1], "--db", backend, *args[1:]])
    return res.exit_code, res.stdout, res.stderr


# --- library -------------------------------------------------------------------------


def test_a_stale_token_writes_nothing_and_names_the_differences(
    engine: sa.Engine,
) -> None:
    folder(engine)
    tok = token.for_preview(preview(engine, CRITERIA, operator="ADMIN", now=NOW))
    change_queue(engine)
    before = syncdata_rows(engine)
    with pytest.raises(PreviewChangedError) as err:
        force(engine, CRITERIA, operator="ADMIN", now=NOW, expect=tok)
    assert err.value.differences == EXPECTED_DIFF
    assert syncdata_rows(engine) == before
    assert count(engine, s.fsyrun) == 0 and count(engine, s.fsylog) == 0
    assert count(engine, s.fsyold) == 0


def test_a_current_token_forces_as_without_one(engine: sa.Engine) -> None:
    folder(engine)
    tok = token.for_preview(preview(engine, CRITERIA, operator="ADMIN", now=NOW))
    done = force(engine, CRITERIA, operator="ADMIN", now=NOW, expect=tok)
    assert done.counts["TSK"] == {"insert": 3, "supersede": 1, "already": 1, "skip": 0}
    assert done.written == 4
    assert count(engine, s.fsyrun) == 1


def test_a_damaged_or_foreign_token_is_refused_before_writing(
    engine: sa.Engine,
) -> None:
    folder(engine)
    tok = token.for_preview(preview(engine, CRITERIA, operator="ADMIN", now=NOW))
    before = syncdata_rows(engine)
    with pytest.raises(CriteriaError, match="is not a preview token"):
        force(engine, CRITERIA, operator="ADMIN", now=NOW, expect="nonsense")
    with pytest.raises(CriteriaError, match="other criteria"):
        force(
            engine, CRITERIA.replace(selcll=True), operator="ADMIN", now=NOW,
            expect=tok,
        )  # fmt: skip
    assert syncdata_rows(engine) == before and count(engine, s.fsyrun) == 0


# --- command line --------------------------------------------------------------------


def test_cli_force_expect_refuses_a_changed_queue(
    engine: sa.Engine, backend: str
) -> None:
    folder(engine)
    code, out, err = run(backend, "preview", *ARGS, "--json")
    assert code == 0, err
    data = json.loads(out)
    tok = data["token"]
    assert token.decode(tok).counts["TSK"]["supersede"] == 1
    change_queue(engine)
    before = syncdata_rows(engine)
    code, out, err = run(backend, "force", *ARGS, "--yes", "--expect", tok)
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("Error: The queue changed since the preview")
    assert "nothing was written" in lines[0]
    assert lines[1].split() == ["type", "outcome", "previewed", "now", "change"]
    assert lines[2].split() == ["TSK", "supersede", "1", "0", "-1"]
    assert lines[3].split() == ["TSK", "skip", "0", "1", "+1"]
    assert len(lines) == 4
    assert syncdata_rows(engine) == before and count(engine, s.fsyrun) == 0


def test_cli_force_expect_with_an_unchanged_queue_forces(
    engine: sa.Engine, backend: str
) -> None:
    folder(engine)
    code, out, _ = run(backend, "preview", *ARGS, "--json")
    tok = json.loads(out)["token"]
    code, out, err = run(backend, "force", *ARGS, "--yes", "--expect", tok)
    assert code == 0, err
    assert "4 record(s) marked R" in out
    assert count(engine, s.fsyrun) == 1


def test_cli_bad_token_is_one_error_line(engine: sa.Engine, backend: str) -> None:
    folder(engine)
    code, out, err = run(backend, "force", *ARGS, "--yes", "--expect", "abc.def")
    assert code == 1 and out == ""
    assert err.startswith("Error: The preview token 'abc.def' is damaged")
    assert len(err.splitlines()) == 1
    assert count(engine, s.fsyrun) == 0


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_cli_preview_out_writes_every_record(
    engine: sa.Engine, backend: str, tmp_path: Path, ext: str
) -> None:
    folder(engine)
    target = tmp_path / f"preview.{ext}"
    code, out, err = run(
        backend, "preview", *ARGS, "--page-size", "2", "--out", str(target)
    )
    assert code == 0, err
    assert f"Exported 5 record(s) to {target}." in out.splitlines()
    p = preview(engine, CRITERIA, operator="ADMIN", now=NOW, page_size=100)
    if ext == "csv":
        with target.open(newline="") as f:
            rows = [(r[0], r[1], r[5]) for r in list(csv.reader(f))[1:]]
    else:
        got = duckdb.sql(f"SELECT type, key, outcome FROM read_parquet('{target}')")
        rows = [tuple(r) for r in got.fetchall()]
    assert rows == [(r.object_type, r.record_key, r.outcome) for r in p.records]
    assert len(rows) == p.selected == 5
    code, out, err = run(backend, "preview", *ARGS, "--json", "--out", str(target))
    data = json.loads(out)
    assert data["export"] == {"path": str(target), "rows": 5}
    assert (
        token.decode(data["token"]).counts == token.decode(token.for_preview(p)).counts
    )


def test_cli_preview_out_bad_extension_writes_nothing(
    engine: sa.Engine, backend: str, tmp_path: Path
) -> None:
    folder(engine)
    target = tmp_path / "out" / "x.txt"
    target.parent.mkdir()
    code, out, err = run(backend, "preview", *ARGS, "--out", str(target))
    assert code == 1 and out == ""
    assert "must end in .csv or .parquet" in err and len(err.splitlines()) == 1
    assert list(target.parent.iterdir()) == []


# --- job -----------------------------------------------------------------------------


def test_job_export_beside_the_summary(
    engine: sa.Engine, backend: str, tmp_path: Path
) -> None:
    from forcedsync_kit import job

    folder(engine)
    params = {"SELTSK": True}
    res = job.run_job(
        params, db_url=backend, operator="ADMIN", output_dir=tmp_path, now=NOW_ISO,
        export="csv",
    )  # fmt: skip
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["export"] == "preview.csv"
    with (tmp_path / "preview.csv").open(newline="") as f:
        rows = list(csv.reader(f))[1:]
    assert len(rows) == summary["selected"] == 5
    assert sorted(r[5] for r in rows) == sorted(
        o for o, n in summary["counts"]["TSK"].items() for _ in range(n)
    )
    assert token.decode(summary["token"]).counts["TSK"] == summary["counts"]["TSK"]
    assert tmp_path / "preview.csv" in res.files
    assert count(engine, s.fsyrun) == 0


def test_job_commit_with_export_forces_what_it_exported(
    engine: sa.Engine, backend: str, tmp_path: Path
) -> None:
    from forcedsync_kit import job

    folder(engine)
    job.run_job(
        {"SELTSK": True}, db_url=backend, operator="ADMIN", output_dir=tmp_path,
        now=NOW_ISO, commit=True, export="parquet",
    )  # fmt: skip
    summary = json.loads((tmp_path / "summary.json").read_text())
    got = duckdb.sql(f"SELECT count(*) FROM read_parquet('{tmp_path}/preview.parquet')")
    assert got.fetchall() == [(5,)]
    assert summary["status"] == "DONE" and summary["written"] == 4
    assert count(engine, s.fsyrun) == 1


def test_job_with_a_stale_token_writes_nothing(
    engine: sa.Engine, backend: str, tmp_path: Path
) -> None:
    from forcedsync_kit import job

    folder(engine)
    first = job.run_job(
        {"SELTSK": True}, db_url=backend, operator="ADMIN", output_dir=tmp_path,
        now=NOW_ISO,
    )  # fmt: skip
    change_queue(engine)
    before = syncdata_rows(engine)
    with pytest.raises(PreviewChangedError):
        job.run_job(
            {"SELTSK": True}, db_url=backend, operator="ADMIN", output_dir=tmp_path,
            now=NOW_ISO, commit=True, expect=first.summary["token"],
        )  # fmt: skip
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "FAILED" and summary["written"] == 0
    assert "TSK supersede 1 -> 0" in summary["error"]
    assert syncdata_rows(engine) == before and count(engine, s.fsyrun) == 0


def test_job_bad_export_is_refused(backend: str, tmp_path: Path) -> None:
    from forcedsync_kit import job

    with pytest.raises(CriteriaError, match="EXPORT='xlsx' must be csv or parquet"):
        job.run_job(
            {"SELTSK": True}, db_url=backend, output_dir=tmp_path, export="xlsx"
        )
    with pytest.raises(CriteriaError, match="EXPORT needs OUTPUT_DIR"):
        job.run_job({"SELTSK": True}, db_url=backend, export="csv")
