"""The Voila dashboard in Debian's Chromium: preview, page, commit, and a refusal.

Both tests fail on any console error of the page (an unregistered widget extension
is the usual one) and on any request that fails (a CDN the page should not need).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser_helpers import CHROMIUM, run_count, syncdata_rows, voila
from conftest import drop_pg_schema, pg_url_or_skip

import forcedsync_kit as fsk
from forcedsync_kit import db, demo
from forcedsync_kit import schema as s

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium"),
]
playwright = pytest.importorskip("playwright.sync_api")
TIMEOUT_MS = 45_000


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A scale-1 demo database (DuckDB file) shared by the module's tests."""
    url = f"duckdb:///{tmp_path_factory.mktemp('browser') / 'demo.duckdb'}"
    demo.build(fsk.connect(url), scale=1)
    return url


class Page:
    """A Playwright page that records console errors and failed requests."""

    def __init__(
        self,
        browser: object,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        ready: str = ".fsk-preview button, button.fsk-preview",
    ) -> None:
        self.problems: list[str] = []
        # With headers, a browser context of its own: one person's session.
        size = {"width": 1400, "height": 1000}
        self.context = (
            browser.new_context(extra_http_headers=headers, viewport=size)  # type: ignore[attr-defined]
            if headers is not None
            else None
        )
        if self.context is not None:
            self.page = self.context.new_page()  # type: ignore[attr-defined]
        else:
            self.page = browser.new_page(viewport=size)  # type: ignore[attr-defined]
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"pageerror {exc}"))
        self.page.on(
            "requestfailed", lambda req: self.problems.append(f"request {req.url}")
        )
        self.page.goto(url)
        self.page.locator(ready).first.wait_for()

    def _console(self, msg: object) -> None:
        if msg.type == "error":  # type: ignore[attr-defined]
            self.problems.append(f"console {msg.text}")  # type: ignore[attr-defined]

    def field(self, code: str, kind: str = "input") -> object:
        """The input element of a criteria field."""
        return self.page.locator(f".fsk-{code} {kind}").first

    def close(self) -> None:
        """Close the page (its kernel is shut down by Voila)."""
        self.page.close()
        if self.context is not None:
            self.context.close()  # type: ignore[attr-defined]


def shown_int(locator: Any) -> int:
    """A number the dashboard shows grouped by thousands (1,028,571)."""
    return int(locator.inner_text().replace(",", ""))


def _counts_shown(page: Page) -> dict[str, dict[str, int]]:
    rows = page.page.locator("table.fsk-counts").first.inner_text().strip().splitlines()
    header = rows[0].split("\t")
    out: dict[str, dict[str, int]] = {}
    for line in rows[1:-1]:
        cells = line.split("\t")
        typ = cells[0].split()[0]
        out[typ] = {h: int(v) for h, v in zip(header[1:5], cells[1:5], strict=True)}
    return out


def _cli_preview(url: str, params: list[str]) -> dict[str, object]:
    args = [sys.executable, "-m", "forcedsync_kit", "preview", "--db", url]
    args += ["--operator", "ADMIN", "--json", "--page-size", "1"]
    for p in params:
        args += ["-p", p]
    out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)


def _forced_rows(url: str, run_id: str) -> int:
    q, lg = s.syncdata, s.fsylog
    stmt = (
        sa.select(sa.func.count())
        .select_from(q.join(lg, lg.c.newsydnum == q.c.sydnum))
        .where(lg.c.runid == run_id, q.c.sydatttyp == "R", q.c.sydusr == "ADMIN")
    )
    with fsk.connect(url).connect() as conn:
        return int(conn.execute(stmt).scalar() or 0)


def test_preview_page_commit_in_the_browser(
    dashboard: str, demo_url: str, browser: object
) -> None:
    page = Page(browser, dashboard)
    p = page.page
    page.field("SELTSK").check()
    page.field("SELCLL").check()
    page.field("FLGTRCDET").check()
    page.field("TSKDATDEB").fill("2026-01-01")
    p.locator(".fsk-preview").first.click()
    p.locator(".fsk-page-label").get_by_text("Page 1 of").wait_for()
    shown = _counts_shown(page)
    cli = _cli_preview(
        demo_url, ["SELTSK=1", "SELCLL=1", "FLGTRCDET=1", "TSKDATDEB=2026-01-01"]
    )
    assert shown == cli["counts"]
    total = shown_int(p.locator(".fsk-total").first)
    assert total == cli["total"] and total > 200
    p.get_by_role("button", name="Next").click()
    p.locator(".fsk-page-label").get_by_text("Page 2 of").wait_for()
    to_write = shown_int(p.locator(".fsk-to-write").first)
    force = p.get_by_role("button", name=f"Force {to_write:,} records")
    force.click()
    p.get_by_role("button", name=f"Confirm: force {to_write:,} records").click()
    run_id = p.locator(".fsk-run-id").first.inner_text(timeout=TIMEOUT_MS)
    assert re.fullmatch(r"[0-9a-f]{32}", run_id)
    assert shown_int(p.locator(".fsk-written").first) == to_write
    p.locator("a.fsk-download").first.wait_for()
    assert _forced_rows(demo_url, run_id) == to_write
    assert fsk.get_run(fsk.connect(demo_url), run_id).written == to_write
    page.close()
    assert page.problems == []


