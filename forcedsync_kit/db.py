"""Engines and connections: the database URL, opening and waiting, schema creation.

The dialect differences (capabilities, the writers' lock, statistics, expressions, the
SQL trace hook) live in ``dbcaps``; every name of it is re-exported here, so callers
keep writing ``db.capabilities``, ``db.trace``, ``db.timestamp_key``...
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from . import schema, tables, x3check
from .dbcaps import (
    ANALYZE_THRESHOLD,
    CAPS,
    Capabilities,
    advisory_lock,
    capabilities,
    queue_key,
    refresh_statistics,
    timestamp_key,
    trace,
)
from .errors import BackendError
from .folderdb import folder_defaults, folder_layout, folder_lock
from .layout import Layout

__all__ = [
    "ANALYZE_THRESHOLD",
    "DEFAULT_BUSY_TIMEOUT",
    "DEFAULT_DB",
    "MAX_BUSY_TIMEOUT",
    "Capabilities",
    "capabilities",
    "connect",
    "folder_defaults",
    "folder_layout",
    "init",
    "masked",
    "queue_key",
    "reading",
    "refresh_statistics",
    "require_schema",
    "resolve_url",
    "timestamp_key",
    "trace",
    "url_source",
    "writing",
]

logger = logging.getLogger(__name__)

#: Default DuckDB file when neither an argument nor the environment names a database.
DEFAULT_DB = "forcedsync.duckdb"
#: How long a DuckDB writer waits for another process to release the file (seconds).
DEFAULT_BUSY_TIMEOUT = 60.0


def url_source(url: str | URL | None = None) -> tuple[str, str | URL]:
    """Where the database URL comes from, and its raw value.

    Returns:
        ``(source, raw)``: source is ``"--db"``, ``"FORCEDSYNC_DB_URL"``,
        ``"FORCEDSYNC_DB"`` or ``"the default"``, so a message can name the real origin
        of a bad URL (a URL taken from the environment is never "None").
    """
    if url is not None and url != "":
        return "--db", url
    for name in ("FORCEDSYNC_DB_URL", "FORCEDSYNC_DB"):
        value = os.environ.get(name)
        if value:
            return name, value
    return "the default", DEFAULT_DB


def resolve_url(url: str | URL | None = None) -> URL:
    """An argument, ``FORCEDSYNC_DB_URL``/``FORCEDSYNC_DB`` or the default, as a URL.

    A plain path (no ``://``) is a DuckDB file.
    """
    raw = url_source(url)[1]
    if isinstance(raw, URL):
        return raw
    text = str(raw)
    if "://" not in text:
        path = Path(text).expanduser().resolve()
        return make_url(f"duckdb:///{path}")
    if text.startswith(("postgresql://", "postgres://")):
        text = "postgresql+psycopg://" + text.split("://", 1)[1]
    return make_url(text)


# The password of a URL written as text ("scheme://user:PASSWORD@host"), for URLs that
# SQLAlchemy cannot parse and so cannot mask itself.
_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
#: Longest URL text quoted in a message (a 100 kB value is cut, never echoed).
_MAX_SHOWN = 120


def masked(url: str | URL) -> str:
    """The URL as text with its password hidden, for messages and logs."""
    try:
        text = make_url(url).render_as_string(hide_password=True)
    except Exception:  # not parseable: hide what looks like a password by hand
        text = _PASSWORD.sub(r"\1***@", str(url))
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…"


def _hidden(text: str, url: URL) -> str:
    """The first line of an error, without the URL's password, cut to a sentence."""
    line = text.strip().splitlines()[0] if text.strip() else "unknown error"
    if url.password:
        line = line.replace(str(url.password), "***")
    line = _PASSWORD.sub(r"\1***@", line).rstrip(".")
    return line if len(line) <= _MAX_SHOWN else line[:_MAX_SHOWN] + "…"


def connect(url: str | URL | None = None, *, layout: Layout | None = None) -> Engine:
    """Create an engine for a DuckDB file or a PostgreSQL database.

    Args:
        url: SQLAlchemy URL, ``postgresql://...``, or a path to a DuckDB file. Defaults
            to ``FORCEDSYNC_DB_URL``, ``FORCEDSYNC_DB``, then ``./forcedsync.duckdb``.
        layout: the live X3 folder the engine works on (SPEC §8); default
            ``folder_layout()``, None there meaning the toolkit's own tables. A folder
            is checked (``x3check.require``) when the engine is first opened.

    Returns:
        An engine. DuckDB engines use ``NullPool`` so the file lock is released as soon
        as a block ends (Voila, kernels, papermill and the CLI are separate processes).

    Raises:
        BackendError: the URL is malformed or its dialect unsupported.
    """
    source, raw = url_source(url)
    try:
        u = resolve_url(url)
    except Exception:
        # SQLAlchemy's message repeats the URL, password included: never show it.
        raise BackendError(
            f"Database URL {masked(raw)!r} (from {source}) is not a valid SQLAlchemy "
            f"URL or DuckDB file path."
        ) from None
    if u.get_backend_name() not in CAPS:
        raise BackendError(
            f"Database {masked(u)!r} (from {source}) is not supported: use a DuckDB "
            f"file or PostgreSQL (run-tested), SQL Server or Oracle (compile-tested)."
        )
    kwargs: dict[str, Any] = {}
    if u.get_backend_name() == "duckdb":
        kwargs["poolclass"] = NullPool
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = sa.create_engine(u, **kwargs)
    except Exception as exc:  # driver missing, bad query option...: one sentence
        raise BackendError(
            f"Database {masked(u)!r} (from {source}) cannot be used: "
            f"{_hidden(str(exc), u)}."
        ) from None
    if u.get_backend_name() == "postgresql":
        sa.event.listen(engine, "connect", _pg_session)
    tables.bind(engine, layout if layout is not None else folder_layout())
    return engine


def _pg_session(dbapi_conn: Any, record: Any) -> None:
    """Session settings of every PostgreSQL connection.

    JIT off: the planner's row estimates for the classified selection are far too high
    and make PostgreSQL JIT-compile the preview query for seconds (1.71x faster previews
    at 1M records without it, docs/performance.md).
    """
    with dbapi_conn.cursor() as cur:
        cur.execute("SET jit = off")
    dbapi_conn.commit()


# DuckDB's message when another process holds the file ("IO Error: Could not set lock on
# file ...: Conflicting lock is held in ...").
_BUSY = re.compile(r"Could not set lock|Conflicting lock", re.IGNORECASE)


def _missing_file(engine: Engine) -> Path | None:
    """The DuckDB file of the engine when it does not exist yet (else None)."""
    name = engine.url.database
    if engine.dialect.name != "duckdb" or not name or name == ":memory:":
        return None
    path = Path(name)
    return None if path.exists() else path


def _open(engine: Engine, timeout: float, create: bool = False) -> Connection:
    missing = _missing_file(engine)
    if missing is not None:
        if not create:
            raise BackendError(
                f"Database file {str(missing)!r} does not exist: run 'forcedsync init' "
                f"(or 'forcedsync demo') first, or give the right --db."
            )
        missing.parent.mkdir(parents=True, exist_ok=True)
    # Only opening is retried, never the work: the caller's block runs once.
    caps = capabilities(engine)
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            conn = engine.connect()
        except Exception as exc:
            busy = caps.file_lock and _BUSY.search(str(exc)) is not None
            if not busy:
                raise BackendError(
                    f"Cannot open database {masked(engine.url)!r}: "
                    f"{str(exc).splitlines()[0]}."
                ) from None
            if time.monotonic() >= deadline:
                raise BackendError(
                    f"Database {masked(engine.url)!r} is busy: another forcedsync "
                    f"process has held it for over {timeout:g} s; try again when it "
                    f"has finished."
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
            continue
        return _checked(conn)


def _checked(conn: Connection) -> Connection:
    """``conn``, once its engine's folder passed ``x3check.require`` (once per engine).

    Raises:
        BackendError: the folder does not match the mapping (the connection is closed).
    """
    engine = conn.engine
    layout = tables.layout_of(engine)
    if layout is None or not tables.needs_check(engine):
        return conn
    try:
        x3check.require(conn, layout)
    except BaseException:
        conn.close()
        raise
    conn.rollback()
    tables.mark_checked(engine)
    return conn


#: Longest wait for a busy database (one day): a bound, so "inf" is refused.
MAX_BUSY_TIMEOUT = 86_400.0


def _timeout(timeout: float | None) -> float:
    if timeout is not None:
        return timeout
    raw = os.environ.get("FORCEDSYNC_BUSY_TIMEOUT", "")
    if raw.strip() == "":
        return DEFAULT_BUSY_TIMEOUT
    try:
        value = float(raw) if raw.strip().isascii() else -1.0
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_BUSY_TIMEOUT:  # also refuses nan and inf
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        raise BackendError(
            f"FORCEDSYNC_BUSY_TIMEOUT={shown!r} is not a number of seconds from 0 to "
            f"{MAX_BUSY_TIMEOUT:g} (e.g. 60)."
        )
    return value


@contextlib.contextmanager
def reading(engine: Engine, timeout: float | None = None) -> Iterator[Connection]:
    """A connection for reads, waiting while another process holds a DuckDB file."""
    conn = _open(engine, _timeout(timeout))
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def writing(
    engine: Engine, timeout: float | None = None, *, create: bool = False
) -> Iterator[Connection]:
    """One flat transaction for a SYNCDATA writer, serialised against the others.

    On PostgreSQL the first statement takes a transaction-scoped advisory lock, so two
    runs never interleave their reads and writes (NOT EXISTS alone would not stop two
    concurrent inserts). DuckDB has one writer process per file; ``_open`` waits for it.
    A DuckDB file that does not exist is refused unless ``create`` (``init`` only).
    """
    wait = _timeout(timeout)
    conn = _open(engine, wait, create=create)
    try:
        with conn.begin():
            layout = tables.layout_of(conn)
            if layout is not None:
                folder_lock(conn, layout, wait, masked(conn.engine.url))
            elif capabilities(conn).advisory_lock:
                advisory_lock(conn, wait, masked(conn.engine.url))
            yield conn
    finally:
        conn.close()


# --- schema --------------------------------------------------------------------------

# Indexes that PostgreSQL needs at scale; DuckDB scans columnar data and its ART indexes
# only slow bulk loads (and every COMMIT that deletes SYNCDATA rows: 40-90 ms per 2,000
# rows with the (user, type, key) index, 1-2 ms without), so they are created on
# PostgreSQL alone. They are declared on copies of the tables in a MetaData of their
# own: an Index on ``schema.syncdata``'s columns would join that table's indexes, and
# ``metadata.create_all`` would create it on every backend.
_PG_ONLY = sa.MetaData()
_syncdata = schema.syncdata.to_metadata(_PG_ONLY)
_synclink = schema.synclink.to_metadata(_PG_ONLY)
_PG_INDEXES = (
    sa.Index(
        "syncdata_usr_key", _syncdata.c.sydusr, _syncdata.c.sydtyp, _syncdata.c.sydkey
    ),
    sa.Index(
        "synclink_usr_key", _synclink.c.sylusr, _synclink.c.syltyp, _synclink.c.sylkey
    ),
    sa.Index("btask_rep", schema.btask.to_metadata(_PG_ONLY).c.tskrep),
    sa.Index("bcall_rep", schema.bcall.to_metadata(_PG_ONLY).c.cllrep),
    sa.Index("bappoint_org", schema.bappoint.to_metadata(_PG_ONLY).c.atprepmna),
    sa.Index("correspond_bpr", schema.correspond.to_metadata(_PG_ONLY).c.bprnum),
)


def init(engine: Engine) -> list[str]:
    """Create the tables (and indexes) that are missing; never drops or alters anything.

    On an engine bound to a live folder, only the toolkit's own tables are created,
    in the toolkit schema, and only once the folder passed the check (SPEC §8).

    Returns:
        The names of the tables that were created.
    """
    layout = tables.layout_of(engine)
    if layout is not None:
        return _init_toolkit(engine, layout)
    with writing(engine, create=True) as conn:
        insp = sa.inspect(conn)
        existing = set(insp.get_table_names())
        missing = [t for t in schema.metadata.sorted_tables if t.name not in existing]
        schema.metadata.create_all(conn, tables=missing, checkfirst=True)
        if capabilities(conn).name == "postgresql":
            for index in _PG_INDEXES:
                index.create(conn, checkfirst=True)
        else:  # made on DuckDB by versions before 2026-12-01: ours, and only a cost
            for index in _PG_INDEXES:
                conn.execute(sa.schema.DropIndex(index, if_exists=True))
    return [t.name for t in missing]


def _init_toolkit(engine: Engine, layout: Layout) -> list[str]:
    """Create the toolkit's own tables in ``layout.toolkit_schema`` (never X3's)."""
    with writing(engine, create=True) as conn:
        own = layout.toolkit_schema
        if own:
            name = conn.dialect.identifier_preparer.quote_identifier(own)
            # Identifiers cannot be bound; the name comes from an option, quoted.
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {name}"))
        existing = set(sa.inspect(conn).get_table_names(schema=own))
        missing = [
            t for t in tables.for_toolkit_tables(layout) if t.name not in existing
        ]
        layout.metadata.create_all(conn, tables=missing, checkfirst=True)
    return [t.name for t in missing]


def require_schema(conn: Connection) -> None:
    """Raise ``BackendError`` when the database has not been initialised."""
    layout = tables.layout_of(conn)
    if layout is not None:
        wanted = tables.for_toolkit_tables(layout)
        names = set(sa.inspect(conn).get_table_names(schema=layout.toolkit_schema))
    else:
        wanted = schema.metadata.sorted_tables
        names = set(sa.inspect(conn).get_table_names())
    missing = [t for t in wanted if t.name not in names]
    if missing:
        raise BackendError(
            f"Database {masked(conn.engine.url)!r} lacks table "
            f"{missing[0].name!r}: run 'forcedsync init' (or 'forcedsync demo') first."
        )
