"""Preview, force and undo (SPEC §4): the sole owner of the write transactions.

A force is one flat transaction of a handful of set-based statements over a staged
selection (the run's FSYLOG rows): stage, save the rows to be replaced, delete them,
insert the R rows, count, record the run. Nothing is looped per record in Python.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import context, db
from . import schema as s
from .clock import parse_clock
from .clock import stamp as _stamp
from .criteria import OBJECT_TYPES, Action, Criteria, Outcome
from .errors import CriteriaError, ForcedSyncError, MarkingError, RunNotFoundError
from .results import (
    ForceResult,
    PreviewResult,
    RecordRow,
    RunContext,
    UndoResult,
    empty_counts,
)
from .selection import (
    WRITTEN_OUTCOMES,
    classify,
    compile_selection,
    describe,
    record_row,
)

logger = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
#: Largest page a preview returns.
MAX_PAGE_SIZE = 10_000
#: How many left-alone records an undo lists by key.
KEPT_SAMPLE = 1_000
_SYDNUM = "SYDNUM"


def _noop(step: str, fraction: float) -> None:
    return None


@dataclass(frozen=True, slots=True)
class _Plan:
    ctx: RunContext
    now: dt.datetime
    classified: sa.Select[Any]
    warnings: tuple[str, ...]
    skipped: tuple[str, ...]


def _plan(
    conn: Connection, criteria: Criteria, operator: str | None, now: dt.datetime
) -> _Plan:
    db.require_schema(conn)
    ctx = context.resolve(conn, criteria, operator)
    gates = context.gates(conn, criteria, ctx)
    selection = compile_selection(criteria, ctx, gates.active)
    classified = classify(
        selection,
        user=ctx.user,
        now=now,
        staledays=criteria.staledays,
        timestamp_key=lambda col: db.timestamp_key(conn, col),
        only_oop=criteria.onlyoop,
    )
    return _Plan(
        ctx, now, classified, gates.warnings, tuple(str(t) for t in gates.skipped)
    )


def _check_page(page: int, page_size: int) -> None:
    if not isinstance(page, int) or page < 1:
        raise CriteriaError("page", page, f"page={page!r} must be a whole number >= 1.")
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise CriteriaError(
            "page_size",
            page_size,
            f"page_size={page_size!r} must be a whole number from 1 to "
            f"{MAX_PAGE_SIZE}.",
        )


def _check_filter(name: str, value: str | None, allowed: tuple[Any, ...]) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text not in {str(a) for a in allowed}:
        raise CriteriaError(
            name,
            value,
            f"{name}={value!r} is not one of {', '.join(str(a) for a in allowed)}.",
        )
    return text


def preview(
    engine: Engine,
    criteria: Criteria,
    *,
    operator: str | None = None,
    now: dt.datetime | str | None = None,
    page: int = 1,
    page_size: int = 200,
    object_type: str | None = None,
    outcome: str | None = None,
    only_oop: bool = False,
) -> PreviewResult:
    """What a force with these criteria would do; writes nothing.

    Args:
        engine: the database.
        criteria: validated criteria.
        operator: the connected user; default ``resolve_operator()``.
        now: the run's clock (UTC); default the current time.
        page: 1-based page of records to return.
        page_size: records per page (1..10000).
        object_type: page filter on SYDTYP (COR, TSK, CLL, BAP).
        outcome: page filter on the outcome (insert, supersede, already, skip).
        only_oop: page filter: out-of-phase records only.

    Returns:
        Counts per type and outcome over the whole selection, out-of-phase counts per
        type, warnings, and one page of records computed in SQL.

    Raises:
        CriteriaError: bad page arguments.
        UserResolutionError: a refusal of SPEC §4.2.
        BackendError: the database cannot be used.
    """
    _check_page(page, page_size)
    ftype = _check_filter("object_type", object_type, OBJECT_TYPES)
    foutcome = _check_filter("outcome", outcome, tuple(Outcome))
    clock = parse_clock(now)
    with db.reading(engine) as conn:
        plan = _plan(conn, criteria, operator, clock)
        cls = plan.classified.subquery("cls")
        grouped = conn.execute(
            sa.select(cls.c.sydtyp, cls.c.outcome, cls.c.oop, sa.func.count()).group_by(
                cls.c.sydtyp, cls.c.outcome, cls.c.oop
            )
        ).all()
        counts = empty_counts()
        oop = {str(t): 0 for t in OBJECT_TYPES}
        total = 0
        for typ, out, flag, n in grouped:
            counts[typ][out] += n
            if flag:
                oop[typ] += n
            if (
                (ftype in (None, typ))
                and (foutcome in (None, out))
                and (flag or not only_oop)
            ):
                total += n
        records: tuple[RecordRow, ...] = ()
        if total:
            conds = []
            if ftype:
                conds.append(cls.c.sydtyp == ftype)
            if foutcome:
                conds.append(cls.c.outcome == foutcome)
            if only_oop:
                conds.append(cls.c.oop == 1)
            page_q = (
                sa.select(cls)
                .where(*conds)
                .order_by(cls.c.sydtyp, cls.c.sydkey)
                .limit(page_size)
                .offset((page - 1) * page_size)
                .subquery("pg")
            )
            records = tuple(record_row(r) for r in conn.execute(describe(page_q)))
    return PreviewResult(
        context=plan.ctx,
        criteria=criteria,
        now=clock,
        counts=counts,
        out_of_phase=oop,
        warnings=plan.warnings,
        records=records,
        total=total,
        page=page,
        page_size=page_size,
        skipped_types=plan.skipped,
    )


def _in_run(run_id: str, *outcomes: str) -> sa.Select[Any]:
    """EXISTS-able: the run's FSYLOG rows of the given outcomes matching SYNCDATA."""
    lg, q = s.fsylog, s.syncdata
    return sa.select(sa.literal(1)).where(
        lg.c.runid == run_id,
        lg.c.outcome.in_(outcomes),
        lg.c.sydtyp == q.c.sydtyp,
        lg.c.sydkey == q.c.sydkey,
    )


