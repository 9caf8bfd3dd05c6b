"""SPEC §3's table-driven selection cases, run on an X3-shaped copy of each world.

Each case's world is built in the toolkit layout (``test_selection.build_folder``),
copied into a folder shaped by the ``x3`` preset (blanks, 1753-01-01, ADOVALAUS...)
and previewed through an engine bound to that folder: the same records are selected.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from test_selection import CASES, build_folder, selected
from x3_helpers import drop_folder

from forcedsync_kit import db, tables, x3folder
from forcedsync_kit.layout import Layout

Fold = Callable[[], sa.Engine]


@pytest.fixture(name="fold")
def fold_fixture(engine: sa.Engine, backend: str) -> Iterator[Fold]:
    """Copy the toolkit-layout tables into an X3 folder; an engine bound to it."""
    duck = backend.startswith("duckdb")
    name = "SEED" if duck else f"SEED_{uuid.uuid4().hex[:8]}"

    def fold() -> sa.Engine:
        layout = Layout("x3", folder=name)
        with db.writing(engine) as conn:
            x3folder.create(conn, layout)
            x3folder.copy_demo(conn, layout)
            x3folder.start_keys(conn, layout)
        return db.connect(backend, layout=layout)

    try:
        yield fold
    finally:
        if not duck:
            drop_folder(engine, name)


@pytest.mark.parametrize(
    "params, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_criterion_selects_on_an_x3_folder(
    engine: sa.Engine, fold: Fold, params: dict[str, object], expected: set[str]
) -> None:
    build_folder(engine)
    assert selected(fold(), **params) == expected


def test_the_copy_holds_x3_blanks_never_null(engine: sa.Engine, fold: Fold) -> None:
    """The cases above run on X3 blanks, never on NULL."""
    build_folder(engine)
    folder = fold()
    layout = tables.layout_of(folder)
    assert layout is not None
    bt = layout.table("bappoint")
    count = sa.select(sa.func.count()).select_from(bt)
    with folder.connect() as conn:
        blank = conn.execute(count.where(bt.c.aptcor_9 == " ")).scalar_one()
        nulls = conn.execute(
            count.where(sa.or_(*[c.is_(None) for c in bt.columns]))
        ).scalar_one()
    assert blank > 0 and nulls == 0
