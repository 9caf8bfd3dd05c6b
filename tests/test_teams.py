"""Team runs (USERS...): per-user parts equal single-user runs, refusals, a failure in
one part, resuming, undo of the whole batch; library and CLI, on both backends."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from builders import count, part_failing, syncdata_rows
from click.testing import CliRunner

from forcedsync_kit import batch, batchlog, db, demo, marking, runlog
from forcedsync_kit import schema as s
from forcedsync_kit.cli import cli
from forcedsync_kit.criteria import Criteria
from forcedsync_kit.errors import (
    BatchPartError,
    CriteriaError,
    RunNotFoundError,
    UserResolutionError,
)
from forcedsync_kit.marking import forcing
from forcedsync_kit.teamresults import BatchResult

NOW = "2026-11-29T12:00:00"
TEAM = {"SELCOR": 1, "CORSYNCNT": 1, "SELTSK": 1, "SELCLL": 1, "SELBAP": 1}


def add_user(engine: sa.Engine, code: str, rep: str) -> None:
    """A sales engineer with a setup (SYNCPAR), function 1 and the rep ``rep``."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(s.autilis).values(
                codusr=code, nomusr=code, enaflg=2, prffct="SALES", cpy="FR10"
            )
        )
        conn.execute(
            sa.insert(s.adoval),
            [
                {"param": "AUSCRMF", "lev": "USR", "levkey": code, "valeur": rep},
                {"param": "AUSCRMA", "lev": "USR", "levkey": code, "valeur": "1"},
            ],
        )
        flags = {f"{o}otk{a}": 2 for o in s.SYNC_OBJECTS for a in ("cre", "upd")}
        conn.execute(sa.insert(s.syncpar).values(sypusr=code, otkusr=code, **flags))


@pytest.fixture
def folder(engine: sa.Engine) -> sa.Engine:
    """The demo folder, plus SALES3 (rep REP08, at Nantes) to make a team of four."""
    demo.build(engine, scale=1, seed=42)
    add_user(engine, "SALES3", "REP08")
    return engine


def team(users: str, **more: Any) -> Criteria:
    return Criteria.from_params({"USERS": users, **TEAM, **more})


def rows_without_keys(engine: sa.Engine) -> Counter[tuple[Any, ...]]:
    """SYNCDATA as a multiset of rows without SYDNUM (keys move with the high mark)."""
    return Counter(r[1:] for r in syncdata_rows(engine))


def runs_of(engine: sa.Engine) -> list[tuple[str, str]]:
    r = s.fsyrun
    with engine.connect() as conn:
        return [tuple(x) for x in conn.execute(sa.select(r.c.usr, r.c.runkind))]


def test_team_parts_equal_single_user_runs_and_undo_restores(folder: sa.Engine) -> None:
    before = syncdata_rows(folder)
    crit = team("SALES3,ADMIN,SALES1,SALES2")
    res = batch.force_batch(folder, crit, operator="ADMIN", now=NOW)
    assert [p.user for p in res.parts] == ["ADMIN", "SALES1", "SALES2", "SALES3"]
    assert all(p.status == "DONE" and p.written > 0 for p in res.parts)
    after_batch = rows_without_keys(folder)
    assert after_batch != Counter(r[1:] for r in before)
    undone = batch.undo_batch(folder, res.batch_id, operator="ADMIN")
    assert undone.restored == sum(p.written for p in res.parts) and undone.kept == 0
    assert syncdata_rows(folder) == before  # undo --batch restores SYNCDATA exactly
    singles = {
        user: marking.force(folder, crit.for_user(user), operator="ADMIN", now=NOW)
        for user in ("ADMIN", "SALES1", "SALES2", "SALES3")
    }
    assert rows_without_keys(folder) == after_batch
    for part in res.parts:
        assert dict(part.counts) == dict(singles[part.user].counts)
        assert part.warnings == singles[part.user].warnings
    assert "CLL skipped" in " ".join(res.parts[2].warnings)  # SALES2's own gate


def test_preview_counts_per_user_match_single_previews(folder: sa.Engine) -> None:
    crit = team("ADMIN,SALES3,NOREP")
    res = batch.preview_batch(folder, crit, operator="ADMIN", now=NOW)
    assert [u.user for u in res.users] == ["ADMIN", "SALES3"]
    for u in res.users:
        alone = marking.preview(
            folder, crit.for_user(u.user), operator="ADMIN", now=NOW
        )
        assert dict(u.counts) == dict(alone.counts) and u.rep == alone.context.rep
        assert dict(u.out_of_phase) == dict(alone.out_of_phase)
    assert res.to_write == sum(u.to_write for u in res.users) > 0
    assert res.refused[0][0] == "NOREP" and "no sales rep" in res.refused[0][1]
    assert count(folder, s.fsyrun) == 0 and count(folder, s.fsybatch) == 0


