"""Team runs in the headless job (issue 15): ``run_job`` with USERS previews or forces
through ``batch`` and writes ``summary.json`` per user and in total; refusals and a
failed part are reported there; ``forcedsync job -p USERS=...`` end to end. Both
backends."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from builders import count, part_failing, syncdata_rows
from test_teams import TEAM, add_user
from test_teamtoken import leave_outlook, nothing_recorded

from forcedsync_kit import batch, demo, job, runlog, teamtoken
from forcedsync_kit import schema as s
from forcedsync_kit.criteria import Criteria
from forcedsync_kit.errors import BatchPartError, CriteriaError, TeamChangedError

NOW = "2026-11-29T12:00:00"
USERS = "ADMIN,NOREP,SALES3"


@pytest.fixture
def folder(engine: sa.Engine) -> sa.Engine:
    """The demo folder plus SALES3 (rep REP08); NOREP has no rep."""
    demo.build(engine, scale=1, seed=42)
    add_user(engine, "SALES3", "REP08")
    return engine


def params(users: str = USERS, **more: Any) -> dict[str, Any]:
    """The job's criteria as the notebook passes them (None: not set)."""
    return {"USERS": users, "USER": None, **TEAM, **more}


def read_summary(out: Path) -> dict[str, Any]:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def by_user(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["user"]: u for u in summary["users"]}


def test_team_preview_job_writes_per_user_counts_and_refusals(
    backend: str, folder: sa.Engine, tmp_path: Path
) -> None:
    before = syncdata_rows(folder)
    out = tmp_path / "out"
    res = job.run_job(
        params(FLGTRCDET=True), db_url=backend, operator="ADMIN", output_dir=out,
        now=NOW,
    )  # fmt: skip
    summary = read_summary(out)
    assert summary == res.summary and not res.committed and res.batch_id is None
    assert summary["status"] == "PREVIEW" and summary["team"] is True
    assert summary["written"] == 0 and summary["run_id"] is None
    expected = batch.preview_batch(
        folder, Criteria.from_params(params()), operator="ADMIN", now=NOW
    )
    users = by_user(summary)
    assert list(users) == ["ADMIN", "SALES3"]
    for part in expected.users:
        assert users[part.user]["counts"] == {
            k: dict(v) for k, v in part.counts.items()
        }
        assert users[part.user]["to_write"] == part.to_write > 0
    assert summary["to_write"] == expected.to_write == summary["total"]["to_write"]
    assert summary["counts"] == summary["total"]["counts"]
    assert summary["selected"] == sum(u["selected"] for u in users.values())
    [refused] = summary["refused"]
    assert refused["user"] == "NOREP" and "no sales rep" in refused["reason"]
    assert summary["log"] == "preview.log"
    log = (out / "preview.log").read_text()
    assert "Refused NOREP:" in log and "TOTAL" in log
    text = str(res)
    assert text.startswith("Team preview only, nothing committed: ")
    assert f"{expected.to_write:,} record(s) would be marked R for 2 user(s)" in text
    assert syncdata_rows(folder) == before
    assert count(folder, s.fsyrun) == count(folder, s.fsybatch) == 0


