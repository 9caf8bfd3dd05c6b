"""A fresh clone: ``make dashboard`` serves the demo and its operator can force.

The clone is of this branch's committed HEAD. It reuses this checkout's virtual
environment (a ``.venv`` symlink; ``make -o .venv/.installed`` so that nothing is
installed) and imports the clone's own code (PYTHONPATH), as ``make install`` would.
No FORCEDSYNC_* or JUPYTERHUB_USER variable is set: who is acting comes from
``make dashboard`` alone (the demo's operator), never from the OS login.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, wait_http

import forcedsync_kit as fsk
from forcedsync_kit import db
from forcedsync_kit import schema as s

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium"),
]
playwright = pytest.importorskip("playwright.sync_api")
TIMEOUT_MS = 60_000


def clean_env(clone: Path) -> dict[str, str]:
    """This process's environment without any variable naming an operator."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FORCEDSYNC_") and k != "JUPYTERHUB_USER"
    }
    env["PYTHONPATH"] = str(clone)
    return env


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """(clone, URL): ``make dashboard PORT=...`` running in a fresh clone."""
    clone = tmp_path_factory.mktemp("first-run") / "forcedsync"
    subprocess.run(
        ["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120
    )
    (clone / ".venv").symlink_to((ROOT / ".venv").resolve())
    port = free_port()
    log = (clone.parent / "make.log").open("wb")
    proc = subprocess.Popen(
        ["make", "-o", ".venv/.installed", "dashboard", f"PORT={port}"],
        cwd=clone,
        env=clean_env(clone),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # make, python and Voila: one group to stop
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/", proc, timeout=240)
        yield clone, f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()


def run_rows(database: Path, run_id: str) -> list[tuple[str, str, str]]:
    """(SYDUSR, CREUSR, SYDATTTYP) of every SYNCDATA row the run wrote."""
    q, lg = s.syncdata, s.fsylog
    stmt = (
        sa.select(q.c.sydusr, q.c.creusr, q.c.sydatttyp)
        .select_from(q.join(lg, lg.c.newsydnum == q.c.sydnum))
        .where(lg.c.runid == run_id)
    )
    engine = fsk.connect(str(database))
    with db.reading(engine) as conn:
        rows = [(str(a), str(b), str(c)) for a, b, c in conn.execute(stmt)]
    engine.dispose()
    return rows


def test_make_dashboard_on_a_fresh_clone_previews_and_forces(
    served: tuple[Path, str],
) -> None:
    clone, url = served
    problems: list[str] = []
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda exc: problems.append(f"pageerror {exc}"))
        page.goto(url)
        page.locator(".fsk-preview").first.wait_for()
        header = page.get_by_text("Connected as").first.inner_text()
        assert header.startswith("Connected as a.martin (ADMIN, demo operator)")
        page.get_by_label("Process tasks").first.check()
        page.locator(".fsk-preview").first.click()
        page.locator(".fsk-page-label").get_by_text("Page 1 of").wait_for()
        assert int(page.locator(".fsk-total").first.inner_text()) > 0
        force = page.get_by_role("button", name=re.compile(r"Force \d+ records"))
        said = int(re.findall(r"\d+", force.inner_text())[0])
        assert said > 0
        force.click()
        page.get_by_role("button", name=f"Confirm: force {said} records").click()
        run_id = page.locator(".fsk-run-id").first.inner_text()
        assert int(page.locator(".fsk-written").first.inner_text()) == said
        browser.close()
    rows = run_rows(clone / "forcedsync.duckdb", run_id)
    assert len(rows) == said
    assert set(rows) == {("ADMIN", "ADMIN", "R")}
    assert problems == []
