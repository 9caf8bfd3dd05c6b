"""Team runs on the command line: ``preview``/``force`` with ``-p USERS=...`` (or
USRFCY, USRCPY, USRREPDEB/USRREPFIN) and ``undo --batch ID``.

``cli.forcing`` hands criteria that hold a team selector to these functions. The text
shows a user column; ``--json`` gives every user's part and the total.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal, TypeVar

import click
from sqlalchemy.engine import Engine

from .. import batch, present
from ..batchlog import PartStatus
from ..criteria import OBJECT_TYPES, OUTCOMES, Criteria
from ..errors import BatchPartError, CriteriaError
from ..present import Column
from ..results import Counts
from ..teamresults import BatchPreview, BatchResult, BatchUndo, UserPart
from .options import echo_lines, mark_written, progress

n = present.number
R = TypeVar("R", BatchResult, BatchUndo)


def shown_types(selected: Iterable[str], counts: Sequence[Counts]) -> list[str]:
    """The object types worth a row: those selected, and any with a count."""
    wanted = {str(t) for t in selected}
    for c in counts:
        wanted |= {t for t, by in c.items() if any(by.values())}
    return [str(t) for t in OBJECT_TYPES if str(t) in wanted]


def user_counts_table(
    rows: Sequence[tuple[str, Counts, Mapping[str, int] | None]], types: list[str]
) -> list[str]:
    """Counts per user × type × outcome (and out of phase when given), as text."""
    with_oop = any(oop is not None for _, _, oop in rows)
    cols = [Column("user", 8, "<"), Column("type", 4, "<")]
    cols += [Column(str(o), present.TABLE_WIDTHS[str(o)]) for o in OUTCOMES]
    if with_oop:
        cols.append(Column(present.OUT_OF_PHASE, len(present.OUT_OF_PHASE) + 2))
    cells: list[list[object]] = []
    for user, counts, oop in rows:
        for typ in types:
            by = counts.get(typ, {})
            row: list[object] = [user, typ] + [int(by.get(str(o), 0)) for o in OUTCOMES]
            if with_oop:
                row.append(int((oop or {}).get(typ, 0)))
            cells.append(row)
    return present.text_table(cols, cells, sep="  ")


def preview_lines(res: BatchPreview) -> list[str]:
    """The text of a team preview: per user and type, the total, the refusals."""
    types = shown_types(res.criteria.object_types, [u.counts for u in res.users])
    lines = [
        f"Team preview for {len(res.users)} user(s) (operator {res.operator}), "
        f"clock {res.now.isoformat()}"
    ]
    rows: list[tuple[str, Counts, Mapping[str, int] | None]] = [
        (u.user, u.counts, u.out_of_phase) for u in res.users
    ]
    oop_total = {t: sum(u.out_of_phase.get(t, 0) for u in res.users) for t in types}
    rows.append(("TOTAL", res.counts, oop_total))
    lines += user_counts_table(rows, types)
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


def run_preview(
    engine: Engine, criteria: Criteria, operator: str | None, now: str | None
) -> BatchPreview:
    """The team preview (refusals listed; an error only when nobody can be forced)."""
    return batch.preview_batch(engine, criteria, operator=operator, now=now)


def show_preview(res: BatchPreview, as_json: bool, *, force_hint: bool) -> None:
    """Print a team preview as text or JSON; ``force_hint``: say --yes is needed."""
    if as_json:
        click.echo(present.to_json(res))
        return
    echo_lines(preview_lines(res))
    if force_hint:
        click.echo(
            f"Nothing written: add --yes to force {n(res.to_write)} record(s) for "
            f"{len(res.users)} user(s)."
        )


def run_force(
    engine: Engine,
    criteria: Criteria,
    operator: str | None,
    now: str | None,
    *,
    as_json: bool,
    log: str | None,
) -> None:
    """Force a team run and print it per user; a failed part ends in an error line."""
    if log:
        raise CriteriaError(
            "--log",
            log,
            "--log writes the log of one run: a team run has a run per user, whose "
            "logs 'forcedsync log --run ID' writes; nothing was forced.",
        )
    try:
        res = batch.force_batch(
            engine, criteria, operator=operator, now=now, progress=progress
        )
    except BatchPartError as exc:
        if isinstance(exc.result, BatchResult):
            _show_force(exc.result, as_json)
            if any(p.run_id and not p.earlier for p in exc.result.parts):
                mark_written(f"team run {exc.batch_id} was partly committed")
        raise
    mark_written(f"team run {res.batch_id} was committed")
    _show_force(res, as_json)


def _show_force(res: BatchResult, as_json: bool) -> None:
    _show(res, as_json, force_lines)


def _show(res: R, as_json: bool, lines: Callable[[R], list[str]]) -> None:
    """Print a team result as JSON, or as the text ``lines`` makes of it."""
    if as_json:
        click.echo(present.to_json(res))
    else:
        echo_lines(lines(res))


def run_undo(
    engine: Engine, batch_id: str, operator: str | None, yes: bool, as_json: bool
) -> None:
    """``undo --batch ID``: show the team run's parts, or undo them all with --yes."""
    if not yes:
        header, parts = batch.describe_batch(engine, batch_id)
        click.echo(
            f"Team run {header.batch_id} ({header.status}), {len(parts)} user(s):"
        )
        rows = [[p.user, p.status, p.run_id or "-"] for p in parts]
        echo_lines(user_table([("status", 8, "<"), ("run", 32, "<")], rows))
        click.echo(f"Nothing changed: add --yes to undo team run {header.batch_id}.")
        return
    res = batch.undo_batch(engine, batch_id, operator=operator)
    mark_written(f"undo of team run {res.batch_id} was committed")
    _show(res, as_json, undo_lines)


def undo_lines(res: BatchUndo) -> list[str]:
    """The text of a team undo: per user, the undo run and what it restored."""
    lines = [
        f"Undo of team run {res.batch_id}: {n(res.restored)} record(s) restored, "
        f"{n(res.kept)} left as they are."
    ]
    rows = [[u, undo_id or "-", r, k] for u, _, undo_id, r, k in res.parts]
    spec: list[ColumnSpec] = [("undo run", 32, "<"), ("restored", 9, ">")]
    return lines + user_table([*spec, ("kept", 6, ">")], rows)


#: A column of a per-user table: header, minimum width, alignment.
ColumnSpec = tuple[str, int, Literal["<", ">"]]


def user_table(
    columns: Sequence[ColumnSpec], rows: Sequence[Sequence[object]]
) -> list[str]:
    """A text table whose first column is the user, then ``columns``."""
    cols = [Column("user", 8, "<"), *(Column(*c) for c in columns)]
    return present.text_table(cols, rows, sep="  ")
