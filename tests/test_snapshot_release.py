"""An open snapshot does not hold the database: another process forces while it pages.

On DuckDB a process that holds the file keeps every other process out; the snapshot
therefore keeps its classified rows in its own in-memory store and releases the file
when it has opened. The same test runs on PostgreSQL (sessions never blocked there).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from reliability_helpers import cli_args, cli_env

from forcedsync_kit import Criteria, demo, preview
from forcedsync_kit.errors import PreviewChangedError
from forcedsync_kit.export import write_export
from forcedsync_kit.marking import force
from forcedsync_kit.snapshot import open_snapshot

NOW = "2026-11-29T12:00:00"
CRITERIA = Criteria(user="ADMIN", seltsk=True, selcll=True, selbap=True)
PARAMS = {"USER": "ADMIN", "SELTSK": "1", "SELCLL": "1", "SELBAP": "1"}
FILTERS: list[dict[str, object]] = [{}, {"outcome": "insert"}, {"only_oop": True}]


def _inserts(counts: dict[str, dict[str, int]]) -> int:
    return sum(by_outcome["insert"] for by_outcome in counts.values())


def _pages(snap: object) -> list[object]:
    """First, second and a keyset page of every filter (the snapshot's view)."""
    out: list[object] = []
    for filters in FILTERS:
        first = snap.page(1, 30, **filters)  # type: ignore[attr-defined]
        out += [first.records, snap.page(2, 30, **filters).records]  # type: ignore[attr-defined]
        nxt = snap.page(2, 30, after=first.after, **filters)  # type: ignore[attr-defined]
        out.append(nxt.records)
    return out


def test_another_process_forces_while_the_snapshot_pages(
    backend: str, engine: sa.Engine, tmp_path: Path
) -> None:
    demo.build(engine, scale=1)
    before = preview(engine, CRITERIA, operator="ADMIN", now=NOW, page_size=30)
    assert _inserts(before.counts) > 0  # the force below changes the queue
    with open_snapshot(engine, CRITERIA, operator="ADMIN", now=NOW) as snap:
        seen = _pages(snap)
        assert seen[0] == before.records
        # DuckDB: the file's connection is closed once the table moved to memory.
        assert snap.released(timeout=60) is backend.startswith("duckdb")
        # A separate process writes the database while the snapshot is open; on
        # DuckDB it would wait for the file (then fail "busy" after 20 s) if the
        # snapshot held it.
        args = cli_args(backend, "force", "ADMIN", PARAMS, "--now", NOW, "--yes")
        env = cli_env(FORCEDSYNC_BUSY_TIMEOUT="20")
        with subprocess.Popen(
            [*args, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env, stdin=subprocess.DEVNULL,
        ) as proc:  # fmt: skip
            turns = 0
            while proc.poll() is None:  # the snapshot keeps paging meanwhile
                assert _pages(snap) == seen
                turns += 1
            out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert _inserts(json.loads(out)["counts"]) == _inserts(before.counts)
        assert turns >= 1
        # The snapshot still shows what it classified, and exports it whole.
        assert _pages(snap) == seen
        written = write_export(snap, tmp_path / "after.csv")
        assert written.rows == before.selected
        token = snap.token()
    after = preview(engine, CRITERIA, operator="ADMIN", now=NOW, page_size=30)
    assert _inserts(after.counts) == 0 and after.counts != before.counts
    with pytest.raises(PreviewChangedError):
        force(engine, CRITERIA, operator="ADMIN", now=NOW, expect=token)


def test_pages_and_exports_are_the_same_before_and_after_the_move(
    backend: str, engine: sa.Engine, tmp_path: Path
) -> None:
    """DuckDB: the in-memory store (described once) reads as the file's table did."""
    import duckdb

    demo.build(engine, scale=1)
    crit = CRITERIA.replace(selcor=True, tskforcor=True)
    with open_snapshot(engine, crit, operator="ADMIN", now=NOW) as snap:
        for fmt in ("csv", "parquet"):  # no page yet: the move has not started
            write_export(snap, tmp_path / f"early.{fmt}")
        early = snap.page(3, 25, only_oop=True)  # then the move starts
        assert snap.released(timeout=60) is backend.startswith("duckdb")
        assert snap.page(3, 25, only_oop=True) == early
        for filters in FILTERS:
            want = preview(
                engine, crit, operator="ADMIN", now=NOW, page=3, page_size=25,
                **filters,  # type: ignore[arg-type]
            )  # fmt: skip
            assert snap.page(3, 25, **filters).records == want.records  # type: ignore[arg-type]
        for fmt in ("csv", "parquet"):
            write_export(snap, tmp_path / f"late.{fmt}")
    early_csv, late_csv = (
        (tmp_path / "early.csv").read_bytes(),
        (tmp_path / "late.csv").read_bytes(),
    )
    assert early_csv == late_csv and early_csv.count(b"\n") == snap.total() + 1
    read = "SELECT * FROM read_parquet(?)"
    rows = [
        duckdb.sql(read, params=[str(tmp_path / f"{w}.parquet")]).fetchall()
        for w in ("early", "late")
    ]
    assert rows[0] == rows[1] and len(rows[0]) == snap.total()


def test_a_keyset_page_asked_first_equals_preview(engine: sa.Engine) -> None:
    """Before any page a DuckDB snapshot's table is not numbered yet (the move numbers
    it): a cursor given first numbers it in place, and the page is still preview's."""
    demo.build(engine, scale=1)
    want = preview(engine, CRITERIA, operator="ADMIN", now=NOW, page=2, page_size=25)
    with open_snapshot(engine, CRITERIA, operator="ADMIN", now=NOW) as snap:
        got = snap.page(2, 25, after=25)  # the 25 records of page 1 come before
        assert got.records == want.records and got.after == 50
        assert (
            snap.page(3, 25, after=got.after).records
            == preview(
                engine, CRITERIA, operator="ADMIN", now=NOW, page=3, page_size=25
            ).records
        )
