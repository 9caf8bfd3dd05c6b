"""The layout: logical keys over physical names, empty values, inserts, keys."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from x3_helpers import x3_folder  # noqa: F401  (the ``folder`` fixture)

from forcedsync_kit import dialects, keys, schema
from forcedsync_kit.errors import BackendError, MappingError
from forcedsync_kit.layout import Layout
from forcedsync_kit.mapping import parse_mapping

Folder = tuple[sa.Engine, Layout]
EMPTY_DAY = dt.date(1753, 1, 1)


def test_columns_keep_logical_keys() -> None:
    layout = Layout("x3", folder="SEED")
    q = layout.table("syncdata")
    assert (q.name, q.schema) == ("SYNCDATA", "SEED")
    assert q.c.sydusr.name == "SYDUSR_0"
    assert layout.table("autilis").c.codusr.name == "USR_0"
    assert layout.table("bappoint").c.aptcor_4.name == "APTCOR_4"
    assert "ROWID" not in {c.name for c in q.columns}
    with pytest.raises(MappingError, match="'sydata' is not an X3 table"):
        layout.table("sydata")


def test_toolkit_layout_compiles_like_schema_py() -> None:
    layout = Layout()
    for name in schema.X3_TABLES:
        ours = sa.select(layout.table(name)).where(layout.table(name).c[0] == "X")
        theirs = sa.select(schema.metadata.tables[name])
        theirs = theirs.where(schema.metadata.tables[name].c[0] == "X")
        assert str(ours) == str(theirs)
    assert (
        layout.value(layout.table("btask").c.tskcor) is layout.table("btask").c.tskcor
    )


def test_toolkit_tables_go_in_the_toolkit_schema() -> None:
    layout = Layout("x3", folder="SEED", toolkit_schema="FSY")
    assert layout.own("fsyrun").schema == "FSY"
    assert layout.own("fsyrun") is layout.own("fsyrun")
    with pytest.raises(MappingError, match="'syncdata' is not a toolkit table"):
        layout.own("syncdata")


def _count(conn: sa.Connection, stmt: sa.Select[tuple[int]]) -> int:
    return int(conn.execute(stmt).scalar_one())


def test_same_demo_content_through_both_layouts(folder: Folder) -> None:
    engine, x3 = folder
    tk = Layout()
    with engine.connect() as conn:
        for name in schema.X3_TABLES:
            if name == "adoval":
                continue
            n_tk = _count(conn, sa.select(sa.func.count()).select_from(tk.table(name)))
            n_x3 = _count(conn, sa.select(sa.func.count()).select_from(x3.table(name)))
            assert n_tk == n_x3 > 0, name
        params = {tuple(r) for r in conn.execute(sa.select(x3.parameter_values()))}
        a = tk.table("adoval")
        expected = {
            (p, lev, k or None, v or None)
            for p, lev, k, v in conn.execute(
                sa.select(a.c.param, a.c.lev, a.c.levkey, a.c.valeur)
            )
        }
        assert params == expected
        assert any(lev == "USR" for _, lev, _, _ in params)
        raw = x3.user_params
        assert raw is not None
        users = sa.select(sa.func.count()).select_from(raw)
        assert _count(conn, users) == sum(1 for r in params if r[1] == "USR")


def test_blanks_are_stored_and_read_as_empty(folder: Folder) -> None:
    engine, x3 = folder
    tk = Layout()
    t, k = x3.table("btask"), tk.table("btask")
    with engine.connect() as conn:
        no_contact = _count(
            conn,
            sa.select(sa.func.count()).where(sa.func.coalesce(k.c.tskcor, "") == ""),
        )
        assert no_contact > 0
        blanks = sa.select(sa.func.count()).where(t.c.tskcor == " ")
        assert _count(conn, blanks) == no_contact
        nulls = sa.select(sa.func.count()).where(t.c.tskcor.is_(None))
        assert _count(conn, nulls) == 0
        read = sa.select(sa.func.count()).where(x3.value(t.c.tskcor).is_(None))
        assert _count(conn, read) == no_contact
        empty = sa.select(sa.func.count()).where(x3.is_empty(t.c.tskcor))
        assert _count(conn, empty) == no_contact


def test_insert_values_writes_empties_and_technical_columns(folder: Folder) -> None:
    engine, x3 = folder
    t = x3.table("btask")
    rows = [{"tsknum": "XT1", "tskcor": ""}, {"tsknum": "XT2", "tskstr": None}]
    with engine.begin() as conn:
        conn.execute(x3.insert_values("btask", rows))
    with engine.connect() as conn:
        got = conn.execute(
            sa.select(
                t.c.tsknum, t.c.tskstr, t.c.tskcor, t.c.tskdon, t.c.auuid, t.c.updtick,
                x3.value(t.c.tskstr), x3.is_empty(t.c.tskstr),
                sa.column("ROWID"),
            ).select_from(t).where(t.c.tsknum.in_(["XT1", "XT2"])).order_by(t.c.tsknum)
        ).all()  # fmt: skip
    assert [r[0] for r in got] == ["XT1", "XT2"]
    for r in got:
        assert (r[1], r[2], r[3], r[5], r[6], bool(r[7])) == (
            EMPTY_DAY, " ", 0, 1, None, True
        )  # fmt: skip
        assert len(bytes(r[4])) == 16 and r[8] is not None
    assert bytes(got[0][4]) != bytes(got[1][4])
    assert got[0][8] != got[1][8]


def test_insert_values_refuses_an_unknown_column(folder: Folder) -> None:
    engine, x3 = folder
    with pytest.raises(MappingError, match="no column 'tskxxx'"):
        x3.insert_values("btask", [{"tsknum": "XT9", "tskxxx": 1}])
    t = x3.table("btask")
    with engine.connect() as conn:
        n = sa.select(sa.func.count()).where(t.c.tsknum == "XT9")
        assert _count(conn, n) == 0


def test_insert_from_select_fills_blanks_uuid_and_key(folder: Folder) -> None:
    engine, x3 = folder
    q = x3.table("syncdata")
    caps = dialects.caps(engine)
    with engine.begin() as conn:
        top = _count(conn, sa.select(sa.func.max(q.c.sydnum)))
        key = keys.take(conn, x3, 2)
        src = sa.select(
            sa.literal("ADMIN").label("u"),
            sa.literal("TSK").label("t"),
            sa.literal("T000001").label("k"),
            sa.null().label("h"),
        ).union_all(
            sa.select(
                sa.literal("ADMIN"), sa.literal("TSK"), sa.literal("T000002"), sa.null()
            )
        )
        names = ["sydusr", "sydtyp", "sydkey", "sydhou"]
        stmt = x3.insert_from_select(
            "syncdata",
            names,
            sa.select(src.subquery()),
            caps,
            direct={"sydnum": key(sa.literal(1))},
        )
        conn.execute(stmt)
    with engine.connect() as conn:
        got = conn.execute(
            sa.select(q.c.sydnum, q.c.sydhou, q.c.syddat, q.c.auuid, q.c.updtick)
            .where(q.c.sydnum > top)
            .order_by(q.c.sydnum)
        ).all()
    assert len(got) == 2 and got[0][0] > top and got[1][0] > got[0][0]
    assert [(r[1], r[2], r[4]) for r in got] == [(" ", EMPTY_DAY, 1)] * 2
    assert len({bytes(r[3]) for r in got}) == 2


def _with_keys(x3: Layout, spec: dict[str, str]) -> Layout:
    data = {
        "name": "site", "schema": "{folder}",
        "names": {"table_case": "upper", "column_case": "upper", "column_suffix": "_0"},
        "empty": {"text": " ", "date": "1753-01-01"},
        "technical": {"auuid": "AUUID_0", "updtick": "UPDTICK_0"},
        "tables": {"autilis": {"columns": {"codusr": "USR_0"}}, "adoval": {
            "user_level": {"table": "ADOVALAUS", "user": "CODUSR_0",
                           "param": "PARAM_0", "value": "VALEUR_0"}}},
        "keys": {"sydnum": spec},
    }  # fmt: skip
    return Layout(parse_mapping(data, source="site"), folder=x3.folder)


def test_max_strategy_goes_above_the_highest_key(folder: Folder) -> None:
    engine, x3 = folder
    site = _with_keys(x3, {"strategy": "max"})
    q = site.table("syncdata")
    with engine.begin() as conn:
        top = _count(conn, sa.select(sa.func.max(q.c.sydnum)))
        first = conn.execute(
            sa.select(keys.take(conn, site, 5)(sa.literal(1)))
        ).scalar()
        again = conn.execute(
            sa.select(keys.take(conn, site, 1)(sa.literal(1)))
        ).scalar()
    assert (first, again) == (top + 1, top + 6)


def test_counter_strategy_takes_a_block(folder: Folder) -> None:
    engine, x3 = folder
    site = _with_keys(
        x3, {"strategy": "counter", "table": "ZCOUNT", "column": "VAL_0",
             "key_column": "CODE_0", "key_value": "SYD"},
    )  # fmt: skip
    counter = sa.Table(
        "ZCOUNT", sa.MetaData(), sa.Column("VAL_0", sa.BigInteger),
        sa.Column("CODE_0", sa.String(10)), schema=x3.schema,
    )  # fmt: skip
    with engine.begin() as conn:
        counter.create(conn)
        with pytest.raises(
            BackendError, match="ZCOUNT.VAL_0 has no row CODE_0 = 'SYD'"
        ):
            keys.take(conn, site, 3)
    with engine.begin() as conn:
        conn.execute(sa.insert(counter).values({"VAL_0": 100, "CODE_0": "SYD"}))
        key = keys.take(conn, site, 3)
        assert conn.execute(sa.select(key(sa.literal(1)))).scalar() == 101
        assert conn.execute(sa.select(counter.c.VAL_0)).scalar() == 103
