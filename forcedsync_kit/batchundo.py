"""Undo of a team run, and a recorded team run's parts (see ``batch``)."""

from __future__ import annotations

from sqlalchemy.engine import Connection, Engine

from . import batchlog, context, db, marking, runlog
from .batchlog import Header, Part
from .clock import When
from .errors import BatchPartError, ForcedSyncError, RunNotFoundError
from .states import BatchStatus
from .teamresults import BatchUndo

__all__ = ["describe_batch", "missing", "undo_batch"]


def undo_batch(
    engine: Engine, batch_id: str, *, operator: str | None = None, now: When = None
) -> BatchUndo:
    """Undo every part of a team run, each exactly as ``marking.undo`` does.

    A part already undone is passed over; if an undo fails, the parts undone before
    it stay undone and running ``undo_batch`` again completes it.

    Raises:
        RunNotFoundError: no such batch, or nothing of it left to undo.
        UserResolutionError: the operator may not force (nothing changed).
        BatchPartError: a part's undo failed (the parts before it are undone).
    """
    batch_id = str(batch_id).strip()
    with db.reading(engine) as conn:
        db.require_schema(conn)
        context.check_operator(conn, operator)
        if batchlog.find(conn, batch_id) is None:
            raise missing(batch_id)
        done = [p for p in batchlog.parts(conn, batch_id) if p.run_id]
        todo = [p for p in done if not _undone(conn, str(p.run_id))]
    if not todo:
        raise RunNotFoundError(
            batch_id, f"Team run {batch_id!r} has no forced run left to undo."
        )
    parts: list[tuple[str, str, str | None, int, int]] = []
    for part in todo:
        try:
            res = marking.undo(engine, str(part.run_id), operator=operator, now=now)
        except ForcedSyncError as exc:
            raise BatchPartError(
                batch_id,
                part.user,
                f"Team run {batch_id}: the undo of user {part.user}'s run failed "
                f"({str(exc).rstrip('.')}); the parts before it are undone: undo "
                f"the team run again to complete it (forcedsync undo --batch "
                f"{batch_id}).",
                BatchUndo(batch_id, tuple(parts)),
            ) from exc
        parts.append((part.user, str(part.run_id), res.run_id, res.restored, res.kept))
    with db.writing(engine) as conn:
        batchlog.set_status(conn, batch_id, BatchStatus.UNDONE)
    return BatchUndo(batch_id, tuple(parts))


def missing(batch_id: str) -> RunNotFoundError:
    """The error of a team run that is not recorded."""
    return RunNotFoundError(
        batch_id, f"No team run {batch_id!r} is recorded: see 'forcedsync runs'."
    )


def describe_batch(engine: Engine, batch_id: str) -> tuple[Header, list[Part]]:
    """A recorded team run: its header and its parts in order.

    Raises:
        RunNotFoundError: no such batch.
    """
    batch_id = str(batch_id).strip()
    with db.reading(engine) as conn:
        db.require_schema(conn)
        header = batchlog.find(conn, batch_id)
        if header is None:
            raise missing(batch_id)
        return header, batchlog.parts(conn, batch_id)


def _undone(conn: Connection, run_id: str) -> bool:
    row = runlog.find_run(conn, run_id)
    return row is None or bool(row.undorun)
