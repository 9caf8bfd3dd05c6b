"""Where the time of one force / undo / preview goes, statement by statement.

    python benchmarks/profile_statements.py --db big.duckdb --op force|undo|preview|bare
    python benchmarks/profile_statements.py --url URL --op force

Copies the DuckDB file (or uses ``--url`` as is: give a scratch PostgreSQL schema),
runs the operation once with SQLAlchemy event hooks that time every statement, the
commit and the closing of the connection (DuckDB checkpoints when the last connection
to a file closes), and prints them longest first. For ``--op undo`` a force is run
first (untimed); ``--op bare`` runs the two bare SQL statements of ``_bare.py``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _bare
import _bench
import sqlalchemy as sa

import forcedsync_kit as fs
from forcedsync_kit.demo import DEMO_CLOCK


class StatementClock:
    """Times every statement, commit and connection close of an engine."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.rows: list[tuple[float, str]] = []
        self._t0 = 0.0
        self._c0 = 0.0

    def _before(self, conn: Any, cursor: Any, statement: str, *a: Any) -> None:
        self._t0 = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, *a: Any) -> None:
        self.rows.append((time.perf_counter() - self._t0, " ".join(statement.split())))

    def _commit_start(self, conn: Any) -> None:
        self._c0 = time.perf_counter()

    def _checkin(self, dbapi_conn: Any, record: Any) -> None:
        pass

    def __enter__(self) -> StatementClock:
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        sa.event.listen(self.engine, "commit", self._commit_start)
        # the commit event fires before the DBAPI commit: time it by wrapping do_commit
        dialect = self.engine.dialect
        original_commit, original_close = dialect.do_commit, dialect.do_close

        def do_commit(dbapi_connection: Any) -> None:
            t0 = time.perf_counter()
            original_commit(dbapi_connection)
            self.rows.append((time.perf_counter() - t0, "COMMIT"))

        def do_close(dbapi_connection: Any) -> None:
            t0 = time.perf_counter()
            original_close(dbapi_connection)
            self.rows.append((time.perf_counter() - t0, "CLOSE (DuckDB: checkpoint)"))

        dialect.do_commit = do_commit  # type: ignore[method-assign]
        dialect.do_close = do_close  # type: ignore[method-assign]
        self._restore = (original_commit, original_close)
        return self

    def __exit__(self, *exc: Any) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)
        sa.event.remove(self.engine, "commit", self._commit_start)
        d = self.engine.dialect
        d.do_commit, d.do_close = self._restore  # type: ignore[method-assign]

    def report(self, total: float, top: int = 12) -> str:
        n = sum(1 for _, s in self.rows if s != "COMMIT" and not s.startswith("CLOSE"))
        lines = [f"total {total:.2f} s; statements {n}"]
        for sec, sql in sorted(self.rows, reverse=True)[:top]:
            lines.append(f"  {sec:8.3f} s  {sql[:150]}")
        lines.append(f"  {sum(s for s, _ in self.rows):8.3f} s  (sum of the above)")
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path)
    ap.add_argument("--url")
    ap.add_argument(
        "--op", choices=("force", "undo", "preview", "bare"), default="force"
    )
    ap.add_argument("--page", type=int, default=1)
    args = ap.parse_args(argv)
    tmp = None
    if args.url:
        url = args.url
    else:
        tmp = Path(tempfile.mkdtemp(prefix="fsprof_"))
        shutil.copyfile(args.db, tmp / "w.duckdb")
        url = f"duckdb:///{tmp / 'w.duckdb'}"
    try:
        engine = fs.connect(url)
        crit = _bench.activity_criteria()
        op = _bench.USER
        run_id = None
        if args.op == "undo":
            run_id = fs.force(engine, crit, operator=op, now=DEMO_CLOCK).run_id
        with StatementClock(engine) as clock:
            t0 = time.perf_counter()
            if args.op == "force":
                fs.force(engine, crit, operator=op, now=DEMO_CLOCK)
            elif args.op == "undo":
                fs.undo(engine, run_id or "", operator=op, now=DEMO_CLOCK)
            elif args.op == "bare":
                scope = _bare.Scope(fs.user_defaults(engine, op), None)
                _bare.bare_force(engine, scope, DEMO_CLOCK)
            else:
                fs.preview(engine, crit, operator=op, now=DEMO_CLOCK, page=args.page)
            total = time.perf_counter() - t0
        print(f"{args.op}: {clock.report(total)}")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
