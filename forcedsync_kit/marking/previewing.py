"""Preview (SPEC §4.5): what a force with these criteria would do; writes nothing."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .. import db, tables
from ..clock import When, parse_clock
from ..criteria import OBJECT_TYPES, Criteria, Outcome
from ..results import PreviewResult, RecordRow, empty_counts
from ..selection import describe, record_row
from .plan import check_filter, check_page, make_plan


@dataclass(frozen=True, slots=True)
class PageFilter:
    """Which classified records the page lists (the counts cover them all)."""

    object_type: str | None = None
    outcome: str | None = None
    only_oop: bool = False

    def keeps(self, typ: str, out: str, flag: int) -> bool:
        """Whether a record of this type, outcome and out-of-phase flag is listed."""
        return (
            self.object_type in (None, typ)
            and self.outcome in (None, out)
            and bool(flag or not self.only_oop)
        )

    def conditions(self, cls: sa.Subquery) -> list[sa.ColumnElement[bool]]:
        """The filter as WHERE conditions on the classified selection."""
        conds: list[sa.ColumnElement[bool]] = []
        if self.object_type:
            conds.append(cls.c.sydtyp == self.object_type)
        if self.outcome:
            conds.append(cls.c.outcome == self.outcome)
        if self.only_oop:
            conds.append(cls.c.oop == 1)
        return conds


def outcome_counts(
    conn: Connection, cls: sa.Subquery, keep: PageFilter
) -> tuple[dict[str, dict[str, int]], dict[str, int], int]:
    """Counts per type and outcome, out-of-phase counts per type, records listed."""
    grouped = conn.execute(
        sa.select(cls.c.sydtyp, cls.c.outcome, cls.c.oop, sa.func.count()).group_by(
            cls.c.sydtyp, cls.c.outcome, cls.c.oop
        )
    ).all()
    counts = empty_counts()
    oop = {str(t): 0 for t in OBJECT_TYPES}
    total = 0
    for typ, out, flag, n in grouped:
        counts[typ][out] += n
        if flag:
            oop[typ] += n
        if keep.keeps(typ, out, flag):
            total += n
    return counts, oop, total


def page_records(
    conn: Connection, cls: sa.Subquery, keep: PageFilter, page: int, page_size: int
) -> tuple[RecordRow, ...]:
    """One page of the listed records, described in SQL, by type and key."""
    page_q = (
        sa.select(cls)
        .where(*keep.conditions(cls))
        .order_by(cls.c.sydtyp, cls.c.sydkey)
        .limit(page_size)
        .offset((page - 1) * page_size)
        .subquery("pg")
    )
    return tuple(record_row(r) for r in conn.execute(describe(page_q, tables.of(conn))))


def preview(
    engine: Engine,
    criteria: Criteria,
    *,
    operator: str | None = None,
    now: When = None,
    page: int = 1,
    page_size: int = 200,
    object_type: str | None = None,
    outcome: str | None = None,
    only_oop: bool = False,
) -> PreviewResult:
    """What a force with these criteria would do; writes nothing.

    Args:
        engine: the database.
        criteria: validated criteria.
        operator: the connected user; default ``resolve_operator()``.
        now: the run's clock (UTC); default the current time.
        page: 1-based page of records to return.
        page_size: records per page (1..10000).
        object_type: page filter on SYDTYP (COR, TSK, CLL, BAP).
        outcome: page filter on the outcome (insert, supersede, already, skip).
        only_oop: page filter: out-of-phase records only.

    Returns:
        Counts per type and outcome over the whole selection, out-of-phase counts per
        type, warnings, and one page of records computed in SQL.

    Raises:
        CriteriaError: bad page arguments.
        UserResolutionError: a refusal of SPEC §4.2.
        BackendError: the database cannot be used.
    """
    check_page(page, page_size)
    keep = PageFilter(
        check_filter("object_type", object_type, OBJECT_TYPES),
        check_filter("outcome", outcome, tuple(Outcome)),
        only_oop,
    )
    clock = parse_clock(now)
    with db.reading(engine) as conn:
        plan = make_plan(conn, criteria, operator, clock)
        cls = plan.classified.subquery("cls")
        counts, oop, total = outcome_counts(conn, cls, keep)
        records = page_records(conn, cls, keep, page, page_size) if total else ()
    return plan.preview_result(
        criteria, (counts, oop), records, (total, page, page_size)
    )
