"""Who a team run is for: the users its selectors (USERS, USRFCY, USRCPY, USRREP...)
name, and which of them can be forced.

``USERS`` names users; ``USRFCY`` (the site of the user's rep), ``USRCPY`` (the user's
company, AUTILIS.CPY) and ``USRREPDEB``/``USRREPFIN`` (the user's rep, AUSCRMF) select
users that have an Outlook synchronization setup (SYNCPAR). Every selector given
restricts the others (as the criteria of one screen do). Each user is then checked
exactly as a run for that user alone would be (``context.resolve``): a user who cannot
be forced is *refused* with the reason, and the batch goes on with the others.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import context, tables
from .criteria import Criteria
from .errors import CriteriaError, UserResolutionError


def effective_rep(
    cpy: str | None, tb: tables.Tables = tables.TOOLKIT
) -> tuple[sa.FromClause, sa.ColumnElement[str]]:
    """AUTILIS joined to each user's AUSCRMF, and that rep (SPEC §2), in one SELECT.

    The most specific level that has a row holds (user, else company, else folder),
    even with an empty value. The company is ``cpy`` when given, else the user's.
    """
    u, a = tb.autilis, tb.parameter_values()
    usr, com, gen = a.alias("rep_usr"), a.alias("rep_cpy"), a.alias("rep_gen")
    company = (
        sa.literal(cpy, sa.String) if cpy else sa.func.coalesce(tb.value(u.c.cpy), "")
    )
    joined = (
        u.outerjoin(
            usr,
            sa.and_(
                usr.c.param == "AUSCRMF", usr.c.lev == "USR", usr.c.levkey == u.c.codusr
            ),
        )
        .outerjoin(
            com,
            sa.and_(
                com.c.param == "AUSCRMF", com.c.lev == "CPY", com.c.levkey == company
            ),
        )
        .outerjoin(
            gen,
            sa.and_(
                gen.c.param == "AUSCRMF",
                gen.c.lev == "GEN",
                sa.func.coalesce(gen.c.levkey, "") == "",
            ),
        )
    )
    value = sa.case(
        (usr.c.param.is_not(None), usr.c.valeur),
        (com.c.param.is_not(None), com.c.valeur),
        else_=gen.c.valeur,
    )
    return joined, sa.func.upper(sa.func.nullif(sa.func.trim(value), ""))


def _selected(conn: Connection, criteria: Criteria) -> list[str]:
    """Users with a SYNCPAR setup that pass USRFCY, USRCPY and the USRREP range."""
    tb = tables.of(conn)
    joined, rep = effective_rep(criteria.cpy, tb)
    u, p, r = tb.autilis, tb.syncpar, tb.salesrep
    stmt = sa.select(u.c.codusr).select_from(joined.join(p, p.c.sypusr == u.c.codusr))
    if criteria.usrcpy:
        stmt = stmt.where(u.c.cpy == criteria.usrcpy)
    if criteria.usrrepdeb:
        stmt = stmt.where(rep >= criteria.usrrepdeb)
    if criteria.usrrepfin:
        stmt = stmt.where(rep <= criteria.usrrepfin)
    if criteria.usrfcy:
        at_site = sa.select(r.c.repnum).where(r.c.fcy == criteria.usrfcy)
        stmt = stmt.where(rep.in_(at_site))
    if criteria.users:
        stmt = stmt.where(u.c.codusr.in_(criteria.users))
    return [str(code) for (code,) in conn.execute(stmt.order_by(u.c.codusr))]


def team_users(conn: Connection, criteria: Criteria) -> list[str]:
    """The users of a team run, in code order.

    ``USERS`` alone names the users as given (an unknown one is refused later, with
    the reason); with any other selector, the users that have a SYNCPAR setup and
    pass every selector given.

    Raises:
        CriteriaError: the criteria hold no team selector, or the selectors select
            no user.
    """
    if not criteria.team:
        raise CriteriaError(
            "USERS",
            "",
            "No team selector is given: set USERS, USRFCY, USRCPY or "
            "USRREPDEB/USRREPFIN.",
        )
    if criteria.users and not (
        criteria.usrfcy or criteria.usrcpy or criteria.usrrepdeb or criteria.usrrepfin
    ):
        return sorted(criteria.users)
    found = _selected(conn, criteria)
    if not found:
        shown = " ".join(f"{k}={v}" for k, v in criteria.team_params().items())
        name = next(iter(criteria.team_params()))
        raise CriteriaError(
            name,
            criteria.team_params()[name],
            f"{shown} selects no user that has an Outlook synchronization setup "
            f"(SYNCPAR).",
        )
    return found


def refusal(
    conn: Connection, criteria: Criteria, operator: str | None, user: str
) -> str | None:
    """Why ``user``'s part cannot be forced (``context.resolve``'s refusal), or None."""
    try:
        context.resolve(conn, criteria.for_user(user), operator)
    except UserResolutionError as exc:
        return str(exc)
    return None


def nothing_left(refused: dict[str, str]) -> UserResolutionError:
    """The error of a team run none of whose users can be forced."""
    reasons = "; ".join(f"{user}: {why.rstrip('.')}" for user, why in refused.items())
    return UserResolutionError(
        "USERS",
        ",".join(refused),
        f"No user of the team can be forced ({reasons}).",
    )


def setup_users(conn: Connection) -> list[tuple[str, str]]:
    """``(code, name)`` of every user that has an Outlook synchronization setup
    (SYNCPAR), in code order: the users a team run can be for (the dashboard's
    picker)."""
    tb = tables.of(conn)
    u, p = tb.autilis, tb.syncpar
    stmt = (
        sa.select(u.c.codusr, tb.value(u.c.nomusr))
        .select_from(u.join(p, p.c.sypusr == u.c.codusr))
        .distinct()
        .order_by(u.c.codusr)
    )
    return [(str(code), str(name or "")) for code, name in conn.execute(stmt)]