def _next_keys(conn: Connection) -> int:
    """The highest SYDNUM ever present or generated; new keys go above it."""
    k = s.fsykey
    last = conn.execute(sa.select(k.c.lastval).where(k.c.keyname == _SYDNUM)).scalar()
    top = conn.execute(sa.select(sa.func.max(s.syncdata.c.sydnum))).scalar()
    return max(int(last or 0), int(top or 0))


def _store_keys(conn: Connection, value: int, existed: bool) -> None:
    k = s.fsykey
    if existed:
        conn.execute(sa.update(k).where(k.c.keyname == _SYDNUM).values(lastval=value))
    else:
        conn.execute(sa.insert(k).values(keyname=_SYDNUM, lastval=value))


def _stage(conn: Connection, run_id: str, plan: _Plan, base: int) -> None:
    """Stage the classified selection as the run's FSYLOG rows, with new SYDNUMs."""
    cls = plan.classified.subquery("cls")
    written = cls.c.outcome.in_(WRITTEN_OUTCOMES)
    rank = sa.func.row_number().over(
        partition_by=sa.case((written, 1), else_=0),
        order_by=(cls.c.sydtyp, cls.c.sydkey),
    )
    newnum = sa.case((written, sa.literal(base, sa.BigInteger) + rank), else_=None)
    src = sa.select(
        sa.literal(run_id, sa.String).label("runid"),
        cls.c.sydtyp,
        cls.c.sydkey,
        cls.c.outcome,
        cls.c.oop,
        sa.func.nullif(cls.c.reasons, "").label("reasons"),
        newnum.label("newsydnum"),
    )
    cols = ["runid", "sydtyp", "sydkey", "outcome", "oop", "reasons", "newsydnum"]
    conn.execute(sa.insert(s.fsylog).from_select(cols, src))


