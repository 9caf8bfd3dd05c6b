"""Demo data: deterministic, named users, the queue's shapes, refusal, linear size."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import BACKENDS, drop_pg_schema, pg_url_or_skip

from forcedsync_kit import db, demo, schema
from forcedsync_kit.errors import BackendError, CriteriaError

Built = tuple[sa.Engine, demo.DemoSummary]
Dump = dict[str, list[tuple[Any, ...]]]
Reference = tuple[Dump, list[tuple[str, float]]]


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    """A scale-1 demo folder (seed 42) per backend, shared by the module's tests."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path_factory.mktemp('demo') / 'demo.duckdb'}"
    else:
        url = pg_url_or_skip()
    engine = db.connect(url)
    try:
        yield engine, demo.build(engine)
    finally:
        if request.param == "postgresql":
            drop_pg_schema(url)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """Another DuckDB build of seed 42: its rows and the progress it reported."""
    engine = db.connect(f"duckdb:///{tmp_path_factory.mktemp('ref') / 'ref.duckdb'}")
    steps: list[tuple[str, float]] = []
    demo.build(engine, progress=lambda step, done: steps.append((step, done)))
    return _dump(engine), steps


def _rows(engine: sa.Engine, query: Any) -> list[tuple[Any, ...]]:
    with db.reading(engine) as conn:
        return [tuple(r) for r in conn.execute(query)]


def _dump(engine: sa.Engine) -> Dump:
    """Every X3 table's rows, in key order."""
    with db.reading(engine) as conn:
        return {
            name: [
                tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key))
            ]
            for name, t in ((n, schema.metadata.tables[n]) for n in schema.X3_TABLES)
        }


def _counts(engine: sa.Engine) -> dict[str, int]:
    return {name: len(rows) for name, rows in _dump(engine).items()}


def _duckdb(path: Path) -> sa.Engine:
    return db.connect(f"duckdb:///{path}")


# --- determinism ---------------------------------------------------------------------


def test_same_seed_gives_the_same_rows_on_every_backend(
    built: Built, reference: Reference
) -> None:
    assert _dump(built[0]) == reference[0]


def test_another_seed_gives_other_rows(reference: Reference, tmp_path: Path) -> None:
    other = _duckdb(tmp_path / "other.duckdb")
    demo.build(other, seed=7)
    a, b = reference[0], _dump(other)
    assert a["autilis"] == b["autilis"]  # the named users are fixed
    for table in ("btask", "bappoint", "correspond", "syncdata", "synclink"):
        assert a[table] != b[table], table


def test_summary_counts_the_rows_loaded(built: Built) -> None:
    engine, summary = built
    assert summary.seed == 42 and summary.scale == 1 and summary.seconds > 0
    assert dict(summary.rows) == _counts(engine)
    assert set(summary.rows) == set(schema.X3_TABLES)


# --- the named users -----------------------------------------------------------------


def _parameters(engine: sa.Engine) -> dict[tuple[str, str, str], str]:
    t = schema.adoval
    rows = _rows(engine, sa.select(t.c.param, t.c.lev, t.c.levkey, t.c.valeur))
    return {(p, lev, key): v for p, lev, key, v in rows}


