"""One place that renders results for people and programs: text, JSON and CSV.

Counts tables, run lists and record lists are formatted here for the command line,
the job, the run log and the sync summary. Text groups thousands ("1,028,571"); JSON
and CSV keep plain integers. Nothing here prints: every function returns text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .criteria import OBJECT_TYPES, OUTCOMES
from .results import RecordRow, RunInfo
from .states import RunKind

Counts = Mapping[str, Mapping[str, int]]
Style = Literal["table", "log"]

#: Widths of the counts table of the command line and the job (type, then outcomes).
TABLE_WIDTHS = {"type": 5, "insert": 9, "supersede": 11, "already": 9, "skip": 7}
OUT_OF_PHASE = "out of phase"
#: Header of the records table; the description is cut to fit its column.
DESCRIPTION_WIDTH = 30
RUNS_HEADER = f"{'run':<32}  kind  {'started':<19}  operator user      written  status"


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a text table: its header, minimum width and alignment."""

    name: str
    width: int = 0
    align: Literal["<", ">"] = ">"


def number(value: object) -> str:
    """An integer with thousands grouped (``1,028,571``); anything else as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def text_table(
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    *,
    sep: str = "",
    head_prefix: str = "",
    row_prefix: str = "",
) -> list[str]:
    """Header then one line per row, each column as wide as its widest cell.

    Integers are grouped by thousands; a column is never narrower than ``width``.
    """
    cells = [[number(v) for v in row] for row in rows]
    widths = [
        max([c.width, len(c.name)] + [len(r[i]) for r in cells])
        for i, c in enumerate(columns)
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            f"{v:{c.align}{w}}" for v, c, w in zip(values, columns, widths, strict=True)
        ]
        return sep.join(parts).rstrip()

    head = head_prefix + line([c.name for c in columns])
    return [head] + [row_prefix + line(r) for r in cells]


def counts_rows(
    counts: Counts, out_of_phase: Mapping[str, int] | None = None
) -> list[list[object]]:
    """One row per object type: type, a count per outcome [, out of phase]."""
    rows: list[list[object]] = []
    for t in OBJECT_TYPES:
        c = counts.get(str(t), {})
        row: list[object] = [str(t)] + [int(c.get(str(o), 0)) for o in OUTCOMES]
        if out_of_phase is not None:
            row.append(int(out_of_phase.get(str(t), 0)))
        rows.append(row)
    return rows


def counts_table(
    counts: Counts,
    out_of_phase: Mapping[str, int] | None = None,
    *,
    style: Style = "table",
) -> list[str]:
    """The counts per type and outcome as text lines.

    Args:
        counts: ``{type: {outcome: n}}``; missing cells are 0.
        out_of_phase: out-of-phase records per type, shown as a last column.
        style: ``"table"`` (command line, job) or ``"log"`` (the detailed log's
            ``Counts:`` block).
    """
    rows = counts_rows(counts, out_of_phase)
    if style == "log":
        cols = [Column("type", 3, "<")] + [Column(str(o)) for o in OUTCOMES]
        if out_of_phase is not None:
            cols.append(Column("out-of-phase", 12))
        return text_table(
            cols, rows, sep="  ", head_prefix="Counts:  ", row_prefix=" " * 9
        )
    cols = [Column("type", TABLE_WIDTHS["type"], "<")]
    cols += [Column(str(o), TABLE_WIDTHS[str(o)]) for o in OUTCOMES]
    if out_of_phase is not None:
        cols.append(Column(OUT_OF_PHASE, len(OUT_OF_PHASE) + 2))
    return text_table(cols, rows)


def action_table(
    counts: Counts,
    actions: Sequence[object],
    exported: Mapping[str, Sequence[object]],
    deleted: Mapping[str, Sequence[object]],
) -> list[str]:
    """The table of ``forcedsync sync``: rows per type and action, items, deletions."""
    cols = [Column("type", 5, "<")] + [Column(str(a), 6) for a in actions]
    cols += [Column("items", 7), Column("deletions", 11)]
    rows = [
        [typ]
        + [int(by_action.get(str(a), 0)) for a in actions]
        + [len(exported.get(typ, ())), len(deleted.get(typ, ()))]
        for typ, by_action in counts.items()
    ]
    return text_table(cols, rows)


def records_table(rows: Sequence[RecordRow]) -> list[str]:
    """One page of records: type, key, outcome, out of phase, description, reasons."""
    lines = [
        f"{'type':<5}{'key':<16}{'outcome':<11}{'oop':<5}{'description':<32}reasons"
    ]
    for r in rows:
        desc = (r.description or "")[:DESCRIPTION_WIDTH]
        lines.append(
            f"{r.object_type:<5}{r.record_key:<16}{r.outcome:<11}"
            f"{'yes' if r.out_of_phase else '':<5}{desc:<32}"
            f"{' | '.join(r.reasons)}"
        )
    return lines


def record_line(r: RecordRow) -> str:
    """A record as a log line: type, key, outcome, reasons (tab-separated)."""
    return (
        f"{r.object_type}\t{r.record_key}\t{r.outcome}\t{' | '.join(r.reasons) or '-'}"
    )


def run_line(r: RunInfo) -> str:
    """One line of ``forcedsync runs``."""
    when = r.started.strftime("%Y-%m-%d %H:%M:%S") if r.started else "-"
    extra = f"undone by {r.undo_run_id}" if r.undo_run_id else ""
    if r.kind == RunKind.UNDO:
        extra = f"undo of {r.target_run_id}"
    if r.batch_id:
        extra = f"{extra}  batch {r.batch_id}".strip()
    written = number(r.written) if r.kind == RunKind.FORCE else ""
    return (
        f"{r.run_id}  {r.kind:<5} {when}  {r.operator or '-':<8} {r.user or '-':<8} "
        f"{written:>8}  {r.status or '':<7}{extra}"
    )


def runs_table(items: Sequence[RunInfo]) -> list[str]:
    """The run history: a header, then one line per run."""
    return [RUNS_HEADER] + [run_line(r) for r in items]


# --- JSON -----------------------------------------------------------------------------


def to_json(data: Any) -> str:
    """Indented JSON; a result object is rendered through its ``to_json_dict()``.

    Integers stay plain; dates and other values become their text.
    """
    if hasattr(data, "to_json_dict"):
        data = data.to_json_dict()
    elif isinstance(data, list | tuple):
        data = [d.to_json_dict() if hasattr(d, "to_json_dict") else d for d in data]
    return json.dumps(data, indent=2, default=str)


# --- CSV ------------------------------------------------------------------------------


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buf.getvalue()


def counts_csv(counts: Counts, out_of_phase: Mapping[str, int] | None = None) -> str:
    """The counts table as CSV (plain integers)."""
    header = ["type"] + [str(o) for o in OUTCOMES]
    if out_of_phase is not None:
        header.append("out_of_phase")
    return _csv(header, counts_rows(counts, out_of_phase))


def records_csv(rows: Iterable[RecordRow]) -> str:
    """Records as CSV, with the X3 names of the JSON form."""
    header = ["SYDTYP", "SYDKEY", "outcome", "out_of_phase", "reasons", "description"]
    return _csv(
        header,
        (
            [
                r.object_type,
                r.record_key,
                r.outcome,
                int(r.out_of_phase),
                " | ".join(r.reasons),
                r.description,
            ]
            for r in rows
        ),
    )


def runs_csv(items: Iterable[RunInfo]) -> str:
    """The run history as CSV."""
    header = ["run_id", "kind", "started", "operator", "user", "written", "status"]
    return _csv(
        header,
        (
            [
                r.run_id,
                r.kind,
                r.started.isoformat() if r.started else None,
                r.operator,
                r.user,
                r.written if r.kind == RunKind.FORCE else None,
                r.status,
            ]
            for r in items
        ),
    )


__all__ = [
    "Column",
    "action_table",
    "counts_csv",
    "counts_table",
    "number",
    "record_line",
    "records_csv",
    "records_table",
    "run_line",
    "runs_csv",
    "runs_table",
    "text_table",
    "to_json",
]


def differences_table(diff: Mapping[tuple[str, str], tuple[int, int]]) -> list[str]:
    """A changed queue's differences: type, outcome, previewed, now, change."""
    cols = [
        Column("type", 4, "<"),
        Column("outcome", 9, "<"),
        Column("previewed"),
        Column("now"),
        Column("change"),
    ]
    rows = [
        [t, o, *diff[(t, o)], f"{diff[(t, o)][1] - diff[(t, o)][0]:+,}"]
        for t in map(str, OBJECT_TYPES)
        for o in map(str, OUTCOMES)
        if (t, o) in diff
    ]
    return text_table(cols, rows, sep="  ")