def _save_replaced(conn: Connection, run_id: str, user: str) -> None:
    """Copy the SYNCDATA rows that the run replaces into FSYOLD (for undo)."""
    q = s.syncdata
    names = [c.name for c in q.columns]
    src = sa.select(sa.literal(run_id, sa.String), *[q.c[n] for n in names]).where(
        q.c.sydusr == user, _in_run(run_id, str(Outcome.SUPERSEDE)).exists()
    )
    conn.execute(sa.insert(s.fsyold).from_select(["runid", *names], src))


def _delete_replaced(conn: Connection, run_id: str, user: str) -> None:
    q = s.syncdata
    conn.execute(
        sa.delete(q).where(
            q.c.sydusr == user, _in_run(run_id, str(Outcome.SUPERSEDE)).exists()
        )
    )


def _insert_forced(
    conn: Connection, run_id: str, ctx: RunContext, now: dt.datetime
) -> None:
    lg = s.fsylog
    src = sa.select(
        lg.c.newsydnum,
        sa.literal(ctx.user, sa.String),
        lg.c.sydtyp,
        lg.c.sydkey,
        sa.literal(str(Action.FORCED), sa.String),
        sa.literal(now.date(), sa.Date),
        sa.literal(now.strftime("%H%M%S"), sa.String),
        sa.literal("0", sa.String),
        sa.literal("0", sa.String),
        sa.literal("0", sa.String),
        sa.literal(ctx.operator, sa.String),
        sa.literal(now, sa.DateTime),
        sa.literal(ctx.operator, sa.String),
        sa.literal(now, sa.DateTime),
    ).where(lg.c.runid == run_id, lg.c.newsydnum.is_not(None))
    cols = [
        "sydnum", "sydusr", "sydtyp", "sydkey", "sydatttyp", "syddat", "sydhou",
        "sydgen", "sydupd", "sydotksta", "creusr", "credattim", "updusr", "upddattim",
    ]  # fmt: skip
    conn.execute(sa.insert(s.syncdata).from_select(cols, src))


def _run_counts(conn: Connection, run_id: str) -> dict[str, dict[str, int]]:
    lg = s.fsylog
    counts = empty_counts()
    rows = conn.execute(
        sa.select(lg.c.sydtyp, lg.c.outcome, sa.func.count())
        .where(lg.c.runid == run_id)
        .group_by(lg.c.sydtyp, lg.c.outcome)
    )
    for typ, out, n in rows:
        counts[typ][out] = int(n)
    return counts


