"""Team runs in the dashboard, driven in-process: the users picker, the batch preview
(counts per user, refusals, a grid per user), its confirmed force and the runs view.
Both backends."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from browser_helpers import NOW, seed, syncdata_rows, written_per_run
from builders import part_failing
from test_teams import add_user
from test_teamtoken import leave_outlook

import forcedsync_kit as fsk
from forcedsync_kit import db
from forcedsync_kit import schema as s
from forcedsync_kit.ui import App
from forcedsync_kit.ui.teamchange import TEAM_CHANGED_TEXT


@pytest.fixture
def seeded(backend: str) -> sa.Engine:
    """``browser_helpers.seed`` plus SALES2 (rep REP02, FR10: 10 tasks) and NOREP."""
    engine = fsk.connect(backend)
    seed(engine)
    add_user(engine, "SALES2", "REP02")
    add_user(engine, "NOREP", "")
    return engine


def pick(app: App, *users: str) -> None:
    app.form.fields["SELTSK"].value = True
    app.team.picker.users.value = users
    app.preview_button.click()


def test_picker_lists_users_with_a_setup(app: App) -> None:
    codes = [code for _, code in app.team.picker.users.options]
    assert codes == ["ADMIN", "NOREP", "SALES1", "SALES2"]  # no SYNCPAR: not listed
    assert not app.team.picker.active() and app.team.root.layout.display == "none"


def test_team_preview_shows_counts_per_user_refusals_and_a_user_grid(
    app: App, seeded: sa.Engine
) -> None:
    before = syncdata_rows(seeded)
    pick(app, "ADMIN", "SALES2", "NOREP")
    team = app.team
    assert team.preview is not None and app.form.error.value == ""
    assert [u.user for u in team.preview.users] == ["ADMIN", "SALES2"]
    assert app.grid.root.layout.display == "none" and team.root.layout.display is None
    crit = team.preview.criteria
    assert crit.users == ("ADMIN", "SALES2", "NOREP") and crit.user is None
    html = team.counts.value
    assert "<th style='padding:2px 8px'>user</th>" in html
    for u in team.preview.users:
        alone = fsk.preview(seeded, crit.for_user(u.user), operator="ADMIN", now=NOW)
        cells = [str(alone.counts["TSK"].get(o, 0)) for o in ("insert", "supersede")]
        assert re.search(
            rf">{u.user}</td><td[^>]*>TSK</td><td[^>]*>{cells[0]}</td>"
            rf"<td[^>]*>{cells[1]}</td>",
            html,
        ), u.user
    assert "Refused <b>NOREP</b>: USER=&#x27;NOREP&#x27; has no sales rep" in (
        team.refused.value
    )
    frame = team.grid.grid.data
    assert list(frame.columns)[:2] == ["user", "type"]
    assert set(frame["user"]) == {"ADMIN"} and team.grid.result is not None
    assert team.grid.result.total == 450  # ADMIN's tasks, paged in SQL
    team.user_filter.value = "SALES2"
    frame = team.grid.grid.data
    assert set(frame["user"]) == {"SALES2"} and len(frame) == 10
    team.grid.type_filter.value = "TSK"
    assert team.grid.result.context.user == "SALES2"
    assert syncdata_rows(seeded) == before


def test_force_commits_the_batch_after_confirming_and_shows_each_user(
    app: App, seeded: sa.Engine
) -> None:
    pick(app, "ADMIN", "SALES2", "NOREP")
    team = app.team
    assert team.preview is not None
    to_write = team.preview.to_write
    assert team.force_button.description == f"Force {to_write:,} records for 2 users"
    team.force_button.click()
    assert team.confirmation.asking
    assert f"Confirm: force {to_write:,} records for 2 users" == (
        team.confirmation.button.description
    )
    assert fsk.list_runs(seeded) == []  # nothing before Confirm
    team.confirmation.button.click()
    res = team.result
    assert res is not None and res.complete and res.written == to_write
    assert f"<span class='fsk-batch-id'>{res.batch_id}</span>" in team.result_html.value
    parts = {p.user: p for p in res.parts}
    assert parts["NOREP"].status == "REFUSED"
    for user in ("ADMIN", "SALES2"):
        run_id = str(parts[user].run_id)
        assert written_per_run(seeded, run_id) == [(user, parts[user].written)]
    assert team.force_button.disabled and not team.confirmation.asking
    app.tabs.selected_index = 1  # the runs view shows the batch id
    assert f"(team run {res.batch_id})" in str(app.runs.picker.options)
    app.runs.select(str(parts["SALES2"].run_id))
    assert f"<span class='fsk-detail-batch'>{res.batch_id}</span>" in (
        app.runs.detail.value
    )


def test_changed_criteria_disable_force_and_clearing_the_picker_goes_back(
    app: App,
) -> None:
    pick(app, "ADMIN", "SALES2")
    team = app.team
    assert not team.force_button.disabled
    app.form.fields["SELCLL"].value = True
    assert team.force_button.disabled and not team.current
    app.preview_button.click()  # a new preview: the grid shows its records
    assert team.grid.result is not None and team.grid.result.criteria.selcll
    assert team.grid.result.context.user == "ADMIN" and not team.force_button.disabled
    app.form.fields["SELCLL"].value = False
    assert team.force_button.disabled
    app.preview_button.click()
    assert not team.force_button.disabled
    team.picker.users.value = ("ADMIN",)
    assert team.force_button.disabled
    team.picker.users.value = ()
    app.preview_button.click()
    assert team.root.layout.display == "none" and app.grid.root.layout.display is None
    assert app.grid.result is not None and app.grid.result.context.user == "ADMIN"


def test_bad_team_input_shows_the_error_and_a_failed_part_is_reported(
    app: App, seeded: sa.Engine
) -> None:
    app.team.picker.site.value = "XX99"
    pick(app)
    assert "USRFCY=XX99 selects no user" in app.form.error.value
    assert app.team.preview is None and app.team.force_button.disabled
    app.team.picker.site.value = ""
    pick(app, "ADMIN", "SALES2")
    app.team.force_button.click()
    with part_failing("SALES2"):
        app.team.confirmation.button.click()
    shown = app.team.result_html.value
    assert "the part of user SALES2 failed" in shown and "disk full" in shown
    assert ">FAILED</td>" in shown and ">DONE</td>" in shown
    assert [r.user for r in fsk.list_runs(seeded)] == ["ADMIN"]


def test_force_on_a_changed_queue_writes_nothing_and_shows_a_fresh_preview(
    app: App, seeded: sa.Engine
) -> None:
    pick(app, "ADMIN", "SALES2")
    team = app.team
    old = team.preview
    assert old is not None
    typ, was = leave_outlook(seeded, "SALES2", old.criteria)
    before = syncdata_rows(seeded)
    team.force_button.click()
    team.confirmation.button.click()  # the token of the preview shown: refused
    assert syncdata_rows(seeded) == before and fsk.list_runs(seeded) == []
    with db.reading(seeded) as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(s.fsybatch)).scalar()
            == 0
        )
    shown = team.result_html.value
    assert TEAM_CHANGED_TEXT.split(":")[0] in shown and "fsk-team-differences" in shown
    b, a = old.users[1].counts[typ][was], old.users[1].counts[typ][was] - 1
    assert re.search(
        rf">SALES2</td><td[^>]*>{typ}</td><td[^>]*>{was}</td><td[^>]*>{b}</td>"
        rf"<td[^>]*>{a}</td><td[^>]*>-1</td>",
        shown,
    ), shown
    fresh = team.preview
    assert fresh is not None and fresh is not old and team.status.value == ""
    assert fresh.users[1].counts[typ]["skip"] == old.users[1].counts[typ]["skip"] + 1
    assert team.current and not team.force_button.disabled  # the fresh one to confirm
    team.force_button.click()
    team.confirmation.button.click()
    res = team.result
    assert res is not None and res.complete and res.written == fresh.to_write > 0
