"""Team runs on the command line: ``preview``/``force`` with ``-p USERS=...`` (or
USRFCY, USRCPY, USRREPDEB/USRREPFIN) and ``undo --batch ID``.

``cli.forcing`` hands criteria that hold a team selector to these functions. The text
shows a user column; ``--json`` gives every user's part and the total.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any, TypeVar

import click
from sqlalchemy.engine import Engine

from .. import batch, present
from ..criteria import Criteria
from ..errors import BatchPartError, CriteriaError, TeamChangedError
from ..teamresults import (
    CHANGE_COLUMNS,
    BatchPreview,
    BatchResult,
    BatchUndo,
    ColumnSpec,
    change_rows,
    force_lines,
    preview_lines,
    user_table,
)
from .options import echo_lines, mark_written, progress

n = present.number
R = TypeVar("R", BatchResult, BatchUndo)


def run_preview(
    engine: Engine, criteria: Criteria, operator: str | None, now: str | None
) -> BatchPreview:
    """The team preview (refusals listed; an error only when nobody can be forced)."""
    return batch.preview_batch(engine, criteria, operator=operator, now=now)


def show_preview(res: BatchPreview, as_json: bool, *, force_hint: bool) -> None:
    """Print a team preview as text or JSON; ``force_hint``: say --yes is needed."""
    if as_json:  # with the token 'force --expect' takes, as one user's preview has
        click.echo(present.to_json({**res.to_json_dict(), "token": res.token}))
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
    expect: str | None = None,
) -> None:
    """Force a team run and print it per user; a failed part ends in an error line.

    With ``expect`` (the token of ``preview --json``), a queue changed since that
    preview writes nothing and ends in the error line and the differences per user.
    """
    if log:
        raise CriteriaError(
            "--log",
            log,
            "--log writes the log of one run: a team run has a run per user, whose "
            "logs 'forcedsync log --run ID' writes; nothing was forced.",
        )
    try:
        res = batch.force_batch(
            engine, criteria, operator=operator, now=now, progress=progress,
            expect=expect,
        )  # fmt: skip
    except TeamChangedError as exc:
        raise TeamQueueChanged(exc) from None
    except BatchPartError as exc:
        if isinstance(exc.result, BatchResult):
            _show_force(exc.result, as_json)
            if any(p.run_id and not p.earlier for p in exc.result.parts):
                mark_written(f"team run {exc.batch_id} was partly committed")
        raise
    mark_written(f"team run {res.batch_id} was committed")
    _show_force(res, as_json)


class TeamQueueChanged(click.ClickException):
    """A refused team ``force --expect``: the Error line, then the differences per
    user (type, outcome, previewed, now, change), both on stderr."""

    def __init__(self, exc: TeamChangedError) -> None:
        super().__init__(str(exc))
        self.rows = change_rows(exc.users)

    def show(self, file: IO[Any] | None = None) -> None:
        """The ``Error:`` line then the table (none when only users joined or left)."""
        super().show(file)
        for line in user_table(CHANGE_COLUMNS, self.rows) if self.rows else []:
            click.echo(line, err=True)


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
