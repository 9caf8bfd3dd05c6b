"""Storage of a preview snapshot: one table of the classified selection per snapshot.

PostgreSQL: a TEMPORARY table on a connection the snapshot holds; only a page's
records are joined to their description, date and rep. DuckDB: a table in a private
in-memory DuckDB (``memory_store``), described whole when the snapshot opens, so the
database file is released right after and other processes (the CLI, a sync, another
kernel) can use it while the snapshot pages (docs/decisions.md, "Preview snapshot").
Either way each row is numbered ``r_all`` in the preview's order (SYDTYP, SYDKEY), and
a page filter (outcome, out of phase) gets its own small table of positions on its
first page. Page N of any filter is thus a range of positions (no OFFSET scan).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from . import tables
from .errors import CriteriaError
from .selection import describe

#: Columns a described store adds (what ``describe`` computes per page otherwise).
DESCRIBED = ("descr", "recdate", "rep")


def snapshot_table(
    name: str | None = None, *, described: bool = False, temporary: bool = True
) -> sa.Table:
    """A new table definition (``fsysnap_<hex>``) in its own metadata.

    ``described``: with the page's display columns (description, date, rep) stored.
    """
    shown: list[sa.Column[Any]] = [
        sa.Column("descr", sa.String),
        sa.Column("recdate", sa.Date),
        sa.Column("rep", sa.String),
    ]
    return sa.Table(
        name or f"fsysnap_{uuid.uuid4().hex[:16]}",
        sa.MetaData(),
        sa.Column("sydtyp", sa.String(3)),
        sa.Column("sydkey", sa.String),
        sa.Column("outcome", sa.String(10)),
        sa.Column("oop", sa.SmallInteger),
        sa.Column("reasons", sa.String),
        *(shown if described else []),
        sa.Column("r_all", sa.BigInteger),
        prefixes=["TEMPORARY"] if temporary else [],
    )


def check_cursor(after: object) -> int:
    """A keyset cursor (``Page.after``): a whole number >= 0.

    Raises:
        CriteriaError: anything else.
    """
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise CriteriaError(
            "after", after, f"after={after!r} must be a whole number >= 0."
        )
    return after


def is_described(table: sa.Table) -> bool:
    """True when the table stores description, date and rep."""
    return "descr" in table.c


def positions_table(snap: sa.Table, label: str) -> sa.Table:
    """A TEMPORARY table numbering the records of one page filter 1, 2, 3..."""
    return sa.Table(
        f"{snap.name}_{label}",
        sa.MetaData(),
        sa.Column("r", sa.BigInteger),
        sa.Column("r_all", sa.BigInteger),
        prefixes=["TEMPORARY"],
    )


def _index(conn: Connection, table: sa.Table, column: str) -> None:
    """PostgreSQL: an index on the position and fresh statistics (DuckDB: zone maps)."""
    if conn.dialect.name == "postgresql":
        sa.Index(f"{table.name}_{column}", table.c[column]).create(conn)
        conn.execute(sa.text(f"ANALYZE {table.name}"))


def numbered(classified: sa.Select[Any]) -> sa.Subquery:
    """The classified rows with ``r_all``, their number in (SYDTYP, SYDKEY) order."""
    cls = classified.subquery("cls")
    order = (cls.c.sydtyp, cls.c.sydkey)
    return sa.select(
        cls, sa.func.row_number().over(order_by=order).label("r_all")
    ).subquery("num")


def create(
    conn: Connection,
    table: sa.Table,
    classified: sa.Select[Any],
    *,
    number: bool = True,
) -> None:
    """Create ``table`` on ``conn`` and fill it from ``classified``, in one transaction.

    ``r_all`` numbers the records in the preview's order (SYDTYP, SYDKEY); with
    ``number=False`` it is left NULL (no sort of the selection: DuckDB numbers the
    rows when it moves them, after the first page).
    """
    cols = [c.name for c in table.columns]
    if number:
        src = sa.select(numbered(classified))
    else:
        cls = classified.subquery("cls")
        src = sa.select(cls, sa.null().label("r_all"))
    with conn.begin():
        table.create(conn)
        conn.execute(sa.insert(table).from_select(cols, src))
        _index(conn, table, "r_all")


def unnumbered(table: sa.Table) -> sa.Select[Any]:
    """The table's columns but ``r_all``: what ``classify`` gives."""
    return sa.select(*[c for c in table.c if c.name != "r_all"])


