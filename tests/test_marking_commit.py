"""Issue 14 in marking: undo's right check, failures mid-undo, commit truth, ANALYZE."""

from __future__ import annotations

import getpass
import logging
import sys
import time
from typing import Any

import pytest
import sqlalchemy as sa
from builders import NOW, count, pending, syncdata_rows
from test_marking import TASKS, tasks_world

from forcedsync_kit import MarkingError, UserResolutionError, db, force, undo
from forcedsync_kit import runlog as runlog_module
from forcedsync_kit import schema as s
from forcedsync_kit.errors import CommitUncertainError, RunCommittedError
from forcedsync_kit.marking import transaction, undoing


def one_sentence(message: str) -> bool:
    return message.endswith(".") and ". " not in message and "\n" not in message


def run_rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    r = s.fsyrun
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.select(r.c.runid, r.c.runkind, r.c.status, r.c.undorun).order_by(
                    r.c.runkind, r.c.runid
                )
            )
        ]


def log_marks(engine: sa.Engine) -> list[Any]:
    lg = s.fsylog
    with engine.connect() as conn:
        return [u for (u,) in conn.execute(sa.select(lg.c.undone))]


def forced(engine: sa.Engine) -> tuple[str, list[tuple[Any, ...]]]:
    """A world, forced by ADMIN: (run id, SYNCDATA after the force)."""
    tasks_world(engine)
    run = force(engine, TASKS, operator="ADMIN", now=NOW)
    return run.run_id, syncdata_rows(engine)


# --- undo checks the connected user's FUNSYD6 right ------------------------------


@pytest.mark.parametrize(
    ("login", "env", "expected"),
    [
        ("nobody", None, "No operator is named"),  # never the OS login (SPEC §7)
        ("nobody", "NOBODY", "'NOBODY' is not a user of this folder"),
        ("admin", "SALES1", "'SALES1' has no access to function FUNSYD6"),
    ],
)
def test_undo_refuses_a_connected_user_without_the_right(
    engine: sa.Engine,
    monkeypatch: pytest.MonkeyPatch,
    login: str,
    env: str | None,
    expected: str,
) -> None:
    run_id, after_force = forced(engine)
    runs = run_rows(engine)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.delenv("FORCEDSYNC_USER", raising=False)
    if env:
        monkeypatch.setenv("FORCEDSYNC_USER", env)
    monkeypatch.setattr(getpass, "getuser", lambda: login)
    with pytest.raises(UserResolutionError, match=expected) as err:
        undo(engine, run_id)  # the run's operator (ADMIN) has the right: not used
    assert one_sentence(err.value.message), err.value.message
    assert syncdata_rows(engine) == after_force
    assert run_rows(engine) == runs and set(log_marks(engine)) == {None}


# --- a failure in the middle of an undo changes nothing ----------------------------

UNDO_STEPS = [
    (undoing, "mark_restorable"),
    (undoing, "delete_restored"),
    (undoing, "put_back_replaced"),
    (undoing, "tally"),
    (undoing, "kept_sample"),
    (runlog_module, "mark_undone"),
    (runlog_module, "record_undo_run"),
]


@pytest.mark.parametrize(
    ("module", "step"), UNDO_STEPS, ids=[name for _, name in UNDO_STEPS]
)
def test_failure_mid_undo_changes_nothing(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, module: Any, step: str
) -> None:
    tasks_world(engine)
    before = syncdata_rows(engine)
    run = force(engine, TASKS, operator="ADMIN", now=NOW)
    after_force, runs = syncdata_rows(engine), run_rows(engine)
    real = getattr(module, step)

    def boom(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)  # the statement ran, then the undo is interrupted
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, step, boom)
    with pytest.raises(MarkingError, match="undo was rolled back.*disk full"):
        undo(engine, run.run_id, operator="ADMIN")
    assert syncdata_rows(engine) == after_force
    assert run_rows(engine) == runs and set(log_marks(engine)) == {None}
    monkeypatch.setattr(module, step, real)
    assert undo(engine, run.run_id, operator="ADMIN").restored == 5
    assert syncdata_rows(engine) == before


# --- commit truth ------------------------------------------------------------------


def failing_commit(
    monkeypatch: pytest.MonkeyPatch, exc: BaseException, *, after: bool
) -> None:
    """Make the COMMIT step raise ``exc``, after the real commit or instead of it."""
    real = transaction.commit

    def commit(conn: sa.Connection) -> None:
        if after:
            real(conn)
        raise exc

    monkeypatch.setattr(transaction, "commit", commit)


