"""Export every selected record of a preview to CSV or Parquet, streamed and atomic.

Columns: type, key, description, date, rep, outcome, out_of_phase, reasons (joined by
``'; '``), in the preview's order. The file is written under a temporary name in the
target directory and renamed into place at the end, so a failure leaves no partial
file. DuckDB writes it itself (``COPY (...) TO``); PostgreSQL streams it (``COPY ...
TO STDOUT`` for CSV; for Parquet, that CSV aside converted by an in-memory DuckDB).
On DuckDB the snapshot's in-memory store writes it, without the database file.
The selection never sits whole in Python.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import schema as s
from . import snapstore, tables
from .clock import When
from .criteria import Criteria
from .errors import CriteriaError
from .snapshot import Snapshot, open_snapshot

logger = logging.getLogger(__name__)

#: File extensions and the format each one writes.
FORMATS = {".csv": "csv", ".parquet": "parquet"}
#: Columns of an export, in order.
COLUMNS = (
    "type", "key", "description", "date", "rep", "outcome", "out_of_phase", "reasons",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ExportResult:
    """A written export: where, which format, how many records."""

    path: Path
    format: str
    rows: int


def export_format(path: str | os.PathLike[str]) -> str:
    """``csv`` or ``parquet`` from the file's extension.

    Raises:
        CriteriaError: any other extension.
    """
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise CriteriaError(
            "path",
            str(path),
            f"Export file {str(path)!r} must end in .csv or .parquet, not "
            f"{ext or '(no extension)'!r}.",
            allowed=", ".join(FORMATS),
        )
    return FORMATS[ext]


def _sql(conn: Connection, stmt: sa.Select[Any]) -> str:
    """The statement's SQL with its constant values inlined (for COPY).

    Only toolkit constants are inlined (the reason separators); the table name is
    generated. No user-given value reaches this text.
    """
    return str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _duckdb(conn: Connection, stmt: sa.Select[Any], tmp: Path, fmt: str) -> None:
    opts = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER"
    with conn.begin():
        conn.exec_driver_sql(f"COPY ({_sql(conn, stmt)}) TO {_quoted(tmp)} ({opts})")


def _pg_csv(conn: Connection, stmt: sa.Select[Any], tmp: Path) -> None:
    copy_sql = f"COPY ({_sql(conn, stmt)}) TO STDOUT (FORMAT csv, HEADER)"
    with conn.begin(), tmp.open("wb") as out:
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(copy_sql) as copy:
            for block in copy:
                out.write(block)


def _pg_parquet(conn: Connection, stmt: sa.Select[Any], tmp: Path) -> None:
    """PostgreSQL's own COPY to a CSV file aside, then DuckDB converts it to Parquet.

    Two native passes (no row crosses Python): without pyarrow, this is the fastest
    way we measured; the CSV aside is removed whatever happens.
    """
    import duckdb

    text = tmp.with_name(tmp.name + ".csv")
    duck = duckdb.connect(":memory:")
    try:
        _pg_csv(conn, stmt, text)
        duck.execute(
            f"COPY (SELECT type, key, description, date, rep, outcome, "
            f"out_of_phase = 'true' AS out_of_phase, reasons FROM read_csv("
            f"{_quoted(text)}, header = true, columns = {{'type': 'VARCHAR', "
            f"'key': 'VARCHAR', 'description': 'VARCHAR', 'date': 'DATE', "
            f"'rep': 'VARCHAR', 'outcome': 'VARCHAR', 'out_of_phase': 'VARCHAR', "
            f"'reasons': 'VARCHAR'}})) TO {_quoted(tmp)} (FORMAT parquet)"
        )
    finally:
        duck.close()
        text.unlink(missing_ok=True)


def _write(snap: Snapshot, path: Path, fmt: str) -> int:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with snap.store() as (conn, table):  # the store stays as it is meanwhile
            duck = conn.dialect.name == "duckdb"
            stmt = snapstore.export_select(
                table, s.REASON_SEP, text=fmt == "csv" or not duck, tb=tables.of(conn)
            )  # PostgreSQL writes Parquet via CSV
            if duck:
                _duckdb(conn, stmt, tmp, fmt)
            elif fmt == "csv":
                _pg_csv(conn, stmt, tmp)
            else:
                _pg_parquet(conn, stmt, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return snap.total()


def write_export(
    source: Snapshot | Engine,
    path: str | os.PathLike[str],
    criteria: Criteria | None = None,
    *,
    operator: str | None = None,
    now: When = None,
) -> ExportResult:
    """Write every selected record to ``path`` (.csv or .parquet), atomically.

    Args:
        source: an open ``Snapshot``, or an engine (then ``criteria`` is required
            and a snapshot is opened and closed around the export).
        path: the file to write; its extension chooses the format. Its directory
            must exist; an existing file is replaced only once the export succeeded.
        criteria: with an engine, the criteria of the selection.
        operator: with an engine, the connected user.
        now: with an engine, the run's clock.

    Returns:
        The path, format and number of records written.

    Raises:
        CriteriaError: an unsupported extension, a missing directory, or an engine
            without criteria.
        UserResolutionError: a refusal of SPEC §4.2 (engine form).
    """
    target = Path(path)
    fmt = export_format(target)
    if not target.parent.is_dir():
        raise CriteriaError(
            "path",
            str(target),
            f"Export directory {str(target.parent)!r} does not exist.",
        )
    if isinstance(source, Snapshot):
        return ExportResult(target, fmt, _write(source, target, fmt))
    if criteria is None:
        raise CriteriaError(
            "criteria", None, "criteria is required when exporting from an engine."
        )
    with open_snapshot(source, criteria, operator=operator, now=now) as snap:
        return ExportResult(target, fmt, _write(snap, target, fmt))
