"""Shared fixtures of the x3 tests: a demo X3-shaped folder on DuckDB and PostgreSQL.

The folder is built once per test session and backend (``x3folder.build``), then
copied for each test: the DuckDB file is copied whole; on PostgreSQL the toolkit-layout
rows and the folder's tables (``LIKE … INCLUDING ALL``) are copied into fresh schemas.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
import sqlalchemy as sa
from conftest import drop_pg_schema, pg_url_or_skip

from forcedsync_kit import db, schema, tables, x3folder
from forcedsync_kit.layout import Layout

_TEMPLATES: dict[str, tuple[str, str]] = {}


def drop_folder(engine: sa.Engine, folder: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{folder}" CASCADE'))


def _drop_templates() -> None:
    if "postgresql" in _TEMPLATES:
        url, name = _TEMPLATES.pop("postgresql")
        drop_folder(db.connect(url), name)
        drop_pg_schema(url)


def _template(kind: str, request: pytest.FixtureRequest) -> tuple[str, str]:
    if kind not in _TEMPLATES:
        where = request.getfixturevalue("tmp_path_factory").mktemp("x3tpl")
        if kind == "duckdb":
            url, name = f"duckdb:///{where / 'x3.duckdb'}", "SEED"
        else:
            url, name = pg_url_or_skip(), f"SEED_{uuid.uuid4().hex[:8]}"
            request.config.add_cleanup(_drop_templates)
        engine = db.connect(url)
        db.init(engine)
        x3folder.build(engine, folder=name)
        _TEMPLATES[kind] = (url, name)
    return _TEMPLATES[kind]


def _clone_pg(engine: sa.Engine, tpl_url: str, tpl: str, name: str) -> None:
    src = tpl_url.rsplit("%3D", 1)[1]
    with engine.begin() as conn:
        for t in schema.X3_TABLES:
            conn.execute(sa.text(f'INSERT INTO {t} SELECT * FROM "{src}".{t}'))
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        for t in Layout("x3", folder=tpl).tables():
            new, old = f'"{name}"."{t.name}"', f'"{tpl}"."{t.name}"'
            conn.execute(sa.text(f"CREATE TABLE {new} (LIKE {old} INCLUDING ALL)"))
            conn.execute(sa.text(f"INSERT INTO {new} SELECT * FROM {old}"))
        top = conn.execute(
            sa.text(f'SELECT max("SYDNUM_0") FROM "{name}"."SYNCDATA"')
        ).scalar()
        conn.execute(
            sa.text(f'CREATE SEQUENCE "{name}"."SEQ_SYNCDATA" START {int(top) + 1}')
        )


@pytest.fixture(name="folder")
def x3_folder(
    backend: str, request: pytest.FixtureRequest
) -> Iterator[tuple[sa.Engine, Layout]]:
    """An engine holding the demo in both layouts, and the x3 layout of its folder.

    On PostgreSQL the folder gets a unique name (schemas are database-wide and tests
    run in parallel); on DuckDB it is SEED, as X3's reference folder.
    """
    kind = "duckdb" if backend.startswith("duckdb") else "postgresql"
    tpl_url, tpl = _template(kind, request)
    if kind == "duckdb":
        shutil.copyfile(
            tpl_url.removeprefix("duckdb:///"), backend.removeprefix("duckdb:///")
        )
        engine = db.connect(backend)
        name = tpl
    else:
        engine = db.connect(backend)
        name = f"SEED_{uuid.uuid4().hex[:8]}"
        _clone_pg(engine, tpl_url, tpl, name)
    try:
        yield engine, Layout("x3", folder=name)
    finally:
        if kind == "postgresql":
            drop_folder(engine, name)


class Both(NamedTuple):
    toolkit: sa.Engine
    x3: sa.Engine
    layout: Layout


@pytest.fixture(name="both")
def both_layouts(folder: tuple[sa.Engine, Layout], backend: str) -> Iterator[Both]:
    """The toolkit engine and an engine bound to the folder, its toolkit schema made."""
    engine, x3 = folder
    own = (
        "FORCEDSYNC" if backend.startswith("duckdb") else f"FSY_{uuid.uuid4().hex[:8]}"
    )
    layout = Layout("x3", folder=x3.folder, toolkit_schema=own)
    bound = db.connect(backend, layout=layout)
    created = db.init(bound)
    assert sorted(created) == [
        "fsybatch", "fsybusr", "fsykey", "fsylog", "fsyold", "fsyrun"
    ]  # fmt: skip
    try:
        yield Both(engine, bound, layout)
    finally:
        if not backend.startswith("duckdb"):
            drop_folder(engine, own)


def empty(value: Any) -> Any:
    """SPEC §8: NULL, '' and blanks are all "empty" (the toolkit's demo stores '')."""
    return None if isinstance(value, str) and not value.strip() else value


def logical_rows(
    engine: sa.Engine, table: sa.Table, raw: bool
) -> list[tuple[Any, ...]]:
    """``table`` as the model reads it (``raw``: as stored), sorted, SYDNUM left out."""
    tb = tables.of(engine)
    names = [n for n in tb.columns(table) if n != "sydnum"]
    cols = [table.c[n] if raw else tb.value(table.c[n]) for n in names]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*cols)).all()
    shown = (tuple(r) if raw else tuple(empty(v) for v in r) for r in rows)
    return sorted(shown, key=repr)


def queue(engine: sa.Engine, raw: bool = False) -> list[tuple[Any, ...]]:
    """SYNCDATA as ``logical_rows`` reads it."""
    return logical_rows(engine, tables.of(engine).syncdata, raw)
