"""Each user's counts of a team run, and the check of a team force against its token.

``user_previews`` counts, for every user of a team, what that user's part would do:
read-only, one set-based count per user, as ``marking.preview`` counts for one user.
``batch.preview_batch`` shows those counts; ``precheck`` counts them again when a
team force comes with a token (``force_batch(expect=...)``) and compares them with
the token before anything is written (no batch row either).
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.engine import Connection, Engine

from . import batchlog, context, db, teams, teamtoken
from .batchlog import Header
from .criteria import Criteria
from .errors import UserResolutionError
from .marking.plan import make_plan
from .marking.previewing import PageFilter, outcome_counts
from .states import BatchStatus, PartStatus
from .teamresults import UserPreview


def stored_criteria(header: Header) -> Criteria:
    """The criteria a batch was made with."""
    return Criteria.from_params(json.loads(header.criteria))


def user_previews(
    conn: Connection, criteria: Criteria, operator: str | None, clock: dt.datetime
) -> tuple[list[UserPreview], dict[str, str]]:
    """(each user's counts, ``{user: why}`` of the users refused), in user order."""
    users: list[UserPreview] = []
    refused: dict[str, str] = {}
    for user in teams.team_users(conn, criteria):
        try:
            plan = make_plan(conn, criteria.for_user(user), operator, clock)
        except UserResolutionError as exc:
            refused[user] = str(exc)
            continue
        counts, oop, _ = outcome_counts(
            conn, plan.classified.subquery("cls"), PageFilter()
        )
        ctx = plan.ctx
        users.append(
            UserPreview(user, ctx.company, ctx.rep, counts, oop, plan.warnings)
        )
    return users, refused


def resumed(
    conn: Connection, criteria: Criteria | None, batch: str | None
) -> tuple[Criteria | None, set[str]]:
    """The criteria of the team run a force would run, and its users already DONE.

    A force completes ``batch``, else the open batch of the same criteria, else
    starts a new one (``batch.open_batch``); this reads which, writing nothing. An
    unknown or undone ``batch`` gives ``(None, set())``: the force refuses it.
    """
    if batch:
        header = batchlog.find(conn, str(batch).strip())
        if header is None or header.status == BatchStatus.UNDONE:
            return None, set()
    else:
        assert criteria is not None
        header = batchlog.find_open(conn, criteria.to_json())
    if header is None:
        return criteria, set()
    done = {
        p.user
        for p in batchlog.parts(conn, header.batch_id)
        if p.status == PartStatus.DONE
    }
    return criteria or stored_criteria(header), done


def precheck(
    engine: Engine,
    criteria: Criteria | None,
    expect: str,
    *,
    operator: str | None,
    clock: dt.datetime,
    batch: str | None = None,
) -> teamtoken.TeamToken:
    """Before a team force writes anything: every user's counts now, against ``expect``.

    The users whose part an earlier attempt did (a resumed team run) are not
    compared: their part is not forced again.

    Returns:
        The decoded token, for the check of each part under its lock.

    Raises:
        CriteriaError: the token is malformed, one user's, or for other criteria.
        UserResolutionError: the operator may not force.
        TeamChangedError: a user's counts differ, or a user joined or left the team.
    """
    tok = teamtoken.decode(expect)  # a malformed token is refused before reading
    with db.reading(engine) as conn:
        db.require_schema(conn)
        context.check_operator(conn, operator)
        crit, done = resumed(conn, criteria, batch)
        if crit is None:
            return tok  # an unknown or undone batch: the force refuses it
        users, _ = user_previews(conn, crit, operator, clock)
    now = {u.user: u.counts for u in users}
    return teamtoken.check(tok, criteria=crit, now=now, done=done)
