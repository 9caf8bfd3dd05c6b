"""What you saw is what is forced, for team runs (issue 15): the team preview's token,
checked before a team force writes anything, then by each part under its lock; a
single user's token and a team's are not interchangeable. Library and CLI, both
backends (the job's and the dashboard's are in test_job_teams and test_ui_team)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from builders import count, syncdata_rows
from click.testing import CliRunner
from test_teams import TEAM, add_user

from forcedsync_kit import batch, demo, marking, teamtoken, token
from forcedsync_kit import schema as s
from forcedsync_kit.cli import cli as main
from forcedsync_kit.criteria import Criteria
from forcedsync_kit.errors import (
    BatchPartError,
    CriteriaError,
    PreviewChangedError,
    TeamChangedError,
)
from forcedsync_kit.teamresults import BatchResult, UserPart

NOW = "2026-11-29T12:00:00"
USERS = "ADMIN,SALES1,SALES3"


@pytest.fixture
def folder(engine: sa.Engine) -> sa.Engine:
    """The demo folder plus SALES3 (rep REP08)."""
    demo.build(engine, scale=1, seed=42)
    add_user(engine, "SALES3", "REP08")
    return engine


def team(users: str = USERS, **more: Any) -> Criteria:
    return Criteria.from_params({"USERS": users, **TEAM, **more})


def leave_outlook(engine: sa.Engine, user: str, crit: Criteria) -> tuple[str, str]:
    """One of ``user``'s inserted records gets a pending A row: it is now skipped.

    Returns:
        The record's (type, outcome before): that count drops by one, skip gains one.
    """
    rec = marking.preview(
        engine, crit.for_user(user), operator="ADMIN", now=NOW, outcome="insert"
    ).records[0]
    q = s.syncdata
    with engine.begin() as conn:
        top = conn.execute(sa.select(sa.func.max(q.c.sydnum))).scalar() or 0
        row = {"sydnum": int(top) + 1000, "sydusr": user, "sydatttyp": "A"}
        row.update(sydtyp=rec.object_type, sydkey=rec.record_key, sydotksta="0")
        conn.execute(sa.insert(q).values(row))
    return rec.object_type, "insert"


def nothing_recorded(engine: sa.Engine) -> bool:
    tables = (s.fsybatch, s.fsybusr, s.fsyrun, s.fsylog, s.fsyold)
    return all(count(engine, t) == 0 for t in tables)


def test_an_unchanged_queue_forces_exactly_what_the_team_preview_counted(
    folder: sa.Engine,
) -> None:
    crit = team()
    seen = batch.preview_batch(folder, crit, operator="ADMIN", now=NOW)
    res = batch.force_batch(folder, crit, operator="ADMIN", now=NOW, expect=seen.token)
    assert res.complete and [p.user for p in res.parts] == ["ADMIN", "SALES1", "SALES3"]
    for shown, part in zip(seen.users, res.parts, strict=True):
        assert part.status == "DONE" and dict(part.counts) == {
            t: dict(c) for t, c in shown.counts.items()
        }
    assert res.written == seen.to_write > 0


def test_a_queue_change_before_the_team_force_writes_nothing(
    folder: sa.Engine,
) -> None:
    crit = team()
    tok = batch.preview_batch(folder, crit, operator="ADMIN", now=NOW).token
    typ, was = leave_outlook(folder, "SALES1", crit)
    before = syncdata_rows(folder)
    with pytest.raises(TeamChangedError) as err:
        batch.force_batch(folder, crit, operator="ADMIN", now=NOW, expect=tok)
    assert isinstance(err.value, PreviewChangedError)
    assert list(err.value.users) == ["SALES1"]
    assert err.value.users["SALES1"] == {
        (typ, was): err.value.users["SALES1"][(typ, was)],
        (typ, "skip"): err.value.users["SALES1"][(typ, "skip")],
    }
    b, a = err.value.users["SALES1"][(typ, was)]
    assert a == b - 1
    assert err.value.differences == err.value.users["SALES1"]
    message = str(err.value)
    assert message.startswith(f"The queue changed since the preview (SALES1: {typ} ")
    assert f"{typ} skip " in message and "nothing was written" in message
    assert syncdata_rows(folder) == before and nothing_recorded(folder)


def test_a_user_joining_or_leaving_the_team_is_a_change(folder: sa.Engine) -> None:
    crit = team("ADMIN,NOREP,SALES3")
    seen = batch.preview_batch(folder, crit, operator="ADMIN", now=NOW)
    assert [u.user for u in seen.users] == ["ADMIN", "SALES3"]
    with folder.begin() as conn:  # NOREP gets a rep, SALES3 loses hers
        a = s.adoval
        for user, rep in (("NOREP", "REP08"), ("SALES3", "")):
            conn.execute(sa.delete(a).where(a.c.levkey == user, a.c.lev == "USR"))
            conn.execute(sa.insert(a), [
                {"param": "AUSCRMF", "lev": "USR", "levkey": user, "valeur": rep},
                {"param": "AUSCRMA", "lev": "USR", "levkey": user, "valeur": "1"},
            ])  # fmt: skip
    with pytest.raises(TeamChangedError) as err:
        batch.force_batch(folder, crit, operator="ADMIN", now=NOW, expect=seen.token)
    assert err.value.joined == ("NOREP",) and err.value.left == ("SALES3",)
    assert "NOREP joined the team: " in str(err.value)
    assert "SALES3 left the team: " in str(err.value)
    assert nothing_recorded(folder)


def test_single_user_and_team_tokens_are_not_interchangeable(
    folder: sa.Engine,
) -> None:
    crit = team()
    single = marking.preview(folder, crit.for_user("ADMIN"), operator="ADMIN", now=NOW)
    user_token = token.for_preview(single)
    team_token = batch.preview_batch(folder, crit, operator="ADMIN", now=NOW).token
    with pytest.raises(CriteriaError, match="given as expect is one user's token") as e:
        batch.force_batch(folder, crit, operator="ADMIN", now=NOW, expect=user_token)
    assert e.value.field == "expect" and len(str(e.value).split(". ")) == 1
    with pytest.raises(CriteriaError, match="given as expect is a team run's") as e:
        marking.force(
            folder, crit.for_user("ADMIN"), operator="ADMIN", now=NOW,
            expect=team_token,
        )  # fmt: skip
    assert e.value.field == "expect"
    with pytest.raises(CriteriaError, match="made for other criteria"):
        batch.force_batch(
            folder, team(ONLYOOP=1), operator="ADMIN", now=NOW, expect=team_token
        )
    with pytest.raises(CriteriaError, match="is damaged"):
        batch.force_batch(
            folder, crit, operator="ADMIN", now=NOW, expect=team_token[:-1] + "x"
        )
    assert nothing_recorded(folder)


def after_part(
    monkeypatch: pytest.MonkeyPatch, user: str, then: Callable[[], None]
) -> None:
    """Run ``then`` right after ``user``'s part is committed."""
    real = batch.force_part

    def hooked(*args: Any, **kwargs: Any) -> UserPart:
        part = real(*args, **kwargs)
        if part.user == user:
            then()
        return part

    monkeypatch.setattr(batch, "force_part", hooked)


