"""Dialect capabilities, the writers' lock, statistics, SQL expressions, tracing.

The half of the database layer that runs on an open engine or connection, keyed on
``engine.dialect.name``; ``db`` opens engines and connections and re-exports every name
here, so callers write ``db.capabilities``, ``db.trace``...
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import ColumnElement

from . import dialects
from .errors import BackendError

logger = logging.getLogger(__name__)

# First key of the PostgreSQL transaction-scoped advisory lock taken by every SYNCDATA
# writer of the toolkit ("FSYD" in ASCII); the second is the schema's hash.
_PG_LOCK_CLASS = 0x46535944


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What one dialect needs done differently."""

    name: str
    advisory_lock: bool  # pg_advisory_xact_lock serialises writers
    file_lock: bool  # single-writer file (DuckDB): retry while another process has it
    analyze: bool  # planner statistics go stale after a big write until ANALYZE


#: The capabilities of each dialect of ``dialects.DIALECTS``, by name.
CAPS = {
    name: Capabilities(
        name,
        advisory_lock=d.lock == "advisory",
        file_lock=d.file_lock,
        analyze=d.analyze,
    )
    for name, d in dialects.DIALECTS.items()
}


def capabilities(engine: Engine | Connection) -> Capabilities:
    """Return the capabilities record of the engine's dialect (``dialects.caps``).

    Raises:
        BackendError: a dialect the toolkit does not know (one line naming it).
    """
    return CAPS[dialects.caps(engine).name]


def advisory_lock(conn: Connection, wait: float, shown_url: str) -> None:
    """Take the writers' advisory lock (PostgreSQL), waiting at most ``wait`` seconds.

    Args:
        conn: the connection, inside its transaction.
        wait: seconds to wait for another writer.
        shown_url: the database as the message shows it (password masked).

    Raises:
        BackendError: another run held the lock for longer than ``wait``.
    """
    ms = f"{max(1, int(wait * 1000))}ms"
    conn.execute(sa.text("SELECT set_config('lock_timeout', :ms, true)"), {"ms": ms})
    # One lock per schema: X3 keeps each folder in its own schema, and a run in one
    # folder must not wait for a run in another.
    cls = sa.bindparam("k", _PG_LOCK_CLASS, type_=sa.Integer)
    obj = sa.func.hashtext(sa.func.current_schema())
    try:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(cls, obj)))
    except sa.exc.OperationalError as exc:
        if "lock timeout" not in str(exc):
            raise
        raise BackendError(
            f"Database {shown_url!r} is busy: another forcedsync run has "
            f"held the write lock for over {wait:g} s; try again when it has finished."
        ) from None
    # Back to no limit for the run's own statements (row locks of other programs).
    conn.execute(sa.text("SELECT set_config('lock_timeout', '0', true)"))


#: Rows changed by one run above which the planner statistics of the tables it wrote
#: are refreshed at once (PostgreSQL's autovacuum may be late, or off: a force of 1 M
#: records followed by another took 14 min on stale statistics).
ANALYZE_THRESHOLD = 10_000


def refresh_statistics(
    engine: Engine, tables: list[sa.Table], changed: int, *, always: bool = False
) -> list[str]:
    """ANALYZE ``tables`` when a committed run changed at least ANALYZE_THRESHOLD rows
    (``always``: whatever the number, e.g. tables just loaded, which have none).

    Runs after the commit, in its own connection: a failure here is logged, never
    reported as a failure of the run that was committed.

    Returns:
        The tables analysed (empty when the dialect needs none or the run was small).
    """
    if (changed < ANALYZE_THRESHOLD and not always) or not capabilities(engine).analyze:
        return []
    done: list[str] = []
    try:
        with engine.connect() as conn:
            prep = conn.dialect.identifier_preparer
            for table in tables:
                # Identifiers cannot be bound; they come from schema.py, never input.
                conn.execute(sa.text(f"ANALYZE {prep.format_table(table)}"))
                done.append(table.name)
            conn.commit()
    except Exception:
        logger.warning("statistics not refreshed after a large run", exc_info=True)
    return done


# --- dialect expressions -------------------------------------------------------------


def timestamp_key(conn: Connection, ts: ColumnElement[Any]) -> ColumnElement[str]:
    """A 'YYYY-MM-DDHHMMSS' text of a TIMESTAMP, comparable with ``queue_key``."""
    return dialects.timestamp_text(dialects.caps(conn), ts)


def queue_key(
    date_col: ColumnElement[Any], hour_col: ColumnElement[Any]
) -> ColumnElement[str]:
    """A 'YYYY-MM-DDHHMMSS' text of SYDDAT + SYDHOU (SYDHOU is 'HHMMSS')."""
    return dialects.iso_date(date_col) + sa.func.coalesce(hour_col, "000000")


# --- tracing -------------------------------------------------------------------------

_trace_local = threading.local()


@contextlib.contextmanager
def trace(engine: Engine, sink: Callable[[str, Any], None]) -> Iterator[None]:
    """Copy every (SQL, parameters) the engine executes into ``sink`` meanwhile."""

    def _listener(conn: Any, cursor: Any, statement: str, params: Any, *a: Any) -> None:
        sink(statement, params)

    sa.event.listen(engine, "before_cursor_execute", _listener)
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", _listener)
