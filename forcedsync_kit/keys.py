"""New SYDNUM keys on a live folder: how they are taken is declared in the mapping.

Three strategies (``keys.sydnum.strategy``):

* ``max`` - max(SYDNUM) + 1 under the toolkit's write lock, the high-water mark kept
  in FSYKEY so a key is never reused. Safe when the toolkit is the only writer that
  takes it; X3's own writers do not take the toolkit's lock.
* ``sequence`` - a database sequence of the folder (``nextval`` per written row), shared
  with every writer that draws from it.
* ``counter`` - a counter table and column (optionally one row of it, ``key_column`` =
  ``key_value``), incremented by the run's count in the run's transaction; the row
  lock serialises the toolkit with any program that takes keys the same way.

``take`` is called inside the run's write transaction, after the lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from . import dialects
from .errors import BackendError
from .layout import Layout

logger = logging.getLogger(__name__)

#: FSYKEY.KEYNAME of the SYDNUM high-water mark (strategy ``max``).
SYDNUM_KEY = "SYDNUM"

KeyExpr = Callable[[ColumnElement[Any]], ColumnElement[Any]]


@dataclass(frozen=True, slots=True)
class KeyRisk:
    """What ``assess`` found: ``level`` is "error" (cannot run) or "warning"."""

    level: str
    message: str


def take(conn: Connection, layout: Layout, count: int) -> KeyExpr:
    """Reserve keys for ``count`` new SYNCDATA rows; return rank -> key expression.

    The returned function maps a 1-based rank expression (``row_number()``) to the new
    SYDNUM of that row. With a sequence the rank is ignored (one ``nextval`` per row):
    put the expression only in the SELECT of rows actually written.

    Raises:
        BackendError: the counter row is missing (nothing was reserved).
    """
    spec = layout.mapping.sydnum
    if spec.strategy == "sequence":
        nxt = sequence_key(layout)
        return lambda rank: nxt
    if spec.strategy == "counter":
        base = _counter(conn, layout, count)
    else:
        base = _high_water(conn, layout, count)
    return lambda rank: sa.literal(base, sa.BigInteger) + rank


def sequence_key(layout: Layout) -> ColumnElement[Any]:
    """``nextval`` of the mapping's SYDNUM sequence (strategy ``sequence``)."""
    spec = layout.mapping.sydnum
    seq = sa.Sequence(str(spec.sequence or "SEQ_SYNCDATA"), schema=layout.schema)
    return seq.next_value()


def _high_water(conn: Connection, layout: Layout, count: int) -> int:
    q = layout.table("syncdata")
    k = layout.own("fsykey")
    last = conn.execute(
        sa.select(k.c.lastval).where(k.c.keyname == SYDNUM_KEY)
    ).scalar()
    top = conn.execute(sa.select(sa.func.max(q.c.sydnum))).scalar()
    base = max(int(last or 0), int(top or 0))
    if count > 0:
        if last is None:
            conn.execute(sa.insert(k).values(keyname=SYDNUM_KEY, lastval=base + count))
        else:
            conn.execute(
                sa.update(k)
                .where(k.c.keyname == SYDNUM_KEY)
                .values(lastval=base + count)
            )
    return base


def _counter_table(layout: Layout) -> tuple[sa.Table, ColumnElement[bool]]:
    spec = layout.mapping.sydnum
    cols: list[sa.Column[Any]] = [
        sa.Column(str(spec.column), sa.BigInteger, key="value")
    ]
    if spec.key_column:
        cols.append(sa.Column(spec.key_column, sa.String, key="key"))
    t = sa.Table(str(spec.table), sa.MetaData(), *cols, schema=layout.schema)
    where = t.c.key == spec.key_value if spec.key_column else sa.true()
    return t, where


def _counter(conn: Connection, layout: Layout, count: int) -> int:
    t, where = _counter_table(layout)
    if count > 0:
        conn.execute(sa.update(t).where(where).values(value=t.c.value + count))
    top = conn.execute(sa.select(t.c.value).where(where)).scalar()
    if top is None:
        spec = layout.mapping.sydnum
        raise BackendError(
            f"Key counter {spec.table}.{spec.column} has no row"
            f"{f' {spec.key_column} = {spec.key_value!r}' if spec.key_column else ''}: "
            "create it or change keys.sydnum in the mapping."
        )
    return int(top) - count


def assess(conn: Connection, layout: Layout) -> list[KeyRisk]:
    """The risks of the mapping's key strategy on this database (read-only)."""
    spec = layout.mapping.sydnum
    caps = dialects.caps(conn)
    if spec.strategy == "max":
        if not layout.is_x3:
            return []
        return [
            KeyRisk(
                "warning",
                "SYDNUM keys are max + 1 under forcedsync's lock, which X3's own "
                "writers do not take: a key may collide while X3 writes SYNCDATA; "
                "prefer a sequence or counter (keys.sydnum).",
            )
        ]
    if spec.strategy == "sequence":
        names = {
            str(n).upper()
            for n in conn.execute(
                dialects.catalog_sequences(caps, layout.schema)
            ).scalars()
        }
        if str(spec.sequence).upper() not in names:
            return [
                KeyRisk(
                    "error",
                    f"Sequence {spec.sequence} (keys.sydnum.sequence) does not exist "
                    f"in schema {layout.schema or 'default'}.",
                )
            ]
        return []
    return _counter_risks(conn, layout)


def _counter_risks(conn: Connection, layout: Layout) -> list[KeyRisk]:
    spec = layout.mapping.sydnum
    caps = dialects.caps(conn)
    present = {
        (str(t).upper(), str(c).upper())
        for t, c, _ in conn.execute(dialects.catalog_columns(caps, layout.schema))
    }
    if (str(spec.table).upper(), str(spec.column).upper()) not in present:
        return [
            KeyRisk(
                "error",
                f"Key counter {spec.table}.{spec.column} (keys.sydnum) does not exist "
                f"in schema {layout.schema or 'default'}.",
            )
        ]
    t, where = _counter_table(layout)
    top = conn.execute(sa.select(t.c.value).where(where)).scalar()
    if top is None:
        return [KeyRisk("error", f"Key counter {spec.table}.{spec.column} has no row.")]
    q = layout.table("syncdata")
    high = conn.execute(sa.select(sa.func.max(q.c.sydnum))).scalar()
    if high is not None and int(top) < int(high):
        return [
            KeyRisk(
                "error",
                f"Key counter {spec.table}.{spec.column} stands at {int(top)}, below "
                f"the highest SYDNUM {int(high)}: new keys would collide.",
            )
        ]
    return []
