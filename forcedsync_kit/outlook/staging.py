"""The read set of a synchronization: staging a user's queue, then acknowledging it.

``stage`` copies the user's SYNCDATA rows (by SYDNUM) and the SYNCLINK anomalies of
those records (by SYLNUM) into temporary tables; ``acknowledge`` deletes exactly the
staged rows. ``outlook.synchronize`` runs both in its one transaction.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import tables
from ..criteria import OBJECT_TYPES, Action

logger = logging.getLogger(__name__)

ACTIONS = tuple(str(a) for a in Action)
LEAVING = (str(Action.DELETION), str(Action.USER_CHANGE))

# The read set, staged per transaction: temporary tables live in the connection (or
# pg_temp), so concurrent synchronizations never see each other's. They are dropped
# before commit; a rollback undoes their creation on both dialects.
_stage_md = sa.MetaData()
QUEUE = sa.Table(
    "fsy_sync_queue",
    _stage_md,
    sa.Column("sydnum", sa.BigInteger),
    sa.Column("sydtyp", sa.String(20)),
    sa.Column("sydkey", sa.String(20)),
    sa.Column("sydatttyp", sa.String(20)),
    prefixes=["TEMPORARY"],
)
_links = sa.Table(
    "fsy_sync_links", _stage_md, sa.Column("sylnum", sa.BigInteger),
    prefixes=["TEMPORARY"],
)  # fmt: skip


def stage(conn: Connection, code: str) -> int:
    """The read: stage the user's queue rows and the anomalies they resolve.

    Returns the number of the user's rows left out (unknown type or action).
    """
    tb = tables.of(conn)
    q, lk = tb.syncdata, tb.synclink
    QUEUE.create(conn)
    _links.create(conn)
    known = sa.and_(
        sa.func.coalesce(q.c.sydtyp, "").in_([str(t) for t in OBJECT_TYPES]),
        sa.func.coalesce(q.c.sydatttyp, "").in_(ACTIONS),
        sa.func.coalesce(tb.value(q.c.sydkey), "") != "",
    )
    rows = sa.select(q.c.sydnum, q.c.sydtyp, q.c.sydkey, q.c.sydatttyp)
    rows = rows.where(q.c.sydusr == code, known)
    conn.execute(sa.insert(QUEUE).from_select(list(QUEUE.c.keys()), rows))
    unknown = sa.select(sa.func.count()).select_from(q)
    left = _count(conn, unknown.where(q.c.sydusr == code, ~known))
    resolved = sa.select(sa.literal(1)).where(
        QUEUE.c.sydtyp == lk.c.syltyp, QUEUE.c.sydkey == lk.c.sylkey
    )
    links = sa.select(lk.c.sylnum).where(lk.c.sylusr == code, resolved.exists())
    conn.execute(sa.insert(_links).from_select(["sylnum"], links))
    return left


def acknowledge(conn: Connection) -> tuple[int, int]:
    """Delete exactly the staged rows; return (SYNCDATA rows, SYNCLINK rows) removed."""
    tb = tables.of(conn)
    q, lk = tb.syncdata, tb.synclink
    in_queue = q.c.sydnum.in_(sa.select(QUEUE.c.sydnum))
    in_links = lk.c.sylnum.in_(sa.select(_links.c.sylnum))
    # Counted in the same transaction, not from rowcount (STYLE §6).
    rows = _count(conn, sa.select(sa.func.count()).select_from(q).where(in_queue))
    links = _count(conn, sa.select(sa.func.count()).select_from(lk).where(in_links))
    conn.execute(sa.delete(q).where(in_queue))
    conn.execute(sa.delete(lk).where(in_links))
    _links.drop(conn)
    QUEUE.drop(conn)
    return rows, links


def _count(conn: Connection, stmt: sa.Select[Any]) -> int:
    return int(conn.execute(stmt).scalar() or 0)
