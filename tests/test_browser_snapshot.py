"""In Chromium: the queue changes between Preview and Force (nothing is written, the
differences and a fresh preview are shown), and the whole preview downloads as a file
Voila serves.

On PostgreSQL, and on DuckDB, where the dashboard's snapshot releases the database
file once its first page is shown, so another process can change the queue in between
while the dashboard still pages its preview (docs/decisions.md, phase C).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, run_count, syncdata_rows, voila
from conftest import drop_pg_schema, pg_url_or_skip

import forcedsync_kit as fsk
from forcedsync_kit import db, demo, resources
from forcedsync_kit import schema as s

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium"),
]
playwright = pytest.importorskip("playwright.sync_api")
TIMEOUT_MS = 45_000
#: True once an enabled Force button names the "to write" count shown: the fresh
#: preview after a refused force is on the page (the differences come first).
FRESH_JS = """() => {
  const n = document.querySelector('.fsk-to-write');
  return !!n && [...document.querySelectorAll('button')].some(
    (b) => !b.disabled && b.innerText.trim() === `Force ${n.innerText} records`);
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(database URL, dashboard URL) of a scale-1 demo on PostgreSQL, as ADMIN."""
    url = pg_url_or_skip()
    demo.build(fsk.connect(url), scale=1)
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    try:
        with voila(url, log, user="ADMIN") as address:
            yield url, address
    finally:
        drop_pg_schema(url)


@pytest.fixture(scope="module")
def served_duckdb(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str]]:
    """(database URL, dashboard URL) of a scale-1 demo in a DuckDB file, as ADMIN.

    The kernel never releases an idle snapshot (FORCEDSYNC_SNAPSHOT_IDLE=0): the file
    must be free all the same.
    """
    folder = tmp_path_factory.mktemp("duck")
    url = f"duckdb:///{folder / 'demo.duckdb'}"
    engine = fsk.connect(url)
    db.init(engine)
    demo.build(engine, scale=1)
    engine.dispose()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORCEDSYNC_SNAPSHOT_IDLE", "0")
        with voila(url, folder / "voila.log", user="ADMIN") as address:
            yield url, address


def _browser(address: str) -> Iterator[object]:
    with playwright.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        p = chromium.new_page(viewport={"width": 1400, "height": 1000})
        p.set_default_timeout(TIMEOUT_MS)
        p.goto(address)
        p.locator("button.fsk-preview, .fsk-preview button").first.wait_for()
        yield p
        chromium.close()


@pytest.fixture
def page(served: tuple[str, str]) -> Iterator[object]:
    yield from _browser(served[1])


def _number(p: object, css: str) -> int:
    text = p.locator(css).first.inner_text()  # type: ignore[attr-defined]
    return int(text.replace(",", ""))


def _preview_tasks(p: object) -> int:
    p.locator(".fsk-SELTSK input").first.check()  # type: ignore[attr-defined]
    p.locator(".fsk-preview").first.click()  # type: ignore[attr-defined]
    label = p.locator(".fsk-page-label")  # type: ignore[attr-defined]
    label.get_by_text("Page 1 of").wait_for()
    return _number(p, ".fsk-to-write")


def test_force_after_the_queue_changed_writes_nothing_in_the_browser(
    served: tuple[str, str], page: object
) -> None:
    url = served[0]
    engine = fsk.connect(url)
    p = page
    to_write = _preview_tasks(p)
    q = s.syncdata
    with engine.begin() as conn:  # a sync in between: ADMIN's pending tasks are sent
        gone = conn.execute(
            sa.delete(q).where(q.c.sydusr == "ADMIN", q.c.sydtyp == "TSK")
        ).rowcount
    assert gone > 0
    before = syncdata_rows(engine)
    p.get_by_role("button", name=f"Force {to_write:,} records").click()  # type: ignore[attr-defined]
    p.get_by_role("button", name=f"Confirm: force {to_write:,} records").click()  # type: ignore[attr-defined]
    changed = p.locator(".fsk-changed").first  # type: ignore[attr-defined]
    changed.wait_for()
    assert "The queue changed since the preview: nothing was written" in (
        changed.inner_text()
    )
    table = p.locator("table.fsk-differences").first.inner_text()  # type: ignore[attr-defined]
    assert "supersede" in table and "previewed" in table
    assert syncdata_rows(engine) == before and run_count(engine) == 0
    # the fresh preview (shown after the differences) offers to force its own counts
    p.wait_for_function(FRESH_JS)  # type: ignore[attr-defined]
    fresh = _number(p, ".fsk-to-write")
    p.get_by_role("button", name=f"Force {fresh:,} records").wait_for()  # type: ignore[attr-defined]
    engine.dispose()


def test_download_of_the_whole_preview_is_served(
    served: tuple[str, str], page: object
) -> None:
    p = page
    _preview_tasks(p)
    total = _number(p, ".fsk-selected")
    p.get_by_role("button", name="Download CSV").click()  # type: ignore[attr-defined]
    link = p.locator("a.fsk-export-file").first  # type: ignore[attr-defined]
    link.wait_for()
    href = link.get_attribute("href")
    assert href.startswith("voila/files/fsk-exports/")
    got = p.request.get(served[1] + href)  # type: ignore[attr-defined]
    assert got.status == 200
    rows = list(csv.reader(io.StringIO(got.text())))
    assert rows[0][:2] == ["type", "key"] and len(rows) - 1 == total
    other = p.request.get(served[1] + "voila/files/dashboard.ipynb")  # type: ignore[attr-defined]
    assert other.status == 403  # only the exports are served


def test_another_process_changes_a_duckdb_queue_while_the_dashboard_pages(
    served_duckdb: tuple[str, str],
) -> None:
    """The kernel's snapshot does not keep the file: this process deletes ADMIN's
    pending tasks (a sync) while the preview is shown, the dashboard still pages it,
    and its Force writes nothing and shows the differences."""
    url, address = served_duckdb
    engine = fsk.connect(url)
    for p in _browser(address):
        to_write = _preview_tasks(p)
        label = p.locator(".fsk-page-label")  # type: ignore[attr-defined]
        with db.writing(engine, timeout=20) as conn:  # waits for the move at most
            q = s.syncdata
            gone = conn.execute(
                sa.delete(q).where(q.c.sydusr == "ADMIN", q.c.sydtyp == "TSK")
            ).rowcount
        assert gone > 0
        before = syncdata_rows(engine)
        p.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]
        label.get_by_text("Page 2 of").wait_for()
        p.get_by_role("button", name=f"Force {to_write:,} records").click()  # type: ignore[attr-defined]
        p.get_by_role("button", name=f"Confirm: force {to_write:,} records").click()  # type: ignore[attr-defined]
        p.locator(".fsk-changed").first.wait_for()  # type: ignore[attr-defined]
        assert syncdata_rows(engine) == before and run_count(engine) == 0
    engine.dispose()
    # written in Voila's runtime folder, never in the (read-only when installed) package
    assert not (resources.dashboards_dir() / "fsk-exports").exists()


def _rows(p: object) -> list[list[str]]:
    """The cells of the records table shown (the "#" column first)."""
    return p.locator("table.fsk-records").first.evaluate(  # type: ignore[attr-defined]
        "t => [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.innerText))"
    )


def test_a_page_is_one_table_and_next_replaces_it(
    served: tuple[str, str], page: object
) -> None:
    p = page
    _preview_tasks(p)
    total = _number(p, ".fsk-total")
    assert total > 200
    header = p.locator("table.fsk-records th").all_inner_texts()  # type: ignore[attr-defined]
    assert header[:3] == ["#", "type", "key"] and header[-1] == "reasons"
    first = _rows(p)
    assert len(first) == 200 and first[0][0] == "1" and first[0][1] == "TSK"
    p.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]
    p.locator(".fsk-page-label").get_by_text("Page 2 of").wait_for()  # type: ignore[attr-defined]
    second = _rows(p)
    assert second[0][0] == "201" and len(second) == min(200, total - 200)
    assert not {r[2] for r in first} & {r[2] for r in second}
