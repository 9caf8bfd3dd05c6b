"""Time ``forcedsync_kit.force`` beside the two bare SQL statements it stands for.

On a demo DuckDB where ADMIN's selection (tasks, calls and appointments of rep REP01
at sites of company FR10) holds over a million records at the large scale, this times:

* the toolkit: ``force(engine, criteria)``: run header, staged selection with new
  SYDNUMs and reasons (FSYLOG), replaced rows saved for undo (FSYOLD), DELETE, INSERT;
* the bare SQL: one DELETE of the superseded rows and one INSERT ... SELECT of the R
  rows over the same selection, written by hand, in one transaction, no run history;

each on a fresh byte-for-byte copy of the database, and prints the medians and their
ratio. It also prints the statements the toolkit executed during the force (counted
with ``db.trace``): a handful, whatever the number of records, i.e. no per-record loop;
and checks that both leave the very same SYNCDATA (same rows, same SYDNUMs).

    python benchmarks/force_vs_bare.py --db big.duckdb    # an existing demo file
    python benchmarks/force_vs_bare.py --scale 1000       # build one (5.2 M activities)

Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import _bench
import _measure

import forcedsync_kit as fs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--db", type=Path, help="an existing demo DuckDB file (copied, never written)"
    )
    ap.add_argument(
        "--scale",
        type=int,
        default=1000,
        help="demo scale to build when --db is not given",
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side (median)")
    ap.add_argument("--tmp", type=Path, default=None, help="directory for the copies")
    ap.add_argument(
        "--no-undo",
        action="store_true",
        help="do not time undo after each toolkit force",
    )
    args = ap.parse_args(argv)

    criteria = _bench.activity_criteria()
    ws = _bench.DuckWorkspace(args.scale, master=args.db, tmp=args.tmp)
    try:
        url = ws.fresh()
        sizes = _bench.data_sizes(url)
        ctx = fs.user_defaults(fs.connect(url), _bench.USER)
        sel = _measure.selection_size(url, criteria)
        _bench.log(f"selection: {sel.selected:,} records, {sel.to_write:,} to write")
        f = _measure.measure_force(
            ws, criteria, None, repeat=args.repeat, undo=not args.no_undo
        )
    finally:
        ws.close()

    tk, bare = _measure.med(f.toolkit), _measure.med(f.bare)
    print(f"machine: {_bench.machine()}")
    print(f"versions: {_bench.versions(pg=False)}")
    print(
        f"data: {sizes['activities']:,} activities, "
        f"{sizes['syncdata']:,} SYNCDATA rows, {sizes['synclink']:,} SYNCLINK rows"
    )
    print(
        f"criteria: {criteria.summary()} (operator {_bench.USER}, rep {ctx.rep}, "
        f"company {ctx.company})"
    )
    print(
        f"selected: {sel.selected:,} records; "
        f"written (insert + supersede): {sel.to_write:,}"
    )
    print()
    rows = [
        [
            "toolkit force (history + undo detail)",
            _bench.fmt_seconds(tk),
            str(len(f.toolkit)),
            " ".join(f"{x:.2f}" for x in f.toolkit),
        ],
        [
            "bare SQL: DELETE + INSERT ... SELECT",
            _bench.fmt_seconds(bare),
            str(len(f.bare)),
            " ".join(f"{x:.2f}" for x in f.bare),
        ],
    ]
    if f.undo:
        rows.append(
            [
                "toolkit undo of that run",
                _bench.fmt_seconds(_measure.med(f.undo)),
                str(len(f.undo)),
                " ".join(f"{x:.2f}" for x in f.undo),
            ]
        )
    print(_bench.table(["measurement", "median", "runs", "all runs (s)"], rows))
    print()
    print(
        f"ratio toolkit / bare SQL: {_bench.fmt_ratio(_measure.ratio(tk, bare))}"
        " (goal <= 3x)"
    )
    print(
        "same SYNCDATA after toolkit and bare SQL: "
        f"{'yes' if f.same_syncdata else 'NO'}"
    )
    if f.undo:
        print(
            f"undo restored {f.undo_restored:,} records, kept {f.undo_kept:,}; "
            f"SYNCDATA back to the original: {'yes' if f.undo_restores else 'NO'}"
        )
    print()
    print(
        f"statements executed by the toolkit during force: {len(f.statements)} "
        f"for {sel.selected:,} records (no per-record loop)"
    )
    for n, sql in enumerate(f.statements, 1):
        print(f"  {n:2d}. {_bench.statement_kind(sql)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
