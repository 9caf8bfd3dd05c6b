"""Preview snapshots: counts and pages equal ``preview``'s, on DuckDB and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forcedsync_kit import Criteria, demo, preview
from forcedsync_kit.errors import BackendError, CriteriaError
from forcedsync_kit.snapshot import open_snapshot

NOW = "2026-11-29T12:00:00"
CRITERIA = Criteria(
    user="ADMIN", selcor=True, seltsk=True, tskforcor=True, selcll=True, selbap=True
)
FILTERS: list[dict[str, object]] = [
    {},
    {"only_oop": True},
    {"outcome": "supersede"},
    {"outcome": "insert", "only_oop": True},
    {"object_type": "TSK"},
    {"object_type": "COR", "only_oop": True},
    {"object_type": "CLL", "outcome": "skip"},
]


@pytest.fixture
def folder(engine: sa.Engine) -> sa.Engine:
    demo.build(engine, scale=1)
    return engine


def _preview(engine: sa.Engine, page: int, size: int, **filters: object) -> object:
    return preview(
        engine, CRITERIA, operator="ADMIN", now=NOW, page=page, page_size=size,
        **filters,  # type: ignore[arg-type]
    )  # fmt: skip


def test_counts_and_pages_equal_preview(folder: sa.Engine) -> None:
    first = preview(folder, CRITERIA, operator="ADMIN", now=NOW, page_size=1)
    with open_snapshot(folder, CRITERIA, operator="ADMIN", now=NOW) as snap:
        assert snap.counts == first.counts
        assert snap.out_of_phase == first.out_of_phase
        assert snap.total() == first.selected > 2000
        assert snap.warnings == first.warnings
        for filters in FILTERS:
            for number in (1, 2, 5):
                want = _preview(folder, number, 40, **filters)
                got = snap.page(number, 40, **filters)  # type: ignore[arg-type]
                assert got.records == want.records, (filters, number)  # type: ignore[attr-defined]
                assert got.total == want.total > 0  # type: ignore[attr-defined]
            assert snap.counts_for(**filters) == want.total  # type: ignore[arg-type,attr-defined]


def test_keyset_walk_visits_every_page_of_preview(folder: sa.Engine) -> None:
    filters = {"outcome": "insert"}
    with open_snapshot(folder, CRITERIA, operator="ADMIN", now=NOW) as snap:
        page = snap.page(1, 100, **filters)  # type: ignore[arg-type]
        seen = list(page.records)
        number = 1
        while page.after is not None:
            number += 1
            page = snap.page(number, 100, after=page.after, **filters)  # type: ignore[arg-type]
            seen += page.records
        assert number == page.pages
        last = _preview(folder, number, 100, **filters)
        assert page.records == last.records  # type: ignore[attr-defined]
        everything = _preview(folder, 1, 10_000, **filters)
        assert tuple(seen) == everything.records  # type: ignore[attr-defined]


def test_a_page_past_the_end_is_empty_and_bad_arguments_are_named(
    folder: sa.Engine,
) -> None:
    with open_snapshot(folder, CRITERIA, operator="ADMIN", now=NOW) as snap:
        past = snap.page(10_000, 200)
        assert past.records == () and past.after is None
        assert past.total == snap.total()
        with pytest.raises(CriteriaError, match=r"outcome='done' is not one of"):
            snap.page(1, 200, outcome="done")
        with pytest.raises(CriteriaError, match=r"page_size=0 must be a whole number"):
            snap.page(1, 0)
        with pytest.raises(CriteriaError, match=r"page=0 must be a whole number"):
            snap.page(0)
    assert snap.closed
    with pytest.raises(BackendError, match="snapshot is closed"):
        snap.page(1)


def test_snapshot_writes_nothing_and_leaves_no_table(folder: sa.Engine) -> None:
    def tables() -> set[str]:
        return set(sa.inspect(folder).get_table_names())

    before = tables()
    with open_snapshot(folder, CRITERIA, operator="ADMIN", now=NOW) as snap:
        snap.page(3, 50, only_oop=True)
        name = snap.table.name
    assert tables() == before
    assert not any(t.startswith(name) for t in tables())


def test_refusal_opens_nothing(folder: sa.Engine) -> None:
    from forcedsync_kit.errors import UserResolutionError

    with pytest.raises(UserResolutionError, match="NOBODY"):
        open_snapshot(folder, CRITERIA.replace(user="NOBODY"), operator="ADMIN")
