"""Team runs on a live X3 folder (SPEC §8): preview, force and undo --batch give what
they give on the toolkit layout, and the team tables live in the toolkit schema."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from builders import part_failing
from x3_helpers import (  # noqa: F401  (the ``folder`` and ``both`` fixtures)
    Both,
    both_layouts,
    queue,
    x3_folder,
)

from forcedsync_kit import batch, tables
from forcedsync_kit.criteria import Criteria
from forcedsync_kit.errors import BatchPartError

NOW = "2026-11-29T12:00:00"
TEAM = {"USERS": "SALES2,ADMIN,SALES1", "SELTSK": 1, "SELCLL": 1, "SELBAP": 1}


def count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        )


def test_team_run_on_a_folder_equals_the_toolkit_layout(both: Both) -> None:
    crit = Criteria.from_params(TEAM)
    seen = {
        name: batch.preview_batch(engine, crit, operator="ADMIN", now=NOW)
        for name, engine in (("toolkit", both.toolkit), ("x3", both.x3))
    }
    assert [(u.user, dict(u.counts)) for u in seen["x3"].users] == [
        (u.user, dict(u.counts)) for u in seen["toolkit"].users
    ]
    assert seen["x3"].to_write == seen["toolkit"].to_write > 0
    before_tk, before_x3 = queue(both.toolkit), queue(both.x3, raw=True)
    done_tk = batch.force_batch(both.toolkit, crit, operator="ADMIN", now=NOW)
    done_x3 = batch.force_batch(both.x3, crit, operator="ADMIN", now=NOW)
    assert [(p.user, p.status, dict(p.counts)) for p in done_x3.parts] == [
        (p.user, p.status, dict(p.counts)) for p in done_tk.parts
    ]
    assert done_x3.written == done_tk.written > 0
    assert queue(both.x3) == queue(both.toolkit)
    own = both.layout.own
    assert count(both.x3, own("fsybatch")) == 1  # in the toolkit schema
    assert count(both.x3, own("fsybusr")) == len(done_x3.parts)
    assert count(both.toolkit, tables.TOOLKIT.fsybatch) == 1  # the toolkit's own
    undone_x3 = batch.undo_batch(both.x3, done_x3.batch_id, operator="ADMIN")
    undone_tk = batch.undo_batch(both.toolkit, done_tk.batch_id, operator="ADMIN")
    assert undone_x3.restored == undone_tk.restored == done_tk.written
    assert queue(both.x3) == queue(both.toolkit) == before_tk
    assert queue(both.x3, raw=True) == before_x3  # exact, blanks included


def test_failed_part_on_a_folder_is_completed_by_a_rerun(both: Both) -> None:
    crit = Criteria.from_params(TEAM)
    before = queue(both.x3, raw=True)
    with part_failing("SALES1"), pytest.raises(BatchPartError, match="SALES1 failed"):
        batch.force_batch(both.x3, crit, operator="ADMIN", now=NOW)
    done = batch.force_batch(both.x3, crit, operator="ADMIN", now=NOW)
    assert [(p.user, p.earlier) for p in done.parts] == [
        ("ADMIN", True), ("SALES1", False), ("SALES2", False)
    ]  # fmt: skip
    whole = batch.force_batch(both.toolkit, crit, operator="ADMIN", now=NOW)
    assert queue(both.x3) == queue(both.toolkit)
    assert [dict(p.counts) for p in done.parts] == [dict(p.counts) for p in whole.parts]
    batch.undo_batch(both.x3, done.batch_id, operator="ADMIN")
    assert queue(both.x3, raw=True) == before


@pytest.mark.parametrize(
    "selectors",
    [
        {"USRFCY": "FR12"},
        {"USRCPY": "FR10"},
        {"USRREPDEB": "REP02", "USRREPFIN": "REP03"},
    ],
)
def test_team_selectors_read_the_folder(both: Both, selectors: dict[str, str]) -> None:
    crit = Criteria.from_params({**selectors, "SELTSK": 1})
    found = {}
    for name, engine in (("toolkit", both.toolkit), ("x3", both.x3)):
        res = batch.preview_batch(engine, crit, operator="ADMIN", now=NOW)
        found[name] = ([u.user for u in res.users], [u for u, _ in res.refused])
    assert found["x3"] == found["toolkit"]
    assert found["x3"][0]  # the selector selects someone
