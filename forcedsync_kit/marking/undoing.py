"""Undo: restore SYNCDATA as it was before a force run, for its records still pending.

One flat transaction of named, set-based steps, called in this order by ``write_undo``:
check the connected user, load the run, mark what can be restored, delete the restored
records' R rows, put back the rows they replaced, tally, sample what was left alone,
record the undo (FSYRUN, through ``runlog``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from .. import context, db, runlog, tables
from .. import schema as s
from ..clock import When, parse_clock, stamp
from ..criteria import Action
from ..errors import RunNotFoundError
from ..results import UndoResult
from ..states import LineState, RunKind
from . import transaction

#: How many left-alone records an undo lists by key.
KEPT_SAMPLE = 1_000
#: Start of the message of an undo that was rolled back.
ROLLED_BACK = "The undo was rolled back and nothing was changed"
#: The tables an undo writes, whose statistics a large undo refreshes.
UNDO_TABLES = (s.syncdata, s.fsylog)


@dataclass(frozen=True, slots=True)
class UndoJob:
    """One undo: its id, the force run it reverts, operator, clock and start time."""

    undo_id: str
    run_id: str
    operator: str | None
    clock: dt.datetime
    started: dt.datetime


def load_run(conn: Connection, run_id: str) -> Row[Any]:
    """The FSYRUN row of a force run that has not been undone.

    Raises:
        RunNotFoundError: no such force run, or it was undone already.
    """
    run = runlog.find_run(conn, run_id)
    if run is None or run.runkind != RunKind.FORCE:
        raise RunNotFoundError(
            run_id, f"No force run {run_id!r} is recorded: see 'forcedsync runs'."
        )
    if run.undorun:
        raise RunNotFoundError(
            run_id, f"Run {run_id!r} was already undone by run {run.undorun!r}."
        )
    return run


def restorable(
    run_id: str, user: str, clock: dt.datetime, tb: tables.Tables = tables.TOOLKIT
) -> sa.ColumnElement[bool]:
    """For a run's FSYLOG row: its R row is untouched and nothing queued since."""
    lg, q = tb.fsylog, tb.syncdata
    mine = sa.select(sa.literal(1)).where(
        q.c.sydnum == lg.c.newsydnum,
        q.c.sydusr == user,
        q.c.sydtyp == lg.c.sydtyp,
        q.c.sydkey == lg.c.sydkey,
        q.c.sydatttyp == str(Action.FORCED),
        q.c.upddattim == clock,
    )
    q2 = q.alias("other")
    others = sa.select(sa.literal(1)).where(
        q2.c.sydusr == user,
        q2.c.sydtyp == lg.c.sydtyp,
        q2.c.sydkey == lg.c.sydkey,
        q2.c.sydnum != lg.c.newsydnum,
    )
    o, q3 = tb.fsyold, q.alias("taken")
    taken = sa.select(sa.literal(1)).where(
        o.c.runid == run_id,
        o.c.sydtyp == lg.c.sydtyp,
        o.c.sydkey == lg.c.sydkey,
        q3.c.sydnum == o.c.sydnum,
    )
    return sa.and_(mine.exists(), ~others.exists(), ~taken.exists())


def mark_restorable(conn: Connection, run: Row[Any]) -> None:
    """Mark each forced record of the run RESTORED (can be restored) or KEPT."""
    tb = tables.of(conn)
    lg = tb.fsylog
    mark = sa.case(
        (restorable(run.runid, run.usr, run.runclock, tb), str(LineState.RESTORED)),
        else_=str(LineState.KEPT),
    )
    conn.execute(
        sa.update(lg)
        .where(lg.c.runid == run.runid, lg.c.newsydnum.is_not(None))
        .values(undone=mark)
    )


def delete_restored(conn: Connection, run_id: str) -> None:
    """Delete the R rows the run wrote for the records marked RESTORED."""
    tb = tables.of(conn)
    lg, q = tb.fsylog, tb.syncdata
    restored_nums = sa.select(lg.c.newsydnum).where(
        lg.c.runid == run_id, lg.c.undone == str(LineState.RESTORED)
    )
    conn.execute(sa.delete(q).where(q.c.sydnum.in_(restored_nums)))


def put_back_replaced(conn: Connection, run_id: str) -> None:
    """Insert again, with their SYDNUM and values, the rows the run replaced."""
    tb = tables.of(conn)
    lg, q, o = tb.fsylog, tb.syncdata, tb.fsyold
    names = tb.columns(q)
    restored = sa.select(sa.literal(1)).where(
        lg.c.runid == run_id,
        lg.c.undone == str(LineState.RESTORED),
        lg.c.sydtyp == o.c.sydtyp,
        lg.c.sydkey == o.c.sydkey,
    )
    back = sa.select(*[o.c[n] for n in names]).where(
        o.c.runid == run_id, restored.exists()
    )
    conn.execute(tb.insert_from_select(q, names, back, conn))


