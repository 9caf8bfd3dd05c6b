"""A team run in the Voila dashboard in Debian's Chromium: pick two users, preview,
read the per-user counts, force, and check the SYNCDATA rows each user's run wrote;
pick users by their reps, force, and undo the team run from the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from browser_helpers import CHROMIUM, written_per_run
from conftest import drop_pg_schema, pg_url_or_skip
from test_browser import TIMEOUT_MS, Page

import forcedsync_kit as fsk
from forcedsync_kit import batch, db, demo
from forcedsync_kit import schema as s

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium"),
]
playwright = pytest.importorskip("playwright.sync_api")
TEAM = ("ADMIN", "SALES1")
#: A team preview or force runs one part per user: more time on a loaded machine.
SLOW_MS = 2 * TIMEOUT_MS


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A scale-1 demo folder on each backend."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path_factory.mktemp('browser-team') / 'demo.duckdb'}"
    else:
        url = pg_url_or_skip()
    engine = fsk.connect(url)
    demo.build(engine, scale=1)
    engine.dispose()
    try:
        yield url
    finally:
        if request.param == "postgresql":
            drop_pg_schema(url)


def table_rows(page: Page, css: str) -> list[list[str]]:
    """The body rows of the first table of class ``css``, as cell texts."""
    text = page.page.locator(f"table.{css}").first.inner_text().strip()
    return [line.split("\t") for line in text.splitlines()[1:]]


def written_by_run(url: str, run_id: str) -> list[tuple[str, int]]:
    """(SYDUSR, R rows) of the SYNCDATA rows one run wrote (an engine of its own)."""
    engine = fsk.connect(url)
    try:
        return written_per_run(engine, run_id)
    finally:
        engine.dispose()


def test_team_preview_and_force_in_the_browser(
    dashboard: str, demo_url: str, browser: object
) -> None:
    page = Page(browser, dashboard)
    p = page.page
    page.field("SELTSK").check()
    page.field("SELCLL").check()
    select = p.locator(".fsk-team-users select").first
    labels = select.locator("option").all_inner_texts()
    picked = [i for i, label in enumerate(labels) if label.split()[0] in TEAM]
    assert len(picked) == 2, labels
    select.select_option(index=picked)
    p.locator(".fsk-preview").first.click()
    p.locator("table.fsk-team-counts").first.wait_for(timeout=SLOW_MS)
    # Per user: R rows to write (insert + supersede) summed over the types shown.
    to_write: dict[str, int] = {}
    for cells in table_rows(page, "fsk-team-counts"):
        user, insert, supersede = cells[0], int(cells[2]), int(cells[3])
        to_write[user] = to_write.get(user, 0) + insert + supersede
    crit = fsk.Criteria.from_params({"USERS": ",".join(TEAM), "SELTSK": 1, "SELCLL": 1})
    expected = batch.preview_batch(fsk.connect(demo_url), crit, operator="ADMIN")
    assert {u.user: u.to_write for u in expected.users} == {
        u: to_write[u] for u in TEAM
    }
    total = to_write["TOTAL"]
    assert total == sum(to_write[u] for u in TEAM) > 0
    assert p.locator(".fsk-team-user select").first.input_value() == "ADMIN"
    p.get_by_role("button", name=f"Force {total:,} records for 2 users").click()
    p.get_by_role(
        "button", name=f"Confirm: force {total:,} records for 2 users"
    ).click()
    batch_id = p.locator(".fsk-batch-id").first.inner_text(timeout=SLOW_MS)
    parts = table_rows(page, "fsk-team-parts")
    assert [c[0] for c in parts] == list(TEAM)
    for user, status, run_id, written, *_ in parts:
        assert status == "DONE"
        assert int(written.replace(",", "")) == to_write[user]
        assert written_by_run(demo_url, run_id) == [(user, to_write[user])]
        assert fsk.get_run(fsk.connect(demo_url), run_id).user == user
    runs = fsk.list_runs(fsk.connect(demo_url))
    assert {r.batch_id for r in runs} == {batch_id}
    page.close()
    assert page.problems == []


def all_syncdata(url: str) -> list[tuple[object, ...]]:
    """Every SYNCDATA row, every column, by SYDNUM."""
    engine = fsk.connect(url)
    with db.reading(engine) as conn:  # waits while a kernel holds the DuckDB file
        rows = [tuple(r) for r in conn.execute(sa.select(s.syncdata).order_by(
            s.syncdata.c.sydnum))]  # fmt: skip
    engine.dispose()
    return rows


def test_team_run_by_rep_range_forced_and_undone_in_the_browser(
    dashboard: str, demo_url: str, browser: object
) -> None:
    """Users' reps REP02..REP03 (SALES1, SALES2), their appointments: force, then
    "Undo this team run" puts SYNCDATA back exactly."""
    before = all_syncdata(demo_url)
    page = Page(browser, dashboard)
    p = page.page
    page.field("SELBAP").check()
    p.locator(".fsk-team-rep-from input").first.fill("REP02")
    p.locator(".fsk-team-rep-to input").first.fill("REP03")
    p.locator(".fsk-preview").first.click()
    p.locator("table.fsk-team-counts").first.wait_for(timeout=SLOW_MS)
    users = sorted({cells[0] for cells in table_rows(page, "fsk-team-counts")})
    assert users == ["SALES1", "SALES2", "TOTAL"]
    force = p.get_by_role("button", name=re.compile(r"Force [\d,]+ records for 2 "))
    force.wait_for(timeout=SLOW_MS)  # enabled once the first user's grid is shown
    total = int(force.inner_text().split()[1].replace(",", ""))
    assert total > 0
    force.click()
    p.get_by_role(
        "button", name=f"Confirm: force {total:,} records for 2 users"
    ).click()
    batch_id = p.locator(".fsk-batch-id").first.inner_text(timeout=SLOW_MS)
    assert all_syncdata(demo_url) != before
    p.get_by_role("button", name="Undo this team run").click()
    p.get_by_role("button", name="Confirm: undo the team run").click()
    report = p.locator(".fsk-team-undo-report").first
    report.locator("table.fsk-team-undo-parts").wait_for(timeout=SLOW_MS)
    assert report.inner_text().splitlines()[0] == (
        f"Team run {batch_id} undone for 2 user(s): {total:,} records restored, 0 kept."
    )
    rows = table_rows(page, "fsk-team-undo-parts")
    assert [r[0] for r in rows] == ["SALES1", "SALES2"]
    assert sum(int(r[3].replace(",", "")) for r in rows) == total
    assert {r[4] for r in rows} == {"0"}
    assert p.get_by_role("button", name="Undo this team run").is_disabled()
    assert all_syncdata(demo_url) == before
    runs = fsk.list_runs(fsk.connect(demo_url))
    forced = [r for r in runs if r.batch_id == batch_id and r.kind == "FORCE"]
    assert len(forced) == 2 and {r.status for r in forced} == {"UNDONE"}
    page.close()
    assert page.problems == []