def test_inverted_dates_show_the_error_and_write_nothing(
    dashboard: str, demo_url: str, browser: object
) -> None:
    engine = fsk.connect(demo_url)
    before, runs = syncdata_rows(engine), run_count(engine)
    page = Page(browser, dashboard)
    p = page.page
    page.field("SELTSK").check()
    page.field("TSKDATDEB").fill("2026-02-01")
    page.field("TSKDATFIN").fill("2026-01-01")
    p.locator(".fsk-preview").first.click()
    error = p.locator(".fsk-form-error").get_by_text("is after TSKDATFIN=2026-01-01")
    error.wait_for()
    assert "TSKDATDEB=2026-02-01" in error.inner_text()
    assert p.get_by_role("button", name=re.compile("^Force")).count() == 0
    page.close()
    assert syncdata_rows(engine) == before and run_count(engine) == runs
    assert page.problems == []


# -- one Voila server, several people (SPEC §7) --------------------------------------

HEADER = "X-Forwarded-User"


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(database URL, dashboard URL): the demo on ONE Voila taking each session's
    login from the X-Forwarded-User header. j.smith (SALES2) is given FUNSYD6."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path_factory.mktemp('shared') / 'demo.duckdb'}"
    else:
        url = pg_url_or_skip()
    engine = fsk.connect(url)
    demo.build(engine, scale=1)
    with engine.begin() as conn:
        u = s.autilis
        conn.execute(sa.update(u).where(u.c.codusr == "SALES2").values(prffct="ADMIN"))
    engine.dispose()
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    try:
        with voila(url, log, identity=f"header:{HEADER}") as served:
            yield url, served
    finally:
        if request.param == "postgresql":
            drop_pg_schema(url)


def _open_as(browser: object, url: str, login: str | None) -> Page:
    """A page in a new browser context whose requests carry ``login`` in the header."""
    headers = {HEADER: login} if login else {}
    return Page(browser, url, headers=headers, ready=".fsk-app, .fsk-refusal")


def _preview_tasks(page: Page) -> int:
    p = page.page
    page.field("SELTSK").check()
    p.locator(".fsk-preview").first.click()
    p.locator(".fsk-page-label").get_by_text("Page 1 of").wait_for()
    return shown_int(p.locator(".fsk-to-write").first)


def _force_shown(page: Page, to_write: int) -> str:
    p = page.page
    p.get_by_role("button", name=f"Force {to_write:,} records").click()
    p.get_by_role("button", name=f"Confirm: force {to_write:,} records").click()
    run_id = p.locator(".fsk-run-id").first.inner_text(timeout=TIMEOUT_MS)
    assert shown_int(p.locator(".fsk-written").first) == to_write
    return run_id


def _run_rows(url: str, run_id: str) -> list[tuple[str, str, str]]:
    """(SYDUSR, CREUSR, SYDATTTYP) of each SYNCDATA row a run wrote."""
    q, lg = s.syncdata, s.fsylog
    stmt = (
        sa.select(q.c.sydusr, q.c.creusr, q.c.sydatttyp)
        .select_from(q.join(lg, lg.c.newsydnum == q.c.sydnum))
        .where(lg.c.runid == run_id)
    )
    engine = fsk.connect(url)
    with db.reading(engine) as conn:  # waits while a kernel holds the DuckDB file
        rows = [tuple(r) for r in conn.execute(stmt)]
    engine.dispose()
    return rows  # type: ignore[return-value]


def test_each_browser_acts_as_the_person_its_proxy_names(
    shared: tuple[str, str], browser: object
) -> None:
    url, served = shared
    engine = fsk.connect(url)
    before = syncdata_rows(engine)
    refused = _open_as(browser, served, "p.durand")
    line = refused.page.locator(".fsk-refusal").inner_text()
    assert line.startswith("You are signed in as p.durand (X3 user SALES1), who has no")
    assert "FUNSYD6" in line and "AFCTFCT" in line
    assert refused.page.locator(".fsk-preview").count() == 0
    nobody = _open_as(browser, served, None)
    assert (
        nobody.page.locator(".fsk-refusal")
        .inner_text()
        .startswith(
            f"No login reached this dashboard: the request has no {HEADER} header"
        )
    )
    assert nobody.page.locator(".fsk-preview").count() == 0
    admin = _open_as(browser, served, "a.martin")
    smith = _open_as(browser, served, "j.smith")
    shown = admin.page.locator(".fsk-app").inner_text()
    assert "Connected as a.martin (ADMIN)" in shown
    shown = smith.page.locator(".fsk-app").inner_text()
    assert "Connected as j.smith (SALES2)" in shown
    admin_writes = _preview_tasks(admin)
    # j.smith's page holds nothing of a.martin's preview: its own session's state only.
    assert smith.page.locator(".fsk-total").count() == 0
    smith_writes = _preview_tasks(smith)
    assert shown_int(admin.page.locator(".fsk-to-write").first) == admin_writes
    admin_run = _force_shown(admin, admin_writes)
    smith_run = _force_shown(smith, smith_writes)
    admin_rows, smith_rows = _run_rows(url, admin_run), _run_rows(url, smith_run)
    assert len(admin_rows) == admin_writes > 0 and len(smith_rows) == smith_writes > 0
    assert set(admin_rows) == {("ADMIN", "ADMIN", "R")}
    assert set(smith_rows) == {("SALES2", "SALES2", "R")}
    assert fsk.get_run(engine, admin_run).operator == "ADMIN"
    assert fsk.get_run(engine, smith_run).operator == "SALES2"
    after = syncdata_rows(engine)
    assert not any(r[0] == "SALES1" for r in set(after) - set(before))
    assert run_count(engine) == 2
    for page in (refused, nobody, admin, smith):
        page.close()
        assert page.problems == []
    engine.dispose()
