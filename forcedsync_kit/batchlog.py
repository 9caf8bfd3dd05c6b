"""The record of team runs (FSYBATCH, FSYBUSR): the only writer of those two tables.

A team run (a *batch*) has one FSYBATCH header and one FSYBUSR row per user, in the
order the users are forced. A user's part is marked DONE with its FORCE run id inside
the transaction of that run, so the part is DONE exactly when its run is committed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import tables
from .states import BatchStatus, PartStatus


@dataclass(frozen=True, slots=True)
class Part:
    """One user's part of a batch as recorded."""

    user: str
    seq: int
    status: str
    run_id: str | None
    message: str | None


@dataclass(frozen=True, slots=True)
class Header:
    """A batch's header as recorded."""

    batch_id: str
    operator: str | None
    criteria: str
    started: dt.datetime | None
    clock: dt.datetime | None
    status: str


#: ``Header`` attribute -> FSYBATCH column: the one place the two are paired.
HEADER_COLUMNS = (
    ("batch_id", "batchid"),
    ("operator", "oprusr"),
    ("criteria", "criteria"),
    ("started", "started"),
    ("clock", "runclock"),
    ("status", "status"),
)


def create(
    conn: Connection,
    header: Header,
    users: list[str],
    refused: dict[str, str],
) -> None:
    """Insert a batch's header and its parts: ``users`` in order, refusals marked."""
    tb = tables.of(conn)
    values = {col: getattr(header, attr) for attr, col in HEADER_COLUMNS}
    conn.execute(sa.insert(tb.fsybatch).values(values))
    rows = [
        {
            "batchid": header.batch_id,
            "usr": user,
            "seq": seq,
            "status": str(
                PartStatus.REFUSED if user in refused else PartStatus.PENDING
            ),
            "runid": None,
            "message": refused.get(user),
        }
        for seq, user in enumerate(users, start=1)
    ]
    conn.execute(sa.insert(tb.fsybusr), rows)


def _header(row: Any) -> Header:
    return Header(**{attr: getattr(row, col) for attr, col in HEADER_COLUMNS})


def find(conn: Connection, batch_id: str) -> Header | None:
    """The header of ``batch_id``, or None."""
    b = tables.of(conn).fsybatch
    row = conn.execute(sa.select(b).where(b.c.batchid == batch_id)).first()
    return None if row is None else _header(row)


def find_open(conn: Connection, criteria_json: str) -> Header | None:
    """The newest OPEN batch made with exactly these criteria, or None."""
    b = tables.of(conn).fsybatch
    row = conn.execute(
        sa.select(b)
        .where(b.c.criteria == criteria_json, b.c.status == str(BatchStatus.OPEN))
        .order_by(b.c.started.desc(), b.c.batchid)
        .limit(1)
    ).first()
    return None if row is None else _header(row)


def parts(conn: Connection, batch_id: str) -> list[Part]:
    """The parts of a batch, in order."""
    p = tables.of(conn).fsybusr
    rows = conn.execute(
        sa.select(p).where(p.c.batchid == batch_id).order_by(p.c.seq)
    ).all()
    return [Part(r.usr, int(r.seq), r.status, r.runid, r.message) for r in rows]


def done_run(conn: Connection, batch_id: str, user: str) -> str | None:
    """The FORCE run of ``user``'s part when that part is DONE, else None."""
    p = tables.of(conn).fsybusr
    return conn.execute(
        sa.select(p.c.runid).where(
            p.c.batchid == batch_id,
            p.c.usr == user,
            p.c.status == str(PartStatus.DONE),
        )
    ).scalar()


def set_part(
    conn: Connection,
    batch_id: str,
    user: str,
    status: PartStatus,
    *,
    run_id: str | None = None,
    message: str | None = None,
) -> None:
    """Record a part's state; a DONE part is never changed again."""
    p = tables.of(conn).fsybusr
    conn.execute(
        sa.update(p)
        .where(
            p.c.batchid == batch_id,
            p.c.usr == user,
            p.c.status != str(PartStatus.DONE),
        )
        .values(status=str(status), runid=run_id, message=message)
    )


def set_status(conn: Connection, batch_id: str, status: BatchStatus) -> None:
    """Record the batch's status."""
    b = tables.of(conn).fsybatch
    conn.execute(sa.update(b).where(b.c.batchid == batch_id).values(status=str(status)))


def batch_of_runs(
    run_ids: list[str], tb: tables.Tables = tables.TOOLKIT
) -> sa.Select[Any]:
    """SELECT (runid, batchid) of the FORCE runs among ``run_ids`` made by a batch."""
    p = tb.fsybusr
    return sa.select(p.c.runid, p.c.batchid).where(p.c.runid.in_(run_ids))
