"""Preview snapshot at scale (issue 13): open, page turns and export, beside references.

For each backend, on the demo folder (ADMIN's tasks, calls and appointments: 1.15 M
records at scale 1000), prints side by side:

1. snapshot open (classify once + counts + first page) vs the bare SQL of the same
   counts and first page; the current ``preview`` too.      goal: <= 1.5x bare
   On DuckDB, also when the snapshot released the database file (its table moved
   to a private in-memory DuckDB in the background after the first page).
2. page turns: median ms of first, middle and last page, without and with the
   out-of-phase and outcome filters, and a keyset "Next".   goal: <= 100 ms
3. export of every record (Parquet, CSV) vs the database's own COPY of the same
   SELECT on the same connection.                           goal: <= 2x COPY

    python benchmarks/preview_snapshot.py --scale 1000                  # builds both
    python benchmarks/preview_snapshot.py --duckdb-file F --pg-schema S # reuse data

Times are medians of ``--repeat`` runs, printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import _bare
import _bench
import _measure
import sqlalchemy as sa

import forcedsync_kit as fs
from forcedsync_kit import schema as s
from forcedsync_kit import snapstore
from forcedsync_kit.export import write_export
from forcedsync_kit.snapshot import Snapshot, open_snapshot

FILTERS: list[tuple[str, dict[str, Any]]] = [
    ("no filter", {}),
    ("out of phase", {"only_oop": True}),
    ("outcome=supersede", {"outcome": "supersede"}),
    ("outcome=insert + oop", {"outcome": "insert", "only_oop": True}),
]


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def row(figure: str, tk: float, ref: float | None, goal: str, ok: bool) -> list[str]:
    ratio = _bench.fmt_ratio(tk / ref) if ref else "-"
    ref_s = _bench.fmt_seconds(ref)
    return [figure, _bench.fmt_seconds(tk), ref_s, ratio, goal, "yes" if ok else "NO"]


def measure_open(engine: sa.Engine, repeat: int) -> tuple[list[list[str]], list[str]]:
    criteria = _bench.activity_criteria()
    scope = _bare.Scope(fs.user_defaults(engine, _bench.USER))
    snap_t: list[float] = []
    bare_t: list[float] = []
    prev_t: list[float] = []
    free_t: list[float] = []
    notes: list[str] = []
    for i in range(repeat):
        tb, bare = timed(lambda: _bare.bare_preview(engine, scope, _measure.NOW))
        bare_t.append(tb)

        def snapshot_open() -> tuple[Snapshot, Any]:
            snap = open_snapshot(
                engine, criteria, operator=_bench.USER, now=_measure.NOW
            )
            return snap, snap.page(1, 200)

        t0 = time.perf_counter()
        ts, (snap, first) = timed(snapshot_open)
        snap_t.append(ts)
        if snap.released():
            free_t.append(time.perf_counter() - t0)
        tp, p = timed(
            lambda: fs.preview(engine, criteria, operator=_bench.USER, now=_measure.NOW)
        )
        prev_t.append(tp)
        if i == 0:
            same = snap.counts == p.counts and first.records == p.records
            verdict = "yes" if same else "NO"
            notes.append(
                f"snapshot counts and first page equal preview's: {verdict}"
                f" ({snap.total():,} records)"
            )
        snap.close()
        _bench.log(
            f"open run {i + 1}: snapshot {ts:.2f} s, bare {tb:.2f} s, "
            f"preview {tp:.2f} s"
        )
    b = med(bare_t)
    a = med(snap_t)
    rows = [
        row(
            "snapshot open (counts + page 1) vs bare SQL", a, b, "<= 1.5x", a <= 1.5 * b
        ),
        row("current preview() vs bare SQL", med(prev_t), b, "(before)", True),
    ]
    if free_t:
        figure = "database file released, from the open (background move)"
        rows.append(row(figure, med(free_t), None, "(after page 1)", True))
    return rows, notes


def median_of(fn: Callable[[], Any], n: int) -> float:
    return med([timed(fn)[0] for _ in range(n)])


def measure_pages(snap: Snapshot, turns: int) -> list[list[str]]:
    rows: list[list[str]] = []
    goal = "<= 100 ms"
    snap.released()  # DuckDB: page the in-memory store (pages meanwhile wait)
    for label, filters in FILTERS:
        total = snap.counts_for(**filters)
        last = max(1, -(-total // 200))
        t_first, _ = timed(partial(snap.page, 1, 200, **filters))
        for name, number in (
            ("first", 1),
            ("middle", max(1, last // 2)),
            ("last", last),
        ):
            t = median_of(partial(snap.page, number, 200, **filters), turns)
            figure = f"page {name} ({number:,}/{last:,}), {label}"
            rows.append(row(figure, t, None, goal, t <= 0.1))
        mid = snap.page(max(1, last // 2), 200, **filters)
        if mid.after is not None:
            t = median_of(partial(snap.page, 2, 200, after=mid.after, **filters), turns)
            figure = f"keyset Next after the middle page, {label}"
            rows.append(row(figure, t, None, goal, t <= 0.1))
        if filters:
            figure = f"first use of the filter ({total:,} records): {label}"
            rows.append(row(figure, t_first, None, "(once)", True))
    return rows


def _copy_reference(snap: Snapshot, path: Path, fmt: str) -> None:
    with snap.store() as (conn, table):
        _copy(conn, table, path, fmt)


def _copy(conn: sa.Connection, table: sa.Table, path: Path, fmt: str) -> None:
    stmt = snapstore.export_select(table, s.REASON_SEP, text=fmt == "csv")
    sql = str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "duckdb":
        opts = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER"
        with conn.begin():
            conn.exec_driver_sql(f"COPY ({sql}) TO '{path}' ({opts})")
        return
    with conn.begin(), path.open("wb") as out:
        raw: Any = conn.connection.driver_connection
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER)") as cp,
        ):
            for block in cp:
                out.write(
                    block
                )  # PostgreSQL has no Parquet: its CSV COPY is the reference


def measure_export(snap: Snapshot, repeat: int, tmp: Path) -> list[list[str]]:
    rows: list[list[str]] = []
    for fmt in ("parquet", "csv"):
        tk, ref = [], []
        for _ in range(repeat):
            tk.append(timed(partial(write_export, snap, tmp / f"export.{fmt}"))[0])
            ref.append(
                timed(partial(_copy_reference, snap, tmp / f"ref.{fmt}", fmt))[0]
            )
        a, b = med(tk), med(ref)
        figure = f"export {snap.total():,} records to {fmt} vs COPY"
        rows.append(row(figure, a, b, "<= 2x", a <= 2 * b))
    return rows


def run_backend(url: str, label: str, args: argparse.Namespace) -> None:
    engine = fs.connect(url)
    rows, notes = measure_open(engine, args.repeat)
    criteria = _bench.activity_criteria()
    with (
        open_snapshot(engine, criteria, operator=_bench.USER, now=_measure.NOW) as snap,
        tempfile.TemporaryDirectory(prefix="fsexport_") as tmp,
    ):
        rows += measure_pages(snap, args.turns)
        rows += measure_export(snap, args.repeat, Path(tmp))
    engine.dispose()
    heads = ["figure", "toolkit", "reference", "ratio", "goal", "met"]
    print(f"\n## {label}\n")
    print(_bench.table(heads, rows))
    for note in notes:
        print(f"- {note}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--turns", type=int, default=5, help="runs per page-turn figure")
    ap.add_argument("--backends", default="duckdb,postgresql")
    ap.add_argument("--duckdb-file", type=Path, help="an existing demo DuckDB file")
    ap.add_argument("--pg-schema", help="an existing demo schema (kept)")
    args = ap.parse_args(argv)
    wanted = args.backends.split(",")
    if "duckdb" in wanted:
        if args.duckdb_file:
            run_backend(
                f"duckdb:///{args.duckdb_file}", f"DuckDB ({args.duckdb_file})", args
            )
        else:
            ws = _bench.DuckWorkspace(args.scale)
            try:
                run_backend(ws.fresh(), f"DuckDB (demo scale {args.scale})", args)
            finally:
                ws.close()
    if "postgresql" in wanted:
        if args.pg_schema:
            pg = _bench.PgWorkspace(args.scale, schema=args.pg_schema, reuse=True)
        else:
            pg = _bench.PgWorkspace(args.scale, schema="snapbench")
        try:
            run_backend(pg.url(), f"PostgreSQL ({pg.source})", args)
        finally:
            pg.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