def offset_rows(
    conn: Connection,
    table: sa.Table,
    filters: tuple[str | None, str | None, bool],
    start: int,
    size: int,
    types: Sequence[str] | None,
) -> tuple[list[Any], int | None]:
    """Described rows ``start + 1..start + size`` of an unnumbered table (ORDER BY,
    LIMIT, OFFSET: only a first page is read so), and the position in the whole
    order of the page's last row (the keyset cursor) when more rows follow."""
    c = table.c
    object_type, outcome, only_oop = filters
    conds = _filter(table, outcome, only_oop)
    if object_type is not None:
        conds.append(c.sydtyp == object_type)
    page = (
        sa.select(table).where(*conds).order_by(c.sydtyp, c.sydkey)
        .limit(size + 1).offset(start)
    )  # fmt: skip
    pg = page.subquery("pg")
    stmt = describe(pg, tables.of(conn), types).add_columns(pg.c.r_all)
    with conn.begin():
        rows = list(conn.execute(stmt).all())
        if len(rows) <= size:
            return rows, None
        t, k = rows[size - 1].sydtyp, rows[size - 1].sydkey
        at = sa.or_(c.sydtyp < t, sa.and_(c.sydtyp == t, c.sydkey <= k))
        ahead = sa.select(sa.func.count()).select_from(table).where(at)
        return rows[:size], int(conn.execute(ahead).scalar_one())


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _scratch_dir() -> Path:
    """A private folder for the scratch file: in RAM (/dev/shm) where there is one."""
    shm = Path("/dev/shm")
    where = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="fsysnap_", dir=where))


def _write_scratch(
    conn: Connection,
    path: Path,
    table: sa.Table,
    source: sa.Table,
    types: Sequence[str] | None,
    number: bool,
) -> None:
    """DuckDB: the snapshot's rows with their description, date and rep, into ``path``.

    ``source``: the snapshot's table on ``conn`` (numbered here if ``number``). The
    new DuckDB file is attached to that connection, so no row crosses Python; rows go
    in ``r_all`` order (zone maps then bound every page's scan). ``types``: the object
    types present; only their tables are joined.
    """
    src = numbered(unnumbered(source)) if number else sa.select(source).subquery("n")
    stmt = describe(src, tables.of(conn), types).add_columns(src.c.r_all)
    stmt = stmt.order_by(None).order_by(src.c.r_all)
    target = table.to_metadata(sa.MetaData(), schema=table.name)
    with conn.begin():
        conn.exec_driver_sql(f"ATTACH {_quoted(path)} AS {table.name}")
    try:
        with conn.begin():
            target.create(conn)
            cols = [c.name for c in target.columns]
            conn.execute(sa.insert(target).from_select(cols, stmt))
    finally:
        with conn.begin():
            conn.exec_driver_sql(f"DETACH {table.name}")


@contextlib.contextmanager
def memory_store(
    conn: Connection,
    source: sa.Table,
    types: Sequence[str] | None = None,
    *,
    number: bool = False,
) -> Iterator[tuple[Connection, sa.Table]]:
    """DuckDB: ``source``, described, in a private in-memory DuckDB held open.

    Built through a scratch DuckDB file (removed before this yields): ``conn``, the
    database file's connection, writes it; the in-memory database copies it whole.
    The caller can then close ``conn``: pages, filters and the export read only the
    yielded connection, closed (and its memory freed) on exit.
    """
    table = snapshot_table(described=True, temporary=False)
    folder = _scratch_dir()
    engine = sa.create_engine("duckdb:///:memory:", poolclass=NullPool)
    try:
        scratch = folder / "snap.duckdb"
        _write_scratch(conn, scratch, table, source, types, number)
        mem = engine.connect()
        try:
            with mem.begin():
                mem.exec_driver_sql(f"ATTACH {_quoted(scratch)} AS src (READ_ONLY)")
                mem.exec_driver_sql(
                    f"CREATE TABLE {table.name} AS SELECT * FROM src.{table.name}"
                )
            with mem.begin():
                mem.exec_driver_sql("DETACH src")
        except BaseException:
            mem.close()
            raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    try:
        yield mem, table
    finally:
        mem.close()
        engine.dispose()


def _filter(table: sa.Table, outcome: str | None, only_oop: bool) -> list[Any]:
    c = table.c
    conds: list[Any] = []
    if outcome is not None:
        conds.append(c.outcome == outcome)
    if only_oop:
        conds.append(c.oop == 1)
    return conds


