"""Who runs and for whom: operator, USER, CPY, AUSCRMA / AUSCRMF, rights and gates.

SPEC §4.1-4.3. Every refusal is raised before anything is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import db, identity, tables
from .criteria import Criteria, ObjectType
from .errors import UserResolutionError
from .results import RunContext

logger = logging.getLogger(__name__)

#: The function code whose right FUNSYD6 needs (AFCTFCT.FCT, ACS=2).
FUNCTION_CODE = "FUNSYD6"
#: AUSCRMA values that are sales functions: sales engineer, tele-actor, sales
#: manager, reminder (ADP_CRM_AUSCRMA help page).
SALES_FUNCTIONS = frozenset({1, 2, 3, 4})
YES, NO = 2, 1


def named_operator(explicit: str | None = None) -> str | None:
    """The operator named by the caller or the environment, upper-cased; else None.

    ``explicit``, else JUPYTERHUB_USER, else FORCEDSYNC_USER; never the OS login.
    """
    named = identity.named_login(explicit)
    return named.login.upper() if named else None


def resolve_operator(explicit: str | None = None) -> str:
    """The connected person's login: ``explicit``, JUPYTERHUB_USER, FORCEDSYNC_USER.

    Never the operating-system login: a dashboard's server runs as a service account,
    not as the person at the browser (SPEC §7).

    Returns:
        The login, stripped; ``""`` when none is named.
    """
    named = identity.named_login(explicit)
    return named.login if named else ""


def _param(conn: Connection, name: str, user: str, company: str | None) -> str | None:
    """ADOVAL value of ``name`` at the most specific level that has a row.

    User level, else company level, else folder level; an empty value at a level that
    has a row is the answer (None), never a fall-back to the next level.
    """
    t = tables.of(conn).parameter_values()
    levels = [("USR", user), ("CPY", company or ""), ("GEN", "")]
    rows = conn.execute(
        sa.select(t.c.lev, t.c.levkey, t.c.valeur).where(
            t.c.param == name,
            sa.or_(
                *[sa.and_(t.c.lev == lev, t.c.levkey == key) for lev, key in levels]
            ),
        )
    ).all()
    found = {(r.lev, r.levkey or ""): r.valeur for r in rows}
    for lev, key in levels:
        if (lev, key) in found:
            # The most specific level that has a row holds, even with an empty value:
            # an empty AUSCRMF at user level means "no rep", not "the company's rep"
            # (SPEC §2).
            value = str(found[(lev, key)] or "").strip()
            return value or None
    return None


def folder_flag(conn: Connection, name: str) -> bool:
    """A folder-level yes/no parameter (ADOVAL LEV='GEN'); absent means yes."""
    t = tables.of(conn).parameter_values()
    value = conn.execute(
        sa.select(t.c.valeur).where(
            t.c.param == name, t.c.lev == "GEN", sa.func.coalesce(t.c.levkey, "") == ""
        )
    ).scalar()
    return value is None or str(value).strip() != str(NO)


def user_defaults(conn_or_engine: Connection | sa.Engine, user: str) -> RunContext:
    """Company, CRM function and rep of ``user`` (for form defaults); no rights checked.

    Raises:
        UserResolutionError: the user is unknown.
    """
    if isinstance(conn_or_engine, sa.Engine):
        with db.reading(conn_or_engine) as conn:
            return user_defaults(conn, user)
    conn = conn_or_engine
    code = user.strip().upper()
    u = tables.of(conn).autilis
    row = conn.execute(sa.select(u).where(u.c.codusr == code)).first()
    if row is None:
        raise UserResolutionError(
            "USER", code, f"USER={code!r} is not a user of this folder (AUTILIS)."
        )
    company = (row.cpy or "").strip()
    return _crm(conn, operator=code, user=code, company=company, name=row.nomusr)


def _crm(
    conn: Connection, *, operator: str, user: str, company: str, name: str | None
) -> RunContext:
    raw_function = _param(conn, "AUSCRMA", user, company)
    try:
        function = int(raw_function) if raw_function is not None else None
    except ValueError:
        function = None
    rep = _param(conn, "AUSCRMF", user, company)
    return RunContext(
        operator=operator,
        user=user,
        company=company,
        crm_function=function,
        rep=rep.upper() if rep else None,
        user_name=name,
    )


@dataclass(frozen=True, slots=True)
class Standing:
    """A login's X3 user and, when it may not force, why and how to fix it."""

    login: str
    user: identity.X3User | None
    why: str | None = None
    fix: str | None = None

    @property
    def message(self) -> str | None:
        """The refusal as one sentence of the library; None when it may force."""
        if self.why is None:
            return None
        label = self.user.label if self.user else self.login
        if self.user is None:
            return f"Operator {label!r} {self.why}."
        return f"Operator {label!r} {self.why}: {self.fix}."