def force(
    engine: Engine,
    criteria: Criteria,
    *,
    operator: str | None = None,
    now: dt.datetime | str | None = None,
    progress: Progress | None = None,
) -> ForceResult:
    """Mark every selected record R for USER, in one transaction (SPEC §4.6-4.7).

    Afterwards each forced (USER, SYDTYP, SYDKEY) has exactly one pending row, action R,
    SYDDAT/SYDHOU the run's clock, status columns '0', UPDUSR the operator. A second
    identical run writes nothing new. The run and its per-record detail are recorded.

    Args:
        engine: the database.
        criteria: validated criteria.
        operator: the connected user; default ``resolve_operator()``.
        now: the run's clock (UTC); default the current time.
        progress: called as ``progress(step, fraction)`` between statements.

    Returns:
        The run id, counts per type and outcome, and warnings.

    Raises:
        UserResolutionError: a refusal of SPEC §4.2 (nothing written).
        MarkingError: the run failed and was rolled back (nothing written).
        BackendError: the database cannot be used.
    """
    step = progress or _noop
    clock = parse_clock(now)
    started = _stamp()
    run_id = uuid.uuid4().hex
    step("checking", 0.0)
    try:
        with db.writing(engine) as conn:
            plan = _plan(conn, criteria, operator, clock)
            ctx = plan.ctx
            k = s.fsykey
            had_key = (
                conn.execute(
                    sa.select(k.c.keyname).where(k.c.keyname == _SYDNUM)
                ).first()
                is not None
            )
            base = _next_keys(conn)
            step("selecting", 0.1)
            _stage(conn, run_id, plan, base)
            step("saving replaced rows", 0.5)
            _save_replaced(conn, run_id, ctx.user)
            step("writing", 0.6)
            _delete_replaced(conn, run_id, ctx.user)
            _insert_forced(conn, run_id, ctx, clock)
            step("recording", 0.9)
            counts = _run_counts(conn, run_id)
            written = sum(counts[t][o] for t in counts for o in WRITTEN_OUTCOMES)
            _store_keys(conn, base + written, had_key)
            ended = _stamp()
            conn.execute(
                sa.insert(s.fsyrun).values(
                    runid=run_id,
                    runkind="FORCE",
                    oprusr=ctx.operator,
                    usr=ctx.user,
                    cpy=ctx.company,
                    criteria=criteria.to_json(),
                    started=started,
                    ended=ended,
                    runclock=clock,
                    status="DONE",
                    counts=json.dumps(counts),
                    warnings=json.dumps(list(plan.warnings)),
                )
            )
    except ForcedSyncError:
        raise
    except Exception as exc:
        logger.exception("force rolled back")
        raise MarkingError(
            f"The run was rolled back and nothing was written: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}.",
            criteria.summary(),
        ) from exc
    step("done", 1.0)
    return ForceResult(
        run_id=run_id,
        context=ctx,
        criteria=criteria,
        now=clock,
        started=started,
        ended=ended,
        counts=counts,
        warnings=plan.warnings,
        skipped_types=plan.skipped,
    )


def _restorable(run_id: str, user: str, clock: dt.datetime) -> sa.ColumnElement[bool]:
    """For a run's FSYLOG row: its R row is untouched and nothing queued since."""
    lg, q = s.fsylog, s.syncdata
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
    o, q3 = s.fsyold, q.alias("taken")
    taken = sa.select(sa.literal(1)).where(
        o.c.runid == run_id,
        o.c.sydtyp == lg.c.sydtyp,
        o.c.sydkey == lg.c.sydkey,
        q3.c.sydnum == o.c.sydnum,
    )
    return sa.and_(mine.exists(), ~others.exists(), ~taken.exists())


