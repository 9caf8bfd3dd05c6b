"""Team runs (batches): preview, force and undo for many Outlook users at once.

A team run forces, for each user its selectors name (``teams``), exactly what a run for
that user alone would force: the user's own rep, function and gates (SPEC §3-4). Each
user's part is one force (``marking.forcing.write_force``), committed in its own
transaction under the writers' lock, with its FSYBUSR row marked DONE in that same
transaction. A part that fails stops the batch: the users before it stay committed,
that user and the ones after it are untouched, and running the same batch again (the
same criteria, or ``batch=ID``) forces only the parts not done. ``undo_batch`` undoes
every part, each exactly as ``marking.undo`` does.

With the team preview's token (``force_batch(expect=...)``, ``BatchPreview.token``)
every user's counts are compared with it before anything is written
(``teamcheck.precheck``), then each part checks its own under its lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import batchlog, context, db, dbcaps, runlog, teamcheck, teams, teamtoken
from .batchlog import Header, Part
from .batchundo import describe_batch, missing, undo_batch
from .clock import When, parse_clock, stamp
from .criteria import Criteria
from .errors import (
    BatchPartError,
    CriteriaError,
    RunNotFoundError,
    UserResolutionError,
)
from .marking import forcing, transaction
from .marking.plan import Progress, no_progress
from .states import BatchStatus, PartStatus
from .teamcheck import stored_criteria
from .teamresults import BatchPreview, BatchResult, UserPart
from .token import PreviewToken

logger = logging.getLogger(__name__)

__all__ = ["describe_batch", "force_batch", "preview_batch", "undo_batch"]


def preview_batch(
    engine: Engine, criteria: Criteria, *, operator: str | None = None, now: When = None
) -> BatchPreview:
    """What a team run would do: counts per user × type × outcome, and refusals.

    Args:
        engine: the database.
        criteria: criteria with a team selector (USERS, USRFCY, USRCPY, USRREP...).
        operator: the connected user (needs FUNSYD6).
        now: the run's clock (UTC); default the current time.

    Raises:
        CriteriaError: no team selector, or the selectors select nobody.
        UserResolutionError: the operator may not force, or no user can be forced.
    """
    clock = parse_clock(now)
    with db.reading(engine) as conn:
        db.require_schema(conn)
        op = context.check_operator(conn, operator)
        users, refused = teamcheck.user_previews(conn, criteria, operator, clock)
    if not users:
        raise teams.nothing_left(refused)
    return BatchPreview(op, criteria, clock, tuple(users), tuple(refused.items()))


def _create(
    conn: Connection, criteria: Criteria, operator: str | None, clock: dt.datetime
) -> Header:
    """Record a new batch: its users in order, those that cannot be forced refused."""
    op = context.check_operator(conn, operator)
    users = teams.team_users(conn, criteria)
    refused = {
        user: why
        for user in users
        if (why := teams.refusal(conn, criteria, operator, user)) is not None
    }
    if len(refused) == len(users):
        raise teams.nothing_left(refused)
    header = Header(
        uuid.uuid4().hex, op, criteria.to_json(), stamp(), clock, BatchStatus.OPEN
    )
    batchlog.create(conn, header, users, refused)
    return header


def _existing(conn: Connection, batch_id: str, criteria: Criteria | None) -> Header:
    """A recorded batch that may be completed with these criteria (None: its own)."""
    header = batchlog.find(conn, batch_id)
    if header is None:
        raise missing(batch_id)
    if header.status == BatchStatus.UNDONE:
        raise RunNotFoundError(
            batch_id, f"Team run {batch_id!r} was undone: start a new one instead."
        )
    if criteria is not None and criteria.to_json() != header.criteria:
        raise CriteriaError(
            "batch",
            batch_id,
            f"Team run {batch_id!r} was made with other criteria "
            f"({stored_criteria(header).summary()}): give the same or none.",
        )
    return header


def open_batch(
    engine: Engine,
    criteria: Criteria | None,
    operator: str | None,
    clock: dt.datetime,
    batch: str | None,
) -> Header:
    """The batch to run: ``batch``, else the open one of these criteria, else new."""
    with db.writing(engine) as conn:
        db.require_schema(conn)
        context.check_operator(conn, operator)
        if batch:
            return _existing(conn, str(batch).strip(), criteria)
        assert criteria is not None
        found = batchlog.find_open(conn, criteria.to_json())
        if found is not None:
            return found
        return _create(conn, criteria, operator, clock)


def force_part(
    engine: Engine,
    batch_id: str,
    criteria: Criteria,
    operator: str | None,
    clock: dt.datetime,
    step: Progress,
    expect: PreviewToken | None = None,
) -> UserPart:
    """One user's part: a force whose FSYBUSR row turns DONE in its transaction.

    With ``expect`` (the user's counts in the team token), the part checks its staged
    selection against it under its lock, before writing (``PreviewChangedError``).
    """
    user = str(criteria.user)
    job = forcing.ForceJob(
        forcing.new_run_id(), criteria, operator, clock, stamp(), step, expect
    )

    def body(conn: Connection) -> UserPart:
        earlier = batchlog.done_run(conn, batch_id, user)
        if earlier is not None:  # another session completed it meanwhile
            row = runlog.find_run(conn, earlier)
            counts = json.loads(row.counts) if row is not None else {}
            return UserPart(user, PartStatus.DONE, earlier, counts, earlier=True)
        done = forcing.write_force(conn, job)
        batchlog.set_part(conn, batch_id, user, PartStatus.DONE, run_id=job.run_id)
        return UserPart(user, PartStatus.DONE, job.run_id, done.counts, done.warnings)

    part = transaction.write_run(
        engine,
        job.run_id,
        body,
        rolled_back=forcing.ROLLED_BACK,
        summary=criteria.summary(),
    )
    return part  # statistics are refreshed once, after the batch (``force_batch``)


def _record(engine: Engine, batch_id: str, part: UserPart) -> None:
    """Record a part's refusal or failure (its own small transaction; never raises)."""
    try:
        with db.writing(engine) as conn:
            batchlog.set_part(
                conn,
                batch_id,
                part.user,
                PartStatus(part.status),
                message=part.message,
            )
    except Exception:
        logger.warning("batch %s: state of %s not recorded", batch_id, part.user)


def _earlier(engine: Engine, part: Part) -> UserPart:
    """A part done by an earlier attempt, with its run's counts."""
    info = runlog.get_run(engine, str(part.run_id))
    return UserPart(
        part.user,
        PartStatus.DONE,
        info.run_id,
        info.counts,
        info.warnings,
        earlier=True,
    )


def _attempt(
    engine: Engine, header: Header, criteria: Criteria, operator: str | None, run: Run
) -> UserPart:
    """Force one part; a refusal or a failure becomes the part's recorded state."""
    try:
        return force_part(
            engine, header.batch_id, criteria, operator, run.clock, run.step,
            run.part_token(criteria),
        )  # fmt: skip
    except UserResolutionError as exc:
        part = UserPart(str(criteria.user), PartStatus.REFUSED, message=str(exc))
    except Exception as exc:
        logger.warning("batch %s: part of %s failed", header.batch_id, criteria.user)
        part = UserPart(
            str(criteria.user),
            PartStatus.FAILED,
            message=transaction.first_line(exc),
        )
    _record(engine, header.batch_id, part)
    return part


class Run:
    """The clock and progress of one attempt at a batch."""

    def __init__(
        self,
        clock: dt.datetime,
        progress: Progress,
        total: int,
        expect: teamtoken.TeamToken | None = None,
    ) -> None:
        self.clock = clock
        self.expect = expect
        self.progress = progress
        self.total = max(1, total)
        self.index = 0
        self.user = ""

    def part_token(self, criteria: Criteria) -> PreviewToken | None:
        """What a user's part expects under its lock (None: no team token)."""
        if self.expect is None:
            return None
        return teamtoken.part_token(self.expect, criteria, str(criteria.user))

    def step(self, what: str, fraction: float) -> None:
        """A part's progress as the batch's: ``USER: step`` and the overall fraction."""
        self.progress(f"{self.user}: {what}", (self.index + fraction) / self.total)


def _run_parts(
    engine: Engine,
    header: Header,
    criteria: Criteria,
    operator: str | None,
    run: Run,
) -> tuple[list[UserPart], UserPart | None]:
    """Force the parts not done, in order, until one fails; (parts, the failed)."""
    with db.reading(engine) as conn:
        recorded = batchlog.parts(conn, header.batch_id)
    out: list[UserPart] = []
    failed: UserPart | None = None
    for run.index, part in enumerate(recorded):
        run.user = part.user
        if part.status == PartStatus.DONE:
            out.append(_earlier(engine, part))
        elif failed is not None:
            out.append(UserPart(part.user, PartStatus.PENDING))
        else:
            done = _attempt(engine, header, criteria.for_user(part.user), operator, run)
            failed = done if done.status == PartStatus.FAILED else None
            out.append(done)
    return out, failed


@contextlib.contextmanager
def keep_open(engine: Engine) -> Iterator[None]:
    """Hold a DuckDB database open across the parts, checkpointed once (else: nothing).

    Each part opens and closes its own connection; on DuckDB, closing the last one
    closes the database, which checkpoints the whole file, and a commit that leaves
    the write-ahead log over ``checkpoint_threshold`` (16 MiB) checkpoints it too: at
    20,000 records a part, nearly every part did, each rewriting the tables it
    changed. An idle connection held for the batch, with the threshold raised for
    its duration, makes that one checkpoint at the end. Each commit is still durable
    (its log is written and synced); the log is only replayed later.
    """
    if not dbcaps.capabilities(engine).file_lock:
        yield
        return
    with db.reading(engine) as conn:
        conn.execute(sa.text("SET GLOBAL checkpoint_threshold = '1TB'"))
        conn.commit()  # no transaction left open on the idle connection
        try:
            yield
        finally:
            try:
                conn.execute(sa.text("RESET GLOBAL checkpoint_threshold"))
                conn.commit()
            except Exception:  # the database closes with the batch anyway
                logger.warning("checkpoint threshold not reset", exc_info=True)


def _start(
    engine: Engine,
    criteria: Criteria | None,
    operator: str | None,
    clock: dt.datetime,
    batch: str | None,
    expect: str | None,
) -> tuple[Header, teamtoken.TeamToken | None]:
    """The batch to run and, with ``expect``, the token checked before anything is
    written: a changed queue leaves no trace (no batch row either)."""
    tok = None
    if expect is not None:
        tok = teamcheck.precheck(
            engine, criteria, expect, operator=operator, clock=clock, batch=batch
        )
    return open_batch(engine, criteria, operator, clock, batch), tok


def force_batch(
    engine: Engine,
    criteria: Criteria | None,
    *,
    operator: str | None = None,
    now: When = None,
    batch: str | None = None,
    progress: Progress | None = None,
    expect: str | None = None,
) -> BatchResult:
    """Force a team run: each user's part in its own transaction, in user order.

    Running it again with the same criteria (or ``batch=ID``) completes an unfinished
    batch: only the parts not done are forced, so nothing is written twice.

    Args:
        engine: the database.
        criteria: criteria with a team selector; None with ``batch`` (its own).
        operator: the connected user (needs FUNSYD6).
        now: the clock of the runs (UTC); default the current time.
        batch: the id of a recorded batch to complete.
        progress: called as ``progress("USER: step", fraction)``.
        expect: the token of the team preview the operator saw
            (``BatchPreview.token``): every user's counts are compared with it
            before anything is written, then each part's under its own lock.

    Returns:
        The batch id and, per user, DONE (with its run and counts) or REFUSED.

    Raises:
        CriteriaError: bad selectors, or ``batch`` made with other criteria.
        UserResolutionError: the operator may not force, or no user can be forced.
        RunNotFoundError: ``batch`` is unknown or was undone.
        BatchPartError: a user's part failed, or its queue changed since the
            preview (``expect``); the users before it are committed.
        TeamChangedError: the queue changed since the team preview; nothing written.
    """
    if criteria is None and not batch:
        raise CriteriaError("batch", "", "Give the criteria or the batch to complete.")
    clock = parse_clock(now)
    header, tok = _start(engine, criteria, operator, clock, batch, expect)
    crit = criteria or stored_criteria(header)
    step = progress or no_progress
    run = Run(clock, step, 0, tok)
    with db.reading(engine) as conn:
        run.total = max(1, len(batchlog.parts(conn, header.batch_id)))
        op = context.check_operator(conn, operator)
    with keep_open(engine):
        parts, failed = _run_parts(engine, header, crit, operator, run)
    changed = sum(2 * p.written for p in parts if not p.earlier)
    transaction.refresh_after_commit(engine, forcing.FORCE_TABLES, changed)
    if failed is None:
        with db.writing(engine) as conn:
            batchlog.set_status(conn, header.batch_id, BatchStatus.DONE)
    step("done", 1.0)
    result = BatchResult(header.batch_id, op, clock, tuple(parts), failed is None)
    if failed is not None:
        raise part_failed(result, failed)
    return result


def part_failed(result: BatchResult, failed: UserPart) -> BatchPartError:
    """The error of a batch stopped by ``failed``, carrying the result per user."""
    return BatchPartError(
        result.batch_id,
        failed.user,
        f"Team run {result.batch_id}: the part of user {failed.user} failed and "
        f"was rolled back ({str(failed.message).rstrip('.')}); the users before "
        f"it are committed and the others untouched: run the same team run again "
        f"to complete it.",
        result,
    )
