"""Team runs in the dashboard, driven in-process: the undo of a whole team run (from
the team panel after a force, and from the run history) and the users' rep range of
the users picker. Both backends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from browser_helpers import NOW, run_count, seed
from builders import syncdata_rows
from test_teams import add_user

import forcedsync_kit as fsk
from forcedsync_kit.teamresults import BatchResult
from forcedsync_kit.ui import App
from forcedsync_kit.ui.base import message_html


@pytest.fixture
def seeded(backend: str) -> sa.Engine:
    """``browser_helpers.seed`` (ADMIN rep REP01, SALES1 rep REP02) plus SALES2 (rep
    REP02, FR10: 10 tasks)."""
    engine = fsk.connect(backend)
    seed(engine)
    add_user(engine, "SALES2", "REP02")
    return engine


def force_team(app: App, *users: str) -> BatchResult:
    """Pick ``users``, preview their tasks, force and confirm: the team run."""
    app.form.fields["SELTSK"].value = True
    app.team.picker.users.value = users
    app.preview_button.click()
    app.team.force_button.click()
    app.team.confirmation.button.click()
    res = app.team.result
    assert res is not None and res.complete
    return res


def test_undo_this_team_run_restores_syncdata_exactly(
    app: App, seeded: sa.Engine
) -> None:
    before = syncdata_rows(seeded)
    undo = app.team.undo
    assert undo.button.layout.display == "none"  # no team run forced yet
    res = force_team(app, "ADMIN", "SALES2")
    forced = syncdata_rows(seeded)
    assert forced != before and res.written > 0
    assert undo.button.layout.display is None and not undo.button.disabled
    assert undo.button.description == "Undo this team run"
    undo.button.click()
    assert undo.confirmation.asking and undo.button.disabled
    assert f"Undo team run {res.batch_id}</b> for 2 user(s) (ADMIN, SALES2)" in (
        undo.confirmation.text.value
    )
    assert syncdata_rows(seeded) == forced  # nothing before Confirm
    undo.confirmation.button.click()
    assert syncdata_rows(seeded) == before  # every column, every SYDNUM
    done = undo.result
    assert done is not None and done.batch_id == res.batch_id and done.kept == 0
    parts = {p.user: p for p in res.parts}
    assert [(u, run, r, k) for u, run, _, r, k in done.parts] == [
        (u, parts[u].run_id, parts[u].written, 0) for u in ("ADMIN", "SALES2")
    ]
    report = undo.report_html.value
    assert f"Team run {res.batch_id} undone for 2 user(s): {done.restored:,} " in report
    assert "fsk-team-undo-parts" in report
    for user, run_id, undo_id, restored, _ in done.parts:
        assert f">{user}</td><td style='padding:2px 8px;text-align:left'>{run_id}<" in (
            report
        )
        assert f">{undo_id}<" in report and f">{restored:,}</td>" in report
    assert undo.button.disabled and not undo.confirmation.asking
    runs = {r.run_id: r for r in fsk.list_runs(seeded)}
    assert all(runs[str(p.run_id)].status == "UNDONE" for p in res.parts if p.run_id)


def test_cancel_writes_nothing(app: App, seeded: sa.Engine) -> None:
    force_team(app, "ADMIN", "SALES2")
    forced, runs = syncdata_rows(seeded), run_count(seeded)
    undo = app.team.undo
    undo.button.click()
    assert undo.confirmation.asking
    undo.confirmation.cancel_button.click()
    assert not undo.confirmation.asking and not undo.button.disabled
    assert undo.confirmation.button.disabled
    assert syncdata_rows(seeded) == forced and run_count(seeded) == runs
    assert undo.report_html.value == "" and undo.result is None


def test_undoing_twice_gives_one_sentence(app: App, seeded: sa.Engine) -> None:
    res = force_team(app, "ADMIN", "SALES2")
    app.tabs.selected_index = 1  # the history offers the team run...
    history = app.runs.team_undo
    app.runs.select(str(res.parts[0].run_id))
    assert not history.button.disabled
    app.tabs.selected_index = 0  # ...and is not looked at again while it is undone
    app.team.undo.button.click()
    app.team.undo.confirmation.button.click()
    assert app.team.undo.result is not None
    undone, runs = syncdata_rows(seeded), run_count(seeded)
    assert not history.button.disabled  # a stale offer: the library refuses it
    history.button.click()
    history.confirmation.button.click()
    message = f"Team run {res.batch_id!r} has no forced run left to undo."
    assert history.report_html.value == message_html(message, error=True)
    assert history.button.disabled  # already undone: not offered again
    assert syncdata_rows(seeded) == undone and run_count(seeded) == runs
    app.tabs.selected_index = 1  # the history, refreshed, shows it undone
    assert history.button.disabled and history.batch_id == res.batch_id
    history.set_batch("NOSUCHBATCH", ["ADMIN"])  # e.g. a team run of another folder
    history.button.click()
    history.confirmation.button.click()
    message = "No team run 'NOSUCHBATCH' is recorded: see 'forcedsync runs'."
    assert history.report_html.value == message_html(message, error=True)
    assert syncdata_rows(seeded) == undone and run_count(seeded) == runs


def test_history_offers_the_whole_team_run_beside_the_run(
    app: App, seeded: sa.Engine
) -> None:
    alone = fsk.Criteria.from_params({"USER": "SALES2", "SELTSK": 1})
    single = fsk.force(seeded, alone, operator="ADMIN", now=NOW)
    before = syncdata_rows(seeded)
    res = force_team(app, "ADMIN", "SALES2")
    runs, team_undo = app.runs, app.runs.team_undo
    app.tabs.selected_index = 1
    runs.select(single.run_id)  # a run of no team run: no team undo
    assert team_undo.button.layout.display == "none"
    admin = next(p for p in res.parts if p.user == "ADMIN")
    runs.select(str(admin.run_id))
    assert team_undo.button.layout.display is None
    assert team_undo.button.description == "Undo the whole team run (2 users)"
    assert not team_undo.button.disabled and not runs.undo_button.disabled
    team_undo.button.click()
    assert team_undo.confirmation.asking and team_undo.button.disabled
    assert "for 2 user(s) (ADMIN, SALES2)" in team_undo.confirmation.text.value
    runs.undo_button.click()  # asking for the run alone closes the team run's box
    assert runs.confirmation.asking and not team_undo.confirmation.asking
    team_undo.button.click()
    assert team_undo.confirmation.asking and not runs.confirmation.asking
    team_undo.confirmation.button.click()
    assert syncdata_rows(seeded) == before  # the single run before it stays
    assert "Team run" in team_undo.report_html.value and "undone for 2 user(s)" in (
        team_undo.report_html.value
    )
    assert runs.info is not None and runs.info.status == "UNDONE"
    assert runs.undo_button.disabled and team_undo.button.disabled
    assert fsk.get_run(seeded, single.run_id).status == "DONE"


def test_rep_range_narrows_the_picked_users(app: App, seeded: sa.Engine) -> None:
    picker = app.team.picker
    rep_from, rep_to = picker.reps["USRREPDEB"], picker.reps["USRREPFIN"]
    assert (rep_from.description, rep_to.description) == (
        "Users' reps from",
        "Users' reps to",
    )
    assert list(rep_from.options) == ["REP01", "REP02"]  # the folder's reps
    app.form.fields["SELTSK"].value = True
    rep_from.value = "rep02"
    assert picker.params() == {"USRREPDEB": "rep02"} and picker.active()
    assert "Bruno Petit" in picker.rep_hint.value
    app.preview_button.click()
    preview = app.team.preview
    assert preview is not None and app.form.error.value == ""
    assert [u.user for u in preview.users] == ["SALES1", "SALES2"]
    assert preview.criteria.usrrepdeb == "REP02"
    rep_from.value, rep_to.value = "", "REP01"
    assert app.team.force_button.disabled  # the criteria changed
    app.preview_button.click()
    assert app.team.preview is not None
    assert [u.user for u in app.team.preview.users] == ["ADMIN"]


def test_an_inverted_rep_range_is_refused_with_the_field(
    app: App, seeded: sa.Engine
) -> None:
    before = syncdata_rows(seeded)
    app.form.fields["SELTSK"].value = True
    app.team.picker.reps["USRREPDEB"].value = "REP02"
    app.team.picker.reps["USRREPFIN"].value = "REP01"
    app.preview_button.click()
    assert (
        "USRREPDEB=REP02 is after USRREPFIN=REP01: the start of a range must not be "
        "after its end." in app.form.error.value
    )
    assert app.team.preview is None and app.team.force_button.disabled
    assert syncdata_rows(seeded) == before and run_count(seeded) == 0
