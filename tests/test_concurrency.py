"""Concurrency (issue #6): operators force, undo and synchronize the same user's queue
at the same time, from separate processes, on PostgreSQL.

Workers are processes started with ``spawn`` that meet at a barrier before each call,
so their runs start within milliseconds of each other; the ``forcedsync`` command is
also raced as separate OS processes. After every round the outcome must be that of
*some* serial order of the runs (the order in which they took the write lock, read
from FSYRUN.ENDED): exactly one R row per forced record, nothing lost, nothing doubled.
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from builders import World
from conftest import drop_pg_schema, pg_url_or_skip
from reliability_helpers import (
    Key,
    all_records,
    bulk_rows,
    check_forced,
    cli_args,
    cli_env,
    load,
    random_queue,
    syncdata,
    worker_init,
    worker_task,
)

from forcedsync_kit import db, marking
from forcedsync_kit import schema as s
from forcedsync_kit.criteria import Criteria
from forcedsync_kit.errors import RunNotFoundError

USER = "SALES"
OPERATORS = ("ADMIN", "OP2", "OP3")
A = {
    "USER": USER,
    "SELTSK": "1",
    "TSKDATDEB": "2026-01-01",
    "TSKDATFIN": "2026-08-31",
    "TSKFORCOR": "1",
}
B = {
    "USER": USER,
    "SELTSK": "1",
    "TSKDATDEB": "2026-05-01",
    "SELCOR": "1",
    "CORDEB": "C00050",
    "CORFIN": "C00150",
}
C = {
    "USER": USER,
    "SELCOR": "1",
    "CORSYNCNT": "1",
    "SELCLL": "1",
    "SELBAP": "1",
    "BAPFORCOR": "1",
}
ROUNDS = 10


@pytest.fixture(scope="module")
def pg() -> Iterator[tuple[str, sa.Engine, list[Key]]]:
    """A PostgreSQL schema with a few thousand records of rep R1 (user SALES)."""
    url = pg_url_or_skip()
    engine = db.connect(url)
    db.init(engine)
    w = World(engine).base()
    w.user(USER, rep="R1", function=1)
    for op in OPERATORS[1:]:
        w.user(op, rep="R2", function=3)
    w.commit()
    data = bulk_rows(300, 800, 400, 200)
    load(engine, data)
    try:
        yield url, engine, all_records(data)
    finally:
        engine.dispose()
        drop_pg_schema(url)


@contextmanager
def racing(parties: int) -> Iterator[ProcessPoolExecutor]:
    """``parties`` spawned worker processes that meet at a barrier before each call."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(parties)
    with ProcessPoolExecutor(
        parties, mp_context=ctx, initializer=worker_init, initargs=(barrier,)
    ) as pool:
        yield pool


def reseed(engine: sa.Engine, records: Sequence[Key], seed: int) -> None:
    """A fresh queue for USER: C/M/R/A/P rows on a random share of the records; a few
    rows of another user that no run may touch."""
    q, k = s.syncdata, s.fsykey
    with engine.begin() as conn:
        conn.execute(sa.delete(q).where(q.c.sydusr.in_([USER, "ADMIN"])))
        top = max(
            int(conn.execute(sa.select(sa.func.max(q.c.sydnum))).scalar() or 0),
            int(conn.execute(sa.select(sa.func.max(k.c.lastval))).scalar() or 0),
        )
        rows = random_queue(
            records, user=USER, share=0.4, seed=seed, first_sydnum=top + 1000
        )
        rows += random_queue(
            records[:50],
            user="ADMIN",
            share=0.5,
            seed=seed,
            first_sydnum=top + 1000 + len(rows) + 10,
        )
        conn.execute(sa.insert(q), rows)


def planned(engine: sa.Engine, params: dict[str, str]) -> dict[Key, str]:
    """(type, key) -> outcome, as a preview sees the queue now."""
    pv = marking.preview(
        engine,
        Criteria.from_params(params),
        operator="ADMIN",
        page_size=marking.MAX_PAGE_SIZE,
    )
    assert pv.total < marking.MAX_PAGE_SIZE
    return {(r.object_type, r.record_key): r.outcome for r in pv.records}


