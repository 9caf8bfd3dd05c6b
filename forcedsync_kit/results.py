"""Frozen result objects returned by preview, force, undo and the run history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .criteria import OBJECT_TYPES, OUTCOMES, Criteria

Counts = Mapping[str, Mapping[str, int]]


def empty_counts() -> dict[str, dict[str, int]]:
    """``{type: {outcome: 0}}`` for every object type and outcome."""
    return {str(t): {str(o): 0 for o in OUTCOMES} for t in OBJECT_TYPES}


def total_written(counts: Counts) -> int:
    """Records a run writes an R row for: insert + supersede over every type."""
    return sum(c.get("insert", 0) + c.get("supersede", 0) for c in counts.values())


def total_selected(counts: Counts) -> int:
    """Records selected, whatever their outcome."""
    return sum(sum(c.values()) for c in counts.values())


def _attrs(obj: object, *names: str) -> dict[str, Any]:
    """``{name: obj.name}`` for JSON keys that are the attribute's own name."""
    return {name: getattr(obj, name) for name in names}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _who(run_id: str | None, context: RunContext, now: dt.datetime) -> dict[str, Any]:
    """The JSON head of a preview or a force: the run id, who it is for, and when."""
    return {
        "run_id": run_id,
        "operator": context.operator,
        "user": context.user,
        "company": context.company,
        "rep": context.rep,
        "now": now.isoformat(),
    }


def _tally(counts: Counts, warnings: tuple[str, ...]) -> dict[str, Any]:
    """The JSON of a recorded run's counts, the R rows it wrote and its warnings."""
    return {
        "counts": {k: dict(v) for k, v in counts.items()},
        "written": total_written(counts),
        "warnings": list(warnings),
    }


class Written:
    """The ``written`` figure of a result that has ``counts``."""

    __slots__ = ()
    counts: Counts

    @property
    def written(self) -> int:
        """R rows written (insert + supersede; 0 for an undo)."""
        return total_written(self.counts)


@dataclass(frozen=True, slots=True)
class RunContext:
    """Who runs, for whom: the resolved operator, USER, CPY, AUSCRMA and AUSCRMF."""

    operator: str
    user: str
    company: str
    crm_function: int | None
    rep: str | None
    user_name: str | None = None


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One selected record as the preview and the detailed log show it."""

    object_type: str
    record_key: str
    outcome: str
    out_of_phase: bool
    reasons: tuple[str, ...]
    description: str | None = None
    date: dt.date | None = None
    rep: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The SPEC/CLI JSON form (X3 names for type and key)."""
        return {
            "SYDTYP": self.object_type,
            "SYDKEY": self.record_key,
            "outcome": self.outcome,
            "out_of_phase": self.out_of_phase,
            "reasons": list(self.reasons),
            "description": self.description,
            "date": self.date.isoformat() if self.date else None,
            "rep": self.rep,
        }


@dataclass(frozen=True, slots=True)
class PreviewResult:
    """What a run would do: counts per type and outcome, and one page of records.

    ``counts`` covers the whole selection; ``records`` is the page asked for among the
    records that pass the page filters, of which there are ``total``.
    """

    context: RunContext
    criteria: Criteria
    now: dt.datetime
    counts: Counts
    out_of_phase: Mapping[str, int]
    warnings: tuple[str, ...]
    records: tuple[RecordRow, ...]
    total: int
    page: int
    page_size: int
    skipped_types: tuple[str, ...] = ()

    @property
    def pages(self) -> int:
        """Number of pages of ``total`` records."""
        return max(1, -(-self.total // self.page_size))

    @property
    def to_write(self) -> int:
        """Records that a force with the same criteria would write an R row for."""
        return total_written(self.counts)

    @property
    def selected(self) -> int:
        """Records selected, whatever their outcome."""
        return total_selected(self.counts)

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON of ``forcedsync preview --json``."""
        return {
            **_who(None, self.context, self.now),
            "counts": {k: dict(v) for k, v in self.counts.items()},
            "out_of_phase": dict(self.out_of_phase),
            "warnings": list(self.warnings),
            "records": [r.to_json_dict() for r in self.records],
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
            "pages": self.pages,
        }


@dataclass(frozen=True, slots=True)
class ForceResult(Written):
    """A committed run: its id, counts per type and outcome, warnings and clock."""

    run_id: str
    context: RunContext
    criteria: Criteria
    now: dt.datetime
    started: dt.datetime
    ended: dt.datetime
    counts: Counts
    warnings: tuple[str, ...]
    records: tuple[RecordRow, ...] = ()
    skipped_types: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON of ``forcedsync force --json``."""
        return {
            **_who(self.run_id, self.context, self.now),
            "started": self.started.isoformat(),
            "ended": self.ended.isoformat(),
            **_tally(self.counts, self.warnings),
            "records": [r.to_json_dict() for r in self.records],
            "total": total_selected(self.counts),
            "page": 1,
        }


@dataclass(frozen=True, slots=True)
class UndoResult:
    """What an undo restored, and the records it left alone with the reason."""

    run_id: str
    target_run_id: str
    restored: int
    kept: int
    kept_records: tuple[tuple[str, str, str], ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON of ``forcedsync undo --json``."""
        return {
            **_attrs(self, "run_id", "target_run_id", "restored", "kept"),
            "kept_records": [
                {"SYDTYP": t, "SYDKEY": k, "reason": r} for t, k, r in self.kept_records
            ],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True)
class RunInfo(Written):
    """One row of the run history."""

    run_id: str
    kind: str
    operator: str | None
    user: str | None
    company: str | None
    started: dt.datetime | None
    ended: dt.datetime | None
    now: dt.datetime | None
    status: str | None
    counts: Counts = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    undo_run_id: str | None = None
    target_run_id: str | None = None
    restored: int | None = None
    kept: int | None = None
    batch_id: str | None = None  # the team run this run (or its target) belongs to

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON of ``forcedsync runs --json``."""
        return {
            **_attrs(self, "run_id", "kind", "operator", "user", "company"),
            "started": _iso(self.started),
            "ended": _iso(self.ended),
            "now": _iso(self.now),
            "status": self.status,
            **_tally(self.counts, self.warnings),
            "params": dict(self.params),
            **_attrs(
                self, "undo_run_id", "target_run_id", "restored", "kept", "batch_id"
            ),
        }