def test_named_users_have_their_rights_reps_and_setup(built: Built) -> None:
    engine, _ = built
    u = schema.autilis.c
    users = {
        r[0]: r[1:]
        for r in _rows(engine, sa.select(u.codusr, u.nomusr, u.enaflg, u.prffct, u.cpy))
    }
    assert set(users) == set(demo.USERS)
    rights = {(p, f): a for p, f, a in _rows(engine, sa.select(schema.afctfct))}
    syncpar = {r[0]: r for r in _rows(engine, sa.select(schema.syncpar))}
    par = _parameters(engine)

    def setting(name: str, user: str) -> str | None:  # user, then company, then folder
        company = users[user][3]
        for key in ((name, "USR", user), (name, "CPY", company), (name, "GEN", "")):
            if key in par:
                return par[key]
        return None

    _, active, profile, company = users["ADMIN"]
    assert (active, profile, company) == (2, "ADMIN", "FR10")
    assert rights["ADMIN", "FUNSYD6"] == 2
    assert par["AUSCRMA", "USR", "ADMIN"] == "3"
    assert par["AUSCRMF", "USR", "ADMIN"] == "REP01"
    assert set(syncpar["ADMIN"][2:]) == {2}
    for user, rep in (("SALES1", "REP02"), ("SALES2", "REP03")):
        assert users[user][1:3] == (2, "SALES")
        assert par["AUSCRMF", "USR", user] == rep
        assert setting("AUSCRMA", user) == "1"
        assert user in syncpar
    assert rights["SALES", "FUNSYD6"] == 1
    t = schema.syncpar.c
    calls_off = _rows(
        engine, sa.select(t.sypusr).where(t.cllotkcre == 1, t.cllotkupd == 1)
    )
    assert calls_off == [("SALES2",)]
    assert users["NOREP"][1:3] == (2, "ADMIN") and "NOREP" in syncpar
    assert setting("AUSCRMF", "NOREP") is None
    assert setting("AUSCRMA", "NOREP") == "5"
    assert users["NOSYNC"][1:3] == (2, "ADMIN") and "NOSYNC" not in syncpar
    assert setting("AUSCRMF", "NOSYNC") == "REP04"
    assert setting("AUSCRMA", "NOSYNC") == "1"
    assert users["GONE"][1:3] == (1, "ADMIN")
    for name in ("CRMSYNC", "CRMSYNCCOR", "CRMSYNCTSK", "CRMSYNCCLL", "CRMSYNCBAP"):
        assert par[name, "GEN", ""] == "2"
    assert par["AUSCRMA", "GEN", ""] == "5"
    assert par["AUSCRMA", "CPY", "US20"] == "1"
    reps = {r[0] for r in _rows(engine, sa.select(schema.salesrep.c.repnum))}
    assert {"REP01", "REP02", "REP03", "REP04", "REP05"} <= reps


# --- the folder's shape --------------------------------------------------------------


def test_rep01_owns_a_quarter_mostly_on_fr10_sites(built: Built) -> None:
    engine, _ = built
    sites = dict(
        _rows(engine, sa.select(schema.facility.c.fcy, schema.facility.c.legcpy))
    )
    assert set(sites.values()) == {"FR10", "US20", "DE30"}
    for table, rep in (("btask", "tskrep"), ("bcall", "cllrep")):
        t = schema.metadata.tables[table]
        rows = _rows(engine, sa.select(t.c[rep], t.c.salfcy))
        mine = [site for r, site in rows if r == "REP01"]
        assert 0.2 < len(mine) / len(rows) < 0.3, table
        assert sum(sites[s] == "FR10" for s in mine) / len(mine) > 0.7
    apt = schema.bappoint
    reps = [apt.c.atprepmna, *(apt.c[f"aptrepnum_{i}"] for i in range(10))]
    rows = _rows(engine, sa.select(*reps))
    assert 0.2 < sum("REP01" in r for r in rows) / len(rows) < 0.3
    assert sum(sum(bool(x) for x in r[1:]) >= 2 for r in rows) > len(rows) / 5
    cust = _rows(
        engine, sa.select(schema.bpcustomer.c.rep_0, schema.bpcustomer.c.rep_1)
    )
    assert 0.18 < sum("REP01" in r for r in cust) / len(cust) < 0.33  # 400 customers
    statuses = Counter(
        r[0] for r in _rows(engine, sa.select(schema.bpcustomer.c.bpcsta))
    )
    assert set(statuses) == {1, 2}


