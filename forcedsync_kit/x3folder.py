"""An X3-shaped folder for tests and demos, built from a mapping (default: ``x3``).

``build`` loads the demo (``demo.build``) in the toolkit layout of the connection's
default schema, then copies it set-based into a folder schema shaped like a live X3
database (SPEC §8): quoted upper-case names, ``_0`` columns, NOT NULL columns holding
``' '`` and 1753-01-01 for empty, ADOVALAUS for user-level parameters, AUUID/UPDTICK
filled, a ROWID identity, and the SYDNUM key source the mapping declares. The same
demo content is then readable through both layouts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import db, demo, dialects, schema
from .layout import USER_LEVEL, Layout

logger = logging.getLogger(__name__)

#: Folder name of the demo X3 folder (X3's reference folder is called SEED).
DEMO_FOLDER = "SEED"


@dataclass(frozen=True, slots=True)
class FolderSummary:
    """What ``build`` created: the folder's schema and the rows per physical table."""

    schema: str | None
    rows: Mapping[str, int]


def build(
    engine: Engine,
    *,
    folder: str = DEMO_FOLDER,
    mapping: str = "x3",
    scale: int = 1,
    seed: int = 42,
    replace: bool = False,
) -> FolderSummary:
    """Create the X3-shaped folder and load the demo content into it.

    Args:
        engine: a DuckDB or PostgreSQL engine; the toolkit layout (default schema)
            receives the demo too, and keeps the toolkit's own tables.
        folder: the folder (schema) name.
        mapping: the mapping preset or file the folder is shaped by.
        scale, seed: as ``demo.build``.
        replace: drop an existing folder of that name and reload the demo.

    Raises:
        BackendError: the demo refused (data present and not ``replace``).
    """
    layout = Layout(mapping, folder=folder)
    dialects.caps(engine)  # refuse an unknown dialect before writing
    demo.build(engine, scale=scale, seed=seed, replace=replace)
    with db.writing(engine) as conn:
        create(conn, layout, replace=replace)
        rows = copy_demo(conn, layout)
        start_keys(conn, layout)
    return FolderSummary(schema=layout.schema, rows=rows)


def ddl_tables(layout: Layout, dialect: dialects.DialectCaps) -> list[sa.Table]:
    """The folder's tables as X3 creates them: NOT NULL columns, ROWID identity.

    ROWID is an identity on PostgreSQL (as on SQL Server) and a sequence default on
    DuckDB, which has no identity columns.
    """
    md = sa.MetaData()
    out = []
    for t in layout.tables():
        cols: list[sa.Column[Any]] = [
            sa.Column(
                c.name,
                c.type,
                key=c.key,
                nullable=False,
                primary_key=c.primary_key,
                autoincrement=False,
            )
            for c in t.columns
        ]
        rowid = _rowid(layout, t.name, dialect, md)
        out.append(sa.Table(t.name, md, *cols, *rowid, schema=layout.schema))
    return out


def _rowid(
    layout: Layout, table: str, dialect: dialects.DialectCaps, md: sa.MetaData
) -> list[Any]:
    name = layout.mapping.technical.rowid
    if not name:
        return []
    if dialect.name != "duckdb":
        return [sa.Column(name, sa.BigInteger, sa.Identity(), nullable=False)]
    seq = sa.Sequence(f"SEQ_ROWID_{table}", schema=layout.schema, metadata=md)
    default = seq.next_value()
    return [sa.Column(name, sa.BigInteger, server_default=default, nullable=False)]


def create(conn: Connection, layout: Layout, *, replace: bool = False) -> None:
    """Create the folder schema and its tables (dropped first when ``replace``)."""
    prep = conn.dialect.identifier_preparer
    if layout.schema:
        name = prep.quote_identifier(layout.schema)
        if replace:
            # Identifiers cannot be bound; the name was validated by the mapping.
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {name}"))
    tables = ddl_tables(layout, dialects.caps(conn))
    tables[0].metadata.create_all(conn, checkfirst=True)


def copy_demo(conn: Connection, layout: Layout) -> dict[str, int]:
    """Copy the toolkit-layout tables (default schema) into the folder, set-based."""
    caps = dialects.caps(conn)
    rows: dict[str, int] = {}
    user = layout.user_params
    for name in schema.X3_TABLES:
        src = schema.metadata.tables[name]
        select = sa.select(*src.columns)
        if name == "adoval" and user is not None:
            names = ["levkey", "param", "valeur"]
            moved = sa.select(*[src.c[n] for n in names]).where(src.c.lev == USER_LEVEL)
            stmt = layout.insert_from_select(user, names, moved, caps)
            conn.execute(stmt)
            rows[user.name] = _count(conn, user)
            select = select.where(src.c.lev != USER_LEVEL)
        cols = [c.name for c in src.columns]
        stmt = layout.insert_from_select(name, cols, select, caps)
        conn.execute(stmt)
        rows[layout.table(name).name] = _count(conn, layout.table(name))
    return rows


def _count(conn: Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def start_keys(conn: Connection, layout: Layout) -> None:
    """Create the SYDNUM sequence or counter the mapping declares, above the keys."""
    spec = layout.mapping.sydnum
    q = layout.table("syncdata")
    top = int(conn.execute(sa.select(sa.func.max(q.c.sydnum))).scalar() or 0)
    if spec.strategy == "sequence":
        seq = sa.Sequence(str(spec.sequence), schema=layout.schema, start=top + 1)
        seq.create(conn, checkfirst=True)
    elif spec.strategy == "counter":
        cols: list[sa.Column[Any]] = [sa.Column(str(spec.column), sa.BigInteger)]
        values: dict[str, Any] = {str(spec.column): top}
        if spec.key_column:
            cols.append(sa.Column(spec.key_column, sa.String(30)))
            values[spec.key_column] = spec.key_value
        t = sa.Table(str(spec.table), sa.MetaData(), *cols, schema=layout.schema)
        t.create(conn, checkfirst=True)
        conn.execute(sa.insert(t).values(values))
