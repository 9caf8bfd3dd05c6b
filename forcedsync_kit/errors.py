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


class FieldValueError(ForcedSyncError):
    """A refusal of one value: ``field`` names where it was given, ``value`` is it."""

    def __init__(self, field: str, value: object, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class RunIdError(ForcedSyncError):
    """A refusal or a warning about one recorded run, named by ``run_id``."""

    def __init__(self, run_id: str, message: str) -> None:
        super().__init__(message)
        self.run_id = run_id


class CriteriaError(FieldValueError):
    """A criterion is missing, malformed or inconsistent; nothing was written."""

    def __init__(
        self, field: str, value: object, message: str, allowed: str | None = None
    ) -> None:
        super().__init__(field, value, message)
        self.allowed = allowed


class UserResolutionError(FieldValueError):
    """The operator, the target user, its company or its rep cannot be used."""


class BackendError(ForcedSyncError):
    """The database cannot be reached, is busy, or lacks the toolkit's tables."""


class MarkingError(ForcedSyncError):
    """A force or undo failed and was rolled back; nothing of it was written."""

    def __init__(self, message: str, criteria_summary: str = "") -> None:
        super().__init__(message)
        self.criteria_summary = criteria_summary


class RunNotFoundError(RunIdError):
    """No run with that id is recorded (or it cannot be undone again)."""


class RunCommittedError(RunIdError):
    """A force or undo was committed, but an error or interrupt came at its COMMIT.

    The database holds the run: it is in the history under ``run_id`` (not a failure
    of the run; do not run it again).
    """


class CommitUncertainError(RunIdError):
    """A force or undo was interrupted at its COMMIT and the database cannot tell yet.

    Look for ``run_id`` in the history before running it again.
    """


class OutputPathError(CriteriaError):
    """An output file (log, export) must not be written there; nothing was written."""


class LogNotWrittenError(RunIdError):
    """The run was committed but its log could not be written (CLI exit code 3)."""


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


class TeamChangedError(PreviewChangedError):
    """The queue of a team run changed since its preview; nothing more was written.

    ``users`` maps each user whose counts differ to ``{(type, outcome): (previewed,
    now)}``; ``joined`` and ``left`` are the users who entered or left the team since
    the preview. ``differences`` holds the team's totals that differ.
    """

    def __init__(
        self,
        message: str,
        users: dict[str, dict[tuple[str, str], tuple[int, int]]],
        joined: tuple[str, ...] = (),
        left: tuple[str, ...] = (),
    ) -> None:
        total: dict[tuple[str, str], tuple[int, int]] = {}
        for diff in users.values():
            for key, (before, after) in diff.items():
                b, a = total.get(key, (0, 0))
                total[key] = (b + before, a + after)
        super().__init__(message, {k: v for k, v in total.items() if v[0] != v[1]})
        self.users, self.joined, self.left = users, joined, left


class MappingError(FieldValueError):
    """A folder mapping (logical -> physical names) is malformed; nothing was run.

    ``key`` (also ``field``) is the mapping's key that holds the bad ``value``.
    """

    @property
    def key(self) -> str:
        """The mapping's key that holds the bad value."""
        return self.field


class ServeError(ForcedSyncError):
    """The dashboard cannot be served as asked (listening address, identity source)."""


class FolderNotEmptyError(BackendError):
    """The demo would be built into a database whose X3 table ``table`` holds rows.

    ``remedy`` ends the message: how the caller (library or CLI) asks for a replace.
    """

    def __init__(self, table: str, database: str, remedy: str) -> None:
        self.table, self.database = table, database
        super().__init__(
            f"Database {database!r} already holds X3 data (table {table!r}): {remedy}"
        )

    def with_remedy(self, remedy: str) -> FolderNotEmptyError:
        """The same refusal, ending with another remedy (the CLI's option names)."""
        return FolderNotEmptyError(self.table, self.database, remedy)


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
