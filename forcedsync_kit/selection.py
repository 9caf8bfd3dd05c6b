"""Criteria + resolved context -> Core ``Select`` statements (builds, never executes).

``compile_selection`` is SPEC §3: the records to force, as (SYDTYP, SYDKEY, UPDDATTIM),
each record once. ``classify`` is SPEC §4.4 and §5: each selected record with its
outcome and out-of-phase reasons, from the user's SYNCDATA and SYNCLINK rows (the
rules of §5 are built by ``outofphase``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement, Select

from . import dialects, outofphase
from . import schema as s
from .criteria import Criteria, ObjectType, Outcome
from .describing import describe as describe  # re-exported: callers import it here
from .results import RecordRow, RunContext
from .tables import TOOLKIT, Tables

logger = logging.getLogger(__name__)

YES = 2
#: Outcomes for which a run writes an R row.
WRITTEN_OUTCOMES = (str(Outcome.INSERT), str(Outcome.SUPERSEDE))


def _range(col: Any, lo: Any, hi: Any) -> list[ColumnElement[bool]]:
    """Inclusive range; an empty bound is open (SPEC §3).

    Code ranges compare codes as strings byte by byte (COLLATE "C" on DuckDB and
    PostgreSQL, Latin1_General_BIN2 on SQL Server, Oracle's binary default), whatever
    the database's default collation, so '_' or '-' order alike on every backend.
    """
    if isinstance(lo, str) or isinstance(hi, str):
        col = dialects.byte_ordered(col)
    out: list[ColumnElement[bool]] = []
    if lo is not None:
        out.append(col >= lo)
    if hi is not None:
        out.append(col <= hi)
    return out


def _record(kind: ObjectType, key: Any, upd: Any) -> list[Any]:
    return [
        sa.literal(str(kind), sa.String).label("sydtyp"),
        sa.cast(key, sa.String).label("sydkey"),
        upd.label("upd"),
    ]


def _sites(tb: Tables, company: str) -> Select[Any]:
    f = tb.facility
    return sa.select(f.c.fcy).where(f.c.legcpy == company)


def _contacts_in(tb: Tables, keys: Select[Any]) -> Select[Any]:
    c = tb.correspond
    return sa.select(*_record(ObjectType.COR, c.c.cornum, c.c.upddattim)).where(
        c.c.cornum.in_(keys)
    )


def _contact_branches(tb: Tables, cr: Criteria, rep: str | None) -> list[Select[Any]]:
    c = tb.correspond
    limit = _range(c.c.cornum, cr.cordeb, cr.corfin)
    cols = _record(ObjectType.COR, c.c.cornum, c.c.upddattim)
    if not (cr.corsyncnt or cr.corsynpst or cr.corsynrep):
        return [sa.select(*cols).where(*limit)]  # "totally"
    parts: list[Select[Any]] = []
    if cr.corsyncnt:
        b = tb.bpcustomer
        customers = sa.select(b.c.bpcnum).where(
            b.c.bpcsta == YES,
            sa.or_(b.c.rep_0 == rep, b.c.rep_1 == rep),
            *_range(b.c.bpcnum, cr.bpcdeb, cr.bpcfin),
        )
        cond = [c.c.cortyp == 1, c.c.cpybpatyp == 1, c.c.bprnum.in_(customers)]
        if cr.corfcttxt:
            cond.append(c.c.fnc.in_(cr.corfcttxt))
        parts.append(sa.select(*cols).where(*cond, *limit))
    if cr.corsynpst:
        ld = tb.lead
        leads = sa.select(ld.c.pstnum).where(
            ld.c.pstrep == rep, *_range(ld.c.pstnum, cr.pstdeb, cr.pstfin)
        )
        parts.append(
            sa.select(*cols).where(c.c.cpybpatyp == 6, c.c.bprnum.in_(leads), *limit)
        )
    if cr.corsynrep:
        cp = tb.correp
        linked = sa.select(cp.c.copnum).where(
            *_range(cp.c.coprep, cr.repdeb, cr.repfin)
        )
        parts.append(sa.select(*cols).where(c.c.cornum.in_(linked), *limit))
    return parts


def _bap_reps(a: sa.Table) -> list[Any]:
    return [a.c[f"aptrepnum_{i}"] for i in range(s.APT_ARRAY)]


def _bap_contacts(a: sa.Table) -> list[Any]:
    return [a.c[f"aptcor_{i}"] for i in range(s.APT_ARRAY)]


def compile_selection(
    criteria: Criteria,
    ctx: RunContext,
    types: Collection[ObjectType],
    tables: Tables = TOOLKIT,
) -> Select[Any]:
    """The records to force for ``ctx.user``, each (SYDTYP, SYDKEY, UPD) once.

    Args:
        criteria: validated criteria.
        ctx: resolved context (its ``rep`` and ``company`` are used).
        types: object types that passed the gates (SPEC §4.3); others are left out,
            including contacts pulled in by TSKFORCOR etc. when COR is gated.
        tables: the database's tables (``tables.of(conn)``); default the toolkit's.

    Returns:
        One SELECT per way a record can be chosen. Contacts can be chosen several
        ways, so their branches are glued with UNION (distinct); records of different
        types never coincide and tasks, calls and appointments are chosen one way
        each, so the types are glued with UNION ALL (no sort or hash over the whole
        selection: 1.36x faster previews on DuckDB at 1M records, docs/performance.md).
    """
    tb = tables
    cr, rep, sites = criteria, ctx.rep, _sites(tb, ctx.company)
    want_cor = ObjectType.COR in types
    contacts: list[Select[Any]] = []
    branches: list[Select[Any]] = []  # one per activity type
    if cr.selcor and want_cor:
        contacts += _contact_branches(tb, cr, rep)
    scope = _Scope(tb, cr, rep, sites, types)
    parts = (
        _activity_part(ObjectType.TSK, scope) if cr.seltsk else None,
        _activity_part(ObjectType.CLL, scope) if cr.selcll else None,
        _appointment_part(scope) if cr.selbap else None,
    )
    for part in parts:
        if part is not None:
            branches += part.branches
            if want_cor:
                contacts += part.contacts
    return _glue(tb, contacts, branches)


class _Part(NamedTuple):
    """One activity type's share of a selection: its records, the contacts it pulls."""

    branches: list[Select[Any]]
    contacts: list[Select[Any]]


class _Activity(NamedTuple):
    """How tasks or calls are chosen: their table, columns and date criteria."""

    table: str
    rep: str  # the column holding the sales rep
    key: str
    contact: str
    ranges: tuple[tuple[str, str, str], ...]  # (column, from-criterion, to-criterion)
    force_contacts: str  # the criterion pulling in their contacts


_ACTIVITIES = {
    ObjectType.TSK: _Activity(
        "btask", "tskrep", "tsknum", "tskcor",
        (("tskstr", "tskdatdeb", "tskdatfin"), ("tskdat", "tskechdeb", "tskechfin")),
        "tskforcor",
    ),
    ObjectType.CLL: _Activity(
        "bcall", "cllrep", "cllnum", "cllcor", (("clldat", "clldatdeb", "clldatfin"),),
        "cllforcor",
    ),
}  # fmt: skip


class _Scope(NamedTuple):
    """What every activity branch needs: tables, criteria, rep, sites, wanted types."""

    tb: Tables
    cr: Criteria
    rep: str | None
    sites: Select[Any]
    types: Collection[ObjectType]

    def records(
        self, typ: ObjectType, table: sa.Table, key: str, cond: list[Any]
    ) -> list[Select[Any]]:
        """The branch of ``typ``'s records meeting ``cond`` (none when gated)."""
        if typ not in self.types:
            return []
        return [sa.select(*_record(typ, table.c[key], table.c.upddattim)).where(*cond)]


def _activity_part(typ: ObjectType, scope: _Scope) -> _Part:
    """Tasks or calls of the rep on the company's sites, within the date ranges."""
    tb, cr, spec = scope.tb, scope.cr, _ACTIVITIES[typ]
    t: sa.Table = getattr(tb, spec.table)
    cond = [t.c[spec.rep] == scope.rep, t.c.salfcy.in_(scope.sites)]
    for column, lo, hi in spec.ranges:
        cond += _range(tb.value(t.c[column]), getattr(cr, lo), getattr(cr, hi))
    part = _Part(scope.records(typ, t, spec.key, cond), [])
    if getattr(cr, spec.force_contacts):
        pulled = sa.select(t.c[spec.contact]).where(*cond)
        part.contacts.append(_contacts_in(tb, pulled))
    return part


def _appointment_part(scope: _Scope) -> _Part:
    tb, cr, rep, sites = scope.tb, scope.cr, scope.rep, scope.sites
    a = tb.bappoint
    cond = [
        sa.or_(a.c.atprepmna == rep, *[col == rep for col in _bap_reps(a)]),
        a.c.salfcy.in_(sites),
        *_range(tb.value(a.c.aptdat), cr.bapdatdeb, cr.bapdatfin),
    ]
    part = _Part(scope.records(ObjectType.BAP, a, "aptnum", cond), [])
    if cr.bapforcor:
        met = sa.union_all(*[sa.select(col).where(*cond) for col in _bap_contacts(a)])
        part.contacts.append(_contacts_in(tb, sa.select(met.subquery().c[0])))
    if cr.bapforrep:
        c = tb.correspond
        reps = sa.union_all(*[sa.select(col).where(*cond) for col in _bap_reps(a)])
        part.contacts.append(
            sa.select(*_record(ObjectType.COR, c.c.cornum, c.c.upddattim)).where(
                c.c.cortyp == 2, c.c.repnum.in_(sa.select(reps.subquery().c[0]))
            )
        )
    return part


def _glue(
    tb: Tables, contacts: list[Select[Any]], branches: list[Select[Any]]
) -> Select[Any]:
    """Contacts glued with UNION (distinct), types with UNION ALL (docstring above)."""
    if len(contacts) > 1:
        branches.insert(0, sa.select(sa.union(*contacts).subquery()))
    elif contacts:
        branches.insert(0, contacts[0])
    if not branches:
        # Every wanted type was gated: a valid, empty selection (never a filter error).
        c = tb.correspond
        return sa.select(*_record(ObjectType.COR, c.c.cornum, c.c.upddattim)).where(
            sa.false()
        )
    if len(branches) == 1:
        return branches[0]
    return sa.select(sa.union_all(*branches).subquery())


def classify(
    selection: Select[Any],
    *,
    user: str,
    now: dt.datetime,
    staledays: int,
    timestamp_key: outofphase.TimestampKey,
    only_oop: bool = False,
    tables: Tables = TOOLKIT,
) -> Select[Any]:
    """Each selected record with outcome (SPEC §4.4), out-of-phase flag, reasons (§5).

    Args:
        selection, tables: ``compile_selection`` output; ``tables.of(conn)``.
        user, now, staledays: USER whose queue and anomalies are read; the clock.
        timestamp_key: ``db.timestamp_key`` bound to the dialect (UPDDATTIM as text).
        only_oop: keep only out-of-phase records (ONLYOOP).

    Returns:
        SELECT sydtyp, sydkey, outcome, oop (0/1), reasons (joined by REASON_SEP).
    """
    sel = selection.subquery("sel")
    agg = outofphase.queue_per_record(tables, user)
    links = outofphase.anomalies_per_record(tables, user)
    outcome = sa.case(
        (agg.c.nap > 0, str(Outcome.SKIP)),
        (sa.and_(agg.c.n == 1, agg.c.nr == 1), str(Outcome.ALREADY)),
        (sa.func.coalesce(agg.c.n, 0) > 0, str(Outcome.SUPERSEDE)),
        else_=str(Outcome.INSERT),
    )
    oop = outofphase.rules(
        anomaly=links.c.linktxt.is_not(None),
        qmin=agg.c.qmin,
        qmax=agg.c.qmax,
        upd=sel.c.upd,
        timestamp_key=timestamp_key,
        now=now,
        staledays=staledays,
    )
    stmt = (
        sa.select(
            sel.c.sydtyp,
            sel.c.sydkey,
            outcome.label("outcome"),
            oop.flag().label("oop"),
            oop.reasons(links.c.linktxt).label("reasons"),
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
        stmt = stmt.where(oop.out_of_phase)
    return stmt


def split_reasons(text: str | None) -> tuple[str, ...]:
    """The reasons stored or computed as one REASON_SEP-joined text, as a tuple.

    Field anomalies come first (sorted, their SQL aggregation order being arbitrary),
    then 'pending since', then 'changed after queued'.
    """
    if not text:
        return ()
    parts = [p for p in text.split(s.REASON_SEP) if p]
    fields = sorted(p for p in parts if p.startswith("field "))
    rest = [p for p in parts if not p.startswith("field ")]
    return tuple(fields + rest)


def record_row(r: Any) -> RecordRow:
    """A row of ``describe`` as the RecordRow that previews and run details show."""
    return RecordRow(
        object_type=r.sydtyp,
        record_key=r.sydkey,
        outcome=r.outcome,
        out_of_phase=bool(r.oop),
        reasons=split_reasons(r.reasons),
        description=r.descr,
        date=r.recdate,
        rep=r.rep,
    )
