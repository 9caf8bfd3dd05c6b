"""Deterministic demo data at any scale: an X3 CRM folder with a synchronization queue.

``build`` fills the X3 tables of SPEC §2 with a folder that exercises every path of the
forced synchronization: three companies and their sites, sales reps, customers, leads,
Outlook contacts of every kind, three years of tasks, calls and appointments, a SYNCDATA
queue holding every action letter (stale and recent rows, several rows for one record,
records changed after they were queued) and SYNCLINK anomalies. The named users of
``USERS`` (ADMIN, SALES1, SALES2, NOREP, NOSYNC, GONE) are what tests and docs rely on.

Every value comes from numpy's ``Generator(PCG64)`` seeded from ``seed``, one stream per
table and chunk of ``_CHUNK`` rows, so a seed gives the same rows on DuckDB and on
PostgreSQL whatever the machine. Rows are generated into pandas frames a chunk at a time
and bulk-loaded (DuckDB: a registered frame and ``INSERT … SELECT``; PostgreSQL:
``COPY``), all in one transaction. Sizes are linear in ``scale``: scale 1 has about
5,200 activities; ``LARGE_SCALE`` (1000) has 5.2 million and about 1.3 million queue
rows, of which REP01 (ADMIN's rep) owns a quarter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .. import db, schema
from ..errors import CriteriaError, FolderNotEmptyError
from .base import (
    PER_SCALE,
    Array,
    Columns,
    Records,
    World,
    chunk_bounds,
    stream_rng,
)
from .loader import Loader
from .reference import load_people, load_reference
from .syncqueue import anomaly_rows, gone_keys, queue_rows
from .tables import (
    make_appointments,
    make_calls,
    make_contacts,
    make_tasks,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What ``build`` loaded.

    Attributes:
        seed: The seed the rows were generated from.
        scale: The scale factor (sizes are linear in it).
        rows: Rows loaded per X3 table, for every X3 table (lower-case names).
        seconds: Wall-clock duration of the build, commit included.
    """

    seed: int
    scale: int
    rows: Mapping[str, int]
    seconds: float


def _refresh_statistics(engine: Engine, rows: Mapping[str, int]) -> None:
    """PostgreSQL: planner statistics of the loaded tables now, not when autovacuum
    gets to it (a first force on a fresh scale-30 demo took 45-60 s on empty
    statistics, about 1 s after)."""
    loaded = [schema.metadata.tables[name] for name, n in rows.items() if n]
    db.refresh_statistics(engine, loaded, sum(rows.values()), always=True)


