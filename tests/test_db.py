"""The database layer: URLs, init that never drops, DuckDB busy waiting, tracing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from builders import World, count

from forcedsync_kit import BackendError, db
from forcedsync_kit import schema as s


def test_plain_path_and_postgres_urls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORCEDSYNC_DB_URL", raising=False)
    monkeypatch.delenv("FORCEDSYNC_DB", raising=False)
    assert db.resolve_url(str(tmp_path / "a.duckdb")).get_backend_name() == "duckdb"
    pg = db.resolve_url("postgresql://postgres:secret@127.0.0.1:5432/test")
    assert pg.drivername == "postgresql+psycopg"
    assert "secret" not in db.masked(pg)
    monkeypatch.setenv("FORCEDSYNC_DB", str(tmp_path / "env.duckdb"))
    assert db.resolve_url(None).database == str(tmp_path / "env.duckdb")
    with pytest.raises(BackendError, match="not supported"):
        db.connect("sqlite:///x.db")


def test_init_creates_missing_tables_and_keeps_data(engine: sa.Engine) -> None:
    World(engine).base().commit()
    users = count(engine, s.autilis)
    with engine.begin() as conn:
        s.fsyold.drop(conn)
    assert db.init(engine) == ["fsyold"]
    assert db.init(engine) == []
    assert count(engine, s.autilis) == users


def index_names(engine: sa.Engine) -> set[str]:
    """The secondary indexes of the database (duckdb-engine reflects none)."""
    if engine.dialect.name == "duckdb":
        with engine.connect() as conn:
            sql = "SELECT index_name FROM duckdb_indexes()"
            return set(conn.execute(sa.text(sql)).scalars())
    inspector = sa.inspect(engine)
    return {
        str(i["name"])
        for t in inspector.get_table_names()
        for i in inspector.get_indexes(t)
    }


PG_ONLY = {
    "syncdata_usr_key",
    "synclink_usr_key",
    "btask_rep",
    "bcall_rep",
    "bappoint_org",
    "correspond_bpr",
}


def test_secondary_indexes_are_made_on_postgresql_only(engine: sa.Engine) -> None:
    # On DuckDB an ART index on SYNCDATA (user, type, key) made every COMMIT that
    # deletes the superseded rows 20-40x slower; PostgreSQL needs it at scale.
    names = index_names(engine)
    assert names >= {"fsylog_run", "fsyold_run"}
    if engine.dialect.name == "postgresql":
        assert names >= PG_ONLY
    else:
        assert names & PG_ONLY == set()
    assert {i.name for i in s.syncdata.indexes} == set()  # the model stays clean


def test_init_removes_the_index_older_versions_made_on_duckdb(
    tmp_path: Path,
) -> None:
    engine = db.connect(tmp_path / "old.duckdb")
    db.init(engine)
    World(engine).base().commit()
    with engine.begin() as conn:  # what init made before 2026-12-01
        conn.execute(
            sa.text("CREATE INDEX syncdata_usr_key ON syncdata(sydusr, sydtyp, sydkey)")
        )
    users = count(engine, s.autilis)
    assert "syncdata_usr_key" in index_names(engine)
    assert db.init(engine) == []
    assert index_names(engine) == {"fsylog_run", "fsyold_run"}
    assert count(engine, s.autilis) == users


def test_uninitialised_database_is_refused(tmp_path: Path) -> None:
    from forcedsync_kit import Criteria, preview

    with pytest.raises(BackendError, match="forcedsync init"):
        preview(db.connect(tmp_path / "empty.duckdb"), Criteria(seltsk=True))


HOLD = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
con.execute("begin transaction")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _holder(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_duckdb_file_held_by_another_process_waits_then_fails(tmp_path: Path) -> None:
    path = tmp_path / "busy.duckdb"
    engine = db.connect(path)
    db.init(engine)
    proc = _holder(path, 3.0)
    try:
        started = time.monotonic()
        busy = "is busy: another forcedsync process"
        with pytest.raises(BackendError, match=busy), db.reading(engine, timeout=0.5):
            pass
        assert time.monotonic() - started < 3.0
        with db.reading(engine, timeout=30) as conn:  # waits for the holder to end
            assert (
                conn.execute(sa.select(sa.func.count()).select_from(s.fsyrun)).scalar()
                == 0
            )
    finally:
        proc.wait(timeout=30)


def test_trace_sees_a_handful_of_statements_per_force(engine: sa.Engine) -> None:
    from builders import NOW

    from forcedsync_kit import Criteria, force

    w = World(engine).base()
    for i in range(50):
        w.task(f"T{i:02d}")
        w.queue("TSK", f"T{i:02d}", "C")
    w.commit()
    seen: list[str] = []
    with db.trace(engine, lambda sql, params: seen.append(sql)):
        force(engine, Criteria(seltsk=True), operator="ADMIN", now=NOW)
    writes = [
        q.split()[0].upper()
        for q in seen
        if q.split()[0].upper() in ("INSERT", "DELETE", "UPDATE")
    ]
    assert writes == ["INSERT", "INSERT", "DELETE", "INSERT", "INSERT", "INSERT"]
    assert len(seen) < 40  # independent of the 50 records: no per-record statements


def test_postgres_writer_waits_for_the_lock_then_fails(backend: str) -> None:
    if not backend.startswith("postgresql"):
        pytest.skip("the advisory lock is PostgreSQL's")
    engine = db.connect(backend)
    holder = db.connect(backend)
    with db.writing(holder):  # another run holds the writers' lock
        started = time.monotonic()
        busy = pytest.raises(BackendError, match="is busy: another forcedsync run")
        with busy, db.writing(engine, timeout=0.5):
            pass
        assert time.monotonic() - started < 10
    with db.writing(engine, timeout=0.5) as conn:  # free again
        assert conn.execute(sa.select(sa.literal(1))).scalar() == 1


def test_bad_busy_timeout_setting_is_a_clear_error(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCEDSYNC_BUSY_TIMEOUT", "soon")
    bad = pytest.raises(BackendError, match="FORCEDSYNC_BUSY_TIMEOUT='soon'")
    with bad, db.reading(engine):
        pass
