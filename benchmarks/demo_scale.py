"""Build the demo folder at a given scale into a temporary DuckDB file and time it.

Prints the rows per table, the seconds and the database file size. Run it under
``/usr/bin/time -v`` to see the peak memory (maximum resident set size)::

    .venv/bin/python benchmarks/demo_scale.py --scale 1000
    /usr/bin/time -v .venv/bin/python benchmarks/demo_scale.py --scale 1000

Scale 1000 (``demo.LARGE_SCALE``) gives 5.2 million activities and about 1.3 million
SYNCDATA rows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from forcedsync_kit import db, demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=demo.LARGE_SCALE)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", type=Path, help="build into this DuckDB file")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "demo.duckdb"
        engine = db.connect(str(path))
        last = [time.perf_counter()]

        def progress(step: str, fraction: float) -> None:
            now = time.perf_counter()
            if now - last[0] >= 5 or fraction >= 1:
                print(f"  {fraction:6.1%}  {step}", file=sys.stderr)
                last[0] = now

        summary = demo.build(
            engine, scale=args.scale, seed=args.seed, progress=progress
        )
        activities = sum(summary.rows[t] for t in ("btask", "bcall", "bappoint"))
        print(f"scale {summary.scale}, seed {summary.seed}: {summary.seconds:.1f} s")
        for table, n in summary.rows.items():
            print(f"  {table:<12}{n:>12,}")
        print(f"  {'activities':<12}{activities:>12,}")
        print(f"  {'total':<12}{sum(summary.rows.values()):>12,}")
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        print(f"DuckDB file: {size / 2**20:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