def run_log(engine: sa.Engine, run_id: str) -> dict[Key, tuple[str, int | None]]:
    lg = s.fsylog
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(lg.c.sydtyp, lg.c.sydkey, lg.c.outcome, lg.c.newsydnum).where(
                lg.c.runid == run_id
            )
        )
        return {(t, k): (o, n) for t, k, o, n in rows}


def lock_order(engine: sa.Engine, run_ids: Sequence[str]) -> list[str]:
    """Run ids in the order they held the write lock (ENDED is stamped under it)."""
    r = s.fsyrun
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(r.c.runid, r.c.ended, r.c.started, r.c.status).where(
                r.c.runid.in_(list(run_ids))
            )
        ).all()
    assert len(rows) == len(run_ids), "a run is missing from the history"
    return [row.runid for row in sorted(rows, key=lambda x: x.ended)]


def check_serial(
    engine: sa.Engine,
    plans: dict[str, dict[Key, str]],
    results: dict[str, dict[str, Any]],
    before: list[tuple[Any, ...]],
) -> tuple[set[Key], bool]:
    """The round equals running the forces one after another in lock order.

    ``plans``: run id -> the preview of its criteria taken before the round.
    Returns every record written in the round, and whether two runs overlapped in time.
    """
    order = lock_order(engine, list(plans))
    done: set[Key] = set()
    for rid in order:
        log = run_log(engine, rid)
        plan = plans[rid]
        assert set(log) == set(plan), "a run selected other records than its preview"
        want = {k for k, o in plan.items() if o in ("insert", "supersede")} - done
        wrote = {k for k, (o, n) in log.items() if n is not None}
        assert wrote == want, "a run wrote what a serial run would not have"
        for key, (outcome, _) in log.items():
            if key in done:
                assert outcome == "already"
            else:
                assert outcome == plan[key]
        assert results[rid]["written"] == len(wrote)
        done |= wrote
    with engine.connect() as conn:
        r = s.fsyrun
        rows = conn.execute(
            sa.select(r.c.runid, r.c.counts, r.c.started, r.c.ended).where(
                r.c.runid.in_(list(plans))
            )
        ).all()
    for row in rows:
        assert json.loads(row.counts) == results[row.runid]["counts"]
    spans = sorted((row.started, row.ended) for row in rows)
    overlapped = any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))
    check_forced(before, syncdata(engine), user=USER, written=done, operator=None)
    return done, overlapped


@pytest.mark.slow
def test_operators_forcing_overlapping_selections_at_once(
    pg: tuple[str, sa.Engine, list[Key]],
) -> None:
    url, engine, records = pg
    overlaps = 0
    with racing(3) as pool:
        for n in range(ROUNDS):
            reseed(engine, records, seed=n)
            same = n % 3 == 2  # every third round: the three use the same criteria
            crits = [A, A, A] if same else [A, B, C] if n % 2 else [C, A, B]
            plans_by_pos = [planned(engine, c) for c in crits]
            before = syncdata(engine)
            futures = [
                pool.submit(worker_task, url, "force", op, c)
                for op, c in zip(OPERATORS, crits, strict=True)
            ]
            results = [f.result(timeout=120) for f in futures]
            plans = {r["run_id"]: p for r, p in zip(results, plans_by_pos, strict=True)}
            written, overlapped = check_serial(
                engine, plans, {r["run_id"]: r for r in results}, before
            )
            overlaps += overlapped
            total = {
                k
                for p in plans_by_pos
                for k, o in p.items()
                if o in ("insert", "supersede")
            }
            assert written == total
            assert sum(r["written"] for r in results) == len(total)
            if same:  # the first writes N, the others write nothing: N 'already'
                assert sorted(r["written"] for r in results) == [0, 0, len(total)]
                for r in results:
                    if r["written"] == 0:
                        already = sum(c["already"] for c in r["counts"].values())
                        first = next(x for x in results if x["written"])
                        assert already == len(total) + sum(
                            c["already"] for c in first["counts"].values()
                        )
    assert overlaps >= 1, "the runs never overlapped: the test did not race anything"
    with engine.connect() as conn:
        n_runs = conn.execute(sa.select(sa.func.count()).select_from(s.fsyrun)).scalar()
    assert n_runs == 3 * ROUNDS


