"""What each database dialect spells differently: one capability table, one place.

DuckDB and PostgreSQL are run-tested; SQL Server and Oracle (where live X3 folders
live) are compile-tested (``tests/golden/x3``). A connection whose dialect is not in
the table is refused with one sentence, before any statement is built.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, Executable
from sqlalchemy.sql.elements import Grouping
from sqlalchemy.sql.visitors import InternalTraversal

from .errors import BackendError

logger = logging.getLogger(__name__)

#: First key of PostgreSQL's two-key advisory lock ("FSYD" in ASCII).
PG_LOCK_CLASS = 0x46535944
#: Text layout of ``timestamp_text``, comparable with SYDDAT + SYDHOU.
TIMESTAMP_TEXT = "YYYY-MM-DDHHMMSS"

Expr = ColumnElement[Any]


@dataclass(frozen=True, slots=True)
class DialectCaps:
    """How one dialect does the pieces that are dialect-specific.

    Attributes:
        name: SQLAlchemy's dialect name.
        run_tested: the suite runs against it (else compile-tested only).
        lock: how writers are serialised ("advisory", "applock", "dbms_lock", "file").
        file_lock: one writer process per file (DuckDB): retry while another has it.
        analyze: planner statistics need refreshing after a big write.
        string_agg: the aggregate that joins text (``string_agg``/``STRING_AGG``/
            ``LISTAGG``).
        byte_collation: the collation comparing text byte by byte ("" = default).
        catalog: where column metadata is read ("information_schema" or
            "all_tab_columns").
    """

    name: str
    run_tested: bool
    lock: str
    file_lock: bool
    analyze: bool
    string_agg: str
    byte_collation: str
    catalog: str


DIALECTS: dict[str, DialectCaps] = {
    "duckdb": DialectCaps(
        "duckdb", True, "file", True, False, "string_agg", "C", "information_schema"
    ),
    "postgresql": DialectCaps(
        "postgresql", True, "advisory", False, True, "string_agg", "C",
        "information_schema",
    ),
    "mssql": DialectCaps(
        "mssql", False, "applock", False, False, "STRING_AGG", "Latin1_General_BIN2",
        "information_schema",
    ),
    "oracle": DialectCaps(
        "oracle", False, "dbms_lock", False, False, "LISTAGG", "",
        "all_tab_columns",
    ),
}  # fmt: skip


def caps(bind: Engine | Connection | sa.Dialect | str) -> DialectCaps:
    """The capability record of a connection, engine, dialect or dialect name.

    Raises:
        BackendError: the toolkit does not know that dialect (one line, names it).
    """
    if isinstance(bind, str):
        name = bind
    elif isinstance(bind, Engine | Connection):
        name = bind.dialect.name
    else:
        name = bind.name
    try:
        return DIALECTS[name]
    except KeyError:
        known = ", ".join(sorted(DIALECTS))
        raise BackendError(
            f"Database dialect {name!r} is not supported by forcedsync: use one of "
            f"{known}."
        ) from None


def lock_statement(
    dialect: DialectCaps, resource: str, wait_ms: int
) -> Executable | None:
    """The statement that takes the toolkit's transaction-scoped write lock.

    ``resource`` names what is locked (the folder's schema), so runs on two folders
    never wait for each other. None when the dialect serialises writers otherwise
    (DuckDB: one writer process per file). Released at commit or rollback.
    """
    if dialect.lock == "advisory":
        cls = sa.bindparam("lock_class", PG_LOCK_CLASS, type_=sa.Integer)
        key = sa.func.hashtext(sa.bindparam("lock_resource", resource))
        return sa.select(sa.func.pg_advisory_xact_lock(cls, key))
    if dialect.lock == "applock":
        return sa.text(
            "EXEC sp_getapplock @Resource = :lock_resource, @LockMode = 'Exclusive', "
            "@LockOwner = 'Transaction', @LockTimeout = :lock_wait"
        ).bindparams(lock_resource="forcedsync:" + resource, lock_wait=wait_ms)
    if dialect.lock == "dbms_lock":
        return sa.text(
            "DECLARE h VARCHAR2(128); r INTEGER; BEGIN "
            "DBMS_LOCK.ALLOCATE_UNIQUE(:lock_resource, h); "
            "r := DBMS_LOCK.REQUEST(h, DBMS_LOCK.X_MODE, :lock_wait, TRUE); "
            "IF r NOT IN (0, 4) THEN "
            "RAISE_APPLICATION_ERROR(-20001, 'forcedsync lock busy: ' || r); "
            "END IF; END;"
        ).bindparams(
            lock_resource="forcedsync:" + resource, lock_wait=max(1, wait_ms // 1000)
        )
    return None


def string_agg(dialect: DialectCaps, value: Expr, sep: str, order: Expr) -> Expr:
    """The text aggregate joining ``value`` by ``sep``, ordered by ``order``."""
    sep_lit = sa.literal(sep, sa.String)
    if dialect.string_agg == "LISTAGG":
        return sa.func.listagg(value, sep_lit).within_group(order)
    if dialect.string_agg == "STRING_AGG":
        return sa.func.string_agg(value, sep_lit).within_group(order)
    # PostgreSQL and DuckDB: string_agg(value, sep ORDER BY order).
    return sa.func.string_agg(value, aggregate_order_by(sep_lit, order))


def byte_order(dialect: DialectCaps, col: Expr) -> Expr:
    """``col`` compared byte by byte, whatever the database's default collation.

    Oracle compares VARCHAR2 in binary order unless NLS_COMP says otherwise: no clause.
    """
    if not dialect.byte_collation:
        return col
    return col.collate(dialect.byte_collation)


class Spelled(ColumnElement[Any]):
    """An expression spelled for the dialect it is compiled for.

    For statements built before their connection is known (``selection``,
    ``outofphase``): ``SPELLINGS[kind](caps, *args)`` is chosen at compile time.
    """

    inherit_cache = True
    _traverse_internals = [
        ("kind", InternalTraversal.dp_string),
        ("args", InternalTraversal.dp_clauseelement_tuple),
    ]

    def __init__(self, kind: str, type_: Any, *args: Expr) -> None:
        self.kind = kind
        self.args = args
        self.type = type_


@compiles(Spelled)
def _compile_spelled(element: Spelled, compiler: Any, **kw: Any) -> str:
    spelled = SPELLINGS[element.kind](caps(compiler.dialect), *element.args)
    text: str = compiler.process(spelled, **kw)
    return text


def _byte_order_grouped(dialect: DialectCaps, col: Expr) -> Expr:
    """``byte_order`` as SQLAlchemy groups it in a comparison: ``(col COLLATE x)``."""
    spelled = byte_order(dialect, col)
    return col if spelled is col else Grouping(spelled)


def _text_agg(dialect: DialectCaps, value: Expr, sep: Expr) -> Expr:
    """The texts of a group joined by ``sep`` (Oracle's LISTAGG needs an order)."""
    if dialect.string_agg == "LISTAGG":
        return sa.func.listagg(value, sep).within_group(value)
    return sa.func.string_agg(value, sep)


SPELLINGS: dict[str, Callable[..., Expr]] = {
    "byte_order": _byte_order_grouped,
    "date_text": lambda dialect, col: date_text(dialect, col),
    "text_agg": _text_agg,
}


def byte_ordered(col: Expr) -> Expr:
    """``col`` compared byte by byte on whichever dialect the statement runs."""
    return Spelled("byte_order", col.type, col)


def iso_date(col: Expr) -> Expr:
    """``date_text`` of a DATE column, on whichever dialect the statement runs."""
    return Spelled("date_text", sa.String(), col)


def text_agg(value: Expr, sep: str) -> Expr:
    """The group's texts joined by ``sep``, on whichever dialect the statement runs."""
    return Spelled("text_agg", sa.String(), value, sa.literal(sep, sa.String))


def timestamp_text(dialect: DialectCaps, ts: Expr) -> Expr:
    """A 'YYYY-MM-DDHHMMSS' text of a timestamp (compares with SYDDAT + SYDHOU)."""
    spell: dict[str, Callable[[Expr], Expr]] = {
        "postgresql": lambda t: sa.func.to_char(t, "YYYY-MM-DDHH24MISS"),
        "oracle": lambda t: sa.func.to_char(t, "YYYY-MM-DDHH24MISS"),
        "duckdb": lambda t: sa.func.strftime(t, "%Y-%m-%d%H%M%S"),
        "mssql": lambda t: sa.func.concat(
            sa.func.convert(sa.literal_column("VARCHAR(10)"), t, 23),
            sa.func.replace(
                sa.func.convert(sa.literal_column("VARCHAR(8)"), t, 108), ":", ""
            ),
        ),
    }
    return spell[dialect.name](ts)


def date_text(dialect: DialectCaps, day: Expr) -> Expr:
    """A 'YYYY-MM-DD' text of a date (X3 on SQL Server/Oracle stores datetimes)."""
    if dialect.name == "mssql":
        return sa.func.convert(sa.literal_column("VARCHAR(10)"), day, 23)
    if dialect.name == "oracle":
        return sa.func.to_char(day, "YYYY-MM-DD")
    return sa.cast(day, sa.String)


def new_uuid(dialect: DialectCaps) -> Expr:
    """A new random 16-byte UUID per row, as the binary X3 stores in AUUID."""
    spell: dict[str, Callable[[], Expr]] = {
        "postgresql": lambda: sa.func.uuid_send(sa.func.gen_random_uuid()),
        "duckdb": lambda: sa.func.unhex(
            sa.func.replace(sa.cast(sa.func.uuid(), sa.String), "-", "")
        ),
        "mssql": lambda: sa.cast(sa.func.newid(), sa.BINARY(16)),
        "oracle": lambda: sa.func.sys_guid(),
    }
    return spell[dialect.name]()


def catalog_columns(dialect: DialectCaps, schema: str | None) -> sa.Select[Any]:
    """SELECT table_name, column_name, data_type of every column in ``schema``.

    ``schema`` None means the connection's current schema.
    """
    if dialect.catalog == "all_tab_columns":
        cat = sa.table(
            "all_tab_columns",
            sa.column("owner"), sa.column("table_name"), sa.column("column_name"),
            sa.column("data_type"),
        )  # fmt: skip
        owner = (
            sa.literal(schema)
            if schema
            else sa.func.sys_context("USERENV", "CURRENT_SCHEMA")
        )
        return sa.select(cat.c.table_name, cat.c.column_name, cat.c.data_type).where(
            cat.c.owner == owner
        )
    cols = sa.table(
        "columns",
        sa.column("table_schema"), sa.column("table_name"), sa.column("column_name"),
        sa.column("data_type"),
        schema="information_schema",
    )  # fmt: skip
    where = sa.literal(schema) if schema else sa.func.current_schema()
    if dialect.name == "mssql" and not schema:
        where = sa.func.schema_name()
    return sa.select(cols.c.table_name, cols.c.column_name, cols.c.data_type).where(
        cols.c.table_schema == where
    )


def catalog_sequences(dialect: DialectCaps, schema: str | None) -> sa.Select[Any]:
    """SELECT sequence_name of every sequence in ``schema`` (None: the current one)."""
    if dialect.catalog == "all_tab_columns":
        seq = sa.table("all_sequences", sa.column("sequence_owner"),
                       sa.column("sequence_name"))  # fmt: skip
        owner = sa.literal(schema) if schema else sa.func.user
        return sa.select(seq.c.sequence_name).where(seq.c.sequence_owner == owner)
    if dialect.name == "duckdb":
        fn = sa.func.duckdb_sequences().table_valued("schema_name", "sequence_name")
        where = sa.literal(schema) if schema else sa.func.current_schema()
        return sa.select(fn.c.sequence_name).where(fn.c.schema_name == where)
    seq = sa.table(
        "sequences", sa.column("sequence_schema"), sa.column("sequence_name"),
        schema="information_schema",
    )  # fmt: skip
    where = sa.literal(schema) if schema else sa.func.current_schema()
    if dialect.name == "mssql" and not schema:
        where = sa.func.schema_name()
    return sa.select(seq.c.sequence_name).where(seq.c.sequence_schema == where)