def build(
    engine: Engine,
    *,
    scale: int = 1,
    seed: int = 42,
    progress: Callable[[str, float], None] | None = None,
    replace: bool = False,
) -> DemoSummary:
    """Load the demo folder into the X3 tables, in one transaction.

    Args:
        engine: Engine of a DuckDB or PostgreSQL database; missing tables are created.
        scale: Size factor >= 1, rows linear in it. Scale 1 has about 5,200
            activities and builds in about a second; ``LARGE_SCALE`` (1000) has 5.2
            million activities and about 1.3 million SYNCDATA rows.
        seed: Generator seed; the same seed gives the same rows on every backend.
        progress: Called as ``progress(step, fraction)`` when a step starts and after
            each chunk, with the fraction of the build done; last as ``("done", 1.0)``.
        replace: Delete the rows of every table of the schema (X3 and toolkit) first,
            instead of refusing a database whose X3 tables hold data.

    Returns:
        The seed, the scale, the rows loaded per X3 table and the duration.

    Raises:
        CriteriaError: ``scale`` is not an integer >= 1.
        FolderNotEmptyError: the X3 tables already hold data and ``replace`` is
            false (nothing is written).
        BackendError: the database cannot be used.
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise CriteriaError(
            "scale",
            scale,
            f"Demo scale {scale!r} is not valid: give an integer of 1 or more.",
            allowed="an integer >= 1",
        )
    started = time.perf_counter()
    report = progress or _no_progress
    db.init(engine)
    with db.writing(engine) as conn:
        _make_room(conn, replace=replace)
        loader = Loader(conn)
        total = sum(PER_SCALE.values()) * scale
        for step, done in _generate(loader, seed=seed, scale=scale):
            report(step, min(0.99, done / total))
        report("commit", 0.99)
    rows = {name: loader.rows.get(name, 0) for name in schema.X3_TABLES}
    _refresh_statistics(engine, rows)
    seconds = time.perf_counter() - started
    logger.info(
        "demo scale %d seed %d: %d rows in %.1f s",
        scale,
        seed,
        sum(rows.values()),
        seconds,
    )
    report("done", 1.0)
    return DemoSummary(seed=seed, scale=scale, rows=rows, seconds=seconds)


def _no_progress(step: str, fraction: float) -> None:
    """Progress sink used when the caller gives none."""


# --- before loading ------------------------------------------------------------------


def _make_room(conn: Connection, *, replace: bool) -> None:
    # Demo rows must never mix with a real folder's: refuse unless told to wipe.
    holding = None
    for name in schema.X3_TABLES:
        table = schema.metadata.tables[name]
        query = sa.select(sa.literal(1)).select_from(table).limit(1)
        if conn.execute(query).first() is not None:
            holding = name
            break
    if holding is None:
        return
    if not replace:
        raise FolderNotEmptyError(
            holding,
            db.masked(conn.engine.url),
            "build the demo into an empty database or pass replace=True to delete "
            "every row first.",
        )
    logger.info("demo: deleting the rows of every table first")
    for table in reversed(schema.metadata.sorted_tables):
        conn.execute(sa.delete(table))


# --- the whole build -----------------------------------------------------------------

_Maker = Callable[[World, np.random.Generator, int, int], tuple[Columns, Records]]
_ACTIVITIES: tuple[tuple[str, sa.Table, str, _Maker], ...] = (
    ("tasks", schema.btask, "T", make_tasks),
    ("calls", schema.bcall, "K", make_calls),
    ("appointments", schema.bappoint, "A", make_appointments),
)


def _finish(
    loader: Loader,
    w: World,
    rng: np.random.Generator,
    table: sa.Table,
    chunk: tuple[Columns, Records],
    gone: Array,
) -> None:
    cols, rec = chunk
    queue = queue_rows(w, rng, rec, gone)  # first: it rewrites the records' UPDDATTIM
    loader.load(table, cols)
    loader.load(schema.syncdata, queue)
    loader.load(schema.synclink, anomaly_rows(w, rng, rec))


def _generate(loader: Loader, *, seed: int, scale: int) -> Iterator[tuple[str, int]]:
    """Generate and load everything, yielding (step, rows generated so far)."""
    yield "reference data", 0
    load_reference(loader)
    yield "customers and leads", 0
    w = load_people(loader, seed, scale)
    done = sum(PER_SCALE[t] for t in ("salesrep", "bpcustomer", "lead")) * scale
    segments = (
        ("customer_contacts", PER_SCALE["customer_contacts"] * scale),
        ("lead_contacts", PER_SCALE["lead_contacts"] * scale),
        ("rep_contacts", w.nrep),
    )
    w.contacts = segments[0][1] + segments[1][1]
    total = w.contacts + w.nrep
    offset = 0
    yield "contacts", done
    for kind, count in segments:
        for number, start, stop in chunk_bounds(count):
            rng = stream_rng(seed, kind, number)
            n = stop - start
            chunk = make_contacts(loader, w, rng, kind, offset + start + 1, n)
            gone = gone_keys(rng, "OC", 7, total, offset + start, n)
            _finish(loader, w, rng, schema.correspond, chunk, gone)
            done += n if kind != "rep_contacts" else 0
            yield "contacts", done
        offset += count
    for step, table, prefix, make in _ACTIVITIES:
        count = PER_SCALE[table.name] * scale
        yield step, done
        for number, start, stop in chunk_bounds(count):
            rng = stream_rng(seed, table.name, number)
            n = stop - start
            chunk = make(w, rng, start, n)
            _finish(
                loader, w, rng, table, chunk, gone_keys(rng, prefix, 8, count, start, n)
            )
            done += n
            yield step, done
