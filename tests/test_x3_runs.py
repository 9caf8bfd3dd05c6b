"""Runs on a live X3 folder (SPEC §8) give what runs on the toolkit layout give.

The fixture holds the demo twice in one database: in the toolkit's own tables and in
an X3-shaped folder (``SEED``: upper-case names, ``_0`` columns, blanks, 1753-01-01,
ADOVALAUS, AUUID/UPDTICK). The same criteria must preview, force and undo alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from x3_helpers import (  # noqa: F401  (the ``folder`` and ``both`` fixtures)
    Both,
    both_layouts,
    empty,
    logical_rows,
    queue,
    x3_folder,
)

from forcedsync_kit import Criteria, force, outlook, preview, runlog, tables, undo
from forcedsync_kit.layout import AUUID, UPDTICK

NOW = dt.datetime(2026, 11, 29, 12, 0, 0)
EMPTY_DAY = dt.date(1753, 1, 1)

CRITERIA = {
    "activities": Criteria(
        user="SALES1", seltsk=True, selcll=True, selbap=True, tskforcor=True
    ),
    "contacts": Criteria(
        user="SALES1", selcor=True, corsyncnt=True, corsynpst=True, corsynrep=True
    ),
    "appointments_oop": Criteria(
        user="SALES1", selbap=True, bapforcor=True, bapforrep=True, onlyoop=True
    ),
    "admin_tasks_dated": Criteria(seltsk=True, tskdatdeb=dt.date(2026, 1, 1)),
}


def _records(engine: sa.Engine, criteria: Criteria) -> tuple[Any, list[Any]]:
    res = preview(engine, criteria, operator="ADMIN", now=NOW, page_size=10_000)
    rows = [
        dataclasses.replace(r, description=empty(r.description), rep=empty(r.rep))
        for r in res.records
    ]
    return res.counts, sorted(rows, key=repr)


@pytest.mark.parametrize("name", sorted(CRITERIA))
def test_same_preview_on_both_layouts(both: Both, name: str) -> None:
    counts_tk, records_tk = _records(both.toolkit, CRITERIA[name])
    counts_x3, records_x3 = _records(both.x3, CRITERIA[name])
    assert counts_x3 == counts_tk
    assert records_x3 == records_tk
    if name != "appointments_oop":
        assert records_tk, name  # the case selects something


def test_force_writes_the_same_syncdata_and_undo_restores_it(both: Both) -> None:
    crit = CRITERIA["activities"]
    before_tk, before_x3 = queue(both.toolkit), queue(both.x3, raw=True)
    assert queue(both.x3) == before_tk  # the same content, read through the layout
    done_tk = force(both.toolkit, crit, operator="ADMIN", now=NOW)
    done_x3 = force(both.x3, crit, operator="ADMIN", now=NOW)
    assert done_x3.counts == done_tk.counts
    assert done_x3.written == done_tk.written > 0
    assert queue(both.x3) == queue(both.toolkit)
    again = force(both.x3, crit, operator="ADMIN", now=NOW)
    assert again.written == 0  # idempotent on the folder too
    undone_x3 = undo(both.x3, done_x3.run_id, operator="ADMIN")
    undone_tk = undo(both.toolkit, done_tk.run_id, operator="ADMIN")
    assert undone_x3.restored == undone_tk.restored == done_tk.written
    assert queue(both.toolkit) == before_tk
    assert queue(both.x3, raw=True) == before_x3  # exact, blanks and dates included


def _nulls(conn: sa.Connection, table: sa.Table) -> int:
    any_null = sa.or_(*[c.is_(None) for c in table.columns])
    stmt = sa.select(sa.func.count()).select_from(table).where(any_null)
    return int(conn.execute(stmt).scalar_one())


def test_folder_rows_are_written_as_x3_writes_them(both: Both) -> None:
    done = force(both.x3, CRITERIA["activities"], operator="ADMIN", now=NOW)
    q = both.layout.table("syncdata")
    with both.x3.connect() as conn:
        new = conn.execute(
            sa.select(q.c[AUUID], q.c[UPDTICK], q.c.sydnum).where(
                q.c.upddattim == NOW, q.c.sydusr == "SALES1"
            )
        ).all()
        assert _nulls(conn, q) == 0
    assert len(new) == done.written
    assert {tick for _, tick, _ in new} == {1}
    assert all(len(bytes(a)) == 16 for a, _, _ in new)
    assert len({bytes(a) for a, _, _ in new}) == len(new)  # one UUID per row
    undo(both.x3, done.run_id, operator="ADMIN")
    with both.x3.connect() as conn:
        assert _nulls(conn, q) == 0


def test_keys_come_from_the_folder_sequence(both: Both) -> None:
    q = both.layout.table("syncdata")
    with both.x3.connect() as conn:
        top = int(conn.execute(sa.select(sa.func.max(q.c.sydnum))).scalar_one())
    done = force(both.x3, CRITERIA["activities"], operator="ADMIN", now=NOW)
    with both.x3.connect() as conn:
        nums = sorted(
            n
            for (n,) in conn.execute(sa.select(q.c.sydnum).where(q.c.upddattim == NOW))
        )
    assert nums == list(range(top + 1, top + 1 + done.written))


def test_run_history_goes_in_the_toolkit_schema(both: Both) -> None:
    done = force(both.x3, CRITERIA["activities"], operator="ADMIN", now=NOW)
    assert [r.run_id for r in runlog.list_runs(both.x3)] == [done.run_id]
    assert runlog.list_runs(both.toolkit) == []  # the default schema's history
    fsyrun = both.layout.own("fsyrun")
    with both.x3.connect() as conn:
        stored = conn.execute(sa.select(fsyrun.c.runid)).scalars().all()
    assert stored == [done.run_id]


def test_an_empty_date_is_outside_a_closed_date_range(both: Both) -> None:
    """1753-01-01 on the folder, NULL on the toolkit: neither is before a bound."""
    tasks = Criteria(user="SALES1", seltsk=True)
    first = _records(both.toolkit, tasks)[1][0].record_key
    for engine in (both.toolkit, both.x3):
        t = tables.of(engine).btask
        empty = None if engine is both.toolkit else EMPTY_DAY
        with engine.begin() as conn:
            conn.execute(sa.update(t).where(t.c.tsknum == first).values(tskdat=empty))
    until = Criteria(user="SALES1", seltsk=True, tskechfin=dt.date(2030, 1, 1))
    counts_tk, records_tk = _records(both.toolkit, until)
    counts_x3, records_x3 = _records(both.x3, until)
    assert first not in {r.record_key for r in records_x3}
    assert (counts_x3, records_x3) == (counts_tk, records_tk)
    assert len(records_tk) == len(_records(both.toolkit, tasks)[1]) - 1


def test_the_next_synchronization_sends_the_same_files(
    both: Both, tmp_path: Path
) -> None:
    crit = CRITERIA["activities"]
    sent = {}
    for name, engine in (("toolkit", both.toolkit), ("x3", both.x3)):
        force(engine, crit, operator="ADMIN", now=NOW)
        out = tmp_path / name
        result = outlook.synchronize(engine, "SALES1", out, now=NOW)
        assert result.items > 0
        sent[name] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
        with engine.connect() as conn:
            q = tables.of(engine).syncdata
            left = conn.execute(
                sa.select(sa.func.count()).where(q.c.sydusr == "SALES1")
            ).scalar_one()
        assert left == 0  # exactly the rows sent were acknowledged
    assert sent["x3"] == sent["toolkit"]
