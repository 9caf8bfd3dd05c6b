"""The plan shared by preview and force: who runs, the classified selection, checks.

A plan is built inside the caller's connection (a read for a preview, the write
transaction for a force), so both see the same rows and classify them alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import context, db, tables
from ..criteria import Criteria
from ..errors import CriteriaError
from ..results import PreviewResult, RecordRow, RunContext
from ..selection import classify, compile_selection

#: ``progress(step, fraction)``: called between the statements of a force.
Progress = Callable[[str, float], None]
#: Largest page a preview returns.
MAX_PAGE_SIZE = 10_000


def no_progress(step: str, fraction: float) -> None:
    """The progress callback used when the caller gives none."""
    return None


@dataclass(frozen=True, slots=True)
class Plan:
    """The resolved context, the run's clock and the classified selection (a SELECT)."""

    ctx: RunContext
    now: dt.datetime
    classified: sa.Select[Any]
    warnings: tuple[str, ...]
    skipped: tuple[str, ...]

    def preview_result(
        self,
        criteria: Criteria,
        counts: tuple[dict[str, dict[str, int]], dict[str, int]],
        records: tuple[RecordRow, ...],
        page: tuple[int, int, int],
    ) -> PreviewResult:
        """The preview of this plan: ``counts`` (per type and outcome, out of phase
        per type), one page of ``records`` and ``page`` (total, number, size)."""
        total, number, size = page
        return PreviewResult(
            self.ctx, criteria, self.now, counts[0], counts[1], self.warnings,
            records, total, number, size, self.skipped,
        )  # fmt: skip


def make_plan(
    conn: Connection, criteria: Criteria, operator: str | None, now: dt.datetime
) -> Plan:
    """Check the schema and the operator, resolve USER / CPY, classify the selection.

    Raises:
        BackendError: the toolkit's tables are missing.
        UserResolutionError: a refusal of SPEC §4.2.
    """
    db.require_schema(conn)
    if criteria.team:  # USERS...: one run per user, through ``batch``
        raise criteria.team_refusal(
            "selects a team: run it as a team run (forcedsync preview/force, or "
            "batch.preview_batch / batch.force_batch)."
        )
    ctx = context.resolve(conn, criteria, operator)
    gates = context.gates(conn, criteria, ctx)
    tb = tables.of(conn)
    selection = compile_selection(criteria, ctx, gates.active, tb)
    classified = classify(
        selection,
        user=ctx.user,
        now=now,
        staledays=criteria.staledays,
        timestamp_key=lambda col: db.timestamp_key(conn, col),
        only_oop=criteria.onlyoop,
        tables=tb,
    )
    return Plan(
        ctx, now, classified, gates.warnings, tuple(str(t) for t in gates.skipped)
    )


def check_page(page: int, page_size: int) -> None:
    """Refuse a page below 1 or a page size outside 1..MAX_PAGE_SIZE."""
    if not isinstance(page, int) or page < 1:
        raise CriteriaError("page", page, f"page={page!r} must be a whole number >= 1.")
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise CriteriaError(
            "page_size",
            page_size,
            f"page_size={page_size!r} must be a whole number from 1 to "
            f"{MAX_PAGE_SIZE}.",
        )


def check_filter(name: str, value: str | None, allowed: tuple[Any, ...]) -> str | None:
    """A page filter's value, stripped; None when not given.

    Raises:
        CriteriaError: a value that is not one of ``allowed``.
    """
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text not in {str(a) for a in allowed}:
        raise CriteriaError(
            name,
            value,
            f"{name}={value!r} is not one of {', '.join(str(a) for a in allowed)}.",
        )
    return text
