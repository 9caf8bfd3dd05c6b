"""``JobResult``: what one job did, shown as text or Markdown in the notebook."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import present
from ..results import ForceResult, PreviewResult, RecordRow
from .team import TeamResult, team_lines

#: The Markdown table of records (header and rule).
_MD_HEAD = "| type | key | outcome | out of phase | reasons |\n|---|---|---|---|---|\n"


@dataclass(frozen=True, slots=True, repr=False)
class JobResult:
    """What one job did: a preview (nothing committed) or a committed run.

    Attributes:
        summary: the content of ``summary.json``.
        result: the library's preview or force result (a team run's batch preview
            or batch result).
        records: the first records of the selection (preview) or of the run.
        files: the files written into the output directory.
    """

    summary: Mapping[str, Any]
    result: PreviewResult | ForceResult | TeamResult
    records: tuple[RecordRow, ...] = ()
    files: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def run_id(self) -> str | None:
        """The committed run's id; None for a preview."""
        value = self.summary.get("run_id")
        return str(value) if value else None

    @property
    def batch_id(self) -> str | None:
        """A team run's batch id; None for a preview or a single-user run."""
        value = self.summary.get("batch_id")
        return str(value) if value else None

    @property
    def committed(self) -> bool:
        """True when the job forced records (COMMIT), False for a preview."""
        return bool(self.summary.get("commit"))

    def lines(self) -> list[str]:
        """The summary as plain text lines (counts table, warnings, files)."""
        s = self.summary
        if s.get("team") and not isinstance(self.result, PreviewResult | ForceResult):
            return team_lines(self.result) + [f"File: {p}" for p in self.files]
        if self.committed:
            head = (
                f"Run {s['run_id']}: {present.number(s['written'])} record(s) marked R."
            )
        else:
            head = (
                f"Preview only, nothing committed: {present.number(s['to_write'])} "
                f"record(s) would be marked R."
            )
        lines = [
            head,
            f"User {s['user']} (operator {s['operator']}, company {s['company']}, "
            f"rep {s['rep'] or '-'}), clock {s['now']}",
        ]
        lines += present.counts_table(s["counts"])
        lines += [f"Warning: {w}" for w in s["warnings"]]
        lines += [f"File: {p}" for p in self.files]
        return lines

    def record_lines(self) -> list[str]:
        """The first records, tab-separated: type, key, outcome, reasons."""
        return [present.record_line(r) for r in self.records]

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"JobResult(status={s.get('status')!r}, run_id={self.run_id!r}, "
            f"to_write={s.get('to_write')}, written={s.get('written')})"
        )

    def _repr_markdown_(self) -> str:
        body = self.lines()
        text = f"**{body[0]}**\n\n```\n" + "\n".join(body[1:]) + "\n```\n"
        if self.records:
            selected = present.number(int(self.summary.get("selected", 0)))
            text += f"\nFirst {len(self.records)} of {selected} record(s):\n\n"
            text += _MD_HEAD
            for r in self.records:
                reasons = " / ".join(r.reasons).replace("|", "\\|")
                text += (
                    f"| {r.object_type} | {r.record_key} | {r.outcome} | "
                    f"{'yes' if r.out_of_phase else ''} | {reasons} |\n"
                )
        return text