def test_contacts_of_every_kind_and_activity_codes(built: Built) -> None:
    engine, _ = built
    c = schema.correspond.c
    kinds = Counter(_rows(engine, sa.select(c.cortyp, c.cpybpatyp)))
    assert set(kinds) == {(1, 1), (1, 6), (2, 0)}
    reps = _rows(engine, sa.select(c.repnum).where(c.cortyp == 2).order_by(c.repnum))
    all_reps = _rows(engine, sa.select(schema.salesrep.c.repnum).order_by("repnum"))
    assert reps == all_reps  # one rep contact per rep
    functions = {r[0] for r in _rows(engine, sa.select(c.fnc).where(c.cortyp == 1))}
    assert functions == set(range(1, 13))
    contacts = {r[0] for r in _rows(engine, sa.select(c.cornum))}
    linked = _rows(engine, sa.select(schema.correp.c.copnum))
    assert linked and {r[0] for r in linked} <= contacts
    t = schema.btask.c
    tasks = _rows(engine, sa.select(t.tsknum, t.tskstr, t.tskcor, t.upddattim))
    assert all(k.startswith("T") and len(k) == 9 for k, *_ in tasks)
    assert min(r[1] for r in tasks) >= demo.PERIOD[0]
    assert max(r[1] for r in tasks) <= demo.PERIOD[1]
    assert {r[1].year for r in tasks} == {2024, 2025, 2026}
    assert "" in {r[2] for r in tasks} and {r[2] for r in tasks} - {""} <= contacts
    assert max(r[3] for r in tasks) <= demo.DEMO_CLOCK
    apt = schema.bappoint.c
    met = _rows(engine, sa.select(*(apt[f"aptcor_{i}"] for i in range(10))))
    assert any(sum(bool(x) for x in r) >= 3 for r in met)
    assert {x for r in met for x in r} - {""} <= contacts


def test_queue_holds_every_action_and_shape(built: Built) -> None:
    engine, _ = built
    s = schema.syncdata.c
    rows = _rows(
        engine,
        sa.select(
            s.sydnum,
            s.sydusr,
            s.sydtyp,
            s.sydkey,
            s.sydatttyp,
            s.syddat,
            s.sydhou,
            s.sydgen,
            s.sydupd,
            s.sydotksta,
            s.creusr,
            s.updusr,
        ),
    )
    assert sorted(r[0] for r in rows) == list(range(1, len(rows) + 1))
    assert {r[4] for r in rows} == {"C", "M", "A", "P", "R"}
    assert {r[2] for r in rows} == {"COR", "TSK", "CLL", "BAP"}
    assert len({r[1] for r in rows}) >= 5
    assert all(len(r[6]) == 6 and r[6].isdigit() for r in rows)
    assert {(r[7], r[8], r[9]) for r in rows} == {("0", "0", "0")}
    assert all(r[10] and r[11] for r in rows)
    by_record: dict[tuple[str, str, str], list[str]] = {}
    for r in rows:
        by_record.setdefault((r[1], r[2], r[3]), []).append(r[4])
    assert any(len(actions) > 1 for actions in by_record.values())
    assert any(actions == ["R"] for actions in by_record.values())
    today = demo.DEMO_CLOCK.date()
    assert any(r[5] < today - dt.timedelta(days=60) for r in rows)  # stale
    assert any(r[5] >= today - dt.timedelta(days=3) for r in rows)  # recent
    counts = built[1].rows
    records = sum(counts[t] for t in ("correspond", "btask", "bcall", "bappoint"))
    assert len(rows) / records == pytest.approx(0.2, abs=0.04)


def test_some_records_changed_after_they_were_queued(built: Built) -> None:
    engine, _ = built
    s, t = schema.syncdata.c, schema.btask.c
    newest: dict[tuple[str, str], dt.datetime] = {}
    for user, key, day, hour in _rows(
        engine,
        sa.select(s.sydusr, s.sydkey, s.syddat, s.sydhou).where(s.sydtyp == "TSK"),
    ):
        when = dt.datetime.combine(day, dt.datetime.strptime(hour, "%H%M%S").time())
        newest[user, key] = max(when, newest.get((user, key), when))
    changed = dict(_rows(engine, sa.select(t.tsknum, t.upddattim)))
    later = [k for (_, k), when in newest.items() if k in changed and changed[k] > when]
    assert later and len(later) < len(newest) / 3


def test_synclink_anomalies_on_queued_and_other_records(built: Built) -> None:
    engine, _ = built
    s, q = schema.synclink.c, schema.syncdata.c
    rows = _rows(
        engine,
        sa.select(
            s.sylnum,
            s.sylusr,
            s.syltyp,
            s.sylkey,
            s.sylfie,
            s.sylvaladx,
            s.sylvalotk,
            s.sylflgdpt,
        ),
    )
    assert sorted(r[0] for r in rows) == list(range(1, len(rows) + 1))
    assert {r[7] for r in rows} == {1, 2}
    assert sum(r[7] == 2 for r in rows) > len(rows) / 2
    assert {"CNTEMA", "FULOBJ", "TSKDAT"} <= {r[4] for r in rows}
    assert all(r[5] != r[6] for r in rows)
    queued = set(_rows(engine, sa.select(q.sydusr, q.sydtyp, q.sydkey)))
    flags = [(r[1], r[2], r[3]) in queued for r in rows]
    assert any(flags) and not all(flags)


