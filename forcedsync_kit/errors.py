"""The exception tree: every refusal the toolkit makes is a ``ForcedSyncError``."""

from __future__ import annotations

from typing import Any


class ForcedSyncError(Exception):
    """Base class of every error the toolkit raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.__dict__))


def _rebuild(cls: type[ForcedSyncError], state: dict[str, Any]) -> ForcedSyncError:
    obj = cls.__new__(cls)
    Exception.__init__(obj, state.get("message", ""))
    obj.__dict__.update(state)
    return obj


class CriteriaError(ForcedSyncError):
    """A criterion is missing, malformed or inconsistent; nothing was written."""

    def __init__(
        self, field: str, value: object, message: str, allowed: str | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.allowed = allowed


class UserResolutionError(ForcedSyncError):
    """The operator, the target user, its company or its rep cannot be used."""

    def __init__(self, field: str, value: object, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class BackendError(ForcedSyncError):
    """The database cannot be reached, is busy, or lacks the toolkit's tables."""


class MarkingError(ForcedSyncError):
    """A force or undo failed and was rolled back; nothing of it was written."""

    def __init__(self, message: str, criteria_summary: str = "") -> None:
        super().__init__(message)
        self.criteria_summary = criteria_summary


class RunNotFoundError(ForcedSyncError):
    """No run with that id is recorded (or it cannot be undone again)."""

    def __init__(self, run_id: str, message: str) -> None:
        super().__init__(message)
        self.run_id = run_id


class RunCommittedError(ForcedSyncError):
    """A force or undo was committed, but an error or interrupt came at its COMMIT.

    The database holds the run: it is in the history under ``run_id`` (not a failure
    of the run; do not run it again).
    """

    def __init__(self, run_id: str, message: str) -> None:
        super().__init__(message)
        self.run_id = run_id


class CommitUncertainError(ForcedSyncError):
    """A force or undo was interrupted at its COMMIT and the database cannot tell yet.

    Look for ``run_id`` in the history before running it again.
    """

    def __init__(self, run_id: str, message: str) -> None:
        super().__init__(message)
        self.run_id = run_id


class OutputPathError(CriteriaError):
    """An output file (log, export) must not be written there; nothing was written."""


class LogNotWrittenError(ForcedSyncError):
    """The run was committed but its log could not be written (CLI exit code 3)."""

    def __init__(self, run_id: str, message: str) -> None:
        super().__init__(message)
        self.run_id = run_id


class PreviewChangedError(ForcedSyncError):
    """The queue changed between the preview and the force; nothing was written.

    ``differences`` maps ``(type, outcome)`` to ``(previewed, now)`` record counts for
    every pair whose count differs.
    """

    def __init__(
        self, message: str, differences: dict[tuple[str, str], tuple[int, int]]
    ) -> None:
        super().__init__(message)
        self.differences = differences


class MappingError(ForcedSyncError):
    """A folder mapping (logical -> physical names) is malformed; nothing was run."""

    def __init__(self, key: str, value: object, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.value = value


class ServeError(ForcedSyncError):
    """The dashboard cannot be served as asked (listening address, identity source)."""


class BatchPartError(ForcedSyncError):
    """A user's part of a team run failed (or its undo did).

    The parts before it stay committed; that user's part and those after it are
    untouched. ``result`` is the team run's result so far (per user).
    """

    def __init__(self, batch_id: str, user: str, message: str, result: object) -> None:
        super().__init__(message)
        self.batch_id = batch_id
        self.user = user
        self.result = result
