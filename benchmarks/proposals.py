"""Prototypes of the changes proposed to the core, measured beside the current code.

Benchmark-only: the core is not edited. Each prototype is built from the core's own
pieces (``marking.make_plan``,
``compile_selection``, ``describe``...), swapped in for the
duration of a measurement (``patched``), or is a schema variant on a scratch copy; its
result is compared with the current code's before its time is trusted.

    python benchmarks/proposals.py --db big.duckdb [--pg-schema bench_big] [--repeat 3]

P1  preview in one pass: classify the selection once into a TEMPORARY table; the counts
    and the page are read from it (today the classification runs twice).
P2  preview page "keys first": with no outcome / out-of-phase filter, take the page's
    keys (ORDER BY/LIMIT/OFFSET over the selection) before classifying them.
P3  page turns from a preview session: the first preview keeps the sorted classified
    selection (type, key, outcome, oop) in the caller's memory; a page turn slices it
    and runs one small statement for the page's reasons and descriptions.
P4  DuckDB: SYNCDATA without the PRIMARY KEY on SYDNUM. Committing deletes from an
    ART-indexed table updates the index row by row (duckdb/duckdb#22535, PR #15629).
P5  DuckDB: FSYLOG / FSYOLD without their ART indexes.
P6  ``classify``: aggregate only the SYNCDATA / SYNCLINK rows of the selected records
    (a semi-join on the selection) instead of every row of USER.
P7  PostgreSQL: sessions with ``jit=off``. The planner's row estimates for the
    classified selection are far too high and trigger JIT compilation (seconds).
P8  ``compile_selection``: UNION ALL between object types (records of different types
    can never coincide); UNION (distinct) only among branches of the same type.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import _bare
import _bench
import sqlalchemy as sa

import forcedsync_kit as fs
from forcedsync_kit import context, db, marking
from forcedsync_kit import schema as s
from forcedsync_kit.criteria import Action, ObjectType, Outcome
from forcedsync_kit.demo import DEMO_CLOCK
from forcedsync_kit.marking import plan as marking_plan
from forcedsync_kit.results import PreviewResult, RecordRow, RunContext, empty_counts
from forcedsync_kit.selection import (
    YES,
    compile_selection,
    describe,
    record_row,
    stale_cutoff,
)

NOW = DEMO_CLOCK
ORIGINAL = {
    "classify": marking_plan.classify,
    "compile_selection": marking_plan.compile_selection,
}


# --- P8: UNION ALL between object types ----------------------------------------------


def compile_by_type(
    criteria: fs.Criteria, ctx: RunContext, types: Collection[ObjectType]
) -> sa.Select[Any]:
    """P8: compile_selection per object type (each exact), glued with UNION ALL."""
    parts = [compile_selection(criteria, ctx, (t,)) for t in types]
    if len(parts) == 1:
        return parts[0]
    return sa.select(sa.union_all(*parts).subquery())


# --- P6: classify on the selected records only ---------------------------------------


def classify_restricted(
    selection: sa.Select[Any],
    *,
    user: str,
    now: dt.datetime,
    staledays: int,
    timestamp_key: Any,
    only_oop: bool = False,
    keys: list[str] | None = None,
) -> sa.Select[Any]:
    """selection.classify with its two aggregates limited to the selected records.

    Identical to ``forcedsync_kit.selection.classify`` but for the lines marked P6:
    ``agg`` and ``lnk`` are computed over ``sel``'s keys only (a semi-join), instead
    of over every SYNCDATA / SYNCLINK row of USER; with ``keys`` (a page), over those
    constant keys (``SYDKEY IN (...)``), and the selection's other columns (the
    page's description, date and rep) are passed through.
    """
    sel = selection.subquery("sel")
    picked = sa.select(sel.c.sydtyp, sel.c.sydkey)  # P6
    q = s.syncdata
    qkey = sa.cast(q.c.syddat, sa.String) + sa.func.coalesce(q.c.sydhou, "000000")
    leaving = q.c.sydatttyp.in_([str(Action.DELETION), str(Action.USER_CHANGE)])
    agg = (
        sa.select(
            q.c.sydtyp,
            q.c.sydkey,
            sa.func.count().label("n"),
            sa.func.sum(sa.case((leaving, 1), else_=0)).label("nap"),
            sa.func.sum(
                sa.case((q.c.sydatttyp == str(Action.FORCED), 1), else_=0)
            ).label("nr"),
            sa.func.min(qkey).label("qmin"),
            sa.func.max(qkey).label("qmax"),
        )
        .where(
            q.c.sydusr == user,
            q.c.sydkey.in_(keys)  # P6
            if keys is not None
            else sa.tuple_(q.c.sydtyp, q.c.sydkey).in_(picked),
        )
        .group_by(q.c.sydtyp, q.c.sydkey)
        .subquery("agg")
    )
    lk = s.synclink
    text = (
        sa.literal("field ")
        + sa.func.coalesce(lk.c.sylfie, "")
        + ": X3 "
        + sa.func.coalesce(lk.c.sylvaladx, "")
        + " / Outlook "
        + sa.func.coalesce(lk.c.sylvalotk, "")
    )
    links = (
        sa.select(
            lk.c.syltyp,
            lk.c.sylkey,
            sa.func.string_agg(text, sa.literal(s.REASON_SEP)).label("linktxt"),
        )
        .where(
            lk.c.sylusr == user,
            lk.c.sylflgdpt == YES,
            lk.c.sylkey.in_(keys)  # P6
            if keys is not None
            else sa.tuple_(lk.c.syltyp, lk.c.sylkey).in_(picked),
        )
        .group_by(lk.c.syltyp, lk.c.sylkey)
        .subquery("lnk")
    )
    n = sa.func.coalesce(agg.c.n, 0)
    outcome = sa.case(
        (agg.c.nap > 0, str(Outcome.SKIP)),
        (sa.and_(agg.c.n == 1, agg.c.nr == 1), str(Outcome.ALREADY)),
        (n > 0, str(Outcome.SUPERSEDE)),
        else_=str(Outcome.INSERT),
    )
    stale = sa.and_(agg.c.qmin.is_not(None), agg.c.qmin < stale_cutoff(now, staledays))
    changed = sa.and_(
        agg.c.qmax.is_not(None),
        sel.c.upd.is_not(None),
        timestamp_key(sel.c.upd) > agg.c.qmax,
    )
    has_link = links.c.linktxt.is_not(None)
    oop_cond = sa.or_(has_link, stale, changed)
    sep = s.REASON_SEP
    reasons = (
        sa.func.coalesce(links.c.linktxt, "")
        + sa.case(
            (
                stale,
                sep + sa.literal("pending since ") + sa.func.substr(agg.c.qmin, 1, 10),
            ),
            else_="",
        )
        + sa.case((changed, sa.literal(sep + "changed after queued")), else_="")
    )
    stmt = (
        sa.select(
            sel.c.sydtyp,
            sel.c.sydkey,
            outcome.label("outcome"),
            sa.case((oop_cond, 1), else_=0).label("oop"),
            reasons.label("reasons"),
            *[
                c
                for c in sel.c
                if keys is not None and c.name not in ("sydtyp", "sydkey")
            ],
        )
        .select_from(sel)
        .outerjoin(
            agg, sa.and_(agg.c.sydtyp == sel.c.sydtyp, agg.c.sydkey == sel.c.sydkey)
        )
        .outerjoin(
            links,
            sa.and_(links.c.syltyp == sel.c.sydtyp, links.c.sylkey == sel.c.sydkey),
        )
    )
    if only_oop:
        stmt = stmt.where(oop_cond)
    return stmt


@contextlib.contextmanager
def patched(*, p6: bool = False, p8: bool = False) -> Iterator[None]:
    """Swap P6 / P8 into ``marking.plan`` (what preview and force call)."""
    marking_plan.classify = classify_restricted if p6 else ORIGINAL["classify"]  # type: ignore[assignment]
    marking_plan.compile_selection = (  # type: ignore[assignment]
        compile_by_type if p8 else ORIGINAL["compile_selection"]
    )
    try:
        yield
    finally:
        marking_plan.classify = ORIGINAL["classify"]  # type: ignore[assignment]
        marking_plan.compile_selection = ORIGINAL["compile_selection"]  # type: ignore[assignment]


# --- P1: one pass ---------------------------------------------------------------------

#: The staged classification of one preview (a temp table: gone with the connection).
PRV = sa.Table(
    "fsyprv",
    sa.MetaData(),
    sa.Column("sydtyp", sa.String(20)),
    sa.Column("sydkey", sa.String(20)),
    sa.Column("outcome", sa.String(10)),
    sa.Column("oop", sa.SmallInteger),
    sa.Column("reasons", sa.Text),
    prefixes=["TEMPORARY"],
)


def preview_one_pass(
    engine: sa.Engine, criteria: fs.Criteria, *, page: int = 1, page_size: int = 200
) -> PreviewResult:
    """marking.preview (without page filters), classifying once into a temp table."""
    with db.reading(engine) as conn:
        plan = marking.make_plan(conn, criteria, _bench.USER, NOW)
        PRV.drop(conn, checkfirst=True)
        PRV.create(conn)
        cls = plan.classified.subquery("cls")
        cols = ["sydtyp", "sydkey", "outcome", "oop", "reasons"]
        conn.execute(
            sa.insert(PRV).from_select(cols, sa.select(*[cls.c[c] for c in cols]))
        )
        counts, oop, total = empty_counts(), {str(t): 0 for t in fs.OBJECT_TYPES}, 0
        grouped = sa.select(PRV.c.sydtyp, PRV.c.outcome, PRV.c.oop, sa.func.count())
        for typ, out, flag, n in conn.execute(
            grouped.group_by(PRV.c.sydtyp, PRV.c.outcome, PRV.c.oop)
        ):
            counts[typ][out] += n
            oop[typ] += n if flag else 0
            total += n
        page_q = (
            sa.select(PRV)
            .order_by(PRV.c.sydtyp, PRV.c.sydkey)
            .limit(page_size)
            .offset((page - 1) * page_size)
            .subquery("pg")
        )
        records = tuple(record_row(r) for r in conn.execute(describe(page_q)))
        conn.rollback()  # drops nothing else: the connection (and the table) ends here
    return PreviewResult(
        context=plan.ctx,
        criteria=criteria,
        now=NOW,
        counts=counts,
        out_of_phase=oop,
        warnings=plan.warnings,
        records=records,
        total=total,
        page=page,
        page_size=page_size,
        skipped_types=plan.skipped,
    )


# --- P2: page keys first --------------------------------------------------------------


def page_keys_first(
    engine: sa.Engine, criteria: fs.Criteria, *, page: int, page_size: int = 200
) -> tuple[RecordRow, ...]:
    """The page of marking.preview (no filters), classifying only the page's keys."""
    with db.reading(engine) as conn:
        plan = marking.make_plan(conn, criteria, _bench.USER, NOW)
        ctx = plan.ctx
        gates = context.gates(conn, criteria, ctx)
        sel = marking_plan.compile_selection(criteria, ctx, gates.active).subquery("s")
        keys = (
            sa.select(sel)
            .order_by(sel.c.sydtyp, sel.c.sydkey)
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
        cls = marking_plan.classify(
            keys,
            user=ctx.user,
            now=NOW,
            staledays=criteria.staledays,
            timestamp_key=lambda col: db.timestamp_key(conn, col),
        )
        return tuple(record_row(r) for r in conn.execute(describe(cls.subquery("pg"))))


def preview_keys_first(
    engine: sa.Engine, criteria: fs.Criteria, *, page: int = 1, page_size: int = 200
) -> PreviewResult:
    """marking.preview with its page statement replaced by P2 + P6 (no page filters).

    The counts statement is marking.preview's; the page statement orders and limits
    the *unclassified* selection, then classifies (P6: aggregates restricted to the
    page's keys) and describes only that page. With an object-type filter the
    selection can be filtered the same way; an outcome or out-of-phase filter still
    needs the classified form.
    """
    with db.reading(engine) as conn:
        plan = marking.make_plan(conn, criteria, _bench.USER, NOW)
        cls = plan.classified.subquery("cls")
        counts, oop, total = empty_counts(), {str(t): 0 for t in fs.OBJECT_TYPES}, 0
        grouped = sa.select(cls.c.sydtyp, cls.c.outcome, cls.c.oop, sa.func.count())
        for typ, out, flag, n in conn.execute(
            grouped.group_by(cls.c.sydtyp, cls.c.outcome, cls.c.oop)
        ):
            counts[typ][out] += n
            oop[typ] += n if flag else 0
            total += n
        ctx = plan.ctx
        gates = context.gates(conn, criteria, ctx)
        sel = marking_plan.compile_selection(criteria, ctx, gates.active).subquery("s")
        keys = (
            sa.select(sel)
            .order_by(sel.c.sydtyp, sel.c.sydkey)
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
        pg = classify_restricted(  # P6 on the page only: 200 keys, not the selection
            keys,
            user=ctx.user,
            now=NOW,
            staledays=criteria.staledays,
            timestamp_key=lambda col: db.timestamp_key(conn, col),
        ).subquery("pg")
        records = tuple(record_row(r) for r in conn.execute(describe(pg)))
    return PreviewResult(
        context=plan.ctx,
        criteria=criteria,
        now=NOW,
        counts=counts,
        out_of_phase=oop,
        warnings=plan.warnings,
        records=records,
        total=total,
        page=page,
        page_size=page_size,
        skipped_types=plan.skipped,
    )


# --- P3: a preview session ------------------------------------------------------------

_RECORD_TABLES = {
    "COR": (s.correspond, "cornum"),
    "TSK": (s.btask, "tsknum"),
    "CLL": (s.bcall, "cllnum"),
    "BAP": (s.bappoint, "aptnum"),
}


def _described(typ: str) -> list[Any]:
    """UPD, description, date and rep of a record table, as ``describe`` gives them."""
    t = _RECORD_TABLES[typ][0]
    if typ == "COR":
        name = sa.func.trim(
            sa.func.coalesce(t.c.cntfna, "") + " " + sa.func.coalesce(t.c.cntlna, "")
        )
        cols = [name, sa.cast(sa.null(), sa.Date), t.c.repnum]
    else:
        date, rep = {
            "TSK": ("tskstr", "tskrep"),
            "CLL": ("clldat", "cllrep"),
            "BAP": ("aptdat", "atprepmna"),
        }[typ]
        cols = [t.c.fulobj, t.c[date], t.c[rep]]
    labels = ("descr", "recdate", "rep")
    return [
        t.c.upddattim.label("upd"),
        *[c.label(n) for c, n in zip(cols, labels, strict=True)],
    ]


@dataclasses.dataclass
class PreviewSession:
    """The sorted classified selection of one preview, kept in the caller's memory."""

    engine: sa.Engine
    criteria: fs.Criteria
    rows: list[tuple[str, str, str, int]]  # (type, key, outcome, oop), key order

    @classmethod
    def open(cls, engine: sa.Engine, criteria: fs.Criteria) -> PreviewSession:
        with db.reading(engine) as conn:
            plan = marking.make_plan(conn, criteria, _bench.USER, NOW)
            c = plan.classified.subquery("cls")
            q = sa.select(c.c.sydtyp, c.c.sydkey, c.c.outcome, c.c.oop)
            rows = [tuple(r) for r in conn.execute(q.order_by(c.c.sydtyp, c.c.sydkey))]
        return cls(engine, criteria, rows)  # type: ignore[arg-type]

    def page(self, page: int, page_size: int = 200) -> tuple[RecordRow, ...]:
        """Slice the page; classify and describe just its keys, in one statement.

        Every table is read with constant ``IN (...)`` filters on the page's keys (no
        join to a whole record table: DuckDB would scan it).

        The operator's right is checked again, and the page's outcomes and reasons are
        recomputed from the current SYNCDATA, so a page never shows a stale outcome.
        """
        part = self.rows[(page - 1) * page_size : page * page_size]
        if not part:
            return ()
        by_type: dict[str, list[str]] = {}
        for typ, key, *_ in part:
            by_type.setdefault(typ, []).append(key)
        branches = [
            sa.select(
                sa.literal(typ, sa.String).label("sydtyp"),
                _RECORD_TABLES[typ][0].c[_RECORD_TABLES[typ][1]].label("sydkey"),
                *_described(typ),
            ).where(_RECORD_TABLES[typ][0].c[_RECORD_TABLES[typ][1]].in_(keys))
            for typ, keys in by_type.items()
        ]
        sel = (
            branches[0]
            if len(branches) == 1
            else sa.select(sa.union_all(*branches).subquery())
        )
        with db.reading(self.engine) as conn:
            context.check_operator(conn, _bench.USER)
            cls = classify_restricted(
                sel,
                user=self.criteria.user or _bench.USER,
                now=NOW,
                staledays=self.criteria.staledays,
                timestamp_key=lambda col: db.timestamp_key(conn, col),
                keys=[k for _, k, *_ in part],
            ).subquery("pg")
            stmt = sa.select(cls).order_by(cls.c.sydtyp, cls.c.sydkey)
            return tuple(record_row(r) for r in conn.execute(stmt))


# --- measuring ------------------------------------------------------------------------


def bench(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, value = [], None
    for _ in range(repeat):
        t, value = _bench.timed(fn)
        times.append(t)
    return statistics.median(times), value


def rows_of(records: Any) -> list[tuple[Any, ...]]:
    return [dataclasses.astuple(r) for r in records]


def same_preview(a: PreviewResult, b: PreviewResult) -> bool:
    return (
        a.counts == b.counts
        and a.out_of_phase == b.out_of_phase
        and rows_of(a.records) == rows_of(b.records)
    )


def yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def preview_rows(
    backend: str, url: str, repeat: int, jit_url: str | None
) -> list[list[str]]:
    """P1, P2, P3, P6, P7, P8 on one database; every variant checked against current."""
    crit, fmt, fr = _bench.activity_criteria(), _bench.fmt_seconds, _bench.fmt_ratio
    engine = fs.connect(url)

    def current(page: int = 1, eng: sa.Engine = engine) -> PreviewResult:
        return fs.preview(eng, crit, operator=_bench.USER, now=NOW, page=page)

    base = current()
    mid = max(1, base.pages // 2)
    _bench.log(f"{backend}: {base.selected:,} selected, middle page {mid:,}")
    out = []
    t_cur, _ = bench(current, repeat)

    def variant(label: str, fn: Callable[[], PreviewResult], **patch: bool) -> None:
        with patched(**patch):
            t, res = bench(fn, repeat)
        out.append(
            [
                backend,
                f"preview (counts + page 1): {label}",
                fmt(t_cur),
                fmt(t),
                fr(t_cur / t),
                yes(same_preview(base, res)),
            ]
        )
        _bench.log(f"{backend}: preview {label}: {t:.2f} s")

    variant("P2 + P6 page statement", lambda: preview_keys_first(engine, crit))
    variant("P8 UNION ALL between types", current, p8=True)
    variant("P6 classify the selected records only", current, p6=True)
    variant("P6 + P8", current, p6=True, p8=True)
    variant(
        "P1 one pass + P6 + P8",
        lambda: preview_one_pass(engine, crit),
        p6=True,
        p8=True,
    )
    if jit_url:
        jit_engine = fs.connect(jit_url)
        variant("P7 jit=off", lambda: current(1, jit_engine))
        variant("P7 + P6 + P8", lambda: current(1, jit_engine), p6=True, p8=True)
        variant(
            "P7 + P1 + P6 + P8",
            lambda: preview_one_pass(jit_engine, crit),
            p6=True,
            p8=True,
        )
    # page turns
    t_turn, cur = bench(lambda: current(mid), repeat)
    t, new = bench(lambda: preview_keys_first(engine, crit, page=mid), repeat)
    out.append(
        [
            backend,
            f"page turn (page {mid:,}): preview with P2 + P6 page",
            fmt(t_turn),
            fmt(t),
            fr(t_turn / t),
            yes(same_preview(cur, new)),
        ]
    )
    with patched(p6=True, p8=True):
        t, new = bench(lambda: page_keys_first(engine, crit, page=mid), repeat)
    out.append(
        [
            backend,
            f"page turn (page {mid:,}): P2 keys first + P6 + P8",
            fmt(t_turn),
            fmt(t),
            fr(t_turn / t),
            yes(rows_of(cur.records) == rows_of(new)),
        ]
    )
    with patched(p6=True, p8=True):
        t_open, session = bench(lambda: PreviewSession.open(engine, crit), 1)
    t, new = bench(lambda: session.page(mid), repeat)
    out.append(
        [
            backend,
            f"page turn (page {mid:,}): P3 preview session (+P6); opening "
            f"it: {fmt(t_open)} for {len(session.rows):,} rows",
            fmt(t_turn),
            fmt(t),
            fr(t_turn / t),
            yes(rows_of(cur.records) == rows_of(new)),
        ]
    )
    _bench.log(f"{backend}: session page {t:.3f} s")
    engine.dispose()
    return out


# --- force variants -------------------------------------------------------------------


def drop_indexes(url: str, pk: bool, run_tables: bool) -> None:
    """DuckDB: rebuild SYNCDATA without its PK and/or drop the FSYLOG/FSYOLD indexes."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        if pk:
            conn.execute(
                sa.text("CREATE TABLE syncdata_nopk AS SELECT * FROM syncdata")
            )
            conn.execute(sa.text("DROP TABLE syncdata"))
            conn.execute(sa.text("ALTER TABLE syncdata_nopk RENAME TO syncdata"))
        if run_tables:
            conn.execute(sa.text("DROP INDEX fsylog_run"))
            conn.execute(sa.text("DROP INDEX fsyold_run"))
    with engine.connect() as conn:
        conn.execute(sa.text("CHECKPOINT"))
    engine.dispose()


@dataclasses.dataclass(frozen=True)
class Variant:
    label: str
    nopk: bool = False  # P4
    noidx: bool = False  # P5
    p6: bool = False
    p8: bool = False
    jit_off: bool = False  # P7
    bare: bool = False  # also time the bare SQL on this schema
    undo: bool = False  # also time the undo


DUCK_VARIANTS = (
    Variant("current", bare=True, undo=True),
    Variant("P8", p8=True),
    Variant("P6 + P8", p6=True, p8=True),
    Variant("P4 (no SYNCDATA PK)", nopk=True, bare=True, undo=True),
    Variant("P4 + P5", nopk=True, noidx=True),
    Variant("P4 + P6 + P8", nopk=True, p6=True, p8=True, undo=True),
)
PG_VARIANTS = (
    Variant("current", bare=True, undo=True),
    Variant("P7 (jit=off)", jit_off=True, bare=True, undo=True),
    Variant("P7 + P8", jit_off=True, p8=True),
    Variant("P7 + P6 + P8", jit_off=True, p6=True, p8=True),
)


def force_rows(
    backend: str,
    fresh: Callable[[Variant], str],
    variants: tuple[Variant, ...],
    repeat: int,
) -> list[list[str]]:
    """Each variant: toolkit force (+ undo) and maybe the bare SQL, on fresh copies."""
    crit, op, fmt, fr = (
        _bench.activity_criteria(),
        _bench.USER,
        _bench.fmt_seconds,
        _bench.fmt_ratio,
    )
    tk: dict[str, list[float]] = {}
    bare: dict[str, list[float]] = {}
    und: dict[str, list[float]] = {}
    digest: dict[str, tuple[int, str]] = {}
    for v in variants:
        sides = ("toolkit", "bare") if v.bare else ("toolkit",)
        for i in range(repeat):
            for side in sides if i % 2 == 0 else tuple(reversed(sides)):
                engine = fs.connect(fresh(v))
                if side == "toolkit":
                    with patched(p6=v.p6, p8=v.p8):
                        t, res = _bench.timed(
                            lambda e=engine: fs.force(e, crit, operator=op, now=NOW)
                        )
                    tk.setdefault(v.label, []).append(t)
                    if i == 0:
                        digest[v.label] = _bare.syncdata_digest(engine)
                    if v.undo:
                        u, _ = _bench.timed(
                            lambda e=engine, r=res.run_id: fs.undo(
                                e, r, operator=op, now=NOW
                            )
                        )
                        und.setdefault(v.label, []).append(u)
                else:
                    scope = _bare.Scope(fs.user_defaults(engine, op), None)
                    t, _ = _bench.timed(
                        lambda e=engine, s=scope: _bare.bare_force(e, s, NOW)
                    )
                    bare.setdefault(v.label, []).append(t)
                engine.dispose()
                _bench.log(f"{backend} force {v.label} {side}: {t:.2f} s")
    ref = variants[0].label
    t_ref = statistics.median(tk[ref])
    out = []
    for v in variants:
        t = statistics.median(tk[v.label])
        vs_bare = ""
        if v.label in bare:
            b = statistics.median(bare[v.label])
            vs_bare = f"; bare SQL {fmt(b)}, toolkit / bare {fr(t / b)}"
        out.append(
            [
                backend,
                f"force: {v.label}{vs_bare}",
                fmt(t_ref),
                fmt(t),
                fr(t_ref / t),
                yes(digest[v.label] == digest[ref]),
            ]
        )
        if v.label in und:
            u_ref, u = statistics.median(und[ref]), statistics.median(und[v.label])
            out.append(
                [backend, f"undo: {v.label}", fmt(u_ref), fmt(u), fr(u_ref / u), "-"]
            )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--db", type=Path, required=True, help="a demo DuckDB file (copied)"
    )
    ap.add_argument(
        "--pg-schema", help="also measure on this PostgreSQL schema (demo loaded)"
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-force", action="store_true")
    ap.add_argument("--skip-preview", action="store_true")
    args = ap.parse_args(argv)
    pg = (
        _bench.PgWorkspace(0, schema=args.pg_schema, reuse=True)
        if args.pg_schema
        else None
    )
    tmp = Path(tempfile.mkdtemp(prefix="fsprop_"))
    work = tmp / "w.duckdb"
    out: list[list[str]] = []
    try:
        if not args.skip_preview:
            shutil.copyfile(args.db, work)
            out += preview_rows("duckdb", f"duckdb:///{work}", args.repeat, None)
            if pg:
                url = pg.fresh()
                out += preview_rows("postgresql", url, args.repeat, pg.url("jit=off"))

        def duck_fresh(v: Variant) -> str:
            shutil.copyfile(args.db, work)
            url = f"duckdb:///{work}"
            if v.nopk or v.noidx:
                drop_indexes(url, v.nopk, v.noidx)
            return url

        def pg_fresh(v: Variant) -> str:
            assert pg is not None
            pg.fresh()
            return pg.url("jit=off" if v.jit_off else "")

        if not args.skip_force:
            out += force_rows("duckdb", duck_fresh, DUCK_VARIANTS, args.repeat)
            if pg:
                out += force_rows("postgresql", pg_fresh, PG_VARIANTS, args.repeat)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if pg:
            pg.fresh()  # leave the schema as it was
            pg.close()
    heads = ["backend", "proposal", "current", "proposed", "gain", "same result"]
    print(_bench.table(heads, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