def standing(conn: Connection, login: str) -> Standing:
    """The X3 user of ``login`` and whether it is active with the FUNSYD6 right.

    Raises:
        UserResolutionError: the login is not one X3 could hold.
    """
    user = identity.find_user(conn, login)
    if user is None:
        return Standing(
            login,
            None,
            "is not a user of this folder (AUTILIS)",
            f"ask your X3 administrator to enter {login!r} as the LOGIN of your X3 "
            f"user (AUTILIS)",
        )
    if not user.active:
        return Standing(
            login,
            user,
            "is not active (AUTILIS.ENAFLG)",
            "ask your X3 administrator to activate it",
        )
    f = tables.of(conn).afctfct
    access = conn.execute(
        sa.select(f.c.acs).where(f.c.prffct == user.profile, f.c.fct == FUNCTION_CODE)
    ).scalar()
    if access != YES:
        return Standing(
            login,
            user,
            f"has no access to function {FUNCTION_CODE} in profile {user.profile!r}",
            "an X3 administrator must grant it in the function profile (AFCTFCT) first",
        )
    return Standing(login, user)


def check_operator(conn: Connection, operator: str | None) -> str:
    """Map the operator's login to its X3 user; check it is active with FUNSYD6.

    Raises:
        UserResolutionError: no operator named, a login X3 could not hold, or a user
            unknown, inactive or without the right.
    """
    named = identity.named_login(operator)
    if named is None:
        raise UserResolutionError("operator", "", identity.HOW_TO_NAME)
    found = standing(conn, named.login)
    if found.message is not None or found.user is None:
        raise UserResolutionError("operator", named.login, found.message or "")
    return found.user.code


def resolve(conn: Connection, criteria: Criteria, operator: str | None) -> RunContext:
    """Resolve and check operator, USER, CPY and the user's rep (SPEC §4.1-4.2).

    Raises:
        UserResolutionError: operator unknown, inactive or without the FUNSYD6 right;
            USER unknown or without SYNCPAR; company unknown; CRMSYNC off; a sales
            selection for a user without a rep or a sales function.
    """
    op = check_operator(conn, operator)
    target = criteria.user or op
    trow = target_user(conn, target)
    company = check_company(conn, criteria.cpy or (trow.cpy or "").strip(), target)
    if not folder_flag(conn, "CRMSYNC"):
        raise UserResolutionError(
            "CRMSYNC",
            NO,
            "Outlook synchronization is off in this folder (parameter CRMSYNC=1).",
        )
    ctx = _crm(conn, operator=op, user=target, company=company, name=trow.nomusr)
    if criteria.needs_rep:
        check_sales_rep(conn, ctx)
    return ctx


def target_user(conn: Connection, target: str) -> sa.Row[Any]:
    """USER's AUTILIS row; it must exist and have an Outlook setup (SYNCPAR)."""
    tb = tables.of(conn)
    u = tb.autilis
    trow = conn.execute(sa.select(u).where(u.c.codusr == target)).first()
    if trow is None:
        raise UserResolutionError(
            "USER", target, f"USER={target!r} is not a user of this folder (AUTILIS)."
        )
    sp = tb.syncpar
    if (
        conn.execute(sa.select(sp.c.sypusr).where(sp.c.sypusr == target)).first()
        is None
    ):
        raise UserResolutionError(
            "USER",
            target,
            f"USER={target!r} has no Outlook synchronization setup (SYNCPAR): "
            f"create it with GESSYP first.",
        )
    return trow