def test_refused_user_is_listed_and_the_rest_forced(folder: sa.Engine) -> None:
    before = syncdata_rows(folder)
    res = batch.force_batch(
        folder, team("ADMIN,NOREP,NOSYNC,SALES1"), operator="ADMIN", now=NOW
    )
    status = {p.user: (p.status, p.message or "") for p in res.parts}
    assert status["ADMIN"][0] == status["SALES1"][0] == "DONE"
    assert status["NOREP"][0] == "REFUSED" and "AUSCRMF" in status["NOREP"][1]
    assert status["NOSYNC"][0] == "REFUSED" and "SYNCPAR" in status["NOSYNC"][1]
    assert res.complete
    assert sorted(u for u, _ in runs_of(folder)) == ["ADMIN", "SALES1"]
    untouched = [r for r in before if r[1] in ("NOREP", "NOSYNC")]
    assert [
        r for r in syncdata_rows(folder) if r[1] in ("NOREP", "NOSYNC")
    ] == untouched


def test_nobody_left_is_a_refusal_and_nothing_is_written(folder: sa.Engine) -> None:
    before = syncdata_rows(folder)
    with pytest.raises(UserResolutionError, match="No user of the team") as err:
        batch.force_batch(folder, team("NOREP,NOSYNC"), operator="ADMIN", now=NOW)
    assert "NOREP" in str(err.value) and "NOSYNC" in str(err.value)
    assert syncdata_rows(folder) == before
    assert count(folder, s.fsybatch) == count(folder, s.fsybusr) == 0


def test_failure_in_part_k_keeps_earlier_and_rerun_completes(folder: sa.Engine) -> None:
    before = syncdata_rows(folder)
    crit = team("ADMIN,SALES1,SALES2")
    with (
        part_failing("SALES1"),
        pytest.raises(BatchPartError, match="SALES1 failed") as err,
    ):
        batch.force_batch(folder, crit, operator="ADMIN", now=NOW)
    assert "disk full" in str(err.value)
    partial = err.value.result
    assert isinstance(partial, BatchResult) and not partial.complete
    assert [(p.user, p.status) for p in partial.parts] == [
        ("ADMIN", "DONE"), ("SALES1", "FAILED"), ("SALES2", "PENDING")
    ]  # fmt: skip
    assert runs_of(folder) == [("ADMIN", "FORCE")]
    later = [r for r in before if r[1] in ("SALES1", "SALES2")]
    assert [r for r in syncdata_rows(folder) if r[1] in ("SALES1", "SALES2")] == later
    admin_rows = [r for r in syncdata_rows(folder) if r[1] == "ADMIN"]

    done = batch.force_batch(folder, crit, operator="ADMIN", now=NOW)
    assert done.batch_id == err.value.batch_id and done.complete
    assert [(p.user, p.status, p.earlier) for p in done.parts] == [
        ("ADMIN", "DONE", True), ("SALES1", "DONE", False), ("SALES2", "DONE", False)
    ]  # fmt: skip
    assert sorted(runs_of(folder)) == [
        ("ADMIN", "FORCE"), ("SALES1", "FORCE"), ("SALES2", "FORCE")
    ]  # fmt: skip
    assert [r for r in syncdata_rows(folder) if r[1] == "ADMIN"] == admin_rows
    batch.undo_batch(folder, done.batch_id, operator="ADMIN")
    assert syncdata_rows(folder) == before


def test_resume_by_id_refuses_other_criteria_and_undone_batches(
    folder: sa.Engine,
) -> None:
    res = batch.force_batch(folder, team("ADMIN"), operator="ADMIN", now=NOW)
    with pytest.raises(CriteriaError, match="other criteria"):
        batch.force_batch(
            folder, team("SALES1"), operator="ADMIN", now=NOW, batch=res.batch_id
        )
    again = batch.force_batch(folder, None, operator="ADMIN", batch=res.batch_id)
    assert again.written == 0 and again.parts[0].earlier
    batch.undo_batch(folder, res.batch_id, operator="ADMIN")
    with pytest.raises(RunNotFoundError, match="no forced run left"):
        batch.undo_batch(folder, res.batch_id, operator="ADMIN")
    with pytest.raises(RunNotFoundError, match="was undone"):
        batch.force_batch(folder, None, operator="ADMIN", batch=res.batch_id)


