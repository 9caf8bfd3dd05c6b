"""Shared helpers of the benchmark scripts: data, fresh copies, timing, reporting.

The scripts measure; they never assert absolute times. Every figure is the median of
several runs and is printed beside its reference measured in the same process, on an
identical copy of the data (DuckDB: the built file copied before each run; PostgreSQL:
the mutable tables restored from a snapshot taken right after the build).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

import forcedsync_kit as fs
from forcedsync_kit import schema as s

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
USER = "ADMIN"  # the demo's operator; rep REP01 owns about a quarter of activities
#: The PostgreSQL server of the project's test setup (trust authentication).
PG_ADMIN_URL = os.environ.get(
    "FORCEDSYNC_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PG_SCHEMA = "bench"
#: Tables a run writes; a PostgreSQL "copy" restores them (the others are read-only).
MUTABLE = ("syncdata", "fsyrun", "fsylog", "fsyold", "fsykey")


def log(msg: str) -> None:
    """Progress on stderr, so that stdout is the report."""
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] {msg}", file=sys.stderr, flush=True)


# --- criteria ------------------------------------------------------------------------


def activity_criteria(
    window: tuple[dt.date, dt.date] | None = None, *, staledays: int = 7
) -> fs.Criteria:
    """ADMIN's tasks, calls and appointments (optionally one date window for all three).

    At the demo's large scale this selects well over a million records: REP01 owns a
    quarter of the 5.2 million activities, most of them at sites of ADMIN's company.
    """
    lo, hi = window if window else (None, None)
    return fs.Criteria(
        user=USER,
        seltsk=True,
        tskdatdeb=lo,
        tskdatfin=hi,
        selcll=True,
        clldatdeb=lo,
        clldatfin=hi,
        selbap=True,
        bapdatdeb=lo,
        bapdatfin=hi,
        staledays=staledays,
    )


# --- databases -----------------------------------------------------------------------


class Workspace:
    """A built demo database and a way to get an identical fresh copy of it."""

    backend: str
    scale: int
    source: str  # where the data comes from, for the report
    build_seconds: float

    def fresh(self) -> str:
        """Return the URL of a database identical to the one built."""
        raise NotImplementedError

    def url(self) -> str:
        """The URL of the current copy (after ``fresh``)."""
        raise NotImplementedError

    def close(self) -> None:
        """Remove every file or schema the workspace created."""


class DuckWorkspace(Workspace):
    """A DuckDB demo file in a temp dir; ``fresh`` copies it byte for byte."""

    backend = "duckdb"

    def __init__(
        self,
        scale: int,
        *,
        seed: int = 42,
        master: Path | None = None,
        tmp: Path | None = None,
    ) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="fsbench_", dir=tmp))
        self.scale = scale
        self.source = f"copy of {master}" if master else f"demo scale {scale}"
        self.build_seconds = 0.0
        self.master = self.tmp / "master.duckdb"
        self.work = self.tmp / "work.duckdb"
        try:
            if master is not None:
                size = master.stat().st_size / 1e6
                log(f"duckdb: copying {master} ({size:.0f} MB)")
                shutil.copyfile(master, self.master)
            else:
                log(f"duckdb: building demo scale {scale}")
                t0 = time.perf_counter()
                build_demo(fs.connect(f"duckdb:///{self.master}"), scale, seed)
                self.build_seconds = time.perf_counter() - t0
                log(f"duckdb: built in {self.build_seconds:.0f} s")
        except BaseException:  # interrupted or failed: leave no temp dir behind
            self.close()
            raise

    def fresh(self) -> str:
        for p in (self.work, Path(str(self.work) + ".wal")):
            p.unlink(missing_ok=True)
        shutil.copyfile(self.master, self.work)
        return self.url()

    def url(self) -> str:
        return f"duckdb:///{self.work}"

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def build_demo(engine: sa.Engine, scale: int, seed: int) -> None:
    from forcedsync_kit import demo

    demo.build(engine, scale=scale, seed=seed)
    engine.dispose()


def pg_url(schema_name: str = PG_SCHEMA) -> str:
    return f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema_name}"


def pg_reachable() -> str | None:
    """None when the PostgreSQL server answers, else the first line of the error."""
    try:
        eng = sa.create_engine(PG_ADMIN_URL, poolclass=NullPool)
        with eng.connect() as conn:
            conn.execute(sa.text("select 1"))
        return None
    except Exception as exc:  # any failure to reach the server
        return str(exc).splitlines()[0]


class PgWorkspace(Workspace):
    """The demo in a schema (``bench``); ``fresh`` restores the mutable tables.

    A copy of the whole database per measurement would cost minutes at this size; the
    runs only write SYNCDATA and the toolkit's run tables, so those are truncated and
    SYNCDATA is reloaded from a snapshot table taken after the build (then analysed,
    as a freshly loaded table would be). ``reuse=True`` adopts a schema that already
    holds the demo (taking the snapshot if it is missing) and leaves it in place.
    """

    backend = "postgresql"

    def __init__(
        self,
        scale: int,
        *,
        seed: int = 42,
        schema: str = PG_SCHEMA,
        reuse: bool = False,
    ) -> None:
        self.scale, self.schema, self.reuse = scale, schema, reuse
        self.source = f"schema {schema}" if reuse else f"demo scale {scale}"
        self.build_seconds = 0.0
        self.admin = sa.create_engine(PG_ADMIN_URL, poolclass=NullPool)
        t0 = time.perf_counter()
        try:
            self._prepare(scale, seed)
        except BaseException:  # interrupted or failed: leave no schema behind
            self.close()
            raise
        if not reuse:
            self.build_seconds = time.perf_counter() - t0
            log(f"postgresql: built in {self.build_seconds:.0f} s")

    def _prepare(self, scale: int, seed: int) -> None:
        schema, reuse = self.schema, self.reuse
        if not reuse:
            with self.admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            log(f"postgresql: building demo scale {scale} in schema {schema}")
            build_demo(fs.connect(self.url()), scale, seed)
        engine = sa.create_engine(self.url(), poolclass=NullPool)
        with engine.begin() as conn:
            conn.execute(
                sa.text("CREATE TABLE IF NOT EXISTS bench_syncdata AS TABLE syncdata")
            )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
        engine.dispose()

    def fresh(self) -> str:
        engine = sa.create_engine(self.url(), poolclass=NullPool)
        with engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE " + ", ".join(MUTABLE)))
            conn.execute(sa.text("INSERT INTO syncdata SELECT * FROM bench_syncdata"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE " + ", ".join(MUTABLE)))
        engine.dispose()
        return self.url()

    def url(self, options: str = "") -> str:
        """The schema's URL; ``options`` adds settings, e.g. ``"jit=off"``."""
        extra = "".join(f"%20-c{o.replace('=', '%3D')}" for o in options.split() if o)
        return pg_url(self.schema) + extra

    def close(self) -> None:
        if not self.reuse:
            with self.admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        self.admin.dispose()


