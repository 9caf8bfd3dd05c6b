"""Shared fixtures: one suite over DuckDB (tmp file) and PostgreSQL (a fresh schema)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from forcedsync_kit import db

PG_ADMIN_URL = os.environ.get(
    "FORCEDSYNC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["duckdb", "postgresql"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden files"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def _pg_reachable() -> str | None:
    try:
        eng = sa.create_engine(PG_ADMIN_URL, poolclass=sa.pool.NullPool)
        with eng.connect() as conn:
            conn.execute(sa.text("select 1"))
        return None
    except Exception as exc:  # any failure to reach the server
        return str(exc).splitlines()[0]


_PG_ERROR: list[str | None] = []


def pg_url_or_skip() -> str:
    """URL of a fresh PostgreSQL schema; skip (fail under CI=true) if unreachable."""
    if not _PG_ERROR:
        _PG_ERROR.append(_pg_reachable())
    err = _PG_ERROR[0]
    if err is not None:
        msg = f"PostgreSQL at 127.0.0.1:5432 unreachable: {err}"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    schema_name = f"fs_{uuid.uuid4().hex[:12]}"
    eng = sa.create_engine(PG_ADMIN_URL, poolclass=sa.pool.NullPool)
    with eng.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema_name}"'))
    return f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema_name}"


def drop_pg_schema(url: str) -> None:
    schema_name = url.rsplit("%3D", 1)[1]
    eng = sa.create_engine(PG_ADMIN_URL, poolclass=sa.pool.NullPool)
    with eng.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE'))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (tables created) on each backend."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'test.duckdb'}"
        db.init(db.connect(url))
        yield url
    else:
        url = pg_url_or_skip()
        db.init(db.connect(url))
        try:
            yield url
        finally:
            drop_pg_schema(url)


@pytest.fixture
def engine(backend: str) -> sa.Engine:
    """An engine on the empty database of ``backend``."""
    return db.connect(backend)


# --- the browser tests' shared fixtures (test_browser, test_browser_team) -------------


@pytest.fixture(scope="module")
def dashboard(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of the dashboard Voila serves for ADMIN on the module's ``demo_url``."""
    from browser_helpers import voila

    log = tmp_path_factory.mktemp("voila") / "voila.log"
    with voila(demo_url, log, user="ADMIN") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless (never a downloaded browser)."""
    playwright = pytest.importorskip("playwright.sync_api")
    from browser_helpers import CHROMIUM, CHROMIUM_ARGS

    with playwright.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def app(seeded: sa.Engine) -> Iterator[Any]:
    """The dashboard application as ADMIN, its clock fixed at ``browser_helpers.NOW``,
    on the test module's ``seeded`` database (each ui test module seeds its own)."""
    from browser_helpers import NOW

    from forcedsync_kit.ui import App

    application = App(seeded, operator="ADMIN", now=NOW)
    yield application
    application.close()
