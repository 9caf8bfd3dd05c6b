"""The write transaction of a force or an undo, its COMMIT, and the truth after it.

A run is one flat transaction whose last statement inserts its FSYRUN header, so the
header exists in the database exactly when the run is committed. When an error or an
interrupt comes at or after COMMIT, the outcome is read back from the database instead
of being guessed: ``RunCommittedError`` (committed, with the run id), or the usual
roll-back error (nothing written), or ``CommitUncertainError`` if it cannot be read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import NoReturn, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .. import db, runlog
from ..errors import (
    CommitUncertainError,
    ForcedSyncError,
    MarkingError,
    RunCommittedError,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")


def commit(conn: Connection) -> None:
    """COMMIT the run's transaction (its own step: what fails from here is checked)."""
    conn.commit()


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text, else its class name."""
    text = str(exc)
    return text.splitlines()[0] if text.strip() else type(exc).__name__


def write_run(
    engine: Engine,
    run_id: str,
    body: Callable[[Connection], T],
    *,
    rolled_back: str,
    summary: str = "",
) -> T:
    """Run ``body`` in one write transaction recording run ``run_id``, and commit it.

    Args:
        engine: the database.
        run_id: the id of the FSYRUN header ``body`` inserts.
        body: the run's statements; returns the run's result.
        rolled_back: the start of the roll-back message, e.g. "The run was rolled
            back and nothing was written".
        summary: the criteria summary carried by ``MarkingError``.

    Raises:
        ForcedSyncError: a refusal from ``body`` (nothing written).
        MarkingError: the run failed and was rolled back (nothing written).
        RunCommittedError: the run was committed, then an error or interrupt came.
        CommitUncertainError: the outcome of an interrupted COMMIT cannot be read.
    """
    committing = False
    try:
        with db.writing(engine) as conn:
            result = body(conn)
            committing = True
            commit(conn)
        return result
    except BaseException as exc:
        if committing:
            settle(engine, run_id, exc, rolled_back, summary)
        if isinstance(exc, ForcedSyncError) or not isinstance(exc, Exception):
            raise
        logger.exception("run %s rolled back", run_id)
        raise MarkingError(f"{rolled_back}: {first_line(exc)}.", summary) from exc


def settle(
    engine: Engine, run_id: str, exc: BaseException, rolled_back: str, summary: str
) -> NoReturn:
    """Raise the truth about run ``run_id`` after ``exc`` came at or after its COMMIT.

    An interrupt (KeyboardInterrupt) of a run that was rolled back is raised again as
    it is; any other exception as ``MarkingError``.
    """
    try:
        committed = runlog.run_exists(engine, run_id)
    except Exception as check:
        logger.error("run %s: commit outcome unknown", run_id, exc_info=check)
        raise CommitUncertainError(
            run_id,
            f"Run {run_id} was interrupted at its commit ({first_line(exc)}) and the "
            f"database cannot tell yet whether it was saved: look for it in "
            f"'forcedsync runs' before running it again.",
        ) from exc
    if committed:
        logger.warning("run %s committed; then: %s", run_id, first_line(exc))
        raise RunCommittedError(
            run_id,
            f"Run {run_id} was committed (see 'forcedsync runs'), but its commit "
            f"was then interrupted: {first_line(exc)}.",
        ) from exc
    logger.warning("run %s rolled back at its commit", run_id, exc_info=exc)
    if not isinstance(exc, Exception):
        raise exc
    raise MarkingError(f"{rolled_back}: {first_line(exc)}.", summary) from exc


def refresh_after_commit(
    engine: Engine, tables: Sequence[sa.Table], changed: int
) -> None:
    """Refresh the planner statistics after a large committed run; never raises.

    ``db.refresh_statistics`` ANALYZEs on PostgreSQL when ``changed`` reaches its
    threshold; a failure is logged and the committed run stays a success.
    """
    try:
        db.refresh_statistics(engine, list(tables), changed)
    except Exception:
        logger.warning("statistics not refreshed after a committed run", exc_info=True)
