"""Dialect capabilities: run on DuckDB/PostgreSQL, compiled for SQL Server/Oracle.

The golden files under tests/golden/x3 hold the representative statements of a run on
an X3 folder (a selection, the force insert-from-select, the undo delete, the lock)
as SQLAlchemy compiles them for SQL Server and Oracle; ``--update-golden`` rewrites.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mssql, oracle

from forcedsync_kit import dialects, keys
from forcedsync_kit.criteria import Criteria, ObjectType
from forcedsync_kit.errors import BackendError
from forcedsync_kit.layout import Layout
from forcedsync_kit.results import RunContext
from forcedsync_kit.selection import classify, compile_selection
from forcedsync_kit.tables import Tables

GOLDEN = Path(__file__).parent / "golden" / "x3"
COMPILED = {"mssql": mssql.dialect(), "oracle": oracle.dialect()}


def test_every_known_dialect_has_a_capability_record() -> None:
    assert set(dialects.DIALECTS) == {"duckdb", "postgresql", "mssql", "oracle"}
    run = {n for n, c in dialects.DIALECTS.items() if c.run_tested}
    assert run == {"duckdb", "postgresql"}
    assert dialects.caps("mssql").lock == "applock"
    assert dialects.caps(oracle.dialect()).string_agg == "LISTAGG"


def test_unknown_dialect_refused_in_one_line() -> None:
    with pytest.raises(BackendError) as err:
        dialects.caps(sa.create_engine("sqlite://"))
    msg = str(err.value)
    assert "'sqlite'" in msg and "duckdb, mssql, oracle, postgresql" in msg
    assert "\n" not in msg


def _sql(stmt: Any, dialect: str) -> str:
    return str(stmt.compile(dialect=COMPILED[dialect]))


def test_compiled_spellings() -> None:
    t = sa.table("t", sa.column("a", sa.String), sa.column("ts", sa.DateTime))
    ms, ora = dialects.caps("mssql"), dialects.caps("oracle")
    assert "STRING_AGG(t.a, :param_1) WITHIN GROUP (ORDER BY t.a)" in _sql(
        sa.select(dialects.string_agg(ms, t.c.a, "|", t.c.a)), "mssql"
    ).replace("string_agg", "STRING_AGG")
    assert "listagg(t.a, :param_1) WITHIN GROUP (ORDER BY t.a)" in _sql(
        sa.select(dialects.string_agg(ora, t.c.a, "|", t.c.a)), "oracle"
    )
    assert "CAST(newid() AS BINARY(16))" in _sql(
        sa.select(dialects.new_uuid(ms)), "mssql"
    )
    assert "sys_guid()" in _sql(sa.select(dialects.new_uuid(ora)), "oracle")
    assert "COLLATE Latin1_General_BIN2" in _sql(
        sa.select(t.c.a).where(dialects.byte_order(ms, t.c.a) >= "A"), "mssql"
    )
    assert "convert(VARCHAR(10), t.ts" in _sql(
        sa.select(dialects.timestamp_text(ms, t.c.ts)), "mssql"
    )
    assert "FROM all_tab_columns" in _sql(
        dialects.catalog_columns(ora, "SEED"), "oracle"
    )
    assert "sp_getapplock" in str(dialects.lock_statement(ms, "SEED", 5000))
    assert "DBMS_LOCK.REQUEST" in str(dialects.lock_statement(ora, "SEED", 5000))
    assert dialects.lock_statement(dialects.caps("duckdb"), "SEED", 5000) is None


def test_run_tested_pieces(engine: sa.Engine) -> None:
    caps = dialects.caps(engine)
    rows = sa.values(
        sa.column("k", sa.String), sa.column("v", sa.String), name="r"
    ).data([("a", "y"), ("a", "x"), ("b", "z")])
    when = dt.datetime(2026, 3, 4, 5, 6, 7)
    agg = (
        sa.select(rows.c.k, dialects.string_agg(caps, rows.c.v, "|", rows.c.v))
        .group_by(rows.c.k)
        .order_by(rows.c.k)
    )
    with engine.begin() as conn:
        assert conn.execute(agg).all() == [("a", "x|y"), ("b", "z")]
        ts = sa.literal(when, sa.DateTime)
        text = conn.execute(sa.select(dialects.timestamp_text(caps, ts))).scalar()
        assert text == when.strftime("%Y-%m-%d%H%M%S")
        day = sa.literal(when.date(), sa.Date)
        assert conn.execute(sa.select(dialects.date_text(caps, day))).scalar() == (
            "2026-03-04"
        )
        ids = conn.execute(
            sa.select(dialects.new_uuid(caps)).select_from(rows)
        ).scalars()
        got = [bytes(i) for i in ids]
        assert len(got) == 3 and len(set(got)) == 3 and all(len(i) == 16 for i in got)
        assert conn.execute(
            sa.select(dialects.byte_order(caps, sa.literal("B")) < "a")
        ).scalar()
        lock = dialects.lock_statement(caps, "SEED", 1000)
        if lock is not None:
            conn.execute(lock)
        tables = {r[0] for r in conn.execute(dialects.catalog_columns(caps, None))}
        assert "syncdata" in tables


# --- golden SQL of a run on an X3 folder (SQL Server, Oracle) ------------------------


def _statements(caps: dialects.DialectCaps) -> dict[str, Any]:
    x3 = Layout("x3", folder="SEED", toolkit_schema="FSY")
    t, q, lg = x3.table("btask"), x3.table("syncdata"), x3.own("fsylog")
    selection = sa.select(
        sa.literal("TSK").label("sydtyp"),
        t.c.tsknum.label("sydkey"),
        dialects.timestamp_text(caps, t.c.upddattim).label("upd"),
    ).where(
        t.c.tskrep == sa.bindparam("rep"),
        dialects.byte_order(caps, t.c.tsknum) >= sa.bindparam("lo"),
        x3.value(t.c.tskstr) >= sa.bindparam("since", type_=sa.Date),
        x3.is_empty(t.c.tskcor),
    )
    src = sa.select(
        sa.bindparam("user"), lg.c.sydtyp, lg.c.sydkey,
        sa.literal("R"), sa.bindparam("day", type_=sa.Date), sa.bindparam("hour"),
    ).where(lg.c.runid == sa.bindparam("run"), lg.c.newsydnum.is_not(None))  # fmt: skip
    names = ["sydusr", "sydtyp", "sydkey", "sydatttyp", "syddat", "sydhou"]
    key = {"sydnum": keys.sequence_key(x3)}
    undo = sa.delete(q).where(
        q.c.sydusr == sa.bindparam("user"),
        sa.exists().where(lg.c.runid == sa.bindparam("run"),
                          lg.c.newsydnum == q.c.sydnum),
    )  # fmt: skip
    return {
        "selection": selection,
        "force": x3.insert_from_select("syncdata", names, src, caps, direct=key),
        "undo": undo,
        "lock": dialects.lock_statement(caps, "SEED", 60000),
        "parameters": sa.select(x3.parameter_values()),
    }


def _classified(caps: dialects.DialectCaps) -> Any:
    """The toolkit's own selection and classification (SPEC §3-5) of every type, with
    code ranges, on an X3 folder: what ``marking.plan`` runs, as the dialect gets it."""
    tb = Tables(Layout("x3", folder="SEED", toolkit_schema="FSY"))
    criteria = Criteria.from_params(
        {"SELCOR": "1", "CORDEB": "K1", "CORFIN": "K9", "SELTSK": "1",
         "TSKFORCOR": "1", "SELCLL": "1", "SELBAP": "1", "BAPFORREP": "1",
         "ONLYOOP": "1"}
    )  # fmt: skip
    ctx = RunContext("ADMIN", "ADMIN", "FR10", 1, "REP01")
    selection = compile_selection(criteria, ctx, list(ObjectType), tb)
    return classify(
        selection,
        user="ADMIN",
        now=dt.datetime(2026, 12, 1, 12, 0),
        staledays=7,
        timestamp_key=lambda col: dialects.timestamp_text(caps, col),
        only_oop=True,
        tables=tb,
    )


CASES = ["selection", "force", "undo", "lock", "parameters", "classified"]


@pytest.mark.parametrize("dialect", sorted(COMPILED))
@pytest.mark.parametrize("case", CASES)
def test_x3_statements_match_golden(
    case: str, dialect: str, update_golden: bool
) -> None:
    caps = dialects.caps(dialect)
    stmt = _classified(caps) if case == "classified" else _statements(caps)[case]
    sql = _sql(stmt, dialect).rstrip() + "\n"
    path = GOLDEN / f"{case}.{dialect}.sql"
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql)
    assert path.exists(), f"{path} missing: run pytest --update-golden and review it"
    assert sql == path.read_text()
