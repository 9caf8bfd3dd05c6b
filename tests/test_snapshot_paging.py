"""Snapshot pages join only the tables of the types on the page: every page of every
filter, across the type boundaries, equals ``preview``'s records (both backends)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forcedsync_kit import Criteria, demo, preview
from forcedsync_kit.snapshot import open_snapshot

NOW = "2026-11-29T12:00:00"
CRITERIA = Criteria(
    user="ADMIN", selcor=True, seltsk=True, tskforcor=True, selcll=True, selbap=True
)


@pytest.mark.parametrize(
    "filters",
    [{}, {"only_oop": True}, {"outcome": "insert"}, {"outcome": "skip"}],
    ids=["all", "oop", "insert", "skip"],
)
def test_every_page_equals_preview_across_type_boundaries(
    engine: sa.Engine, filters: dict[str, object]
) -> None:
    demo.build(engine, scale=1)
    whole = preview(
        engine, CRITERIA, operator="ADMIN", now=NOW, page_size=10_000,
        **filters,  # type: ignore[arg-type]
    )  # fmt: skip
    types = {r.object_type for r in whole.records}
    assert len(types) >= 3 and whole.total == len(whole.records) > 0
    size = max(1, whole.total // 9 + 1)  # pages straddle the type boundaries
    with open_snapshot(engine, CRITERIA, operator="ADMIN", now=NOW) as snap:
        by_number: list[object] = []
        by_keyset: list[object] = []
        after = None
        for number in range(1, -(-whole.total // size) + 1):
            page = snap.page(number, size, **filters)  # type: ignore[arg-type]
            by_number += page.records
            nxt = snap.page(number, size, after=after, **filters)  # type: ignore[arg-type]
            by_keyset += nxt.records
            after = nxt.after
    assert tuple(by_number) == whole.records
    assert tuple(by_keyset) == whole.records
    assert all(r.description for r in whole.records if r.object_type != "COR")
