"""SPEC §4: outcomes, rows written, idempotence, exact undo, atomicity."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from builders import NOW, World, count, pending, syncdata_rows

from forcedsync_kit import (
    Criteria,
    MarkingError,
    RunNotFoundError,
    UserResolutionError,
    detailed_log,
    force,
    get_run,
    list_runs,
    preview,
    run_records,
    undo,
)
from forcedsync_kit import schema as s
from forcedsync_kit.marking import forcing

TASKS = Criteria(seltsk=True)


def tasks_world(engine: sa.Engine) -> World:
    """Tasks T1..T8 of rep R1, each with a different queue situation for ADMIN."""
    w = World(engine).base()
    w.user("SALES1", rep="R2", function=1, profile="SALES")
    for i in range(1, 9):
        w.task(f"T{i}")
    # T1: nothing queued -> insert
    w.queue("TSK", "T2", "C")  # -> supersede
    w.queue("TSK", "T3", "M")
    w.queue("TSK", "T3", "M")  # several -> supersede
    w.queue("TSK", "T4", "R")  # exactly one R -> already
    w.queue("TSK", "T5", "A")  # deletion -> skip
    w.queue("TSK", "T6", "C")
    w.queue("TSK", "T6", "P")  # change of user among others -> skip
    w.queue("TSK", "T7", "R")
    w.queue("TSK", "T7", "M")  # R among others -> supersede
    w.queue("TSK", "T8", "C", user="SALES1")  # another user's row: ignored -> insert
    return w.commit()


def outcomes(engine: sa.Engine) -> dict[str, str]:
    res = preview(engine, TASKS, operator="ADMIN", now=NOW, page_size=100)
    return {r.record_key: r.outcome for r in res.records}


def test_each_outcome_is_classified(engine: sa.Engine) -> None:
    tasks_world(engine)
    assert outcomes(engine) == {
        "T1": "insert",
        "T2": "supersede",
        "T3": "supersede",
        "T4": "already",
        "T5": "skip",
        "T6": "skip",
        "T7": "supersede",
        "T8": "insert",
    }


def test_preview_writes_nothing(engine: sa.Engine) -> None:
    tasks_world(engine)
    before = syncdata_rows(engine)
    preview(engine, TASKS, operator="ADMIN", now=NOW)
    assert syncdata_rows(engine) == before
    assert count(engine, s.fsyrun) == 0 and count(engine, s.fsylog) == 0


def test_force_leaves_one_r_row_per_forced_record(engine: sa.Engine) -> None:
    tasks_world(engine)
    res = force(engine, TASKS, operator="ADMIN", now=NOW)
    assert res.counts["TSK"] == {"insert": 2, "supersede": 3, "already": 1, "skip": 2}
    assert res.written == 5
    queue = pending(engine)
    for key in ("T1", "T2", "T3", "T4", "T7", "T8"):
        assert queue[("TSK", key)] == ["R"], key
    assert queue[("TSK", "T5")] == ["A"]
    assert queue[("TSK", "T6")] == ["C", "P"]
    assert pending(engine, "SALES1") == {("TSK", "T8"): ["C"]}
    q = s.syncdata
    with engine.connect() as conn:
        row = conn.execute(sa.select(q).where(q.c.sydkey == "T1")).one()
    assert row.syddat == dt.date(2026, 11, 29) and row.sydhou == "120000"
    assert (row.sydgen, row.sydupd, row.sydotksta) == ("0", "0", "0")
    assert row.updusr == "ADMIN" and row.sydusr == "ADMIN"


def test_force_twice_writes_nothing_new(engine: sa.Engine) -> None:
    tasks_world(engine)
    force(engine, TASKS, operator="ADMIN", now=NOW)
    after_first = syncdata_rows(engine)
    second = force(engine, TASKS, operator="ADMIN", now=NOW)
    assert second.written == 0
    assert second.counts["TSK"] == {
        "insert": 0,
        "supersede": 0,
        "already": 6,
        "skip": 2,
    }
    assert syncdata_rows(engine) == after_first


def test_preview_counts_equal_what_force_writes(engine: sa.Engine) -> None:
    tasks_world(engine)
    seen = preview(engine, TASKS, operator="ADMIN", now=NOW)
    done = force(engine, TASKS, operator="ADMIN", now=NOW)
    assert dict(seen.counts) == dict(done.counts)


def test_new_keys_never_collide_with_loaded_ones(engine: sa.Engine) -> None:
    tasks_world(engine)
    force(engine, TASKS, operator="ADMIN", now=NOW)
    q = s.syncdata
    with engine.connect() as conn:
        nums = [n for (n,) in conn.execute(sa.select(q.c.sydnum))]
    assert len(nums) == len(set(nums))
    assert min(n for n in nums if n > 10) > 10  # above the 10 rows the world loaded


def test_undo_restores_syncdata_exactly(engine: sa.Engine) -> None:
    tasks_world(engine)
    before = syncdata_rows(engine)
    run = force(engine, TASKS, operator="ADMIN", now=NOW)
    res = undo(engine, run.run_id, operator="ADMIN")
    assert (res.restored, res.kept) == (5, 0)
    assert syncdata_rows(engine) == before
    info = get_run(engine, run.run_id)
    assert info.status == "UNDONE" and info.undo_run_id == res.run_id
    assert [r.kind for r in list_runs(engine)] == ["UNDO", "FORCE"]


def test_undo_keeps_records_consumed_or_requeued_since(engine: sa.Engine) -> None:
    w = tasks_world(engine)
    before = {r[0]: r for r in syncdata_rows(engine)}
    run = force(engine, TASKS, operator="ADMIN", now=NOW)
    q = s.syncdata
    with engine.begin() as conn:  # a synchronization sent T1 and T2; T3 changed again
        conn.execute(
            sa.delete(q).where(q.c.sydkey.in_(["T1", "T2"]), q.c.sydusr == "ADMIN")
        )
    w._sydnum = 1000
    w.queue("TSK", "T3", "M", when=dt.datetime(2026, 11, 29, 13, 0, 0))
    w.commit()
    res = undo(engine, run.run_id, operator="ADMIN")
    assert (res.restored, res.kept) == (2, 3)  # T7 and T8 restored
    kept = {k: why for _, k, why in res.kept_records}
    assert set(kept) == {"T1", "T2", "T3"}
    assert "sent" in kept["T1"] and "queued again" in kept["T3"]
    queue = pending(engine)
    assert queue[("TSK", "T3")] == ["R", "M"]  # left as it was
    assert ("TSK", "T1") not in queue and ("TSK", "T8") not in queue
    assert queue[("TSK", "T7")] == ["R", "M"]  # restored with its own rows
    rows = {r[0]: r for r in syncdata_rows(engine)}
    for num, row in before.items():
        if row[3] in ("T7", "T4", "T5", "T6"):
            assert rows[num] == row  # same SYDNUM, same values


def test_undo_twice_is_refused(engine: sa.Engine) -> None:
    tasks_world(engine)
    run = force(engine, TASKS, operator="ADMIN", now=NOW)
    undo(engine, run.run_id, operator="ADMIN")
    after = syncdata_rows(engine)
    with pytest.raises(RunNotFoundError, match="already undone"):
        undo(engine, run.run_id, operator="ADMIN")
    with pytest.raises(RunNotFoundError, match="No force run"):
        undo(engine, "nope", operator="ADMIN")
    assert syncdata_rows(engine) == after


@pytest.mark.parametrize(
    "step",
    [
        "stage",
        "save_replaced",
        "delete_replaced",
        "insert_forced",
        "run_counts",
        "store_keys",
    ],
)
def test_failure_mid_run_leaves_no_trace(
    engine: sa.Engine, step: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks_world(engine)
    before = syncdata_rows(engine)
    real = getattr(forcing, step)

    def boom(*args: object, **kwargs: object) -> object:
        real(*args, **kwargs)  # the statement ran, then the run is interrupted
        raise RuntimeError("disk full")

    monkeypatch.setattr(forcing, step, boom)
    with pytest.raises(MarkingError, match="rolled back.*disk full"):
        force(engine, TASKS, operator="ADMIN", now=NOW)
    assert syncdata_rows(engine) == before
    for table in (s.fsyrun, s.fsylog, s.fsyold, s.fsykey):
        assert count(engine, table) == 0, table.name
    monkeypatch.setattr(forcing, step, real)
    assert force(engine, TASKS, operator="ADMIN", now=NOW).written == 5


def test_refusal_writes_nothing(engine: sa.Engine) -> None:
    tasks_world(engine)
    before = syncdata_rows(engine)
    with pytest.raises(UserResolutionError, match="SALES1.*FUNSYD6"):
        force(engine, TASKS, operator="SALES1", now=NOW)
    assert syncdata_rows(engine) == before and count(engine, s.fsyrun) == 0


def test_detailed_log_lists_every_record_and_summary(engine: sa.Engine) -> None:
    tasks_world(engine)
    run = force(
        engine, Criteria(seltsk=True, flgtrcdet=True), operator="ADMIN", now=NOW
    )
    text = detailed_log(engine, run.run_id)
    lines = text.splitlines()
    assert lines[0].startswith(f"Forced synchronization run {run.run_id}")
    assert "Operator: ADMIN   User: ADMIN   Company: FR10" in text
    assert "Records written (R): 5" in text
    records = [ln for ln in lines if ln.startswith("TSK\t")]
    assert len(records) == 8
    assert "TSK\tT5\tskip\t-" in records
    summary_only = detailed_log(engine, run.run_id, details=False)
    assert "TSK\t" not in summary_only


def test_run_records_pages_the_detail(engine: sa.Engine) -> None:
    tasks_world(engine)
    run = force(engine, TASKS, operator="ADMIN", now=NOW)
    rows, total = run_records(engine, run.run_id, page=2, page_size=3)
    assert total == 8 and [r.record_key for r in rows] == ["T4", "T5", "T6"]
    skipped, n = run_records(engine, run.run_id, outcome="skip")
    assert n == 2 and {r.record_key for r in skipped} == {"T5", "T6"}


def test_run_history_records_criteria_counts_and_clock(engine: sa.Engine) -> None:
    tasks_world(engine)
    run = force(engine, TASKS, operator="ADMIN", now="2026-11-29T12:00:00Z")
    info = get_run(engine, run.run_id)
    assert (info.operator, info.user, info.company) == ("ADMIN", "ADMIN", "FR10")
    assert info.params["SELTSK"] is True and info.params["SELCOR"] is False
    assert info.counts["TSK"]["insert"] == 2
    assert info.now == NOW
    assert info.started is not None and info.ended is not None
    assert info.started <= info.ended


def test_undo_without_operator_acts_as_the_connected_user(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks_world(engine)
    before = syncdata_rows(engine)
    run = force(engine, TASKS, operator="ADMIN", now=NOW)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.setenv("FORCEDSYNC_USER", "admin")
    res = undo(engine, run.run_id)
    assert res.restored == 5 and syncdata_rows(engine) == before
    assert get_run(engine, res.run_id).operator == "ADMIN"