def tally(conn: Connection, run_id: str) -> tuple[int, int]:
    """(restored, kept): the run's records by what the undo did to them."""
    lg = tables.of(conn).fsylog
    counts: dict[str, int] = {
        str(state): int(n)
        for state, n in conn.execute(
            sa.select(lg.c.undone, sa.func.count())
            .where(lg.c.runid == run_id, lg.c.undone.is_not(None))
            .group_by(lg.c.undone)
        )
    }
    return counts.get(LineState.RESTORED, 0), counts.get(LineState.KEPT, 0)


def kept_sample(conn: Connection, run_id: str) -> tuple[tuple[str, str, str], ...]:
    """Up to KEPT_SAMPLE records left alone: (type, key, why), by type and key."""
    tb = tables.of(conn)
    lg, q = tb.fsylog, tb.syncdata
    kept_rows = conn.execute(
        sa.select(lg.c.sydtyp, lg.c.sydkey, lg.c.newsydnum)
        .where(lg.c.runid == run_id, lg.c.undone == str(LineState.KEPT))
        .order_by(lg.c.sydtyp, lg.c.sydkey)
        .limit(KEPT_SAMPLE)
    ).all()
    if not kept_rows:
        return ()
    present = {
        n
        for (n,) in conn.execute(
            sa.select(q.c.sydnum).where(
                q.c.sydnum.in_([row.newsydnum for row in kept_rows])
            )
        )
    }
    return tuple(
        (
            row.sydtyp,
            row.sydkey,
            "queued again or changed since the run"
            if row.newsydnum in present
            else "sent by a synchronization or replaced since the run",
        )
        for row in kept_rows
    )


def kept_warnings(kept: int) -> tuple[str, ...]:
    """The undo's warning when records were left as they are."""
    if not kept:
        return ()
    return (
        f"{kept} record(s) were left as they are: their forced row was "
        f"sent or changed since the run.",
    )


def write_undo(conn: Connection, job: UndoJob) -> UndoResult:
    """The statements of an undo, in order, inside the caller's transaction."""
    db.require_schema(conn)
    operator = context.check_operator(conn, job.operator)
    run = load_run(conn, job.run_id)
    mark_restorable(conn, run)
    delete_restored(conn, job.run_id)
    put_back_replaced(conn, job.run_id)
    restored, kept = tally(conn, job.run_id)
    sample = kept_sample(conn, job.run_id)
    warnings = kept_warnings(kept)
    runlog.mark_undone(conn, job.run_id, job.undo_id)
    runlog.record_undo_run(
        conn,
        job.undo_id,
        target=run,
        operator=operator,
        times=(job.started, stamp(), job.clock),
        tally=(restored, kept),
        warnings=warnings,
    )
    return UndoResult(
        run_id=job.undo_id,
        target_run_id=job.run_id,
        restored=restored,
        kept=kept,
        kept_records=sample,
        warnings=warnings,
    )


def undo(
    engine: Engine, run_id: str, *, operator: str | None = None, now: When = None
) -> UndoResult:
    """Restore SYNCDATA as it was before a force run, for its records still pending.

    A record is restored (its R row deleted, the rows it replaced put back with their
    SYDNUM and values) when the run's R row is still pending, unchanged, and nothing
    else was queued for it since. Others (sent by a synchronization, forced again,
    changed) are left alone and reported.

    Args:
        engine: the database.
        run_id: id of a FORCE run.
        operator: the connected user, who needs the FUNSYD6 right exactly as for a
            force; default ``resolve_operator()`` (FORCEDSYNC_USER, JUPYTERHUB_USER,
            the OS login).
        now: the undo's clock.

    Returns:
        Counts restored / left alone, with a sample of the records left alone.

    Raises:
        RunNotFoundError: no such FORCE run, or it was undone already.
        UserResolutionError: the connected user may not force (nothing written).
        MarkingError: the undo failed and was rolled back.
        RunCommittedError: the undo was committed, then its commit was interrupted.
        CommitUncertainError: the commit was interrupted and its outcome is unknown.
    """
    job = UndoJob(
        uuid.uuid4().hex, str(run_id).strip(), operator, parse_clock(now), stamp()
    )
    result = transaction.write_run(
        engine,
        job.undo_id,
        lambda conn: write_undo(conn, job),
        rolled_back=ROLLED_BACK,
    )
    changed = result.restored + result.kept + 2 * result.restored
    tb = tables.of(engine)
    transaction.refresh_after_commit(engine, (tb.syncdata, tb.fsylog), changed)
    return result