@pytest.mark.slow
def test_forcedsync_commands_racing(
    pg: tuple[str, sa.Engine, list[Key]], tmp_path: Path
) -> None:
    """The same race through the command line: three ``forcedsync force --yes --json``
    processes started together; each exits 0 and the result is a serial one."""
    url, engine, records = pg
    for n in range(3):
        reseed(engine, records, seed=100 + n)
        crits = [A, B, C]
        plans_by_pos = [planned(engine, c) for c in crits]
        before = syncdata(engine)
        procs = [
            subprocess.Popen(
                cli_args(url, "force", op, c, "--yes", "--json"),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=cli_env(),
                stdin=subprocess.DEVNULL,
            )
            for op, c in zip(OPERATORS, crits, strict=True)
        ]
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            outs.append(json.loads(out))
        plans = {o["run_id"]: pl for o, pl in zip(outs, plans_by_pos, strict=True)}
        check_serial(engine, plans, {o["run_id"]: o for o in outs}, before)


@pytest.mark.slow
def test_force_racing_undo(pg: tuple[str, sa.Engine, list[Key]]) -> None:
    """Undo of run F1 races a force F2 whose selection overlaps F1's. Whichever takes
    the lock first, the queue ends as before F1 with F2's R rows on top: F1's rows all
    restored, F2's all present, no row lost or doubled."""
    url, engine, records = pg
    with racing(2) as pool:
        for n in range(5):
            reseed(engine, records, seed=200 + n)
            s0 = syncdata(engine)
            plan_before = planned(engine, B)
            f1 = marking.force(engine, Criteria.from_params(A), operator="ADMIN")
            plan_after = planned(engine, B)
            futures = [
                pool.submit(worker_task, url, "undo", "OP2", f1.run_id),
                pool.submit(worker_task, url, "force", "OP3", B),
            ]
            undone, f2 = (f.result(timeout=120) for f in futures)
            assert (undone["restored"], undone["kept"]) == (f1.written, 0)
            order = lock_order(engine, [undone["run_id"], f2["run_id"]])
            plan = plan_before if order[0] == undone["run_id"] else plan_after
            wrote = {
                k
                for k, (o, num) in run_log(engine, f2["run_id"]).items()
                if num is not None
            }
            assert wrote == {k for k, o in plan.items() if o in ("insert", "supersede")}
            check_forced(s0, syncdata(engine), user=USER, written=wrote, operator="OP3")


@pytest.mark.slow
def test_force_racing_the_synchronization(
    pg: tuple[str, sa.Engine, list[Key]], tmp_path: Path
) -> None:
    """A force and the Outlook stand-in's synchronization of the same user at once.
    Nothing is lost: every selected record that may be forced is either sent by the
    synchronization (force first) or left with exactly one pending R row (sync first);
    another user's queue is untouched."""
    url, engine, records = pg
    q = s.syncdata
    with racing(2) as pool:
        for n in range(5):
            reseed(engine, records, seed=300 + n)
            before = syncdata(engine)
            plan = planned(engine, A)
            pending_before = {(r[2], r[3]) for r in before if r[1] == USER}
            out = tmp_path / f"sync{n}"
            futures = [
                pool.submit(worker_task, url, "force", "ADMIN", A),
                pool.submit(worker_task, url, "sync", USER, str(out)),
            ]
            forced, synced = (f.result(timeout=120) for f in futures)
            sent = {(t, k) for t, keys in synced["exported"].items() for k in keys}
            gone = {(t, k) for t, keys in synced["deleted"].items() for k in keys}
            after = syncdata(engine)
            mine = [r for r in after if r[1] == USER]
            assert [r for r in after if r[1] != USER] == [
                r for r in before if r[1] != USER
            ]
            log = run_log(engine, forced["run_id"])
            assert set(log) == set(plan)
            if (
                mine
            ):  # the sync went first and emptied the queue: the force inserted all
                assert all(o == "insert" for o, _ in log.values())
                assert sorted((r[2], r[3], r[4]) for r in mine) == sorted(
                    (t, k, "R") for t, k in plan
                )
                assert sent | gone == pending_before
            else:  # the force went first; the sync then sent its R rows with the rest
                assert {k: o for k, (o, _) in log.items()} == plan
                assert {k for k, o in plan.items() if o != "skip"} <= sent
                assert sent | gone == pending_before | {
                    k for k, o in plan.items() if o == "insert"
                }
            assert not (sent & gone)
            with engine.connect() as conn:
                dup = conn.execute(
                    sa.select(q.c.sydtyp, q.c.sydkey)
                    .where(q.c.sydusr == USER)
                    .group_by(q.c.sydtyp, q.c.sydkey)
                    .having(sa.func.count() > 1)
                ).all()
            assert dup == []


