"""Time one force on the X3 folder layout beside the same force on the toolkit layout.

One DuckDB file holds the demo twice (``x3folder.build``): in the toolkit's own tables
and in an X3-shaped folder ``SEED`` (upper-case names, ``_0`` columns, blanks,
1753-01-01, ADOVALAUS, AUUID/UPDTICK, SYDNUM from a sequence). Each force runs on a
fresh byte-for-byte copy of that file, alternating the two layouts, and the medians
and their ratio (x3 / toolkit) are printed side by side, from the same run.

    python benchmarks/x3_layout.py --scale 30 --repeat 3

Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import _bench
import sqlalchemy as sa

import forcedsync_kit as fs
from forcedsync_kit import db, x3folder
from forcedsync_kit.layout import Layout

FOLDER = "SEED"


def _build(path: Path, scale: int) -> None:
    engine = db.connect(f"duckdb:///{path}")
    db.init(engine)
    x3folder.build(engine, folder=FOLDER, scale=scale)
    engine.dispose()


def _engine(path: Path, x3: bool) -> sa.Engine:
    if not x3:
        return db.connect(f"duckdb:///{path}")
    # The toolkit's tables of the default schema hold no run yet: use them.
    layout = Layout("x3", folder=FOLDER)
    return db.connect(f"duckdb:///{path}", layout=layout)


def _force(master: Path, work: Path, x3: bool) -> tuple[float, int]:
    copy = work / ("x3.duckdb" if x3 else "toolkit.duckdb")
    shutil.copyfile(master, copy)
    engine = _engine(copy, x3)
    start = time.perf_counter()
    done = fs.force(engine, _bench.activity_criteria(), operator=_bench.USER)
    seconds = time.perf_counter() - start
    engine.dispose()
    copy.unlink()
    return seconds, done.written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=30, help="demo scale")
    ap.add_argument("--repeat", type=int, default=3, help="forces per layout (median)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fsy-x3bench-") as tmp:
        work = Path(tmp)
        master = work / "master.duckdb"
        _bench.log(f"building the demo in both layouts, scale {args.scale}")
        _build(master, args.scale)
        times: dict[bool, list[float]] = {False: [], True: []}
        written: dict[bool, int] = {}
        for i in range(args.repeat):
            for x3 in (False, True) if i % 2 == 0 else (True, False):
                seconds, written[x3] = _force(master, work, x3)
                times[x3].append(seconds)
                _bench.log(f"run {i + 1}: {'x3' if x3 else 'toolkit'} {seconds:.2f} s")
    tk, x3 = statistics.median(times[False]), statistics.median(times[True])
    print(f"machine: {_bench.machine()}")
    print(f"demo scale {args.scale}; R rows written: toolkit {written[False]:,}, "
          f"x3 {written[True]:,}")  # fmt: skip
    print(
        f"force on the x3 layout vs the toolkit layout: {x3:.2f} s vs {tk:.2f} s = "
        f"{x3 / tk:.2f}x (median of {args.repeat})"
    )
    return 0 if written[False] == written[True] else 1


if __name__ == "__main__":
    raise SystemExit(main())