def test_a_change_between_parts_stops_at_that_user_and_a_new_preview_completes(
    folder: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    crit = team()
    tok = batch.preview_batch(folder, crit, operator="ADMIN", now=NOW).token
    before = syncdata_rows(folder)
    after_part(monkeypatch, "ADMIN", lambda: leave_outlook(folder, "SALES1", crit))
    with pytest.raises(BatchPartError, match="the part of user SALES1 failed") as err:
        batch.force_batch(folder, crit, operator="ADMIN", now=NOW, expect=tok)
    assert "The queue changed since the preview" in str(err.value)
    partial = err.value.result
    assert isinstance(partial, BatchResult) and not partial.complete
    assert [(p.user, p.status) for p in partial.parts] == [
        ("ADMIN", "DONE"), ("SALES1", "FAILED"), ("SALES3", "PENDING")
    ]  # fmt: skip
    later = [r for r in before if r[1] in ("SALES1", "SALES3")]
    now_rows = [r for r in syncdata_rows(folder) if r[1] in ("SALES1", "SALES3")]
    extra = [r for r in now_rows if r not in later]  # only the injected A row
    assert len(now_rows) == len(later) + 1 and [r[4] for r in extra] == ["A"]
    monkeypatch.undo()
    with pytest.raises(TeamChangedError) as again:  # the old token: still changed
        batch.force_batch(folder, crit, operator="ADMIN", now=NOW, expect=tok)
    assert list(again.value.users) == ["SALES1"]  # ADMIN's part is done: not compared
    fresh = batch.preview_batch(folder, crit, operator="ADMIN", now=NOW)
    done = batch.force_batch(
        folder, crit, operator="ADMIN", now=NOW, expect=fresh.token
    )
    assert done.batch_id == err.value.batch_id and done.complete
    assert [(p.user, p.status, p.earlier) for p in done.parts] == [
        ("ADMIN", "DONE", True), ("SALES1", "DONE", False), ("SALES3", "DONE", False)
    ]  # fmt: skip
    shown = {u.user: u for u in fresh.users}
    assert done.written == shown["SALES1"].to_write + shown["SALES3"].to_write


def test_without_a_token_a_changed_queue_is_forced_as_before(
    folder: sa.Engine,
) -> None:
    crit = team()
    batch.preview_batch(folder, crit, operator="ADMIN", now=NOW)
    leave_outlook(folder, "SALES1", crit)
    res = batch.force_batch(folder, crit, operator="ADMIN", now=NOW)
    assert res.complete and all(p.status == "DONE" for p in res.parts)


# --- command line --------------------------------------------------------------------


def cli(backend: str, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, [*args[:1], "--db", backend, *args[1:]])
    return res.exit_code, res.stdout, res.stderr


CLI_ARGS = ["--operator", "ADMIN", "--now", NOW, "-p", f"USERS={USERS}"]
CLI_ARGS += [arg for name in TEAM for arg in ("-p", f"{name}=1")]


def test_cli_team_force_expect_refuses_a_changed_queue_with_the_user_table(
    backend: str, folder: sa.Engine
) -> None:
    code, out, err = cli(backend, "preview", *CLI_ARGS, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert teamtoken.decode(data["token"]).users == ("ADMIN", "SALES1", "SALES3")
    typ, was = leave_outlook(folder, "SALES1", team())
    before = syncdata_rows(folder)
    code, out, err = cli(
        backend, "force", *CLI_ARGS, "--yes", "--expect", data["token"]
    )
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("Error: The queue changed since the preview (SALES1: ")
    assert "nothing was written" in lines[0]
    assert lines[1].split() == ["user", "type", "outcome", "previewed", "now", "change"]
    assert lines[2].split()[:3] == ["SALES1", typ, was]
    assert lines[2].split()[-1] == "-1"
    assert lines[3].split()[:3] == ["SALES1", typ, "skip"]
    assert lines[3].split()[-1] == "+1" and len(lines) == 4
    assert syncdata_rows(folder) == before and nothing_recorded(folder)


def test_cli_team_force_expect_with_an_unchanged_queue_forces_the_preview(
    backend: str, folder: sa.Engine
) -> None:
    code, out, _ = cli(backend, "force", *CLI_ARGS, "--json")  # no --yes: a preview
    shown = json.loads(out)
    code, out, err = cli(backend, "force", *CLI_ARGS, "--yes", "--json", "--expect",
                         shown["token"])  # fmt: skip
    assert code == 0, err
    done = json.loads(out)
    assert done["total"]["written"] == shown["total"]["to_write"] > 0
    assert done["total"]["counts"] == shown["total"]["counts"]


def test_cli_single_user_token_to_a_team_force_and_reverse_are_one_error_line(
    backend: str, folder: sa.Engine
) -> None:
    single = ["--operator", "ADMIN", "--now", NOW, "-p", "SELTSK=1"]
    code, out, _ = cli(backend, "preview", *single, "--json")
    user_token = json.loads(out)["token"]
    code, out, _ = cli(backend, "preview", *CLI_ARGS, "--json")
    team_token = json.loads(out)["token"]
    code, out, err = cli(backend, "force", *CLI_ARGS, "--yes", "--expect", user_token)
    assert code == 1 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("Error: The preview token '")
    assert "given as expect is one user's token (USER), not a team run's" in err
    code, out, err = cli(backend, "force", *single, "--yes", "--expect", team_token)
    assert code == 1 and out == "" and len(err.splitlines()) == 1
    assert "given as expect is a team run's token (USERS...), not one user's" in err
    assert nothing_recorded(folder)
