"""SPEC §7: who is acting — a login mapped to an X3 user, never the OS login."""

from __future__ import annotations

import getpass
import os
import re
import subprocess
import sys

import pytest
import sqlalchemy as sa
from builders import NOW, World, count, syncdata_rows

from forcedsync_kit import (
    Criteria,
    UserResolutionError,
    context,
    db,
    force,
    get_run,
    identity,
    preview,
    resolve_operator,
    session_login,
)
from forcedsync_kit import schema as s
from forcedsync_kit.dashboard import environment, identity_setting
from forcedsync_kit.errors import BackendError, ServeError
from forcedsync_kit.ui import App, Refusal, open_dashboard

TASKS = Criteria(seltsk=True)
HEADER = "X-Forwarded-User"
#: Logins X3 could not hold: upper() turns them into another user's code.
NOT_ASCII = ["admın", "ſales1", "straße", "ﬀ"]


def folder(engine: sa.Engine) -> World:
    """ADMIN (login a.martin, may force), SALES1 (login p.durand, no FUNSYD6 right),
    SALES2 (no login), OLD (login o.ld, inactive), three tasks of ADMIN's rep."""
    w = World(engine).base()
    w.user("SALES1", rep="R2", profile="SALES")
    w.user("SALES2", rep="R3", profile="ADMIN")
    w.user("OLD", rep="R3", active=False)
    for i in range(1, 4):
        w.task(f"T{i}")
    w.commit()
    logins = {"ADMIN": " A.Martin ", "SALES1": "p.durand", "SALES2": "", "OLD": "o.ld"}
    with db.writing(engine) as conn:
        for code, login in logins.items():
            conn.execute(
                sa.update(s.autilis)
                .where(s.autilis.c.codusr == code)
                .values(login=login)
            )
    return w


def mapped(engine: sa.Engine, login: str) -> str | None:
    with db.reading(engine) as conn:
        user = identity.find_user(conn, login)
    return user.code if user else None


# -- mapping ---------------------------------------------------------------------------


def test_a_login_maps_by_login_case_insensitive_else_by_code(engine: sa.Engine) -> None:
    folder(engine)
    assert mapped(engine, "a.martin") == "ADMIN"
    assert mapped(engine, "A.MARTIN") == "ADMIN"
    assert mapped(engine, "p.durand") == "SALES1"
    assert mapped(engine, "sales2") == "SALES2"  # no LOGIN: by code, upper-cased
    assert mapped(engine, "admin") == "ADMIN"
    assert mapped(engine, "nobody") is None
    assert mapped(engine, "%") is None and mapped(engine, "a.marti_") is None


def test_a_login_wins_over_another_users_code(engine: sa.Engine) -> None:
    folder(engine)
    with db.writing(engine) as conn:
        conn.execute(
            sa.update(s.autilis)
            .where(s.autilis.c.codusr == "SALES2")
            .values(login="sales1")
        )
    assert mapped(engine, "SALES1") == "SALES2"


def test_a_login_held_by_two_users_is_refused(engine: sa.Engine) -> None:
    folder(engine)
    with db.writing(engine) as conn:
        conn.execute(
            sa.update(s.autilis)
            .where(s.autilis.c.codusr == "SALES2")
            .values(login="P.DURAND")
        )
    with pytest.raises(
        UserResolutionError, match=r"several X3 users \(SALES1, SALES2\)"
    ):
        mapped(engine, "p.durand")


def test_a_login_forces_as_its_x3_user(engine: sa.Engine) -> None:
    folder(engine)
    run = force(engine, TASKS, operator="a.martin", now=NOW)
    assert run.written == 3
    assert get_run(engine, run.run_id).operator == "ADMIN"
    with engine.connect() as conn:
        who = conn.execute(
            sa.select(s.syncdata.c.creusr, s.syncdata.c.updusr).distinct()
        ).all()
    assert [tuple(r) for r in who] == [("ADMIN", "ADMIN")]


@pytest.mark.parametrize(
    ("login", "why"),
    [
        ("p.durand", "'p.durand (SALES1)' has no access to function FUNSYD6"),
        ("o.ld", "'o.ld (OLD)' is not active"),
        ("nobody", "'nobody' is not a user of this folder"),
    ],
)
def test_a_login_that_may_not_force_writes_nothing(
    engine: sa.Engine, login: str, why: str
) -> None:
    folder(engine)
    before = syncdata_rows(engine)
    with pytest.raises(UserResolutionError, match=re.escape(why)):
        force(engine, TASKS, operator=login, now=NOW)
    with pytest.raises(UserResolutionError, match=re.escape(why)):
        preview(engine, TASKS, operator=login, now=NOW)
    assert syncdata_rows(engine) == before and count(engine, s.fsyrun) == 0


