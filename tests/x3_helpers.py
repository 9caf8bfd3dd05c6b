"""Shared fixtures of the x3 tests: a demo X3-shaped folder on DuckDB and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from forcedsync_kit import db, x3folder
from forcedsync_kit.layout import Layout


def drop_folder(engine: sa.Engine, folder: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{folder}" CASCADE'))


@pytest.fixture(name="folder")
def x3_folder(backend: str) -> Iterator[tuple[sa.Engine, Layout]]:
    """An engine holding the demo in both layouts, and the x3 layout of its folder.

    On PostgreSQL the folder gets a unique name (schemas are database-wide and tests
    run in parallel); on DuckDB it is SEED, as X3's reference folder.
    """
    engine = db.connect(backend)
    name = "SEED" if engine.dialect.name == "duckdb" else f"SEED_{uuid.uuid4().hex[:8]}"
    x3folder.build(engine, folder=name)
    try:
        yield engine, Layout("x3", folder=name)
    finally:
        if engine.dialect.name == "postgresql":
            drop_folder(engine, name)
