"""Force (SPEC §4.6-4.7): mark every selected record R for USER, in one transaction.

A force is one flat transaction of a handful of set-based statements over a staged
selection (the run's FSYLOG rows): stage, save the rows to be replaced, delete them,
insert the R rows, count, record the run. Nothing is looped per record in Python.
Each step is a public function of this module, called in this order by ``write_force``.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .. import keys, runlog, tables
from .. import schema as s
from .. import token as preview_token
from ..clock import When, parse_clock, stamp
from ..criteria import Action, Criteria, Outcome
from ..results import ForceResult, RunContext, empty_counts
from ..selection import WRITTEN_OUTCOMES
from . import transaction
from .plan import Plan, Progress, make_plan, no_progress

#: FSYKEY.KEYNAME of the SYDNUM high-water mark.
SYDNUM_KEY = "SYDNUM"
#: Start of the message of a force that was rolled back.
ROLLED_BACK = "The run was rolled back and nothing was written"
#: The tables a force writes, whose statistics a large force refreshes.
FORCE_TABLES = (s.syncdata, s.fsylog, s.fsyold)


def new_run_id() -> str:
    """A new FORCE run id: 32 hex digits, the first 8 the time in seconds, then random.

    FSYLOG rows are appended run after run, so with ids that grow with time each
    stored row group covers a narrow range of ids, and DuckDB's zone maps skip the
    other runs' row groups when a statement reads one run (``runid = :id``) instead of
    scanning the whole log (measured: 21 ms down to 4 ms per lookup at 2 M rows).
    """
    return f"{int(time.time()) & 0xFFFFFFFF:08x}{secrets.token_hex(12)}"


@dataclass(frozen=True, slots=True)
class ForceJob:
    """One force: its id, criteria, operator, clock, start time and progress."""

    run_id: str
    criteria: Criteria
    operator: str | None
    clock: dt.datetime
    started: dt.datetime
    step: Progress
    #: The preview token (text, or one user's part of a team token) checked under
    #: the lock; None: no check.
    expect: str | preview_token.PreviewToken | None = None


def in_run(
    run_id: str, *outcomes: str, tb: tables.Tables = tables.TOOLKIT
) -> sa.Select[Any]:
    """EXISTS-able: the run's FSYLOG rows of the given outcomes matching SYNCDATA."""
    lg, q = tb.fsylog, tb.syncdata
    return sa.select(sa.literal(1)).where(
        lg.c.runid == run_id,
        lg.c.outcome.in_(outcomes),
        lg.c.sydtyp == q.c.sydtyp,
        lg.c.sydkey == q.c.sydkey,
    )


def key_recorded(conn: Connection) -> bool:
    """Whether FSYKEY already has the SYDNUM high-water mark."""
    k = tables.of(conn).fsykey
    found = conn.execute(sa.select(k.c.keyname).where(k.c.keyname == SYDNUM_KEY))
    return found.first() is not None


def next_keys(conn: Connection) -> int:
    """The highest SYDNUM ever present or generated; new keys go above it."""
    tb = tables.of(conn)
    k = tb.fsykey
    last = conn.execute(
        sa.select(k.c.lastval).where(k.c.keyname == SYDNUM_KEY)
    ).scalar()
    top = conn.execute(sa.select(sa.func.max(tb.syncdata.c.sydnum))).scalar()
    return max(int(last or 0), int(top or 0))


def store_keys(conn: Connection, value: int, existed: bool) -> None:
    """Record ``value`` as the SYDNUM high-water mark."""
    k = tables.of(conn).fsykey
    if existed:
        conn.execute(
            sa.update(k).where(k.c.keyname == SYDNUM_KEY).values(lastval=value)
        )
    else:
        conn.execute(sa.insert(k).values(keyname=SYDNUM_KEY, lastval=value))


def stage(conn: Connection, run_id: str, plan: Plan, base: int) -> None:
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
    conn.execute(sa.insert(tables.of(conn).fsylog).from_select(cols, src))


def allocates_keys(conn: Connection) -> bool:
    """True when the folder's mapping takes SYDNUM keys from a sequence or counter.

    Those keys are drawn after staging (``assign_keys``), as many as rows written;
    otherwise (the toolkit, strategy ``max``) they are the FSYKEY high-water + rank.
    """
    layout = tables.of(conn).layout
    return layout is not None and layout.mapping.sydnum.strategy != "max"


def assign_keys(conn: Connection, run_id: str) -> None:
    """Replace the staged ranks by keys taken as the mapping says (``keys.take``)."""
    tb = tables.of(conn)
    layout = tb.layout
    if layout is None:
        return
    lg = tb.fsylog
    mine = sa.and_(lg.c.runid == run_id, lg.c.newsydnum.is_not(None))
    count = conn.execute(sa.select(sa.func.count()).where(mine)).scalar_one()
    key = keys.take(conn, layout, int(count))
    if count:
        conn.execute(sa.update(lg).where(mine).values(newsydnum=key(lg.c.newsydnum)))


