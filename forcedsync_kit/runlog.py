"""The run history (FSYRUN) and the detailed log (FSYLOG).

This module is the only writer of FSYRUN: the force and undo transactions record their
run header through ``record_force_run`` / ``record_undo_run`` / ``mark_undone``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from . import batchlog, db, present, tables
from .criteria import OBJECT_TYPES, OUTCOMES
from .errors import CriteriaError, RunNotFoundError
from .results import ForceResult, RecordRow, RunInfo
from .selection import describe, record_row, split_reasons
from .states import RunKind, RunStatus

logger = logging.getLogger(__name__)

#: Rows fetched at a time when streaming a run's detail.
CHUNK = 50_000


def _info(row: Any) -> RunInfo:
    counts = json.loads(row.counts) if row.counts else {}
    tally: dict[str, int] = {}
    if row.runkind == RunKind.UNDO:  # an undo stores {"restored": n, "kept": m}
        tally, counts = counts, {}
    return RunInfo(
        run_id=row.runid,
        kind=row.runkind,
        operator=row.oprusr,
        user=row.usr,
        company=row.cpy,
        started=row.started,
        ended=row.ended,
        now=row.runclock,
        status=row.status,
        counts=counts,
        warnings=tuple(json.loads(row.warnings)) if row.warnings else (),
        params=json.loads(row.criteria) if row.criteria else {},
        undo_run_id=row.undorun,
        target_run_id=row.targetrun,
        restored=tally.get("restored"),
        kept=tally.get("kept"),
    )


def find_run(conn: Connection, run_id: str) -> Row[Any] | None:
    """The FSYRUN row of ``run_id`` read on ``conn`` (in its transaction), or None."""
    r = tables.of(conn).fsyrun
    return conn.execute(sa.select(r).where(r.c.runid == run_id)).first()


def run_exists(engine: Engine, run_id: str) -> bool:
    """Whether ``run_id`` is committed, read after the writers' lock is free.

    ``db.writing`` waits for the writers' lock (PostgreSQL) or the file (DuckDB), so a
    COMMIT still in flight on another connection has finished when this reads.
    """
    with db.writing(engine) as conn:
        return find_run(conn, run_id) is not None


def _insert_run(
    conn: Connection,
    run_id: str,
    kind: RunKind,
    times: tuple[dt.datetime, dt.datetime, dt.datetime],
    tally: dict[str, Any],
    warnings: Sequence[str],
    **who: Any,
) -> None:
    """Insert an FSYRUN header: ``times`` are (started, ended, run clock), ``tally``
    its counts, ``who`` the columns naming its operator, user, company and criteria."""
    started, ended, clock = times
    conn.execute(
        sa.insert(tables.of(conn).fsyrun).values(
            runid=run_id,
            runkind=str(kind),
            started=started,
            ended=ended,
            runclock=clock,
            status=str(RunStatus.DONE),
            counts=json.dumps(tally),
            warnings=json.dumps(list(warnings)),
            **who,
        )
    )


def record_force_run(conn: Connection, result: ForceResult) -> None:
    """Insert the header of the force run ``result`` (its FSYRUN row)."""
    ctx = result.context
    _insert_run(
        conn,
        result.run_id,
        RunKind.FORCE,
        (result.started, result.ended, result.now),
        {typ: dict(by_outcome) for typ, by_outcome in result.counts.items()},
        result.warnings,
        oprusr=ctx.operator,
        usr=ctx.user,
        cpy=ctx.company,
        criteria=result.criteria.to_json(),
    )


def record_undo_run(
    conn: Connection,
    undo_id: str,
    *,
    target: Row[Any],
    operator: str,
    times: tuple[dt.datetime, dt.datetime, dt.datetime],
    tally: tuple[int, int],
    warnings: Sequence[str],
) -> None:
    """Insert the header of an undo of the force run ``target`` (its FSYRUN row).

    ``times`` are (started, ended, run clock); ``tally`` is (restored, kept).
    """
    restored, kept = tally
    _insert_run(
        conn,
        undo_id,
        RunKind.UNDO,
        times,
        {"restored": restored, "kept": kept},
        warnings,
        oprusr=operator,
        usr=target.usr,
        cpy=target.cpy,
        criteria=target.criteria,
        targetrun=target.runid,
    )


def mark_undone(conn: Connection, run_id: str, undo_id: str) -> None:
    """Record on the force run ``run_id`` that the undo ``undo_id`` reverted it."""
    r = tables.of(conn).fsyrun
    conn.execute(
        sa.update(r)
        .where(r.c.runid == run_id)
        .values(undorun=undo_id, status=str(RunStatus.UNDONE))
    )


def list_runs(
    engine: Engine, *, limit: int | None = 100, user: str | None = None
) -> list[RunInfo]:
    """The run history, newest first.

    Args:
        engine: the database.
        limit: at most this many runs (None: all).
        user: only runs for this USER.
    """
    r = tables.of(engine).fsyrun
    stmt = sa.select(r).order_by(r.c.started.desc(), r.c.runid)
    if user:
        stmt = stmt.where(r.c.usr == user.strip().upper())
    if limit is not None:
        stmt = stmt.limit(limit)
    with db.reading(engine) as conn:
        db.require_schema(conn)
        items = [_info(row) for row in conn.execute(stmt)]
        ids = [i.target_run_id or i.run_id for i in items]
        batches = dict(
            conn.execute(batchlog.batch_of_runs(ids, tables.of(conn))).tuples().all()
        )
    return [
        dataclasses.replace(i, batch_id=batches.get(i.target_run_id or i.run_id))
        for i in items
    ]


def get_run(engine: Engine, run_id: str) -> RunInfo:
    """One run of the history.

    Raises:
        RunNotFoundError: no run has that id.
    """
    r = tables.of(engine).fsyrun
    with db.reading(engine) as conn:
        db.require_schema(conn)
        row = conn.execute(sa.select(r).where(r.c.runid == str(run_id).strip())).first()
    if row is None:
        raise RunNotFoundError(
            str(run_id), f"No run {run_id!r} is recorded: see 'forcedsync runs'."
        )
    return _info(row)


def run_records(
    engine: Engine,
    run_id: str,
    *,
    page: int = 1,
    page_size: int = 200,
    outcome: str | None = None,
    object_type: str | None = None,
) -> tuple[list[RecordRow], int]:
    """One page of a force run's per-record detail, and how many records match.

    Raises:
        RunNotFoundError: no run has that id.
        CriteriaError: a bad page or filter.
    """
    info = get_run(engine, run_id)
    if page < 1 or page_size < 1:
        raise CriteriaError("page", page, "page and page_size must be >= 1.")
    lg = tables.of(engine).fsylog
    conds = [lg.c.runid == info.run_id]
    if outcome:
        if outcome not in {str(o) for o in OUTCOMES}:
            raise CriteriaError("outcome", outcome, f"outcome={outcome!r} is unknown.")
        conds.append(lg.c.outcome == outcome)
    if object_type:
        if object_type not in {str(t) for t in OBJECT_TYPES}:
            raise CriteriaError(
                "object_type", object_type, f"object_type={object_type!r} is unknown."
            )
        conds.append(lg.c.sydtyp == object_type)
    with db.reading(engine) as conn:
        total = int(
            conn.execute(
                sa.select(sa.func.count()).select_from(lg).where(*conds)
            ).scalar()
            or 0
        )
        pg = (
            sa.select(lg.c.sydtyp, lg.c.sydkey, lg.c.outcome, lg.c.oop, lg.c.reasons)
            .where(*conds)
            .order_by(lg.c.sydtyp, lg.c.sydkey)
            .limit(page_size)
            .offset((page - 1) * page_size)
            .subquery("pg")
        )
        rows = [record_row(r) for r in conn.execute(describe(pg, tables.of(conn)))]
    return rows, total


def summary_lines(info: RunInfo) -> list[str]:
    """The summary part of the log: who, for whom, clock, criteria, counts, warnings."""
    lines = [
        f"Forced synchronization run {info.run_id} ({info.kind})",
        f"Operator: {info.operator}   User: {info.user}   Company: {info.company}",
        f"Clock: {info.now}   Started: {info.started}   Ended: {info.ended}",
        f"Status: {info.status}"
        + (f"   Undone by: {info.undo_run_id}" if info.undo_run_id else ""),
        "Criteria: "
        + " ".join(
            f"{k}={v}"
            for k, v in sorted(info.params.items())
            if v not in (None, False, "")
        ),
    ]
    if info.kind == RunKind.FORCE:
        lines += present.counts_table(info.counts, style="log")
        lines.append(f"Records written (R): {info.written}")
    else:
        lines.append(
            f"Undo of {info.target_run_id}: {info.restored} record(s) restored, "
            f"{info.kept} left as they are"
        )
    lines += [f"Warning: {w}" for w in info.warnings]
    return lines


def iter_log_lines(
    engine: Engine, run_id: str, *, details: bool = True
) -> Iterator[str]:
    """The detailed log of a run, line by line: summary, then one line per record.

    Record lines are ``TYPE<TAB>KEY<TAB>outcome<TAB>reasons`` (reasons joined by ' | ',
    '-' when the record is in phase), streamed from FSYLOG in chunks.
    """
    info = get_run(engine, run_id)
    yield from summary_lines(info)
    if not details or info.kind != RunKind.FORCE:
        return
    yield "Records (type, key, outcome, out-of-phase reasons):"
    lg = tables.of(engine).fsylog
    stmt = (
        sa.select(lg.c.sydtyp, lg.c.sydkey, lg.c.outcome, lg.c.reasons)
        .where(lg.c.runid == info.run_id)
        .order_by(lg.c.sydtyp, lg.c.sydkey)
    )
    with db.reading(engine) as conn:
        result = conn.execution_options(yield_per=CHUNK).execute(stmt)
        for part in result.partitions():
            for typ, key, out, reasons in part:
                shown = " | ".join(split_reasons(reasons)) or "-"
                yield f"{typ}\t{key}\t{out}\t{shown}"


def detailed_log(engine: Engine, run_id: str, *, details: bool = True) -> str:
    """The whole detailed log of a run as text (use ``write_log`` for large runs)."""
    return "\n".join(iter_log_lines(engine, run_id, details=details)) + "\n"


def write_log(
    engine: Engine, run_id: str, target: str | Path | IO[str], *, details: bool = True
) -> int:
    """Write a run's detailed log to a path or text stream; returns lines written."""
    n = 0
    if isinstance(target, str | Path):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", encoding="utf-8") as fh:
            return write_log(engine, run_id, fh, details=details)
    for line in iter_log_lines(engine, run_id, details=details):
        target.write(line + "\n")
        n += 1
    return n