def create_positions(
    conn: Connection, snap: sa.Table, pos: sa.Table, outcome: str | None, only_oop: bool
) -> None:
    """Number the records of one filter (built on its first page, then reused)."""
    c = snap.c
    src = (
        sa.select(sa.func.row_number().over(order_by=c.r_all).label("r"), c.r_all)
        .where(*_filter(snap, outcome, only_oop))
        .order_by(c.r_all)
    )
    with conn.begin():
        pos.create(conn)
        conn.execute(sa.insert(pos).from_select(["r", "r_all"], src))
        _index(conn, pos, "r")


def interrupt(conn: Connection) -> None:
    """Stop the statement running on a DuckDB connection (from another thread)."""
    with contextlib.suppress(Exception):  # closed, or nothing running: nothing to stop
        conn.connection.driver_connection.interrupt()  # type: ignore[union-attr]


def drop(conn: Connection, table: sa.Table) -> None:
    """Drop the snapshot's table (the connection stays open)."""
    with conn.begin():
        table.drop(conn, checkfirst=True)


def grouped_counts(
    conn: Connection, table: sa.Table
) -> list[tuple[str, str, int, int]]:
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


def _described(
    conn: Connection,
    table: sa.Table,
    page: sa.Select[Any],
    types: Sequence[str] | None,
) -> list[Any]:
    """The page's rows with description, date and rep (and ``r_all``), in order.

    ``types``: the object types the page can hold; only their tables are joined. A
    described store (DuckDB) holds them already: its rows are read as they are.
    """
    if is_described(table):
        stmt = page.order_by(None).order_by(table.c.r_all)
    else:
        pg = page.subquery("pg")
        stmt = describe(pg, tables.of(conn), types).add_columns(pg.c.r_all)
    with conn.begin():
        return list(conn.execute(stmt).all())


def page_rows(
    conn: Connection,
    table: sa.Table,
    pos: sa.Table | None,
    first: int,
    last: int,
    types: Sequence[str] | None = None,
) -> list[Any]:
    """Described rows at positions ``first..last`` (of ``pos``, else ``r_all``)."""
    c = table.c
    if pos is None:
        page = sa.select(table).where(c.r_all >= first, c.r_all <= last)
    else:
        keys = sa.select(pos.c.r_all).where(pos.c.r >= first, pos.c.r <= last)
        page = sa.select(table).where(c.r_all.in_(keys))
    return _described(conn, table, page, types)


def rows_after(
    conn: Connection,
    table: sa.Table,
    after: int,
    size: int,
    *,
    object_type: str | None,
    outcome: str | None,
    only_oop: bool,
    types: Sequence[str] | None = None,
) -> list[Any]:
    """Keyset page: the next ``size`` described rows of the filter after ``r_all``."""
    c = table.c
    conds = _filter(table, outcome, only_oop)
    if object_type is not None:
        conds.append(c.sydtyp == object_type)
    page = sa.select(table).where(c.r_all > after, *conds).order_by(c.r_all).limit(size)
    if not is_described(table) and (types is None or len(types) > 1):
        # the page's own types: join only theirs
        found = sa.select(sa.distinct(page.subquery("k").c.sydtyp))
        with conn.begin():
            types = [str(t) for t in conn.execute(found).scalars()]
    return _described(conn, table, page, types)


def export_select(
    table: sa.Table,
    reason_sep: str,
    *,
    text: bool,
    tb: tables.Tables = tables.TOOLKIT,
) -> sa.Select[Any]:
    """Every snapshot record in preview order, reasons joined by ``'; '``.

    ``text``: out_of_phase as 'true'/'false' (CSV reads alike from both backends,
    PostgreSQL printing booleans as t/f); else a BOOLEAN (Parquet).
    """
    src = sa.select(table).subquery("snap")
    c = src if is_described(table) else describe(src, tb).order_by(None).subquery("d")
    yes, no = ("true", "false") if text else (True, False)
    reasons = sa.func.replace(sa.func.ltrim(c.c.reasons, reason_sep), reason_sep, "; ")
    return sa.select(
        c.c.sydtyp.label("type"),
        c.c.sydkey.label("key"),
        c.c.descr.label("description"),
        c.c.recdate.label("date"),
        c.c.rep.label("rep"),
        c.c.outcome.label("outcome"),
        sa.case((c.c.oop == 1, yes), else_=no).label("out_of_phase"),
        reasons.label("reasons"),
    ).order_by(*([c.c.r_all] if is_described(table) else [c.c.sydtyp, c.c.sydkey]))