@pytest.mark.slow
def test_two_duckdb_commands_at_once_both_succeed(tmp_path: Path) -> None:
    """DuckDB has one writer process per file: a second ``forcedsync force`` waits for
    the first instead of failing, and the result is a serial one."""
    url = f"duckdb:///{tmp_path / 'race.duckdb'}"
    engine = db.connect(url)
    db.init(engine)
    w = World(engine).base()
    w.user(USER, rep="R1", function=1)
    w.user("OP2", rep="R2", function=3)
    w.commit()
    data = bulk_rows(100, 300, 100, 50)
    load(engine, data)
    reseed(engine, all_records(data), seed=7)
    plans_by_pos = [planned(engine, A), planned(engine, A)]
    before = syncdata(engine)
    procs = [
        subprocess.Popen(
            cli_args(url, "force", op, A, "--yes", "--json"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(),
            stdin=subprocess.DEVNULL,
        )
        for op in ("ADMIN", "OP2")
    ]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(json.loads(out))
    plans = {o["run_id"]: pl for o, pl in zip(outs, plans_by_pos, strict=True)}
    check_serial(engine, plans, {o["run_id"]: o for o in outs}, before)
    assert sorted(o["written"] for o in outs)[0] == 0
    engine.dispose()


@pytest.mark.slow
def test_the_same_run_undone_twice_at_once(
    pg: tuple[str, sa.Engine, list[Key]],
) -> None:
    """Two operators undo the same run at the same moment: one undo restores the queue
    exactly, the other is refused (already undone) and changes nothing."""
    url, engine, records = pg
    with racing(2) as pool:
        for n in range(3):
            reseed(engine, records, seed=400 + n)
            s0 = syncdata(engine)
            f1 = marking.force(engine, Criteria.from_params(C), operator="ADMIN")
            futures = [
                pool.submit(worker_task, url, "undo", op, f1.run_id)
                for op in ("OP2", "OP3")
            ]
            outcomes: list[Any] = []
            for f in futures:
                try:
                    outcomes.append(f.result(timeout=120))
                except RunNotFoundError as exc:
                    outcomes.append(exc)
            done = [o for o in outcomes if isinstance(o, dict)]
            refused = [o for o in outcomes if isinstance(o, RunNotFoundError)]
            assert len(done) == 1 and len(refused) == 1, outcomes
            assert "already undone" in str(refused[0])
            assert (done[0]["restored"], done[0]["kept"]) == (f1.written, 0)
            assert syncdata(engine) == s0


def test_a_run_in_another_folder_does_not_block(
    pg: tuple[str, sa.Engine, list[Key]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """X3 keeps each folder in its own schema. The write lock serialises the writers of
    one folder's SYNCDATA; a long run in another folder must not make this one wait
    or fail 'busy'."""
    url, engine, _ = pg
    other = pg_url_or_skip()
    try:
        other_engine = db.connect(other)
        db.init(other_engine)
        monkeypatch.setenv("FORCEDSYNC_BUSY_TIMEOUT", "2")
        with db.writing(other_engine):  # a long run in the other folder
            done = marking.force(engine, Criteria.from_params(A), operator="ADMIN")
        assert done.run_id
        other_engine.dispose()
    finally:
        drop_pg_schema(other)
