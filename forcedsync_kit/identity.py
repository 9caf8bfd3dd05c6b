"""Who is acting: a person's login mapped to an X3 user (SPEC §7).

A login comes from one trusted source: ``--operator`` on the command line, the
JupyterHub user of the person's own server (``JUPYTERHUB_USER``), a request header set
by an authenticating proxy, or ``FORCEDSYNC_USER`` for one person on their own machine.
It is never the operating-system login of the process. The login is mapped to the
AUTILIS row whose LOGIN equals it (case-insensitive), else the row whose CODUSR equals
it upper-cased; whether that user may force is decided in ``context``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import tables
from .errors import BackendError, UserResolutionError

#: Longest login accepted (AUTILIS.LOGIN holds 80 characters).
MAX_LOGIN_LEN = 80
#: The environment variables naming the operator, strongest first (after --operator).
OPERATOR_VARIABLES = ("JUPYTERHUB_USER", "FORCEDSYNC_USER")
#: How to name the operator, for the message shown when none is named.
HOW_TO_NAME = (
    "No operator is named: give --operator with your X3 login or user code, or set "
    "JUPYTERHUB_USER or FORCEDSYNC_USER to it."
)


@dataclass(frozen=True, slots=True)
class Login:
    """A login and its source (``operator``, ``JUPYTERHUB_USER``, a header)."""

    login: str
    source: str


@dataclass(frozen=True, slots=True)
class X3User:
    """The AUTILIS row a login maps to (code, name, active flag, function profile)."""

    login: str
    code: str
    name: str | None
    active: bool
    profile: str | None

    @property
    def label(self) -> str:
        """``a.martin (ADMIN)``, or just ``ADMIN`` when the login is the code."""
        if self.login.upper() == self.code:
            return self.code
        return f"{self.login} ({self.code})"


def check_login(value: str, source: str = "operator") -> str:
    """A login or X3 code, stripped; refused when X3 could not hold it.

    X3 codes are ASCII: a value that upper-casing changes other than by turning ASCII
    letters into capitals (the dotless ``ı`` of ``admın``, the long ``ſ`` of
    ``ſales1``, ``ß``) would silently become another user's code, so it is refused.

    Raises:
        UserResolutionError: empty, too long, a control character, or a character
            upper-casing changes that is not an ASCII letter.
    """
    text = value.strip()
    if not text:
        raise UserResolutionError(source, value, f"{source} is empty: {HOW_TO_NAME}")
    if len(text) > MAX_LOGIN_LEN:
        raise UserResolutionError(
            source, value, f"{source} {text[:30]!r}... is not a login (too long)."
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise UserResolutionError(
            source, value, f"{source} {text!r} is not a login (control character)."
        )
    odd = [ch for ch in text if ch.upper() != ch and not ("a" <= ch <= "z")]
    if odd:
        raise UserResolutionError(
            source,
            value,
            f"{source} {text!r} is not an X3 login or code: {odd[0]!r} is not an "
            f"ASCII letter and X3 codes are ASCII, so type it with plain letters.",
        )
    return text


def named_login(
    explicit: str | None = None, env: Mapping[str, str] | None = None
) -> Login | None:
    """The login named by ``explicit``, else JUPYTERHUB_USER, else FORCEDSYNC_USER.

    Never the operating-system login. Returns ``None`` when none is named.

    Raises:
        UserResolutionError: the named login is not one X3 could hold.
    """
    environ = os.environ if env is None else env
    candidates = [("operator", explicit)]
    candidates += [(name, environ.get(name)) for name in OPERATOR_VARIABLES]
    for source, value in candidates:
        if value is not None and value.strip():
            return Login(check_login(value, source), source)
    return None


def find_user(conn: Connection, login: str) -> X3User | None:
    """The AUTILIS row of ``login``: by LOGIN (case-insensitive), else by CODUSR.

    Raises:
        UserResolutionError: the login is not one X3 could hold, or several users
            have it as LOGIN.
    """
    text = check_login(login)
    u = tables.of(conn).autilis
    by_login = sa.func.upper(sa.func.trim(u.c.login)) == text.upper()
    query = (
        sa.select(u.c.codusr, u.c.nomusr, u.c.enaflg, u.c.prffct, by_login.label("hit"))
        .where(sa.or_(by_login, u.c.codusr == text.upper()))
        .order_by(u.c.codusr)
    )
    try:
        rows = conn.execute(query).all()
    except sa.exc.ProgrammingError as exc:  # a folder created before AUTILIS.LOGIN
        if "login" not in str(exc).lower():
            raise
        raise BackendError(
            "Table autilis has no column LOGIN (the database predates it): run "
            "'ALTER TABLE autilis ADD COLUMN login VARCHAR(80)', or recreate the demo "
            "with 'forcedsync demo --replace'."
        ) from exc
    hits = [r for r in rows if r.hit] or list(rows)
    if len(hits) > 1:
        codes = ", ".join(r.codusr for r in hits)
        raise UserResolutionError(
            "LOGIN",
            text,
            f"Login {text!r} is the LOGIN of several X3 users ({codes}): keep it on "
            f"one user only (AUTILIS.LOGIN).",
        )
    if not hits:
        return None
    row = hits[0]
    return X3User(
        login=text,
        code=row.codusr,
        name=row.nomusr,
        active=row.enaflg == 2,
        profile=row.prffct,
    )


#: Set by ``forcedsync dashboard`` in Voila's environment: where each dashboard session
#: takes its login (``header:NAME``, ``operator:LOGIN``, ``demo:LOGIN``); absent, it is
#: ``named_login()`` (JUPYTERHUB_USER, then FORCEDSYNC_USER).
IDENTITY_VARIABLE = "FORCEDSYNC_IDENTITY"


def header_variable(header: str) -> str:
    """The kernel variable Voila sets from a request header (RFC 3875 §4.1.18)."""
    return "HTTP_" + header.strip().upper().replace("-", "_")


def session_login(env: Mapping[str, str] | None = None) -> Login:
    """The login of one dashboard session, from the source the server was given.

    Raises:
        UserResolutionError: the request lacks the identity header, no login is named,
            or the login is not one X3 could hold.
    """
    environ = os.environ if env is None else env
    kind, _, value = environ.get(IDENTITY_VARIABLE, "").partition(":")
    if kind == "header":
        login = environ.get(header_variable(value), "")
        if not login.strip():
            raise UserResolutionError(
                value,
                "",
                f"No login reached this dashboard: the request has no {value} header; "
                f"open the dashboard through the sign-in proxy of your organisation.",
            )
        return Login(check_login(login, value), value)
    if kind in ("operator", "demo"):
        return Login(check_login(value, "operator"), kind)
    named = named_login(None, environ)
    if named is None:
        raise UserResolutionError("operator", "", HOW_TO_NAME)
    return named