@pytest.mark.parametrize(
    ("selectors", "users"),
    [
        ({"USRFCY": "FR12"}, ["SALES1"]),  # REP02 is at Lyon
        ({"USRFCY": "FR13"}, ["GONE", "SALES3"]),  # REP05 and REP08 at Nantes
        ({"USRCPY": "FR10"}, ["ADMIN", "GONE", "NOREP", "SALES1", "SALES3"]),
        ({"USRREPDEB": "REP02", "USRREPFIN": "REP03"}, ["SALES1", "SALES2"]),
        ({"USRCPY": "FR10", "USRFCY": "FR11"}, ["ADMIN"]),
        ({"USERS": "SALES1,SALES3", "USRFCY": "FR13"}, ["SALES3"]),
    ],
)
def test_selectors_resolve_to_users_with_a_setup(
    folder: sa.Engine, selectors: dict[str, str], users: list[str]
) -> None:
    crit = Criteria.from_params({**selectors, "SELTSK": 1})
    res = batch.preview_batch(folder, crit, operator="ADMIN", now=NOW)
    assert sorted([u.user for u in res.users] + [u for u, _ in res.refused]) == users


def test_bad_team_input_is_refused_naming_the_field(folder: sa.Engine) -> None:
    with pytest.raises(CriteriaError, match="USRFCY=XX99 selects no user"):
        batch.preview_batch(
            folder,
            Criteria.from_params({"USRFCY": "XX99", "SELTSK": 1}),
            operator="ADMIN",
        )
    with pytest.raises(CriteriaError, match="USER=ADMIN and USERS=SALES1"):
        Criteria.from_params({"USER": "ADMIN", "USERS": "SALES1", "SELTSK": 1})
    with pytest.raises(CriteriaError, match="USERS='SALÉS' holds a character"):
        Criteria.from_params({"USERS": "ADMIN,SALÉS", "SELTSK": 1})
    with pytest.raises(CriteriaError, match="selects a team"):
        marking.force(folder, team("ADMIN"), operator="ADMIN")
    with pytest.raises(UserResolutionError, match="Operator"):
        batch.force_batch(folder, team("ADMIN"), operator="NOBODY")
    assert count(folder, s.fsyrun) == count(folder, s.fsybatch) == 0


def cli_run(url: str, *args: str) -> Any:
    return CliRunner().invoke(cli, [*args[:1], "--db", url, *args[1:]])