def save_replaced(conn: Connection, run_id: str, user: str) -> None:
    """Copy the SYNCDATA rows that the run replaces into FSYOLD (for undo)."""
    tb = tables.of(conn)
    q = tb.syncdata
    names = tb.columns(q)
    src = sa.select(sa.literal(run_id, sa.String), *[q.c[n] for n in names]).where(
        q.c.sydusr == user, in_run(run_id, str(Outcome.SUPERSEDE), tb=tb).exists()
    )
    conn.execute(sa.insert(tb.fsyold).from_select(["runid", *names], src))


def delete_replaced(conn: Connection, run_id: str, user: str) -> None:
    """Delete USER's SYNCDATA rows of the records the run supersedes."""
    tb = tables.of(conn)
    q = tb.syncdata
    conn.execute(
        sa.delete(q).where(
            q.c.sydusr == user, in_run(run_id, str(Outcome.SUPERSEDE), tb=tb).exists()
        )
    )


def insert_forced(
    conn: Connection, run_id: str, ctx: RunContext, now: dt.datetime
) -> None:
    """Insert one R row per inserted or superseded record, with its staged SYDNUM."""
    tb = tables.of(conn)
    lg = tb.fsylog
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
    conn.execute(tb.insert_from_select(tb.syncdata, cols, src, conn))


def run_counts(conn: Connection, run_id: str) -> dict[str, dict[str, int]]:
    """The run's records per type and outcome, counted from its FSYLOG rows."""
    lg = tables.of(conn).fsylog
    counts = empty_counts()
    rows = conn.execute(
        sa.select(lg.c.sydtyp, lg.c.outcome, sa.func.count())
        .where(lg.c.runid == run_id)
        .group_by(lg.c.sydtyp, lg.c.outcome)
    )
    for typ, out, n in rows:
        counts[typ][out] = int(n)
    return counts


def written_count(counts: dict[str, dict[str, int]]) -> int:
    """R rows a run with these counts wrote."""
    return sum(counts[t][o] for t in counts for o in WRITTEN_OUTCOMES)


def write_force(conn: Connection, job: ForceJob) -> ForceResult:
    """The statements of a force, in order, inside the caller's transaction."""
    plan = make_plan(conn, job.criteria, job.operator, job.clock)
    ctx, run_id = plan.ctx, job.run_id
    allocated = allocates_keys(conn)
    had_key = key_recorded(conn)
    base = 0 if allocated else next_keys(conn)
    job.step("selecting", 0.1)
    stage(conn, run_id, plan, base)
    if allocated:
        assign_keys(conn, run_id)
    if job.expect is not None:  # under the write lock, before any SYNCDATA write
        preview_token.check_staged(
            conn, job.expect, run_id=run_id, criteria=job.criteria, user=ctx.user
        )
    job.step("saving replaced rows", 0.5)
    save_replaced(conn, run_id, ctx.user)
    job.step("writing", 0.6)
    delete_replaced(conn, run_id, ctx.user)
    insert_forced(conn, run_id, ctx, job.clock)
    job.step("recording", 0.9)
    counts = run_counts(conn, run_id)
    if not allocated:
        store_keys(conn, base + written_count(counts), had_key)
    result = ForceResult(
        run_id=run_id,
        context=ctx,
        criteria=job.criteria,
        now=job.clock,
        started=job.started,
        ended=stamp(),
        counts=counts,
        warnings=plan.warnings,
        skipped_types=plan.skipped,
    )
    runlog.record_force_run(conn, result)
    return result


def force(
    engine: Engine,
    criteria: Criteria,
    *,
    operator: str | None = None,
    now: When = None,
    progress: Progress | None = None,
    expect: str | None = None,
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
        expect: the token of the preview the operator saw (``Snapshot.token()``,
            ``preview --json``); when the staged selection's counts per type and
            outcome differ from it, nothing is written.

    Returns:
        The run id, counts per type and outcome, and warnings.

    Raises:
        UserResolutionError: a refusal of SPEC §4.2 (nothing written).
        CriteriaError: ``expect`` is malformed or for other criteria or user.
        PreviewChangedError: the queue changed since the preview (nothing written);
            its ``differences`` map (type, outcome) to (previewed, now).
        MarkingError: the run failed and was rolled back (nothing written).
        RunCommittedError: the run was committed, then its commit was interrupted.
        CommitUncertainError: the commit was interrupted and its outcome is unknown.
        BackendError: the database cannot be used.
    """
    step = progress or no_progress
    if expect is not None:
        preview_token.decode(expect)  # a malformed token is refused before the lock
    job = ForceJob(
        new_run_id(), criteria, operator, parse_clock(now), stamp(), step, expect
    )
    step("checking", 0.0)
    result = transaction.write_run(
        engine,
        job.run_id,
        lambda conn: write_force(conn, job),
        rolled_back=ROLLED_BACK,
        summary=criteria.summary(),
    )
    step("done", 1.0)  # committed: what follows never fails the run
    refresh_after_force(engine, result)
    return result


def refresh_after_force(engine: Engine, result: ForceResult) -> None:
    """ANALYZE what a large committed force changed (never fails the run)."""
    selected = sum(sum(by_outcome.values()) for by_outcome in result.counts.values())
    replaced = sum(c.get(str(Outcome.SUPERSEDE), 0) for c in result.counts.values())
    tb = tables.of(engine)
    transaction.refresh_after_commit(
        engine,
        (tb.syncdata, tb.fsylog, tb.fsyold),
        selected + result.written + replaced,
    )
