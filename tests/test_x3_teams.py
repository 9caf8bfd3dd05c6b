"""Team runs on a live X3 folder (SPEC §8): preview, force and undo --batch give what
they give on the toolkit layout, and the team tables live in the toolkit schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
import sqlalchemy as sa
from x3_helpers import drop_folder, x3_folder  # noqa: F401  (the ``folder`` fixture)

from forcedsync_kit import batch, db, tables
from forcedsync_kit.criteria import Criteria
from forcedsync_kit.errors import BatchPartError
from forcedsync_kit.layout import Layout
from forcedsync_kit.marking import forcing

NOW = "2026-11-29T12:00:00"
TEAM = {"USERS": "SALES2,ADMIN,SALES1", "SELTSK": 1, "SELCLL": 1, "SELBAP": 1}


class Pair(NamedTuple):
    toolkit: sa.Engine
    x3: sa.Engine
    layout: Layout


@pytest.fixture(name="pair")
def pair_of_layouts(folder: tuple[sa.Engine, Layout], backend: str) -> Iterator[Pair]:
    """The toolkit engine and an engine bound to the folder (toolkit schema made)."""
    engine, x3 = folder
    own = (
        "FORCEDSYNC" if backend.startswith("duckdb") else f"FSY_{uuid.uuid4().hex[:8]}"
    )
    layout = Layout("x3", folder=x3.folder, toolkit_schema=own)
    bound = db.connect(backend, layout=layout)
    db.init(bound)
    try:
        yield Pair(engine, bound, layout)
    finally:
        if not backend.startswith("duckdb"):
            drop_folder(engine, own)


def blank(value: Any) -> Any:
    """SPEC §8: NULL, '' and blanks are all "empty"."""
    return None if isinstance(value, str) and not value.strip() else value


def queue(engine: sa.Engine, raw: bool = False) -> list[tuple[Any, ...]]:
    """SYNCDATA as the model reads it (``raw``: as stored), sorted, SYDNUM left out."""
    tb = tables.of(engine)
    q = tb.syncdata
    names = [n for n in tb.columns(q) if n != "sydnum"]
    cols = [q.c[n] if raw else tb.value(q.c[n]) for n in names]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*cols)).all()
    shown = (tuple(r) if raw else tuple(blank(v) for v in r) for r in rows)
    return sorted(shown, key=repr)


def count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        )


def test_team_run_on_a_folder_equals_the_toolkit_layout(pair: Pair) -> None:
    crit = Criteria.from_params(TEAM)
    seen = {
        name: batch.preview_batch(engine, crit, operator="ADMIN", now=NOW)
        for name, engine in (("toolkit", pair.toolkit), ("x3", pair.x3))
    }
    assert [(u.user, dict(u.counts)) for u in seen["x3"].users] == [
        (u.user, dict(u.counts)) for u in seen["toolkit"].users
    ]
    assert seen["x3"].to_write == seen["toolkit"].to_write > 0
    before_tk, before_x3 = queue(pair.toolkit), queue(pair.x3, raw=True)
    done_tk = batch.force_batch(pair.toolkit, crit, operator="ADMIN", now=NOW)
    done_x3 = batch.force_batch(pair.x3, crit, operator="ADMIN", now=NOW)
    assert [(p.user, p.status, dict(p.counts)) for p in done_x3.parts] == [
        (p.user, p.status, dict(p.counts)) for p in done_tk.parts
    ]
    assert done_x3.written == done_tk.written > 0
    assert queue(pair.x3) == queue(pair.toolkit)
    own = pair.layout.own
    assert count(pair.x3, own("fsybatch")) == 1  # in the toolkit schema
    assert count(pair.x3, own("fsybusr")) == len(done_x3.parts)
    assert count(pair.toolkit, tables.TOOLKIT.fsybatch) == 1  # the toolkit's own
    undone_x3 = batch.undo_batch(pair.x3, done_x3.batch_id, operator="ADMIN")
    undone_tk = batch.undo_batch(pair.toolkit, done_tk.batch_id, operator="ADMIN")
    assert undone_x3.restored == undone_tk.restored == done_tk.written
    assert queue(pair.toolkit) == queue(pair.x3) == queue(pair.toolkit)
    assert queue(pair.x3, raw=True) == before_x3  # exact, blanks included
    assert sorted(queue(pair.toolkit)) == sorted(before_tk)


def test_failed_part_on_a_folder_is_completed_by_a_rerun(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    crit = Criteria.from_params(TEAM)
    before = queue(pair.x3, raw=True)
    real = forcing.insert_forced

    def broken(conn: Any, run_id: str, ctx: Any, now: Any) -> None:
        real(conn, run_id, ctx, now)
        if ctx.user == "SALES1":
            raise RuntimeError("disk full")

    monkeypatch.setattr(forcing, "insert_forced", broken)
    with pytest.raises(BatchPartError, match="SALES1 failed"):
        batch.force_batch(pair.x3, crit, operator="ADMIN", now=NOW)
    monkeypatch.setattr(forcing, "insert_forced", real)
    done = batch.force_batch(pair.x3, crit, operator="ADMIN", now=NOW)
    assert [(p.user, p.earlier) for p in done.parts] == [
        ("ADMIN", True), ("SALES1", False), ("SALES2", False)
    ]  # fmt: skip
    whole = batch.force_batch(pair.toolkit, crit, operator="ADMIN", now=NOW)
    assert queue(pair.x3) == queue(pair.toolkit)
    assert [dict(p.counts) for p in done.parts] == [dict(p.counts) for p in whole.parts]
    batch.undo_batch(pair.x3, done.batch_id, operator="ADMIN")
    assert queue(pair.x3, raw=True) == before


@pytest.mark.parametrize(
    "selectors",
    [
        {"USRFCY": "FR12"},
        {"USRCPY": "FR10"},
        {"USRREPDEB": "REP02", "USRREPFIN": "REP03"},
    ],
)
def test_team_selectors_read_the_folder(pair: Pair, selectors: dict[str, str]) -> None:
    crit = Criteria.from_params({**selectors, "SELTSK": 1})
    found = {}
    for name, engine in (("toolkit", pair.toolkit), ("x3", pair.x3)):
        res = batch.preview_batch(engine, crit, operator="ADMIN", now=NOW)
        found[name] = ([u.user for u in res.users], [u for u, _ in res.refused])
    assert found["x3"] == found["toolkit"]
    assert found["x3"][0]  # the selector selects someone
