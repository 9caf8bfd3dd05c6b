"""Read-only look-ups for the analyst UI: code lists for completion and the overview.

Both are plain SQLAlchemy Core reads with bound parameters; they open and close their
own connection (the UI never holds one across callbacks, DuckDB having one writer).
The overview applies the out-of-phase rules of SPEC §5 to every queued or anomalous
record, grouped by object type, sales rep and age, without a criteria selection.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from . import db, outofphase, tables
from .clock import to_naive_utc, utcnow
from .criteria import OBJECT_TYPES, ObjectType
from .errors import CriteriaError

logger = logging.getLogger(__name__)

CodeKind = Literal["user", "company", "customer", "lead", "rep", "contact"]
#: The kinds of code ``codes`` can list.
CODE_KINDS: tuple[str, ...] = get_args(CodeKind)

#: Age buckets of the overview, by days since the oldest pending SYNCDATA row.
AGE_BUCKETS: tuple[str, ...] = ("none queued", "0-7 d", "8-30 d", "31-90 d", "> 90 d")
_NO_REP = "(no rep)"


def _code_source(
    kind: str, tb: tables.Tables
) -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]]:
    c, v = tb.correspond.c, tb.value
    sources: dict[str, tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]]] = {
        "user": (tb.autilis.c.codusr, v(tb.autilis.c.nomusr)),
        "company": (tb.company.c.cpy, v(tb.company.c.cpynam)),
        "customer": (tb.bpcustomer.c.bpcnum, v(tb.bpcustomer.c.bpcnam)),
        "lead": (tb.lead.c.pstnum, v(tb.lead.c.pstnam)),
        "rep": (tb.salesrep.c.repnum, v(tb.salesrep.c.repnam)),
        "contact": (
            c.cornum,
            sa.func.trim(
                sa.func.coalesce(v(c.cntfna), "")
                + " "
                + sa.func.coalesce(v(c.cntlna), "")
            ),
        ),
    }
    try:
        return sources[kind]
    except KeyError:
        raise CriteriaError(
            "kind",
            kind,
            f"Unknown code list {kind!r}: use one of {', '.join(CODE_KINDS)}.",
            allowed=", ".join(CODE_KINDS),
        ) from None


def codes(
    engine: Engine, kind: CodeKind | str, prefix: str = "", limit: int = 50
) -> list[tuple[str, str]]:
    """The existing codes of one kind that start with ``prefix``, with their names.

    Args:
        engine: database engine.
        kind: ``user`` (AUTILIS), ``company``, ``customer`` (BPCUSTOMER), ``lead``,
            ``rep`` (SALESREP) or ``contact`` (CORRESPOND).
        prefix: the start of the code, any case (codes are upper case); empty for all.
        limit: at most this many codes, in code order (1 to 1000).

    Returns:
        ``(code, name)`` pairs; the name is ``""`` when the record has none.

    Raises:
        CriteriaError: an unknown kind or a limit out of range.
    """
    code_col, name_col = _code_source(kind, tables.of(engine))
    if not 1 <= limit <= 1000:
        raise CriteriaError(
            "limit", limit, f"limit={limit} is out of range: give 1 to 1000."
        )
    stmt = sa.select(code_col, name_col).order_by(code_col).limit(limit)
    text = (prefix or "").strip().upper()
    if text:
        stmt = stmt.where(code_col.startswith(text, autoescape=True))
    with db.reading(engine) as conn:
        rows = conn.execute(stmt).all()
    return [(str(code), str(name or "")) for code, name in rows if code]


@dataclass(frozen=True, slots=True)
class OverviewRow:
    """Out-of-phase records of one object type, rep and age bucket."""

    object_type: str
    rep: str
    age: str
    records: int
    out_of_phase: int


@dataclass(frozen=True, slots=True)
class Overview:
    """Queued or anomalous records and how many are out of phase (SPEC §5).

    ``rows`` holds one entry per (object type, rep, age bucket) that has records.
    """

    user: str | None
    now: dt.datetime
    staledays: int
    rows: tuple[OverviewRow, ...]

    def by(self, dimension: str) -> dict[str, int]:
        """Out-of-phase records per ``object_type``, ``rep`` or ``age``, in order."""
        out: dict[str, int] = {}
        if dimension == "object_type":
            out = {str(t): 0 for t in OBJECT_TYPES}
        elif dimension == "age":
            out = dict.fromkeys(AGE_BUCKETS, 0)
        for row in self.rows:
            key = getattr(row, dimension)
            out[key] = out.get(key, 0) + row.out_of_phase
        if dimension == "rep":
            out = dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))
        return out

    @property
    def out_of_phase(self) -> int:
        """Out-of-phase records in total."""
        return sum(r.out_of_phase for r in self.rows)

    @property
    def records(self) -> int:
        """Queued or anomalous records in total."""
        return sum(r.records for r in self.rows)

    def to_json_dict(self) -> dict[str, Any]:
        """The overview as JSON-ready data."""
        return {
            "user": self.user,
            "now": self.now.isoformat(),
            "staledays": self.staledays,
            "by_type": self.by("object_type"),
            "by_rep": self.by("rep"),
            "by_age": self.by("age"),
            "rows": [
                {
                    "SYDTYP": r.object_type,
                    "rep": r.rep,
                    "age": r.age,
                    "records": r.records,
                    "out_of_phase": r.out_of_phase,
                }
                for r in self.rows
            ],
        }


def _queue_key(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%d%H%M%S")


def _records_rep(
    keys: sa.Subquery, tb: tables.Tables
) -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any], Any]:
    """Outer joins from (typ, key) to the record, its UPDDATTIM and its rep."""
    c, t, k, a = tb.correspond, tb.btask, tb.bcall, tb.bappoint
    b, ld, v = tb.bpcustomer, tb.lead, tb.value
    typ, key = keys.c.typ, keys.c.key
    cor = sa.and_(typ == str(ObjectType.COR), c.c.cornum == key)
    joined: Any = (
        keys.outerjoin(c, cor)
        .outerjoin(t, sa.and_(typ == str(ObjectType.TSK), t.c.tsknum == key))
        .outerjoin(k, sa.and_(typ == str(ObjectType.CLL), k.c.cllnum == key))
        .outerjoin(a, sa.and_(typ == str(ObjectType.BAP), a.c.aptnum == key))
        .outerjoin(b, sa.and_(c.c.cpybpatyp == 1, b.c.bpcnum == c.c.bprnum))
        .outerjoin(ld, sa.and_(c.c.cpybpatyp == 6, ld.c.pstnum == c.c.bprnum))
    )
    upd = sa.func.coalesce(
        v(c.c.upddattim), v(t.c.upddattim), v(k.c.upddattim), v(a.c.upddattim)
    )
    # A contact's rep: the rep it stands for (CORTYP=2), else its customer's first
    # rep, else its lead's supervisor (the reps whose "my contacts" would pull it).
    rep = sa.func.coalesce(
        v(t.c.tskrep),
        v(k.c.cllrep),
        v(a.c.atprepmna),
        v(c.c.repnum),
        v(b.c.rep_0),
        v(ld.c.pstrep),
    )
    return upd, rep, joined


def overview(
    engine: Engine,
    user: str | None = None,
    *,
    now: dt.datetime | None = None,
    staledays: int = 7,
) -> Overview:
    """Out-of-phase records by object type, sales rep and age (SPEC §5 rules).

    Every (user, type, key) that has a pending SYNCDATA row or an anomaly to process
    in SYNCLINK is a record here; it is out of phase when it has such an anomaly, a
    row older than ``staledays`` days, or a change (UPDDATTIM) later than its newest
    row. Its age is the time since its oldest pending row.

    Args:
        engine: database engine.
        user: only this USER's queue; ``None`` for every user.
        now: the clock (UTC); defaults to the current time.
        staledays: STALEDAYS, 0 to 36500.

    Returns:
        The grouped counts, aggregated in SQL.

    Raises:
        CriteriaError: ``staledays`` out of range.
    """
    if not 0 <= staledays <= 36500:
        raise CriteriaError(
            "STALEDAYS",
            staledays,
            f"STALEDAYS={staledays} is out of range: give a number of days from 0 "
            f"to 36500.",
        )
    clock = utcnow() if now is None else to_naive_utc(now)
    code = (user or "").strip().upper() or None
    tb = tables.of(engine)
    keys = _queued_or_anomalous(code, tb)
    with db.reading(engine) as conn:
        stmt = _overview_counts(
            keys, clock, staledays, lambda col: db.timestamp_key(conn, col), tb
        )
        rows = conn.execute(stmt).all()
    return Overview(
        user=code,
        now=clock,
        staledays=staledays,
        rows=tuple(
            OverviewRow(str(typ), str(r), str(a), int(n), int(noop or 0))
            for typ, r, a, n, noop in rows
        ),
    )


def _queued_or_anomalous(code: str | None, tb: tables.Tables) -> sa.Subquery:
    """Every (user, type, key) with a pending row or an anomaly, oldest/newest row."""
    q, lk = tb.syncdata, tb.synclink
    queued = sa.select(
        q.c.sydusr.label("usr"),
        q.c.sydtyp.label("typ"),
        q.c.sydkey.label("key"),
        outofphase.queue_key(tb).label("qkey"),
        sa.literal(0).label("lnk"),
    )
    linked = sa.select(
        lk.c.sylusr.label("usr"),
        lk.c.syltyp.label("typ"),
        lk.c.sylkey.label("key"),
        sa.null().label("qkey"),
        sa.literal(1).label("lnk"),
    ).where(*outofphase.anomaly_where(code, tb))
    if code is not None:
        queued = queued.where(q.c.sydusr == code)
    both = sa.union_all(queued, linked).subquery("both_")
    return (
        sa.select(
            both.c.usr,
            both.c.typ,
            both.c.key,
            sa.func.min(both.c.qkey).label("qmin"),
            sa.func.max(both.c.qkey).label("qmax"),
            sa.func.max(both.c.lnk).label("lnk"),
        )
        .group_by(both.c.usr, both.c.typ, both.c.key)
        .subquery("keys")
    )


def _overview_counts(
    keys: sa.Subquery,
    clock: dt.datetime,
    staledays: int,
    timestamp_key: outofphase.TimestampKey,
    tb: tables.Tables,
) -> sa.Select[Any]:
    """Records and out-of-phase records per type, rep and age bucket."""
    upd, rep, joined = _records_rep(keys, tb)
    oop = outofphase.rules(
        anomaly=keys.c.lnk == 1,
        qmin=keys.c.qmin,
        qmax=keys.c.qmax,
        upd=upd,
        timestamp_key=timestamp_key,
        now=clock,
        staledays=staledays,
    )
    age = sa.case(
        (keys.c.qmin.is_(None), AGE_BUCKETS[0]),
        (keys.c.qmin >= _queue_key(clock - dt.timedelta(days=7)), AGE_BUCKETS[1]),
        (keys.c.qmin >= _queue_key(clock - dt.timedelta(days=30)), AGE_BUCKETS[2]),
        (keys.c.qmin >= _queue_key(clock - dt.timedelta(days=90)), AGE_BUCKETS[3]),
        else_=AGE_BUCKETS[4],
    )
    flat = (
        sa.select(
            keys.c.typ.label("typ"),
            sa.func.coalesce(rep, _NO_REP).label("rep"),
            age.label("age"),
            oop.flag().label("oop"),
        )
        .select_from(joined)
        .subquery("flat")
    )
    return (
        sa.select(
            flat.c.typ,
            flat.c.rep,
            flat.c.age,
            sa.func.count().label("n"),
            sa.func.sum(flat.c.oop).label("noop"),
        )
        .group_by(flat.c.typ, flat.c.rep, flat.c.age)
        .order_by(flat.c.typ, flat.c.rep, flat.c.age)
    )
