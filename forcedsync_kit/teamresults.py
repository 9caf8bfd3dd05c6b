"""Frozen results of team runs: preview, force and undo, per user and in total."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from . import present, teamtoken
from .criteria import OBJECT_TYPES, OUTCOMES, Criteria
from .present import Column
from .results import Counts, empty_counts, total_selected, total_written
from .states import PartStatus

n = present.number
#: A user's row of a counts table: the user, counts, out of phase (None: no column).
CountsRow = tuple[str, Counts, Mapping[str, int] | None]


def add_counts(parts: list[Counts]) -> dict[str, dict[str, int]]:
    """The sum of several ``{type: {outcome: n}}`` tables."""
    total = empty_counts()
    for counts in parts:
        for typ, by_outcome in counts.items():
            for out, n in by_outcome.items():
                total[typ][out] = total[typ].get(out, 0) + int(n)
    return total


def _counts_json(counts: Counts) -> dict[str, dict[str, int]]:
    return {k: dict(v) for k, v in counts.items()}


def _r_rows(part: UserPreview | UserPart) -> int:
    return total_written(part.counts)


def user_json(part: UserPreview | UserPart, **fields: Any) -> dict[str, Any]:
    """One user's part as JSON: the user, ``fields``, its counts and warnings."""
    return {
        "user": part.user,
        **fields,
        "counts": _counts_json(part.counts),
        "warnings": list(part.warnings),
    }