# -- precedence ------------------------------------------------------------------------


def test_precedence_is_operator_then_jupyterhub_then_forcedsync_user() -> None:
    env = {"JUPYTERHUB_USER": "hub.user", "FORCEDSYNC_USER": "local"}
    assert identity.named_login("cli", env) == identity.Login("cli", "operator")
    assert identity.named_login(None, env) == identity.Login(
        "hub.user", "JUPYTERHUB_USER"
    )
    assert identity.named_login("  ", {"FORCEDSYNC_USER": "local"}) == identity.Login(
        "local", "FORCEDSYNC_USER"
    )
    assert identity.named_login(None, {}) is None


def test_never_the_os_login(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    folder(engine)
    for name in ("FORCEDSYNC_USER", "JUPYTERHUB_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("USER", "admin")
    monkeypatch.setenv("LOGNAME", "admin")
    monkeypatch.setattr(getpass, "getuser", lambda: "admin")
    assert resolve_operator() == ""
    with pytest.raises(UserResolutionError) as info:
        force(engine, TASKS, now=NOW)
    assert str(info.value) == identity.HOW_TO_NAME
    assert "--operator" in str(info.value) and "FORCEDSYNC_USER" in str(info.value)
    assert count(engine, s.fsyrun) == 0


# -- logins X3 could not hold ----------------------------------------------------------


@pytest.mark.parametrize("login", NOT_ASCII)
def test_a_login_that_upper_would_change_is_refused_from_every_source(
    engine: sa.Engine, login: str
) -> None:
    folder(engine)
    before = syncdata_rows(engine)
    sources = [
        lambda: force(engine, TASKS, operator=login, now=NOW),
        lambda: identity.named_login(None, {"JUPYTERHUB_USER": login}),
        lambda: identity.named_login(None, {"FORCEDSYNC_USER": login}),
        lambda: session_login(
            {"FORCEDSYNC_IDENTITY": f"header:{HEADER}", "HTTP_X_FORWARDED_USER": login}
        ),
    ]
    for call in sources:
        with pytest.raises(UserResolutionError, match="X3 codes are ASCII"):
            call()
    assert syncdata_rows(engine) == before and count(engine, s.fsyrun) == 0


@pytest.mark.parametrize("code", ["ſales1", "admın"])
def test_a_user_parameter_that_upper_would_change_is_refused(
    backend: str, code: str
) -> None:
    engine = db.connect(backend)
    folder(engine)
    before = syncdata_rows(engine)
    args = [sys.executable, "-m", "forcedsync_kit", "force", "--db", backend]
    args += ["--operator", "ADMIN", "-p", "SELTSK=1", "-p", f"USER={code}", "--yes"]
    res = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert res.returncode != 0
    assert f"USER='{code}'" in res.stderr and "ASCII" in res.stderr
    assert syncdata_rows(engine) == before and count(engine, s.fsyrun) == 0


# -- the dashboard's sessions ----------------------------------------------------------


def header_env(login: str | None) -> dict[str, str]:
    env = {"FORCEDSYNC_IDENTITY": f"header:{HEADER}", "FORCEDSYNC_USER": "ADMIN"}
    if login is not None:
        env["HTTP_X_FORWARDED_USER"] = login
    return env


def test_a_session_acts_as_the_login_of_its_header(engine: sa.Engine) -> None:
    folder(engine)
    page = open_dashboard(engine, env=header_env("a.martin"), now=NOW)
    assert isinstance(page, App)
    assert page.api.login == "a.martin" and page.api.operator == "ADMIN"
    page.form.fields["SELTSK"].value = True
    page.preview_button.click()
    assert page.grid.result is not None and page.grid.result.context.operator == "ADMIN"
    who = page.root.children[0].value
    assert "Connected as <b>a.martin</b> (ADMIN)" in who
    page.close()


def test_a_session_without_the_header_is_refused_whatever_the_server_holds(
    engine: sa.Engine,
) -> None:
    folder(engine)
    page = open_dashboard(engine, env=header_env(None), now=NOW)
    assert isinstance(page, Refusal)
    assert page.text.startswith(
        f"No login reached this dashboard: the request has no {HEADER}"
    )


def test_a_person_who_may_not_force_sees_one_line_who_why_how(
    engine: sa.Engine,
) -> None:
    folder(engine)
    page = open_dashboard(engine, env=header_env("p.durand"), now=NOW)
    assert isinstance(page, Refusal)
    assert page.text == (
        "You are signed in as p.durand (X3 user SALES1), who has no access to function "
        "FUNSYD6 in profile 'SALES', so you cannot preview or force: an X3 "
        "administrator must grant it in the function profile (AFCTFCT) first."
    )
    unknown = open_dashboard(engine, env=header_env("zoe"), now=NOW)
    assert isinstance(unknown, Refusal)
    assert unknown.text == (
        "You are signed in as zoe, who is not a user of this folder (AUTILIS), so you "
        "cannot preview or force: ask your X3 administrator to enter 'zoe' as the "
        "LOGIN of your X3 user (AUTILIS)."
    )


def test_the_demo_operator_is_labelled_as_such(engine: sa.Engine) -> None:
    folder(engine)
    page = open_dashboard(engine, env={"FORCEDSYNC_IDENTITY": "demo:a.martin"}, now=NOW)
    assert isinstance(page, App)
    assert "Connected as <b>a.martin</b> (ADMIN, demo operator)" in (
        page.root.children[0].value
    )
    page.close()


def test_no_named_operator_shows_how_to_name_one(engine: sa.Engine) -> None:
    folder(engine)
    page = open_dashboard(engine, env={}, now=NOW)
    assert isinstance(page, Refusal) and page.text == identity.HOW_TO_NAME


def test_the_demo_folder_has_logins(tmp_path: object) -> None:
    from forcedsync_kit import connect, demo

    engine = connect(f"duckdb:///{tmp_path}/demo.duckdb")
    demo.build(engine, scale=1)
    assert mapped(engine, "a.martin") == "ADMIN"
    assert mapped(engine, "p.durand") == "SALES1"
    with db.reading(engine) as conn:
        assert context.standing(conn, "a.martin").why is None
        assert "FUNSYD6" in (context.standing(conn, "p.durand").why or "")


# -- serving ---------------------------------------------------------------------------


def test_a_reachable_host_needs_an_identity_source() -> None:
    with pytest.raises(ServeError, match="no identity source"):
        identity_setting("0.0.0.0", env={})
    with pytest.raises(ServeError, match="only on a loopback --host"):
        identity_setting("0.0.0.0", operator="ADMIN", env={})
    with pytest.raises(ServeError, match="only on a loopback --host"):
        identity_setting("10.1.2.3", demo=True, env={})
    with pytest.raises(ServeError, match="X3 codes are ASCII"):
        identity_setting("127.0.0.1", operator="admın", env={})
    with pytest.raises(ServeError, match="not an HTTP header name"):
        identity_setting("0.0.0.0", header="X User", env={})
    assert identity_setting("0.0.0.0", header=HEADER, env={}) == f"header:{HEADER}"
    assert identity_setting("0.0.0.0", env={"JUPYTERHUB_USER": "zoe"}) is None
    assert identity_setting("::1", operator="a.martin", env={}) == "operator:a.martin"
    assert identity_setting("localhost", demo=True, env={}) == "demo:a.martin"


def test_the_server_environment_never_names_the_person() -> None:
    base = {
        "PATH": "/usr/bin",
        "FORCEDSYNC_USER": "ADMIN",
        "JUPYTERHUB_USER": "boss",
        "HTTP_X_FORWARDED_USER": "a.martin",
        "FORCEDSYNC_IDENTITY": "demo:a.martin",
    }
    env = environment("x.duckdb", base, identity=f"header:{HEADER}", host="0.0.0.0")
    assert env["FORCEDSYNC_IDENTITY"] == f"header:{HEADER}"
    for name in ("FORCEDSYNC_USER", "JUPYTERHUB_USER", "HTTP_X_FORWARDED_USER"):
        assert name not in env
    plain = environment("x.duckdb", base)
    assert "FORCEDSYNC_IDENTITY" not in plain and plain["FORCEDSYNC_USER"] == "ADMIN"


def test_dashboard_on_a_reachable_host_without_identity_exits_before_starting(
    tmp_path: object,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "JUPYTERHUB_USER"}
    args = [sys.executable, "-m", "forcedsync_kit", "dashboard", "--host", "0.0.0.0"]
    args += ["--db", f"{tmp_path}/x.duckdb", "--port", "1"]
    res = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)
    assert res.returncode == 1
    assert res.stdout == ""
    assert res.stderr.strip() == (
        "Error: --host 0.0.0.0 is reachable from other machines but no identity "
        "source is given: add --identity-header NAME behind an authenticating proxy, "
        "or serve from a JupyterHub single-user server."
    )


def test_a_folder_without_the_login_column_says_how_to_add_it(
    engine: sa.Engine,
) -> None:
    folder(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE autilis DROP COLUMN login"))
    with pytest.raises(BackendError, match="ADD COLUMN login VARCHAR"):
        mapped(engine, "a.martin")
    with pytest.raises(BackendError, match="predates it"):
        force(engine, TASKS, operator="ADMIN", now=NOW)
    assert count(engine, s.fsyrun) == 0