# --- refusing, replacing, rolling back -----------------------------------------------


def test_refuses_a_database_holding_data_and_writes_nothing(engine: sa.Engine) -> None:
    with db.writing(engine) as conn:
        conn.execute(sa.insert(schema.autilis).values(codusr="REAL", enaflg=2))
    with pytest.raises(BackendError, match="already holds X3 data"):
        demo.build(engine)
    counts = _counts(engine)
    assert counts.pop("autilis") == 1 and set(counts.values()) == {0}


def test_failure_midway_leaves_nothing(engine: sa.Engine) -> None:
    steps: list[str] = []

    def progress(step: str, fraction: float) -> None:
        steps.append(step)
        if step == "tasks":
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        demo.build(engine, progress=progress)
    assert "contacts" in steps
    assert set(_counts(engine).values()) == {0}


def test_progress_reports_steps_in_order(reference: Reference) -> None:
    seen = reference[1]
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and seen[-1] == ("done", 1.0)
    steps = {s for s, _ in seen}
    assert {"contacts", "tasks", "calls", "appointments", "commit"} <= steps


@pytest.mark.parametrize("scale", [0, -1, 1.5, True])
def test_scale_must_be_a_positive_integer(scale: Any, tmp_path: Path) -> None:
    with pytest.raises(CriteriaError, match="scale"):
        demo.build(_duckdb(tmp_path / "s.duckdb"), scale=scale)


# --- size ----------------------------------------------------------------------------


def test_scale_two_doubles_the_rows(reference: Reference, tmp_path: Path) -> None:
    one = {name: len(rows) for name, rows in reference[0].items()}
    two = demo.build(_duckdb(tmp_path / "two.duckdb"), scale=2).rows
    for table in (
        "salesrep",
        "bpcustomer",
        "lead",
        "correspond",
        "btask",
        "bcall",
        "bappoint",
    ):
        assert two[table] == 2 * one[table], table
    for table in ("correp", "syncdata", "synclink"):
        assert 1.8 < two[table] / one[table] < 2.2, table
    assert two["autilis"] == one["autilis"] == len(demo.USERS)


# --- last, as they rewrite the shared folder -----------------------------------------


def test_refuses_a_second_build_and_writes_nothing(built: Built) -> None:
    engine, _ = built
    before = _dump(engine)
    with pytest.raises(BackendError, match="replace=True"):
        demo.build(engine, seed=7)
    assert _dump(engine) == before


def test_replace_deletes_every_row_first(built: Built, reference: Reference) -> None:
    engine, _ = built
    with db.writing(engine) as conn:
        conn.execute(sa.insert(schema.fsyrun).values(runid="r1", runkind="FORCE"))
    summary = demo.build(engine, replace=True)
    assert _dump(engine) == reference[0]
    assert dict(summary.rows) == _counts(engine)
    assert _rows(engine, sa.select(schema.fsyrun)) == []


def test_postgresql_statistics_are_fresh_after_the_build(built: Built) -> None:
    """The first force after a PostgreSQL demo is not planned on empty statistics
    (measured: 49-60 s at scale 30 before the demo ANALYZEd its tables, 1.2 s after)."""
    engine, summary = built
    if engine.dialect.name != "postgresql":
        pytest.skip("DuckDB keeps no planner statistics to refresh")
    stmt = sa.text(
        "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
        "AND last_analyze IS NOT NULL"
    )
    for _ in range(50):  # the statistics collector may lag a moment
        with engine.connect() as conn:
            analysed = {str(name) for (name,) in conn.execute(stmt)}
        if {"btask", "syncdata", "synclink", "correspond"} <= analysed:
            break
        time.sleep(0.1)
    assert {"btask", "syncdata", "synclink", "correspond"} <= analysed