def test_team_commit_job_forces_each_user_and_reports_the_total(
    backend: str, folder: sa.Engine, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    res = job.run_job(
        params(FLGTRCDET=True), db_url=backend, operator="ADMIN", commit=True,
        output_dir=out, now=NOW,
    )  # fmt: skip
    summary = read_summary(out)
    assert summary["status"] == "DONE" and summary["commit"] is True
    assert summary["batch_id"] == res.batch_id is not None
    users = by_user(summary)
    assert [u["status"] for u in users.values()] == ["DONE", "REFUSED", "DONE"]
    assert "AUSCRMF" in users["NOREP"]["message"]
    assert summary["refused"] == [
        {"user": "NOREP", "reason": users["NOREP"]["message"]}
    ]
    assert summary["failed"] == []
    runs = {r.run_id: r for r in runlog.list_runs(folder)}
    for user in ("ADMIN", "SALES3"):
        part = users[user]
        run = runs[part["run_id"]]
        assert run.user == user and run.batch_id == res.batch_id
        assert part["written"] == run.written > 0
        assert part["log"] == f"run-{run.run_id}.log"
        log = (out / part["log"]).read_text()
        assert log == runlog.detailed_log(folder, run.run_id)
    written = users["ADMIN"]["written"] + users["SALES3"]["written"]
    assert summary["written"] == summary["total"]["written"] == written
    assert str(res).startswith(f"Team run {res.batch_id}: {written:,} record(s)")
    undone = batch.undo_batch(folder, res.batch_id or "", operator="ADMIN")
    assert undone.restored == written


def test_failed_part_is_reported_per_user_and_the_job_fails(
    backend: str,
    folder: sa.Engine,
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    with part_failing("SALES1"), pytest.raises(BatchPartError, match="SALES1 failed"):
        job.run_job(
            params("ADMIN,SALES1,SALES3"), db_url=backend, operator="ADMIN",
            commit=True, output_dir=out, now=NOW,
        )  # fmt: skip
    summary = read_summary(out)
    assert summary["status"] == "FAILED" and summary["error_type"] == "BatchPartError"
    assert "the part of user SALES1 failed" in summary["error"]
    users = by_user(summary)
    assert [u["status"] for u in users.values()] == ["DONE", "FAILED", "PENDING"]
    assert summary["failed"][0]["user"] == "SALES1"
    assert "disk full" in summary["failed"][0]["reason"]
    assert summary["written"] == users["ADMIN"]["written"] > 0
    assert [r.user for r in runlog.list_runs(folder)] == ["ADMIN"]
    again = job.run_job(
        params("ADMIN,SALES1,SALES3"), db_url=backend, operator="ADMIN",
        commit=True, output_dir=out, now=NOW,
    )  # fmt: skip
    done = by_user(read_summary(out))
    assert again.batch_id == summary["batch_id"]
    assert [(u["status"], u["earlier"]) for u in done.values()] == [
        ("DONE", True), ("DONE", False), ("DONE", False)
    ]  # fmt: skip


def test_team_job_refuses_export_and_single_user_summary_keeps_its_shape(
    backend: str, folder: sa.Engine, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with pytest.raises(CriteriaError, match="EXPORT writes the records of one user"):
        job.run_job(
            params(), db_url=backend, operator="ADMIN", commit=True, output_dir=out,
            export="csv",
        )  # fmt: skip
    assert read_summary(out)["status"] == "FAILED"
    assert count(folder, s.fsybatch) == 0
    single = job.run_job(
        {"SELTSK": 1}, db_url=backend, operator="ADMIN", output_dir=out, now=NOW
    )
    assert "team" not in single.summary and "users" not in single.summary
    assert single.summary["user"] == "ADMIN"


def test_team_job_token_refuses_a_changed_queue_and_forces_an_unchanged_one(
    backend: str, folder: sa.Engine, tmp_path: Path
) -> None:
    """The team preview job's summary.json carries the team token; a commit job
    with it (``expect``) writes nothing when the queue changed, else forces exactly
    what the preview counted."""
    first = job.run_job(
        params(), db_url=backend, operator="ADMIN", output_dir=tmp_path / "p1",
        now=NOW,
    )  # fmt: skip
    tok = first.summary["token"]
    assert teamtoken.decode(tok).users == ("ADMIN", "SALES3")
    typ, was = leave_outlook(folder, "SALES3", Criteria.from_params(params()))
    out = tmp_path / "c1"
    with pytest.raises(TeamChangedError, match=r"changed since the preview \(SALES3: "):
        job.run_job(
            params(), db_url=backend, operator="ADMIN", commit=True, output_dir=out,
            now=NOW, expect=tok,
        )  # fmt: skip
    summary = read_summary(out)
    assert summary["status"] == "FAILED" and summary["error_type"] == "TeamChangedError"
    assert f"SALES3: {typ} {was} " in summary["error"] and summary["written"] == 0
    assert nothing_recorded(folder)
    fresh = job.run_job(
        params(), db_url=backend, operator="ADMIN", output_dir=tmp_path / "p2",
        now=NOW,
    )  # fmt: skip
    done = job.run_job(
        params(), db_url=backend, operator="ADMIN", commit=True,
        output_dir=tmp_path / "c2", now=NOW, expect=fresh.summary["token"],
    )  # fmt: skip
    assert (
        done.summary["status"] == "DONE"
        and done.summary["token"] == fresh.summary["token"]
    )
    assert done.summary["written"] == fresh.summary["to_write"] > 0
    assert done.summary["counts"] == fresh.summary["counts"]


def test_team_job_refuses_a_single_user_token(
    backend: str, folder: sa.Engine, tmp_path: Path
) -> None:
    single = job.run_job(
        {"SELTSK": 1}, db_url=backend, operator="ADMIN", output_dir=tmp_path / "s",
        now=NOW,
    )  # fmt: skip
    with pytest.raises(CriteriaError, match="given as expect is one user's token"):
        job.run_job(
            params(), db_url=backend, operator="ADMIN", commit=True,
            output_dir=tmp_path / "t", now=NOW, expect=single.summary["token"],
        )  # fmt: skip
    assert read_summary(tmp_path / "t")["status"] == "FAILED"
    assert nothing_recorded(folder)


def test_job_command_runs_a_team_in_the_notebook(
    backend: str, folder: sa.Engine, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = [sys.executable, "-m", "forcedsync_kit", "job", "--db", backend]
    args += ["--operator", "ADMIN", "--now", NOW, "--output", str(out), "--commit"]
    args += ["-p", f"USERS={USERS}", "-p", "SELTSK=1", "-p", "SELCLL=1"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    summary = read_summary(out)
    assert summary["status"] == "DONE" and summary["team"] is True
    written = summary["written"]
    assert written > 0 and written == sum(u["written"] for u in summary["users"])
    assert proc.stdout.startswith(
        f"Team run {summary['batch_id']}: {written:,} record(s) marked R for 2 "
        f"user(s); refused: NOREP."
    )
    q, lg = s.syncdata, s.fsylog
    for user in by_user(summary).values():
        if user["status"] != "DONE":
            continue
        stmt = (
            sa.select(q.c.sydusr, sa.func.count())
            .select_from(q.join(lg, lg.c.newsydnum == q.c.sydnum))
            .where(lg.c.runid == user["run_id"], q.c.sydatttyp == "R")
            .group_by(q.c.sydusr)
        )
        with folder.connect() as conn:
            assert conn.execute(stmt).all() == [(user["user"], user["written"])]