@dataclass(frozen=True, slots=True)
class UserPreview:
    """What a team run would do for one user."""

    user: str
    company: str
    rep: str | None
    counts: Counts
    out_of_phase: Mapping[str, int]
    warnings: tuple[str, ...] = ()

    #: R rows this user's part would write.
    to_write = property(_r_rows)

    def to_json_dict(self) -> dict[str, Any]:
        """This user's part as JSON."""
        oop, selected = dict(self.out_of_phase), total_selected(self.counts)
        return user_json(
            self, company=self.company, rep=self.rep, out_of_phase=oop,
            selected=selected, to_write=self.to_write,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class BatchPreview:
    """A team run's preview: counts per user × type × outcome, and the refusals."""

    operator: str
    criteria: Criteria
    now: dt.datetime
    users: tuple[UserPreview, ...]
    refused: tuple[tuple[str, str], ...]

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """The counts of every user added up."""
        return add_counts([u.counts for u in self.users])

    @property
    def to_write(self) -> int:
        """R rows the whole team run would write."""
        return sum(u.to_write for u in self.users)

    @property
    def token(self) -> str:
        """The team token of this preview: ``force_batch(expect=...)`` takes it."""
        return teamtoken.encode(self.criteria, {u.user: u.counts for u in self.users})

    def count_rows(self) -> list[CountsRow]:
        """Each user's counts and out of phase, then the ``TOTAL`` row."""
        rows: list[CountsRow] = [(u.user, u.counts, u.out_of_phase) for u in self.users]
        oop = {str(t): sum(u.out_of_phase.get(str(t), 0) for u in self.users)
               for t in OBJECT_TYPES}  # fmt: skip
        return [*rows, ("TOTAL", self.counts, oop)]

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON of ``forcedsync preview -p USERS=... --json``."""
        return {
            "batch_id": None,
            "operator": self.operator,
            "now": self.now.isoformat(),
            "users": [u.to_json_dict() for u in self.users],
            "refused": [{"user": u, "reason": r} for u, r in self.refused],
            "total": {
                "counts": _counts_json(self.counts),
                "selected": total_selected(self.counts),
                "to_write": self.to_write,
            },
        }


@dataclass(frozen=True, slots=True)
class UserPart:
    """One user's part of a team run after a force: its state, run and counts.

    ``status`` is DONE (its run committed, ``earlier`` when by a previous attempt),
    REFUSED or FAILED (with ``message``), or PENDING (not reached: an earlier user
    failed).
    """

    user: str
    status: str
    run_id: str | None = None
    counts: Counts = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    message: str | None = None
    earlier: bool = False

    #: R rows this part wrote.
    written = property(_r_rows)

    def to_json_dict(self) -> dict[str, Any]:
        """This part as JSON."""
        return user_json(
            self, status=self.status, run_id=self.run_id, earlier=self.earlier,
            written=self.written, message=self.message,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class BatchResult:
    """A team run after a force: its batch id and every user's part, in order.

    ``BatchPartError.result`` is one of these when a part failed (``complete`` False).
    """

    batch_id: str
    #: The X3 user who forced (FUNSYD6).
    operator: str
    now: dt.datetime
    #: Every user's part, in user order (refused, failed and pending ones too).
    parts: tuple[UserPart, ...]
    #: False when a part failed: the users after it are still pending.
    complete: bool

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """The counts of the parts that are done, added up."""
        return add_counts([p.counts for p in self.parts if p.run_id])

    @property
    def written(self) -> int:
        """R rows written by the parts done in this attempt."""
        return sum(p.written for p in self.parts if not p.earlier)

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON of ``forcedsync force -p USERS=... --yes --json``."""
        return {
            "batch_id": self.batch_id,
            "operator": self.operator,
            "now": self.now.isoformat(),
            "complete": self.complete,
            "users": [p.to_json_dict() for p in self.parts],
            "total": {"counts": _counts_json(self.counts), "written": self.written},
        }


@dataclass(frozen=True, slots=True)
class BatchUndo:
    """An undo of a team run: per user, the undo run and what it restored."""

    batch_id: str
    parts: tuple[tuple[str, str, str | None, int, int], ...]

    @property
    def restored(self) -> int:
        """Records restored over every part."""
        return sum(p[3] for p in self.parts)

    @property
    def kept(self) -> int:
        """Records left as they are over every part."""
        return sum(p[4] for p in self.parts)

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON of ``forcedsync undo --batch ID --json``."""
        return {
            "batch_id": self.batch_id,
            "users": [
                {
                    "user": user,
                    "run_id": run_id,
                    "undo_run_id": undo_id,
                    "restored": restored,
                    "kept": kept,
                }
                for user, run_id, undo_id, restored, kept in self.parts
            ],
            "total": {"restored": self.restored, "kept": self.kept},
        }


def shown_types(selected: Iterable[str], counts: Sequence[Counts]) -> list[str]:
    """The object types worth a row: those selected, and any with a count."""
    wanted = {str(t) for t in selected}
    for c in counts:
        wanted |= {t for t, by in c.items() if any(by.values())}
    return [str(t) for t in OBJECT_TYPES if str(t) in wanted]


def count_cells(
    rows: Sequence[CountsRow], types: list[str]
) -> tuple[bool, list[list[object]]]:
    """(with an out-of-phase column, the cells): a row per user × type, its counts
    per outcome and, when any row has them, its out-of-phase records."""
    with_oop = any(oop is not None for _, _, oop in rows)
    cells: list[list[object]] = []
    for user, counts, oop in rows:
        for typ in types:
            by = counts.get(typ, {})
            row: list[object] = [user, typ] + [int(by.get(str(o), 0)) for o in OUTCOMES]
            if with_oop:
                row.append(int((oop or {}).get(typ, 0)))
            cells.append(row)
    return with_oop, cells


def user_counts_table(rows: Sequence[CountsRow], types: list[str]) -> list[str]:
    """Counts per user × type × outcome (and out of phase when given), as text."""
    with_oop, cells = count_cells(rows, types)
    cols = [Column("user", 8, "<"), Column("type", 4, "<")]
    cols += [Column(str(o), present.TABLE_WIDTHS[str(o)]) for o in OUTCOMES]
    if with_oop:
        cols.append(Column(present.OUT_OF_PHASE, len(present.OUT_OF_PHASE) + 2))
    return present.text_table(cols, cells, sep="  ")


def preview_lines(res: BatchPreview) -> list[str]:
    """The text of a team preview: per user and type, the total, the refusals."""
    types = shown_types(res.criteria.object_types, [u.counts for u in res.users])
    lines = [
        f"Team preview for {len(res.users)} user(s) (operator {res.operator}), "
        f"clock {res.now.isoformat()}"
    ]
    lines += user_counts_table(res.count_rows(), types)
    selected = sum(sum(by.values()) for by in res.counts.values())
    lines.append(f"Selected: {n(selected)}   to write (R): {n(res.to_write)}")
    lines += [f"Refused {user}: {why}" for user, why in res.refused]
    lines += [f"Warning ({u.user}): {w}" for u in res.users for w in u.warnings]
    return lines


def part_line(part: UserPart) -> list[object]:
    """A part as a row of the force table."""
    earlier = " (earlier)" if part.earlier else ""
    return [part.user, f"{part.status}{earlier}", part.run_id or "-", part.written]


def force_lines(res: BatchResult) -> list[str]:
    """The text of a team force: one row per user, the counts, refusals, failure."""
    done = [p for p in res.parts if p.run_id]
    lines = [
        f"Team run {res.batch_id}: {n(res.written)} record(s) marked R for "
        f"{len([p for p in done if not p.earlier])} user(s)."
    ]
    rows = [part_line(p) for p in res.parts]
    lines += user_table(
        [("status", 8, "<"), ("run", 32, "<"), ("written", 9, ">")], rows
    )
    if done:
        types = shown_types((), [p.counts for p in done])
        lines += user_counts_table([(p.user, p.counts, None) for p in done], types)
    for p in res.parts:
        if p.status in (PartStatus.REFUSED, PartStatus.FAILED):
            lines.append(f"{p.status.title()} {p.user}: {p.message}")
    lines += [f"Warning ({p.user}): {w}" for p in done for w in p.warnings]
    return lines


#: A column of a per-user table: header, minimum width, alignment.
ColumnSpec = tuple[str, int, Literal["<", ">"]]
#: The columns after the user of a team's differences (``change_rows``).
CHANGE_COLUMNS: tuple[ColumnSpec, ...] = (
    ("type", 4, "<"), ("outcome", 9, "<"), ("previewed", 0, ">"), ("now", 0, ">"),
    ("change", 0, ">"),
)  # fmt: skip


def change_rows(
    users: Mapping[str, Mapping[tuple[str, str], tuple[int, int]]],
) -> list[list[object]]:
    """A team's differences since its preview (``TeamChangedError.users``) as rows:
    user, type, outcome, previewed, now, change (signed), in type and outcome order."""
    return [
        [user, t, o, b, a, f"{a - b:+,}"]
        for user, diff in users.items()
        for t in map(str, OBJECT_TYPES)
        for o in map(str, OUTCOMES)
        if (t, o) in diff
        for b, a in [diff[(t, o)]]
    ]


def user_table(
    columns: Sequence[ColumnSpec], rows: Sequence[Sequence[object]]
) -> list[str]:
    """A text table whose first column is the user, then ``columns``."""
    cols = [Column("user", 8, "<"), *(Column(*c) for c in columns)]
    return present.text_table(cols, rows, sep="  ")
