"""The out-of-phase rules of SPEC §5, as SQLAlchemy Core expressions (built once).

A record is out of phase for USER when it has an anomaly to process (a SYNCLINK row
of USER with SYLFLGDPT=2), a SYNCDATA row of USER older than STALEDAYS days (stale),
or a last change (UPDDATTIM) later than its newest SYNCDATA row of USER (changed after
queued). ``selection.classify`` (previews and runs) and ``lookup.overview`` (the
dashboard) aggregate the queue their own way, then call ``rules`` with the aggregated
columns; the flag and the reasons come from here only.

Queue times are compared as 'YYYY-MM-DDHHMMSS' text: ``queue_key`` for SYDDAT+SYDHOU,
the caller's ``timestamp_key`` (``db.timestamp_key`` bound to the dialect) for
UPDDATTIM, ``stale_cutoff`` for the bound clock.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from . import db, dialects
from . import schema as s
from .criteria import Action
from .tables import TOOLKIT, Tables

logger = logging.getLogger(__name__)

#: SYLFLGDPT of an anomaly still to process (X3 local menu 1: 2 = yes).
ANOMALY_FLAG = 2
STALE_REASON = "pending since "
CHANGED_REASON = "changed after queued"

TimestampKey = Callable[[ColumnElement[Any]], ColumnElement[str]]


def queue_key(tb: Tables = TOOLKIT) -> ColumnElement[str]:
    """SYNCDATA's SYDDAT + SYDHOU as 'YYYY-MM-DDHHMMSS' text."""
    q = tb.syncdata
    return db.queue_key(q.c.syddat, tb.value(q.c.sydhou))


def stale_cutoff(now: dt.datetime, staledays: int) -> str:
    """'YYYY-MM-DDHHMMSS' of ``now - staledays``; older pending rows are stale."""
    t = now - dt.timedelta(days=staledays)
    return t.strftime("%Y-%m-%d%H%M%S")


def anomaly_where(user: str | None, tb: Tables = TOOLKIT) -> list[ColumnElement[bool]]:
    """SYNCLINK rows that are anomalies to process, of ``user`` (None: any user)."""
    lk = tb.synclink
    cond: list[ColumnElement[bool]] = [lk.c.sylflgdpt == ANOMALY_FLAG]
    if user is not None:
        cond.append(lk.c.sylusr == user)
    return cond


def anomaly_reason(tb: Tables = TOOLKIT) -> ColumnElement[str]:
    """The reason of one SYNCLINK anomaly: 'field F: X3 x / Outlook y'."""
    lk, v = tb.synclink, tb.value
    return (
        sa.literal("field ")
        + sa.func.coalesce(v(lk.c.sylfie), "")
        + ": X3 "
        + sa.func.coalesce(v(lk.c.sylvaladx), "")
        + " / Outlook "
        + sa.func.coalesce(v(lk.c.sylvalotk), "")
    )


@dataclass(frozen=True)
class Rules:
    """The three conditions of SPEC §5 for one aggregated row per record."""

    anomaly: ColumnElement[bool]
    stale: ColumnElement[bool]
    changed: ColumnElement[bool]
    qmin: ColumnElement[Any]

    @property
    def out_of_phase(self) -> ColumnElement[bool]:
        """True when any of the three rules holds."""
        return sa.or_(self.anomaly, self.stale, self.changed)

    def flag(self) -> ColumnElement[int]:
        """The out-of-phase flag as 0/1."""
        return sa.case((self.out_of_phase, 1), else_=0)

    def reasons(self, anomaly_text: ColumnElement[Any]) -> ColumnElement[str]:
        """The reasons joined by REASON_SEP: anomalies, pending since, changed.

        Args:
            anomaly_text: the record's anomaly reasons already joined (or NULL).
        """
        sep = s.REASON_SEP
        since = sep + sa.literal(STALE_REASON) + sa.func.substr(self.qmin, 1, 10)
        return (
            sa.func.coalesce(anomaly_text, "")
            + sa.case((self.stale, since), else_="")
            + sa.case((self.changed, sa.literal(sep + CHANGED_REASON)), else_="")
        )


def rules(
    *,
    anomaly: ColumnElement[bool],
    qmin: ColumnElement[Any],
    qmax: ColumnElement[Any],
    upd: ColumnElement[Any],
    timestamp_key: TimestampKey,
    now: dt.datetime,
    staledays: int,
) -> Rules:
    """The out-of-phase conditions of a record, from its aggregated queue.

    Args:
        anomaly: the record has an anomaly to process (``anomaly_where``).
        qmin: the oldest ``queue_key`` of its rows (NULL when none is queued).
        qmax: the newest ``queue_key`` of its rows (NULL when none is queued).
        upd: its UPDDATTIM (NULL when the record is gone).
        timestamp_key: UPDDATTIM as 'YYYY-MM-DDHHMMSS' text on the dialect.
        now: the run's clock (naive UTC).
        staledays: STALEDAYS.
    """
    stale = sa.and_(qmin.is_not(None), qmin < stale_cutoff(now, staledays))
    changed = sa.and_(qmax.is_not(None), upd.is_not(None), timestamp_key(upd) > qmax)
    return Rules(anomaly=anomaly, stale=stale, changed=changed, qmin=qmin)


def queue_per_record(tb: Tables, user: str) -> sa.Subquery:
    """USER's SYNCDATA rows per record: count, A/P rows, R rows, oldest and newest."""
    q = tb.syncdata
    qkey = queue_key(tb)
    leaving = q.c.sydatttyp.in_([str(Action.DELETION), str(Action.USER_CHANGE)])
    forced = q.c.sydatttyp == str(Action.FORCED)
    return (
        sa.select(
            q.c.sydtyp,
            q.c.sydkey,
            sa.func.count().label("n"),
            sa.func.sum(sa.case((leaving, 1), else_=0)).label("nap"),
            sa.func.sum(sa.case((forced, 1), else_=0)).label("nr"),
            sa.func.min(qkey).label("qmin"),
            sa.func.max(qkey).label("qmax"),
        )
        .where(q.c.sydusr == user)
        .group_by(q.c.sydtyp, q.c.sydkey)
        .subquery("agg")
    )


def anomalies_per_record(tb: Tables, user: str) -> sa.Subquery:
    """USER's anomalies to process per record, their reasons joined."""
    lk = tb.synclink
    text = dialects.text_agg(anomaly_reason(tb), s.REASON_SEP)
    return (
        sa.select(lk.c.syltyp, lk.c.sylkey, text.label("linktxt"))
        .where(*anomaly_where(user, tb))
        .group_by(lk.c.syltyp, lk.c.sylkey)
        .subquery("lnk")
    )
