"""Exports: every selected record, as the preview shows it, in CSV or Parquet."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa

from forcedsync_kit import Criteria, demo, preview
from forcedsync_kit.errors import CriteriaError
from forcedsync_kit.export import COLUMNS, write_export
from forcedsync_kit.snapshot import open_snapshot

NOW = "2026-11-29T12:00:00"
CRITERIA = Criteria(user="ADMIN", selcor=True, seltsk=True, selcll=True, selbap=True)


def _expected(engine: sa.Engine) -> list[tuple[Any, ...]]:
    p = preview(engine, CRITERIA, operator="ADMIN", now=NOW, page_size=10_000)
    assert p.total == p.selected  # one page holds the whole selection
    return [
        (r.object_type, r.record_key, r.description or "",
         r.date.isoformat() if r.date else "", r.rep or "", r.outcome,
         "true" if r.out_of_phase else "false", sorted(r.reasons))
        for r in p.records
    ]  # fmt: skip


def _read(path: Path) -> list[tuple[Any, ...]]:
    if path.suffix == ".csv":
        with path.open(newline="") as f:
            rows = list(csv.reader(f))
        assert tuple(rows[0]) == COLUMNS
        body = rows[1:]
    else:
        got = duckdb.sql(f"SELECT * FROM read_parquet('{path}')")
        assert tuple(got.columns) == COLUMNS
        body = [
            [t, k, d or "", day.isoformat() if day else "", rep or "", o,
             "true" if f else "false", rs or ""]
            for t, k, d, day, rep, o, f, rs in got.fetchall()
        ]  # fmt: skip
    return [(*r[:7], sorted(r[7].split("; ")) if r[7] else []) for r in body]


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_export_equals_the_preview(engine: sa.Engine, tmp_path: Path, ext: str) -> None:
    demo.build(engine, scale=1)
    want = _expected(engine)
    out = tmp_path / "out"
    out.mkdir()
    path = out / f"selection.{ext}"
    with open_snapshot(engine, CRITERIA, operator="ADMIN", now=NOW) as snap:
        result = write_export(snap, path)
        assert result.rows == snap.total() == len(want)
    assert result.format == ext
    assert _read(path) == want
    assert [p.name for p in out.iterdir()] == [path.name]  # no temp file left


def test_export_from_an_engine_replaces_the_file(
    engine: sa.Engine, tmp_path: Path
) -> None:
    demo.build(engine, scale=1)
    path = tmp_path / "out.csv"
    path.write_text("old")
    result = write_export(engine, path, CRITERIA, operator="ADMIN", now=NOW)
    assert _read(path) == _expected(engine)
    assert result.rows == len(_expected(engine))


def test_bad_targets_are_refused_and_nothing_is_written(
    engine: sa.Engine, tmp_path: Path
) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    with pytest.raises(
        CriteriaError, match=r"must end in .csv or .parquet, not '.xlsx'"
    ):
        write_export(engine, tmp_path / "out.xlsx", CRITERIA)
    with pytest.raises(CriteriaError, match="does not exist"):
        write_export(engine, tmp_path / "missing" / "out.csv", CRITERIA)
    with pytest.raises(CriteriaError, match="criteria is required"):
        write_export(engine, tmp_path / "out.csv")
    assert list(tmp_path.iterdir()) == []