def undo(
    engine: Engine,
    run_id: str,
    *,
    operator: str | None = None,
    now: dt.datetime | str | None = None,
) -> UndoResult:
    """Restore SYNCDATA as it was before a force run, for its records still pending.

    A record is restored (its R row deleted, the rows it replaced put back with their
    SYDNUM and values) when the run's R row is still pending, unchanged, and nothing
    else was queued for it since. Others (sent by a synchronization, forced again,
    changed) are left alone and reported.

    Args:
        engine: the database.
        run_id: id of a FORCE run.
        operator: the connected user (needs the FUNSYD6 right); default
            FORCEDSYNC_USER / JUPYTERHUB_USER, else the operator of the run.
        now: the undo's clock.

    Returns:
        Counts restored / left alone, with a sample of the records left alone.

    Raises:
        RunNotFoundError: no such FORCE run, or it was undone already.
        UserResolutionError: the operator may not force.
        MarkingError: the undo failed and was rolled back.
    """
    clock = parse_clock(now)
    started = _stamp()
    undo_id = uuid.uuid4().hex
    run_id = str(run_id).strip()
    try:
        with db.writing(engine) as conn:
            db.require_schema(conn)
            named = context.named_operator(operator)
            if named:
                context.check_operator(conn, named)
            r = s.fsyrun
            run = conn.execute(sa.select(r).where(r.c.runid == run_id)).first()
            if run is None or run.runkind != "FORCE":
                raise RunNotFoundError(
                    run_id,
                    f"No force run {run_id!r} is recorded: see 'forcedsync runs'.",
                )
            # Unnamed, the operator is the one who ran the run (not the OS login);
            # the FUNSYD6 right is checked all the same.
            op = named or context.check_operator(conn, run.oprusr)
            if run.undorun:
                raise RunNotFoundError(
                    run_id,
                    f"Run {run_id!r} was already undone by run {run.undorun!r}.",
                )
            lg = s.fsylog
            mark = sa.case(
                (_restorable(run_id, run.usr, run.runclock), "RESTORED"), else_="KEPT"
            )
            conn.execute(
                sa.update(lg)
                .where(lg.c.runid == run_id, lg.c.newsydnum.is_not(None))
                .values(undone=mark)
            )
            restored_nums = sa.select(lg.c.newsydnum).where(
                lg.c.runid == run_id, lg.c.undone == "RESTORED"
            )
            q = s.syncdata
            conn.execute(sa.delete(q).where(q.c.sydnum.in_(restored_nums)))
            o = s.fsyold
            names = [c.name for c in q.columns]
            back = sa.select(*[o.c[n] for n in names]).where(
                o.c.runid == run_id,
                sa.select(sa.literal(1))
                .where(
                    lg.c.runid == run_id,
                    lg.c.undone == "RESTORED",
                    lg.c.sydtyp == o.c.sydtyp,
                    lg.c.sydkey == o.c.sydkey,
                )
                .exists(),
            )
            conn.execute(sa.insert(q).from_select(names, back))
            tally: dict[str, int] = {
                str(state): int(n)
                for state, n in conn.execute(
                    sa.select(lg.c.undone, sa.func.count())
                    .where(lg.c.runid == run_id, lg.c.undone.is_not(None))
                    .group_by(lg.c.undone)
                )
            }
            kept_rows = conn.execute(
                sa.select(lg.c.sydtyp, lg.c.sydkey, lg.c.newsydnum)
                .where(lg.c.runid == run_id, lg.c.undone == "KEPT")
                .order_by(lg.c.sydtyp, lg.c.sydkey)
                .limit(KEPT_SAMPLE)
            ).all()
            present = (
                {
                    n
                    for (n,) in conn.execute(
                        sa.select(q.c.sydnum).where(
                            q.c.sydnum.in_([row.newsydnum for row in kept_rows])
                        )
                    )
                }
                if kept_rows
                else set()
            )
            kept = tuple(
                (
                    row.sydtyp,
                    row.sydkey,
                    "queued again or changed since the run"
                    if row.newsydnum in present
                    else "sent by a synchronization or replaced since the run",
                )
                for row in kept_rows
            )
            restored, n_kept = int(tally.get("RESTORED", 0)), int(tally.get("KEPT", 0))
            warnings: tuple[str, ...] = ()
            if n_kept:
                warnings = (
                    f"{n_kept} record(s) were left as they are: their forced row was "
                    f"sent or changed since the run.",
                )
            conn.execute(
                sa.update(r)
                .where(r.c.runid == run_id)
                .values(undorun=undo_id, status="UNDONE")
            )
            conn.execute(
                sa.insert(r).values(
                    runid=undo_id,
                    runkind="UNDO",
                    oprusr=op,
                    usr=run.usr,
                    cpy=run.cpy,
                    criteria=run.criteria,
                    started=started,
                    ended=_stamp(),
                    runclock=clock,
                    status="DONE",
                    counts=json.dumps({"restored": restored, "kept": n_kept}),
                    warnings=json.dumps(list(warnings)),
                    targetrun=run_id,
                )
            )
    except ForcedSyncError:
        raise
    except Exception as exc:
        logger.exception("undo rolled back")
        raise MarkingError(
            f"The undo was rolled back and nothing was changed: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}."
        ) from exc
    return UndoResult(
        run_id=undo_id,
        target_run_id=run_id,
        restored=restored,
        kept=n_kept,
        kept_records=kept,
        warnings=warnings,
    )