def check_company(conn: Connection, company: str, target: str) -> str:
    """CPY (given, else USER's default company); it must be a company of the folder."""
    if not company:
        raise UserResolutionError(
            "CPY", company, f"CPY is empty and USER={target!r} has no default company."
        )
    c = tables.of(conn).company
    if conn.execute(sa.select(c.c.cpy).where(c.c.cpy == company)).first() is None:
        raise UserResolutionError(
            "CPY", company, f"CPY={company!r} is not a company of this folder."
        )
    return company


def check_sales_rep(conn: Connection, ctx: RunContext) -> None:
    """A sales selection needs USER's rep (AUSCRMF, in SALESREP), a sales function."""
    target = ctx.user
    if not ctx.rep:
        raise UserResolutionError(
            "AUSCRMF",
            "",
            f"USER={target!r} has no sales rep (parameter AUSCRMF), so contacts, "
            f"tasks, calls and appointments of 'my rep' cannot be selected.",
        )
    if ctx.crm_function not in SALES_FUNCTIONS:
        raise UserResolutionError(
            "AUSCRMA",
            ctx.crm_function,
            f"USER={target!r} has CRM function AUSCRMA={ctx.crm_function}, not a "
            f"sales function (1-4), so a sales selection is not allowed.",
        )
    r = tables.of(conn).salesrep
    known = conn.execute(sa.select(r.c.repnum).where(r.c.repnum == ctx.rep)).first()
    if known is None:
        raise UserResolutionError(
            "AUSCRMF",
            ctx.rep,
            f"USER={target!r} has sales rep AUSCRMF={ctx.rep!r}, which is not a "
            f"sales rep of this folder (SALESREP).",
        )


@dataclass(frozen=True, slots=True)
class Gates:
    """Object types that may be forced, and the warnings of those that may not."""

    active: tuple[ObjectType, ...]
    skipped: tuple[ObjectType, ...]
    warnings: tuple[str, ...]


_WANTED_EXTRA = {
    ObjectType.COR: ("tskforcor", "cllforcor", "bapforcor", "bapforrep"),
}


def gates(conn: Connection, criteria: Criteria, ctx: RunContext) -> Gates:
    """SPEC §4.3: drop object types switched off in the folder or for the user."""
    wanted = list(criteria.object_types)
    if ObjectType.COR not in wanted and any(
        getattr(criteria, n) for n in _WANTED_EXTRA[ObjectType.COR]
    ):
        wanted.insert(0, ObjectType.COR)
    tb = tables.of(conn)
    sp = conn.execute(
        sa.select(tb.syncpar).where(tb.syncpar.c.sypusr == ctx.user)
    ).first()
    active: list[ObjectType] = []
    skipped: list[ObjectType] = []
    warnings: list[str] = []
    for t in wanted:
        low = str(t).lower()
        if not folder_flag(conn, f"CRMSYNC{t}"):
            skipped.append(t)
            warnings.append(
                f"{t} skipped: the object is not synchronized in this folder "
                f"(CRMSYNC{t}=1)."
            )
            continue
        cre = getattr(sp, f"{low}otkcre", None) if sp is not None else None
        upd = getattr(sp, f"{low}otkupd", None) if sp is not None else None
        if cre == NO and upd == NO:
            skipped.append(t)
            warnings.append(
                f"{t} skipped: user {ctx.user} may neither create nor update it in "
                f"Outlook (SYNCPAR {t}OTKCRE=1 and {t}OTKUPD=1)."
            )
            continue
        active.append(t)
    trow = conn.execute(
        sa.select(tb.autilis.c.enaflg).where(tb.autilis.c.codusr == ctx.user)
    ).scalar()
    if trow != YES:
        warnings.append(f"User {ctx.user} is not active (AUTILIS.ENAFLG).")
    return Gates(tuple(active), tuple(skipped), tuple(warnings))
