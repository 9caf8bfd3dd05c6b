"""Storage of a preview snapshot: one session-held temporary table per snapshot.

The classified, described selection is written once into a TEMPORARY table on a
connection the snapshot holds (DuckDB and PostgreSQL alike; the measurements behind the
choice are in docs/decisions.md, "Preview snapshot"). Each row carries four positions
in the preview's order (SYDTYP, SYDKEY), one per page filter, so that page N of any
filter is a range of positions: no OFFSET scan, whatever the page.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .selection import describe

#: Position columns: unfiltered, out-of-phase only, per outcome, per outcome + oop.
POSITIONS = ("r_all", "r_oop", "r_out", "r_outoop")


def snapshot_table(name: str | None = None) -> sa.Table:
    """A new TEMPORARY table definition (``fsysnap_<hex>``) in its own metadata."""
    return sa.Table(
        name or f"fsysnap_{uuid.uuid4().hex[:16]}",
        sa.MetaData(),
        sa.Column("sydtyp", sa.String(3)),
        sa.Column("sydkey", sa.String),
        sa.Column("outcome", sa.String(10)),
        sa.Column("oop", sa.SmallInteger),
        sa.Column("reasons", sa.String),
        sa.Column("descr", sa.String),
        sa.Column("recdate", sa.Date),
        sa.Column("rep", sa.String),
        *[sa.Column(p, sa.BigInteger) for p in POSITIONS],
        prefixes=["TEMPORARY"],
    )


def _positioned(classified: sa.Select[Any]) -> sa.Select[Any]:
    """The described selection with its four positions, in the preview's order."""
    d = describe(classified.subquery("cls")).order_by(None).subquery("d")
    order = (d.c.sydtyp, d.c.sydkey)
    is_oop = d.c.oop == 1

    def rank(*partition: Any) -> Any:
        return sa.func.row_number().over(partition_by=list(partition), order_by=order)

    return sa.select(
        d.c.sydtyp,
        d.c.sydkey,
        d.c.outcome,
        d.c.oop,
        d.c.reasons,
        d.c.descr,
        d.c.recdate,
        d.c.rep,
        sa.func.row_number().over(order_by=order).label("r_all"),
        sa.case((is_oop, rank(d.c.oop)), else_=None).label("r_oop"),
        rank(d.c.outcome).label("r_out"),
        sa.case((is_oop, rank(d.c.outcome, d.c.oop)), else_=None).label("r_outoop"),
    )


def create(conn: Connection, table: sa.Table, classified: sa.Select[Any]) -> None:
    """Create ``table`` on ``conn`` and fill it from ``classified``, in one transaction.

    Rows are inserted in position order so that DuckDB's zone maps (min/max per row
    group) skip every row group outside a page's range; PostgreSQL gets indexes on the
    positions instead.
    """
    src = _positioned(classified).subquery("p")
    cols = [c.name for c in table.columns]
    with conn.begin():
        table.create(conn)
        ordered = sa.select(*[src.c[c] for c in cols]).order_by(src.c.r_all)
        conn.execute(sa.insert(table).from_select(cols, ordered))
        if conn.dialect.name == "postgresql":
            for pos in POSITIONS:
                sa.Index(f"{table.name}_{pos}", table.c[pos]).create(conn)
            conn.execute(sa.text(f"ANALYZE {table.name}"))


def drop(conn: Connection, table: sa.Table) -> None:
    """Drop the snapshot's table (the connection stays open)."""
    with conn.begin():
        table.drop(conn, checkfirst=True)


def grouped_counts(conn: Connection, table: sa.Table) -> list[tuple[str, str, int, int]]:
    """``(type, outcome, oop, n)`` over the snapshot, types in the backend's order."""
    c = table.c
    stmt = (
        sa.select(c.sydtyp, c.outcome, c.oop, sa.func.count())
        .group_by(c.sydtyp, c.outcome, c.oop)
        .order_by(c.sydtyp, c.outcome, c.oop)
    )
    with conn.begin():
        rows = conn.execute(stmt).all()
    return [(str(t), str(o), int(f), int(n)) for t, o, f, n in rows]


def position_column(outcome: str | None, only_oop: bool) -> str:
    """The position column that numbers the records of a page filter 1, 2, 3..."""
    if outcome is None:
        return "r_oop" if only_oop else "r_all"
    return "r_outoop" if only_oop else "r_out"


def page_rows(
    conn: Connection,
    table: sa.Table,
    *,
    first: int,
    last: int,
    outcome: str | None,
    only_oop: bool,
) -> list[Any]:
    """Rows whose filter position is within ``first..last``, in position order."""
    c = table.c
    pos = c[position_column(outcome, only_oop)]
    conds: list[Any] = [pos >= first, pos <= last]
    if outcome is not None:
        conds.append(c.outcome == outcome)
    stmt = sa.select(table).where(*conds).order_by(pos)
    with conn.begin():
        return list(conn.execute(stmt).all())


def export_select(table: sa.Table, reason_sep: str, *, text: bool) -> sa.Select[Any]:
    """Every snapshot record in preview order, reasons joined by ``'; '``.

    ``text``: out_of_phase as 'true'/'false' (CSV reads alike from both backends,
    PostgreSQL printing booleans as t/f); else a BOOLEAN (Parquet).
    """
    c = table.c
    yes, no = ("true", "false") if text else (True, False)
    reasons = sa.func.replace(sa.func.ltrim(c.reasons, reason_sep), reason_sep, "; ")
    return sa.select(
        c.sydtyp.label("type"),
        c.sydkey.label("key"),
        c.descr.label("description"),
        c.recdate.label("date"),
        c.rep.label("rep"),
        c.outcome.label("outcome"),
        sa.case((c.oop == 1, yes), else_=no).label("out_of_phase"),
        reasons.label("reasons"),
    ).order_by(c.r_all)
