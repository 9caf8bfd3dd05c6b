"""SPEC §3: every criterion, with cases that include and exclude records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from builders import NOW, World

from forcedsync_kit import Criteria, preview
from forcedsync_kit.results import RunContext
from forcedsync_kit.selection import compile_selection

LATER = dt.datetime(2026, 11, 25, 10, 0, 0)


def build_folder(engine: sa.Engine) -> World:
    """A folder in which each criterion has something to include and to exclude."""
    w = World(engine).base()
    w.user("SALES1", rep="R2", function=1, profile="SALES")
    w.lead("L1", "R1")
    w.lead("L2", "R2")
    w.customer("C1", "R1")
    w.customer("C2", "R2", "R1")
    w.customer("C3", "R2")
    w.customer("C4", "R1", active=False)
    w.customer("C5", "R1")
    w.contact("K1", bpr="C1", fnc=9)
    w.contact("K2", bpr="C2", fnc=1)
    w.contact("K3", bpr="C3", fnc=1, reps_in_charge=("R3",))
    w.contact("K4", bpr="C4", fnc=9)
    w.contact("K5", bpr="C5", fnc=2)
    w.contact("K7", bpr="C1", bpatyp=6, fnc=9)
    w.contact("KL1", bpr="L1", bpatyp=6, fnc=None)
    w.contact("KL2", bpr="L2", bpatyp=6, fnc=None, reps_in_charge=("R2",))
    for rep in ("R1", "R2", "R3"):
        w.contact(f"KR{rep[1]}", cortyp=2, bpatyp=None, rep=rep, fnc=None)
    w.task("T1", start=dt.date(2026, 3, 1), due=dt.date(2026, 3, 10), cor="K3")
    w.task("T2", start=dt.date(2026, 6, 1), due=dt.date(2026, 6, 30), site="FR2")
    w.task("T3", rep="R2")
    w.task("T4", site="US1")
    w.task("T5", start=dt.date(2025, 12, 31), due=dt.date(2026, 1, 15), cor="KL2")
    w.call("CL1", date=dt.date(2026, 2, 1), cor="K2")
    w.call("CL2", date=dt.date(2026, 8, 1))
    w.call("CL3", rep="R3")
    w.call("CL4", site="US1")
    w.appointment("A1", reps=("R2",), cors=("K5",), date=dt.date(2026, 5, 1), upd=LATER)
    w.appointment(
        "A2", organizer="R2", reps=("R3", "R1"), cors=("KL1",), date=dt.date(2026, 7, 1)
    )
    w.appointment("A3", organizer="R2", reps=("R3",))
    w.appointment("A4", site="US1")
    # Out-of-phase material: an anomaly (T2), a stale row (CL2, 9 days old), a change
    # after queueing (A1 changed on 11-25, queued on 11-24).
    w.anomaly("TSK", "T2", "TSKDAT", "2026-06-30", "2026-06-29")
    w.queue("CLL", "CL2", "M", when=dt.datetime(2026, 11, 20, 8, 0, 0))
    w.queue("BAP", "A1", "M", when=dt.datetime(2026, 11, 24, 8, 0, 0))
    return w.commit()


def selected(engine: sa.Engine, operator: str = "ADMIN", **params: object) -> set[str]:
    """Keys 'TYPE:KEY' that a preview of these SPEC parameters selects."""
    res = preview(
        engine,
        Criteria.from_params(params),
        operator=operator,
        now=NOW,
        page_size=10_000,
    )
    assert res.total == len(res.records)
    return {f"{r.object_type}:{r.record_key}" for r in res.records}


ALL_CONTACTS = {
    f"COR:{k}"
    for k in ["K1", "K2", "K3", "K4", "K5", "K7", "KL1", "KL2", "KR1", "KR2", "KR3"]
}

# (case id, SPEC parameters, expected 'TYPE:KEY' set)
CASES: list[tuple[str, dict[str, object], set[str]]] = [
    ("selcor_totally", {"SELCOR": 1}, ALL_CONTACTS),
    (
        "cordeb_corfin",
        {"SELCOR": 1, "CORDEB": "K2", "CORFIN": "K4"},
        {"COR:K2", "COR:K3", "COR:K4"},
    ),
    ("corfin_open_start", {"SELCOR": 1, "CORFIN": "K1"}, {"COR:K1"}),
    ("corsyncnt", {"SELCOR": 1, "CORSYNCNT": 1}, {"COR:K1", "COR:K2", "COR:K5"}),
    ("bpcdeb", {"SELCOR": 1, "CORSYNCNT": 1, "BPCDEB": "C2"}, {"COR:K2", "COR:K5"}),
    ("bpcfin", {"SELCOR": 1, "CORSYNCNT": 1, "BPCFIN": "C1"}, {"COR:K1"}),
    (
        "corfcttxt_label",
        {"SELCOR": 1, "CORSYNCNT": 1, "CORFCTTXT": "Accountant"},
        {"COR:K1"},
    ),
    (
        "corfcttxt_numbers",
        {"SELCOR": 1, "CORSYNCNT": 1, "CORFCTTXT": "1,2"},
        {"COR:K2", "COR:K5"},
    ),
    ("corsynpst", {"SELCOR": 1, "CORSYNPST": 1}, {"COR:KL1"}),
    ("pstdeb_excludes", {"SELCOR": 1, "CORSYNPST": 1, "PSTDEB": "L2"}, set()),
    ("pstfin_includes", {"SELCOR": 1, "CORSYNPST": 1, "PSTFIN": "L1"}, {"COR:KL1"}),
    ("corsynrep", {"SELCOR": 1, "CORSYNREP": 1}, {"COR:K3", "COR:KL2"}),
    ("repdeb", {"SELCOR": 1, "CORSYNREP": 1, "REPDEB": "R3"}, {"COR:K3"}),
    ("repfin", {"SELCOR": 1, "CORSYNREP": 1, "REPFIN": "R2"}, {"COR:KL2"}),
    (
        "union_in_part_within_range",
        {"SELCOR": 1, "CORSYNCNT": 1, "CORSYNREP": 1, "CORFIN": "K3"},
        {"COR:K1", "COR:K2", "COR:K3"},
    ),
    ("seltsk", {"SELTSK": 1}, {"TSK:T1", "TSK:T2", "TSK:T5"}),
    ("tskdatdeb", {"SELTSK": 1, "TSKDATDEB": "2026-03-01"}, {"TSK:T1", "TSK:T2"}),
    ("tskdatfin_edge", {"SELTSK": 1, "TSKDATFIN": "2026-03-01"}, {"TSK:T1", "TSK:T5"}),
    ("tskechdeb_edge", {"SELTSK": 1, "TSKECHDEB": "2026-03-10"}, {"TSK:T1", "TSK:T2"}),
    ("tskechfin", {"SELTSK": 1, "TSKECHFIN": "2026-03-09"}, {"TSK:T5"}),
    (
        "tskforcor",
        {"SELTSK": 1, "TSKFORCOR": 1},
        {"TSK:T1", "TSK:T2", "TSK:T5", "COR:K3", "COR:KL2"},
    ),
    ("cpy_limits_sites", {"SELTSK": 1, "CPY": "US20"}, {"TSK:T4"}),
    ("selcll", {"SELCLL": 1}, {"CLL:CL1", "CLL:CL2"}),
    ("clldatdeb", {"SELCLL": 1, "CLLDATDEB": "2026-03-01"}, {"CLL:CL2"}),
    ("clldatfin_edge", {"SELCLL": 1, "CLLDATFIN": "2026-02-01"}, {"CLL:CL1"}),
    ("cllforcor", {"SELCLL": 1, "CLLFORCOR": 1}, {"CLL:CL1", "CLL:CL2", "COR:K2"}),
    ("selbap_organizer_or_intervening", {"SELBAP": 1}, {"BAP:A1", "BAP:A2"}),
    ("bapdatdeb", {"SELBAP": 1, "BAPDATDEB": "2026-06-01"}, {"BAP:A2"}),
    ("bapdatfin_edge", {"SELBAP": 1, "BAPDATFIN": "2026-05-01"}, {"BAP:A1"}),
    (
        "bapforcor",
        {"SELBAP": 1, "BAPFORCOR": 1},
        {"BAP:A1", "BAP:A2", "COR:K5", "COR:KL1"},
    ),
    (
        "bapforrep",
        {"SELBAP": 1, "BAPFORREP": 1},
        {"BAP:A1", "BAP:A2", "COR:KR1", "COR:KR2", "COR:KR3"},
    ),
    (
        "forced_contacts_ignore_cor_range",
        {
            "SELCOR": 1,
            "CORDEB": "K1",
            "CORFIN": "K1",
            "SELTSK": 1,
            "TSKFORCOR": 1,
            "TSKDATFIN": "2026-03-01",
        },
        {"COR:K1", "TSK:T1", "TSK:T5", "COR:K3", "COR:KL2"},
    ),
    (
        "each_record_once",
        {"SELCOR": 1, "CORSYNREP": 1, "SELTSK": 1, "TSKFORCOR": 1},
        {"COR:K3", "COR:KL2", "TSK:T1", "TSK:T2", "TSK:T5"},
    ),
    (
        "onlyoop",
        {"SELTSK": 1, "SELCLL": 1, "SELBAP": 1, "ONLYOOP": 1},
        {"TSK:T2", "CLL:CL2", "BAP:A1"},
    ),
    ("staledays_longer", {"SELCLL": 1, "ONLYOOP": 1, "STALEDAYS": 10}, set()),
    ("staledays_shorter", {"SELCLL": 1, "ONLYOOP": 1, "STALEDAYS": 8}, {"CLL:CL2"}),
    ("user_other_rep", {"USER": "SALES1", "SELTSK": 1}, {"TSK:T3"}),
    (
        "flgtrcdet_changes_no_selection",
        {"SELCLL": 1, "FLGTRCDET": 1},
        {"CLL:CL1", "CLL:CL2"},
    ),
]


@pytest.mark.parametrize(
    "params, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_criterion_selects(
    engine: sa.Engine, params: dict[str, object], expected: set[str]
) -> None:
    build_folder(engine)
    assert selected(engine, **params) == expected


def test_every_parameter_has_a_case() -> None:
    from forcedsync_kit import PARAMETERS
    from forcedsync_kit.fields import TEAM_FIELDS  # team runs: tests/test_teams.py

    used = {name.upper() for _, params, _ in CASES for name in params}
    assert {p.upper() for p in PARAMETERS} - set(TEAM_FIELDS) <= used


def test_out_of_phase_reasons_shown(engine: sa.Engine) -> None:
    build_folder(engine)
    res = preview(
        engine,
        Criteria(seltsk=True, selcll=True, selbap=True),
        operator="ADMIN",
        now=NOW,
        page_size=100,
    )
    reasons = {r.record_key: r.reasons for r in res.records}
    assert reasons["T2"] == ("field TSKDAT: X3 2026-06-30 / Outlook 2026-06-29",)
    assert reasons["CL2"] == ("pending since 2026-11-20",)
    assert reasons["A1"] == ("changed after queued",)
    assert reasons["T1"] == ()
    assert res.out_of_phase == {"COR": 0, "TSK": 1, "CLL": 1, "BAP": 1}


def test_page_filters_and_paging(engine: sa.Engine) -> None:
    build_folder(engine)
    crit = Criteria(selcor=True, seltsk=True)
    first = preview(engine, crit, operator="ADMIN", now=NOW, page=1, page_size=4)
    second = preview(engine, crit, operator="ADMIN", now=NOW, page=2, page_size=4)
    assert first.total == 14 and first.pages == 4
    assert [r.record_key for r in first.records] == ["K1", "K2", "K3", "K4"]
    assert [r.record_key for r in second.records] == ["K5", "K7", "KL1", "KL2"]
    only_tsk = preview(engine, crit, operator="ADMIN", now=NOW, object_type="TSK")
    assert only_tsk.total == 3 and {r.object_type for r in only_tsk.records} == {"TSK"}
    oop = preview(engine, crit, operator="ADMIN", now=NOW, only_oop=True)
    assert [r.record_key for r in oop.records] == ["T2"]
    # Counts always cover the whole selection, whatever the page filter.
    assert only_tsk.counts == first.counts


def test_descriptions_dates_and_reps_in_preview(engine: sa.Engine) -> None:
    build_folder(engine)
    res = preview(
        engine,
        Criteria(seltsk=True, selcor=True, cordeb="K1", corfin="K1"),
        operator="ADMIN",
        now=NOW,
    )
    rows = {r.record_key: r for r in res.records}
    assert rows["T1"].description == "Task T1"
    assert rows["T1"].date == dt.date(2026, 3, 1)
    assert rows["T1"].rep == "R1"
    assert rows["K1"].description == "First LastK1"


def test_gated_object_type_is_skipped_with_warning(engine: sa.Engine) -> None:
    w = build_folder(engine)
    w.user("SALES2", rep="R1", function=1, flags={"cllotkcre": 1, "cllotkupd": 1})
    w.commit()
    res = preview(
        engine,
        Criteria(user="SALES2", seltsk=True, selcll=True),
        operator="ADMIN",
        now=NOW,
    )
    assert res.counts["CLL"] == {"insert": 0, "supersede": 0, "already": 0, "skip": 0}
    assert sum(res.counts["TSK"].values()) == 3
    assert any("CLL skipped" in w for w in res.warnings)


def test_folder_gate_skips_contacts_pulled_by_tasks(engine: sa.Engine) -> None:
    w = build_folder(engine)
    with engine.begin() as conn:
        from forcedsync_kit import schema as s

        conn.execute(
            sa.update(s.adoval)
            .where(s.adoval.c.param == "CRMSYNCCOR")
            .values(valeur="1")
        )
    del w
    res = preview(
        engine, Criteria(seltsk=True, tskforcor=True), operator="ADMIN", now=NOW
    )
    assert sum(res.counts["COR"].values()) == 0
    assert any("COR skipped" in x for x in res.warnings)


GOLDEN = Path(__file__).parent / "golden" / "selection"
GOLDEN_CASES = {
    "totally": Criteria(selcor=True, cordeb="K1", corfin="K9"),
    "in_part": Criteria(
        selcor=True,
        corsyncnt=True,
        corfcttxt=(9,),
        corsynpst=True,
        corsynrep=True,
        repdeb="R1",
    ),
    "activities": Criteria(
        seltsk=True,
        tskdatdeb=dt.date(2026, 1, 1),
        tskforcor=True,
        selcll=True,
        cllforcor=True,
        selbap=True,
        bapforcor=True,
        bapforrep=True,
    ),
}


@pytest.mark.parametrize("dialect", ["duckdb", "postgresql"])
@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_compiled_selection_matches_golden(
    case: str, dialect: str, update_golden: bool
) -> None:
    from forcedsync_kit.criteria import OBJECT_TYPES

    if dialect == "duckdb":
        from duckdb_engine import Dialect as D  # noqa: N817
    else:
        from sqlalchemy.dialects.postgresql.psycopg import (
            PGDialect_psycopg as D,  # noqa: N814
        )
    ctx = RunContext(
        operator="ADMIN", user="ADMIN", company="FR10", crm_function=3, rep="R1"
    )
    stmt = compile_selection(GOLDEN_CASES[case], ctx, OBJECT_TYPES)
    sql = str(stmt.compile(dialect=D(), compile_kwargs={"literal_binds": True})) + "\n"
    path = GOLDEN / f"{case}.{dialect}.sql"
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql)
    assert path.exists(), f"{path} missing: run pytest --update-golden and review it"
    assert sql == path.read_text()