@pytest.mark.parametrize(
    "exc", [ConnectionError("network lost"), KeyboardInterrupt()], ids=["error", "^C"]
)
def test_force_interrupted_after_commit_reports_the_committed_run(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    tasks_world(engine)
    failing_commit(monkeypatch, exc, after=True)
    with pytest.raises(RunCommittedError, match="was committed") as err:
        force(engine, TASKS, operator="ADMIN", now=NOW)
    (run_id, kind, status, _), *others = run_rows(engine)
    assert not others and (kind, status) == ("FORCE", "DONE")
    assert err.value.run_id == run_id and run_id in err.value.message
    queue = pending(engine)
    assert all(queue[("TSK", k)] == ["R"] for k in ("T1", "T2", "T3", "T4", "T7"))
    assert count(engine, s.fsylog) == 8


@pytest.mark.parametrize(
    ("exc", "raised"),
    [(ConnectionError("network lost"), MarkingError), (KeyboardInterrupt(), None)],
    ids=["error", "^C"],
)
def test_force_interrupted_before_commit_is_rolled_back(
    engine: sa.Engine,
    monkeypatch: pytest.MonkeyPatch,
    exc: BaseException,
    raised: type[Exception] | None,
) -> None:
    tasks_world(engine)
    before = syncdata_rows(engine)
    failing_commit(monkeypatch, exc, after=False)
    with pytest.raises(raised or KeyboardInterrupt) as err:
        force(engine, TASKS, operator="ADMIN", now=NOW)
    if raised is MarkingError:
        assert "rolled back and nothing was written: network lost" in str(err.value)
    assert syncdata_rows(engine) == before
    for table in (s.fsyrun, s.fsylog, s.fsyold, s.fsykey):
        assert count(engine, table) == 0, table.name


def test_undo_interrupted_after_commit_reports_the_committed_undo(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks_world(engine)
    before = syncdata_rows(engine)
    run = force(engine, TASKS, operator="ADMIN", now=NOW)
    failing_commit(monkeypatch, ConnectionError("network lost"), after=True)
    with pytest.raises(RunCommittedError, match="network lost") as err:
        undo(engine, run.run_id, operator="ADMIN")
    rows = {
        kind: (rid, status, undone) for rid, kind, status, undone in run_rows(engine)
    }
    assert rows["FORCE"] == (run.run_id, "UNDONE", err.value.run_id)
    assert rows["UNDO"] == (err.value.run_id, "DONE", None)
    assert syncdata_rows(engine) == before


def test_undo_interrupted_before_commit_changes_nothing(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id, after_force = forced(engine)
    runs = run_rows(engine)
    failing_commit(monkeypatch, ConnectionError("network lost"), after=False)
    with pytest.raises(MarkingError, match="undo was rolled back.*network lost"):
        undo(engine, run_id, operator="ADMIN")
    assert syncdata_rows(engine) == after_force
    assert run_rows(engine) == runs and set(log_marks(engine)) == {None}


def test_unreadable_commit_outcome_is_reported_as_uncertain(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks_world(engine)
    failing_commit(monkeypatch, ConnectionError("network lost"), after=True)

    def unreachable(engine: sa.Engine, run_id: str) -> bool:
        raise ConnectionError("server gone")

    monkeypatch.setattr(runlog_module, "run_exists", unreachable)
    with pytest.raises(CommitUncertainError, match="forcedsync runs") as err:
        force(engine, TASKS, operator="ADMIN", now=NOW)
    assert err.value.run_id in err.value.message


# --- planner statistics after a committed run (PostgreSQL) --------------------------


def last_analyze(engine: sa.Engine) -> dict[str, Any]:
    stmt = sa.text(
        "SELECT relname, last_analyze FROM pg_stat_user_tables "
        "WHERE schemaname = current_schema() AND relname IN "
        "('syncdata', 'fsylog', 'fsyold')"
    )
    with engine.connect() as conn:
        return {str(name): when for name, when in conn.execute(stmt)}


def analysed_soon(engine: sa.Engine, table: str, since: Any) -> bool:
    """Whether ``table`` was ANALYZEd after ``since`` (stats may lag a moment)."""
    for _ in range(20):
        when = last_analyze(engine).get(table)
        if when is not None and (since is None or when > since):
            return True
        time.sleep(0.1)
    return False


def set_threshold(monkeypatch: pytest.MonkeyPatch, rows: int) -> None:
    module = sys.modules[db.refresh_statistics.__module__]
    monkeypatch.setattr(module, "ANALYZE_THRESHOLD", rows)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_large_runs_refresh_statistics_small_ones_do_not(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks_world(engine)
    set_threshold(monkeypatch, 1_000)  # 8 selected + 5 written + 3 replaced: small
    run = force(engine, TASKS, operator="ADMIN", now=NOW)
    time.sleep(0.3)
    assert set(last_analyze(engine).values()) == {None}
    undo(engine, run.run_id, operator="ADMIN")  # 5 restored: small
    time.sleep(0.3)
    assert set(last_analyze(engine).values()) == {None}
    set_threshold(monkeypatch, 10)
    again = force(engine, TASKS, operator="ADMIN", now=NOW)  # 16 rows changed
    for table in ("syncdata", "fsylog", "fsyold"):
        assert analysed_soon(engine, table, None), table
    seen = last_analyze(engine)
    undo(engine, again.run_id, operator="ADMIN")  # 5 restored: 15 rows changed
    assert analysed_soon(engine, "syncdata", seen["syncdata"])
    assert analysed_soon(engine, "fsylog", seen["fsylog"])


def test_a_failed_statistics_refresh_never_fails_the_run(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    tasks_world(engine)

    def broken(engine: sa.Engine, tables: list[sa.Table], changed: int) -> list[str]:
        raise RuntimeError("ANALYZE refused")

    monkeypatch.setattr(db, "refresh_statistics", broken)
    with caplog.at_level(logging.WARNING):
        run = force(engine, TASKS, operator="ADMIN", now=NOW)
        res = undo(engine, run.run_id, operator="ADMIN")
    assert run.written == 5 and res.restored == 5
    assert [k for _, k, _, _ in run_rows(engine)] == ["FORCE", "UNDO"]
    assert (
        sum("statistics not refreshed" in r.getMessage() for r in caplog.records) == 2
    )