def engine_for(url: str) -> sa.Engine:
    return fs.connect(url)


def data_sizes(url: str) -> dict[str, int]:
    """Rows of the tables that matter for the figures."""
    engine = sa.create_engine(url, poolclass=NullPool)
    out = {}
    with engine.connect() as conn:
        for t in ("btask", "bcall", "bappoint", "correspond", "syncdata", "synclink"):
            out[t] = int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(s.metadata.tables[t])
                ).scalar()
                or 0
            )
    engine.dispose()
    out["activities"] = out["btask"] + out["bcall"] + out["bappoint"]
    return out


# --- timing --------------------------------------------------------------------------


@dataclasses.dataclass
class Sample:
    """Seconds of the runs of one measurement."""

    runs: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def count_statements(engine: sa.Engine, fn: Callable[[], Any]) -> tuple[list[str], Any]:
    """Run ``fn`` with the toolkit's SQL trace hook on; return the statements seen."""
    seen: list[str] = []
    with fs_db().trace(engine, lambda sql, params: seen.append(sql)):
        value = fn()
    return seen, value


def fs_db() -> Any:
    from forcedsync_kit import db

    return db


def statement_kind(sql: str) -> str:
    words = " ".join(sql.split())[:80]
    return words


# --- subprocesses --------------------------------------------------------------------


def run_child(args: Sequence[str], timeout: float) -> dict[str, Any]:
    """Run ``_child.py`` with ``args``; return the JSON it prints (its last line)."""
    cmd = [sys.executable, str(HERE / "_child.py"), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed: {proc.stderr.strip()[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# --- the report ----------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GB"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
    }


def versions(pg: bool) -> dict[str, str]:
    import duckdb
    import psycopg

    out = {
        "python": platform.python_version(),
        "forcedsync": fs.__version__,
        "sqlalchemy": sa.__version__,
        "duckdb": duckdb.__version__,
        "psycopg": psycopg.__version__,
    }
    if pg:
        with contextlib.suppress(Exception):
            eng = sa.create_engine(PG_ADMIN_URL, poolclass=NullPool)
            with eng.connect() as conn:
                out["postgresql"] = str(
                    conn.execute(sa.text("show server_version")).scalar()
                )
    with contextlib.suppress(Exception):
        out["git"] = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    return out


def fmt_seconds(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:,.0f} s"
    if x >= 1:
        return f"{x:.2f} s"
    return f"{x * 1000:.1f} ms"


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:,.0f}x"
    return f"{x:.2f}x"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table (reads as a plain-text table on a terminal too)."""
    widths = [
        max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(h)
        for i, h in enumerate(headers)
    ]

    def line(cells: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))
            + " |"
        )

    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[Callable[[], float]]:
    """Yield a function giving the seconds left before ``seconds`` from now."""
    end = time.monotonic() + seconds
    yield lambda: end - time.monotonic()