def test_cli_team_preview_force_runs_and_undo_batch(
    backend: str, folder: sa.Engine
) -> None:
    before = syncdata_rows(folder)
    base = ["--operator", "ADMIN", "--now", NOW, "-p", "USERS=ADMIN,NOREP,SALES3"]
    base += ["-p", "SELTSK=1", "-p", "SELCLL=1"]
    res = cli_run(backend, "preview", *base)
    assert res.exit_code == 0, res.output
    assert "Team preview for 2 user(s)" in res.output
    assert any(
        line.split()[:2] == ["SALES3", "TSK"] for line in res.output.splitlines()
    )
    assert any(line.startswith("TOTAL") for line in res.output.splitlines())
    assert "Refused NOREP: USER='NOREP' has no sales rep" in res.output
    res = cli_run(backend, "force", *base, "--json")
    assert res.exit_code == 0 and count(folder, s.fsybatch) == 0  # no --yes
    preview = json.loads(res.output)
    res = cli_run(backend, "force", *base, "--yes", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert [u["user"] for u in out["users"]] == ["ADMIN", "NOREP", "SALES3"]
    assert out["total"]["written"] == preview["total"]["to_write"] > 0
    assert out["total"]["written"] == sum(u["written"] for u in out["users"])
    res = cli_run(backend, "runs")
    assert res.output.count(f"batch {out['batch_id']}") == 2
    res = cli_run(backend, "undo", "--batch", out["batch_id"])
    assert "Nothing changed" in res.output and syncdata_rows(folder) != before
    res = cli_run(
        backend, "undo", "--batch", out["batch_id"], "--operator", "ADMIN", "--yes"
    )
    assert res.exit_code == 0, res.output
    assert f"Undo of team run {out['batch_id']}" in res.output
    assert syncdata_rows(folder) == before


def test_cli_failed_part_exits_3_with_the_user_table(
    backend: str, folder: sa.Engine
) -> None:
    args = ["--operator", "ADMIN", "--now", NOW, "-p", "USERS=ADMIN,SALES1", "--yes"]
    with part_failing("SALES1"):
        res = cli_run(backend, "force", *args, "-p", "SELTSK=1")
    assert res.exit_code == 3
    assert "Failed SALES1: The run was rolled back" in res.output
    assert "the part of user SALES1 failed" in res.output
    assert [u for u, _ in runs_of(folder)] == ["ADMIN"]
    info = runlog.list_runs(folder)
    assert info[0].batch_id is not None and info[0].user == "ADMIN"


def test_part_done_by_another_session_is_not_forced_again(
    folder: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    crit = team("ADMIN,SALES1")
    first = batch.force_batch(folder, crit, operator="ADMIN", now=NOW)
    rows = syncdata_rows(folder)
    real = batchlog.parts

    def stale(conn: Any, batch_id: str) -> list[batchlog.Part]:
        """What a session that read the parts before the first one finished saw."""
        return [
            batchlog.Part(p.user, p.seq, "PENDING", None, None)
            for p in real(conn, batch_id)
        ]

    monkeypatch.setattr(batchlog, "parts", stale)
    again = batch.force_batch(folder, crit, operator="ADMIN", batch=first.batch_id)
    assert [(p.run_id, p.earlier) for p in again.parts] == [
        (p.run_id, True) for p in first.parts
    ]
    assert dict(again.parts[0].counts) == dict(first.parts[0].counts)
    assert len(runs_of(folder)) == 2 and syncdata_rows(folder) == rows


def threshold(conn: sa.Connection) -> str:
    return str(
        conn.execute(sa.text("SELECT current_setting('checkpoint_threshold')")).scalar()
    )


def test_duckdb_batch_checkpoints_once_and_restores_the_threshold(
    folder: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB: no checkpoint between parts (threshold raised), restored after, even
    after a failed part; PostgreSQL: nothing of it (keep_open holds nothing)."""
    duck = folder.dialect.name == "duckdb"
    seen: list[str] = []
    real = forcing.insert_forced

    def watched(conn: Any, run_id: str, ctx: Any, now: Any) -> None:
        real(conn, run_id, ctx, now)
        if duck:
            seen.append(threshold(conn))
        if ctx.user == "SALES1":
            raise RuntimeError("disk full")

    monkeypatch.setattr(forcing, "insert_forced", watched)
    with db.reading(folder) as held:  # keeps the DuckDB instance (and its settings)
        default = threshold(held) if duck else ""
        held.commit()
        with pytest.raises(BatchPartError):
            batch.force_batch(folder, team("ADMIN,SALES1"), operator="ADMIN", now=NOW)
        after = threshold(held) if duck else ""
    if duck:
        assert len(seen) == 2 and all(s.startswith("931") for s in seen)  # 1 TB
        assert after == default == "16.0 MiB"
    assert runs_of(folder) == [("ADMIN", "FORCE")]


def test_an_undo_failing_at_one_user_is_completed_by_undoing_again(
    folder: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forcedsync_kit import batchundo
    from forcedsync_kit.errors import BackendError

    before = syncdata_rows(folder)
    res = batch.force_batch(folder, team("ADMIN,SALES1,SALES3"), operator="ADMIN")
    real = batchundo.marking.undo

    def failing(engine: sa.Engine, run_id: str, **kw: Any) -> Any:
        if run_id == res.parts[1].run_id:
            raise BackendError("The database is busy.")
        return real(engine, run_id, **kw)

    monkeypatch.setattr(batchundo.marking, "undo", failing)
    with pytest.raises(BatchPartError) as err:
        batch.undo_batch(folder, res.batch_id, operator="ADMIN")
    assert str(err.value) == (
        f"Team run {res.batch_id}: the undo of user SALES1's run failed (The database "
        f"is busy); the parts before it are undone: undo the team run again to "
        f"complete it (forcedsync undo --batch {res.batch_id})."
    )
    assert [p[0] for p in err.value.result.parts] == ["ADMIN"]
    assert syncdata_rows(folder) != before
    monkeypatch.setattr(batchundo.marking, "undo", real)
    again = batch.undo_batch(folder, res.batch_id, operator="ADMIN")
    assert [p[0] for p in again.parts] == ["SALES1", "SALES3"]
    assert syncdata_rows(folder) == before
