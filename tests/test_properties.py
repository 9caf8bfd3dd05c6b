"""Property tests (issue #6): random small folders and random criteria on both backends.

For every example: the records the toolkit selects, with their outcome and out-of-phase
flag, equal a plain-Python evaluation of SPEC §3-§5 (``reliability_helpers``); the
preview's counts equal what ``force`` then writes and SYNCDATA afterwards is exactly
SPEC §4.6; a second identical force writes nothing; undo restores SYNCDATA exactly.

One database per backend is reused and emptied by DELETE between examples.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import (
    Who,
    check_forced,
    clear,
    counts_of,
    fast_url,
    load,
    reference_outcomes,
    reference_selection,
    state,
    syncdata,
    written_keys,
)

from forcedsync_kit import db, marking
from forcedsync_kit import schema as s
from forcedsync_kit.criteria import Criteria

NOW = dt.datetime(2026, 11, 29, 12, 0, 0)
#: Examples per test; FORCEDSYNC_PROP_EXAMPLES=500 for a long local hunt.
EXAMPLES = int(os.environ.get("FORCEDSYNC_PROP_EXAMPLES", "25"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CI") == "true",  # CI: the same examples every run
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# Small code pools so that ranges, links and queue rows hit each other often. Codes
# with '_' and '%' check that they compare literally.
COR_CODES = ["C1", "C2", "C3", "C_1", "C%", "CA", "D1", "D2"]
BPC_CODES = ["B1", "B2", "B3", "B_"]
PST_CODES = ["L1", "L2", "L3"]
REPS = ["R1", "R2", "R3"]
SITES = ["FR1", "FR2", "US1"]
DAYS = [dt.date(2026, 6, d) for d in range(1, 8)]
UPD = [
    dt.datetime(2026, 10, 1, 9),
    dt.datetime(2026, 11, 28, 8),
    dt.datetime(2026, 11, 28, 9),
]
QUEUED = [
    dt.datetime(2026, 9, 1, 8),
    dt.datetime(2026, 11, 22, 11, 59, 59),
    dt.datetime(2026, 11, 22, 12),
    dt.datetime(2026, 11, 28, 8),
]

maybe_rep = st.sampled_from([*REPS, None])


@pytest.fixture
def db_engine(backend: str) -> Iterator[sa.Engine]:
    """An engine on a cheap twin of the backend's database (DuckDB in /dev/shm,
    PostgreSQL without a WAL flush per commit), with one connection held open for
    the whole test: DuckDB then keeps the file open between the toolkit's short
    connections. Examples are emptied by DELETE, never by a new database."""
    url, folder = fast_url(backend)
    engine = db.connect(url)
    db.init(engine)
    try:
        with engine.connect():
            yield engine
    finally:
        engine.dispose()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _reference_data() -> dict[str, list[dict[str, Any]]]:
    d: dict[str, list[dict[str, Any]]] = {
        "company": [
            {"cpy": "FR10", "cpynam": "France"},
            {"cpy": "US20", "cpynam": "USA"},
        ],
        "facility": [
            {"fcy": "FR1", "fcynam": "Paris", "legcpy": "FR10"},
            {"fcy": "FR2", "fcynam": "Lyon", "legcpy": "FR10"},
            {"fcy": "US1", "fcynam": "Boston", "legcpy": "US20"},
        ],
        "afctfct": [{"prffct": "ADMIN", "fct": "FUNSYD6", "acs": 2}],
        "salesrep": [{"repnum": r, "repnam": r, "fcy": "FR1"} for r in REPS],
        "autilis": [],
        "adoval": [],
        "syncpar": [],
    }
    for code, rep, fn in (("ADMIN", "R1", 3), ("U2", "R2", 1)):
        d["autilis"].append(
            {
                "codusr": code,
                "nomusr": code,
                "enaflg": 2,
                "prffct": "ADMIN",
                "cpy": "FR10",
            }
        )
        d["adoval"] += [
            {"param": "AUSCRMF", "lev": "USR", "levkey": code, "valeur": rep},
            {"param": "AUSCRMA", "lev": "USR", "levkey": code, "valeur": str(fn)},
        ]
        d["syncpar"].append(
            {
                "sypusr": code,
                "otkusr": code.lower(),
                **{f"{o}otk{a}": 2 for o in s.SYNC_OBJECTS for a in ("cre", "upd")},
            }
        )
    return d


@st.composite
def folders(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    d = _reference_data()
    gated = draw(st.sets(st.sampled_from(["COR", "TSK", "CLL", "BAP"]), max_size=1))
    d["adoval"] += [
        {
            "param": f"CRMSYNC{t}",
            "lev": "GEN",
            "levkey": "",
            "valeur": "1" if t in gated else "2",
        }
        for t in ("COR", "TSK", "CLL", "BAP")
    ]
    # SPEC §4.3: a type is also gated for a user whose SYNCPAR allows neither creating
    # nor updating it in Outlook (one flag alone at 1 does not gate it).
    for sp in d["syncpar"]:
        for obj in draw(st.sets(st.sampled_from(s.SYNC_OBJECTS), max_size=1)):
            sp[f"{obj}otkcre"] = 1
            sp[f"{obj}otkupd"] = draw(st.sampled_from([1, 2]))
    bpcs = draw(st.lists(st.sampled_from(BPC_CODES), unique=True, max_size=4))
    d["bpcustomer"] = [
        {
            "bpcnum": b,
            "bpcnam": b,
            "rep_0": draw(maybe_rep),
            "rep_1": draw(maybe_rep),
            "bpcsta": draw(st.sampled_from([1, 2])),
        }
        for b in bpcs
    ]
    psts = draw(st.lists(st.sampled_from(PST_CODES), unique=True, max_size=3))
    d["lead"] = [
        {"pstnum": p, "pstnam": p, "pstrep": draw(maybe_rep), "pststa": 1} for p in psts
    ]
    cors = draw(st.lists(st.sampled_from(COR_CODES), unique=True, max_size=8))
    d["correspond"], d["correp"] = [], []
    for c in cors:
        d["correspond"].append(
            {
                "cornum": c,
                "cortyp": draw(st.sampled_from([1, 1, 2])),
                "bprnum": draw(st.sampled_from([*bpcs, *psts, None])),
                "cpybpatyp": draw(st.sampled_from([1, 6, None])),
                "repnum": draw(maybe_rep),
                "fnc": draw(st.sampled_from([1, 2, 9, None])),
                "cntlna": c,
                "cntfna": "F",
                "cntema": None,
                "upddattim": draw(st.sampled_from(UPD)),
            }
        )
        for r in draw(st.sets(st.sampled_from(REPS), max_size=2)):
            d["correp"].append({"coprep": r, "copnum": c})
    cor_refs = st.sampled_from([*cors, "NOSUCH", None])
    d["btask"] = [
        {
            "tsknum": f"T{i}",
            "tskstr": draw(st.sampled_from(DAYS)),
            "tskdat": draw(st.sampled_from([*DAYS, None])),
            "tskrep": draw(maybe_rep),
            "tskcor": draw(cor_refs),
            "salfcy": draw(st.sampled_from(SITES)),
            "tskdon": 1,
            "fulobj": "t",
            "upddattim": draw(st.sampled_from(UPD)),
        }
        for i in range(draw(st.integers(0, 5)))
    ]
    d["bcall"] = [
        {
            "cllnum": f"K{i}",
            "clldat": draw(st.sampled_from(DAYS)),
            "cllrep": draw(maybe_rep),
            "cllcor": draw(cor_refs),
            "salfcy": draw(st.sampled_from(SITES)),
            "fulobj": "k",
            "upddattim": draw(st.sampled_from(UPD)),
        }
        for i in range(draw(st.integers(0, 5)))
    ]
    d["bappoint"] = []
    for i in range(draw(st.integers(0, 4))):
        row: dict[str, Any] = {
            "aptnum": f"A{i}",
            "aptdat": draw(st.sampled_from(DAYS)),
            "apthou": "100000",
            "atprepmna": draw(maybe_rep),
            "salfcy": draw(st.sampled_from(SITES)),
            "fulobj": "a",
            "upddattim": draw(st.sampled_from(UPD)),
        }
        reps = draw(st.lists(st.sampled_from(REPS), max_size=2))
        met = draw(st.lists(cor_refs, max_size=2))
        for j in range(s.APT_ARRAY):
            row[f"aptrepnum_{j}"] = reps[j] if j < len(reps) else None
            row[f"aptcor_{j}"] = met[j] if j < len(met) else None
        d["bappoint"].append(row)
    keys = (
        [("COR", c) for c in cors]
        + [("TSK", r["tsknum"]) for r in d["btask"]]
        + [("CLL", r["cllnum"]) for r in d["bcall"]]
        + [("BAP", r["aptnum"]) for r in d["bappoint"]]
        + [("TSK", "GONE")]
    )
    d["syncdata"] = []
    if keys:
        queued = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(keys),
                    st.sampled_from("CMAPRRR"),
                    st.sampled_from(["ADMIN", "ADMIN", "U2"]),
                    st.sampled_from(QUEUED),
                ),
                max_size=10,
            )
        )
        for n, ((typ, key), action, user, when) in enumerate(queued, start=1):
            d["syncdata"].append(
                {
                    "sydnum": n * 10,
                    "sydusr": user,
                    "sydtyp": typ,
                    "sydkey": key,
                    "sydatttyp": action,
                    "syddat": when.date(),
                    "sydhou": when.strftime("%H%M%S"),
                    "sydgen": "0",
                    "sydupd": "0",
                    "sydotksta": "0",
                    "creusr": "X3",
                    "credattim": when,
                    "updusr": "X3",
                    "upddattim": when,
                }
            )
        links = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(keys),
                    st.sampled_from([1, 2]),
                    st.sampled_from(["ADMIN", "U2"]),
                ),
                max_size=3,
            )
        )
        d["synclink"] = [
            {
                "sylnum": n,
                "sylusr": u,
                "syltyp": t,
                "sylkey": k,
                "sylfie": "CNTEMA",
                "sylvaladx": "a",
                "sylvalotk": "b",
                "sylflgdpt": f,
            }
            for n, ((t, k), f, u) in enumerate(links, 1)
        ]
    return d


def _range(draw: st.DrawFn, pool: list[Any]) -> tuple[Any, Any]:
    lo, hi = draw(st.sampled_from([*pool, None])), draw(st.sampled_from([*pool, None]))
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return lo, hi


@st.composite
def criteria(draw: st.DrawFn) -> Criteria:
    p: dict[str, Any] = {
        "user": draw(st.sampled_from([None, "ADMIN", "U2"])),
        "cpy": draw(st.sampled_from([None, "FR10", "US20"])),
        "onlyoop": draw(st.booleans()),
        "staledays": draw(st.sampled_from([0, 1, 7, 30])),
        "flgtrcdet": draw(st.booleans()),
    }
    flags = draw(
        st.sets(st.sampled_from(["selcor", "seltsk", "selcll", "selbap"]), min_size=1)
    )
    code_pool = [*COR_CODES, "C", "C2Z", "Z"]
    if "selcor" in flags:
        p["selcor"] = True
        p["cordeb"], p["corfin"] = _range(draw, code_pool)
        for sub in draw(
            st.sets(st.sampled_from(["corsyncnt", "corsynpst", "corsynrep"]))
        ):
            p[sub] = True
        if p.get("corsyncnt"):
            p["bpcdeb"], p["bpcfin"] = _range(draw, BPC_CODES)
            p["corfcttxt"] = draw(st.sampled_from(["", "1", "2,9", "Accountant"]))
        if p.get("corsynpst"):
            p["pstdeb"], p["pstfin"] = _range(draw, PST_CODES)
        if p.get("corsynrep"):
            p["repdeb"], p["repfin"] = _range(draw, REPS)
    if "seltsk" in flags:
        p["seltsk"] = True
        p["tskdatdeb"], p["tskdatfin"] = _range(draw, DAYS)
        p["tskechdeb"], p["tskechfin"] = _range(draw, DAYS)
        p["tskforcor"] = draw(st.booleans())
    if "selcll" in flags:
        p["selcll"] = True
        p["clldatdeb"], p["clldatfin"] = _range(draw, DAYS)
        p["cllforcor"] = draw(st.booleans())
    if "selbap" in flags:
        p["selbap"] = True
        p["bapdatdeb"], p["bapdatfin"] = _range(draw, DAYS)
        p["bapforcor"] = draw(st.booleans())
        p["bapforrep"] = draw(st.booleans())
    return Criteria(**p)


def _who(data: dict[str, list[dict[str, Any]]], cr: Criteria) -> Who:
    user = cr.user or "ADMIN"
    rep = next(
        r["valeur"]
        for r in data["adoval"]
        if r["param"] == "AUSCRMF" and r["levkey"] == user
    )
    return Who(user=user, company=cr.cpy or "FR10", rep=rep)


def _active_types(data: dict[str, list[dict[str, Any]]], user: str) -> set[str]:
    folder = {
        r["param"][7:]
        for r in data["adoval"]
        if r["param"].startswith("CRMSYNC")
        and len(r["param"]) == 10
        and r["valeur"] != "1"
    }
    sp = next(r for r in data["syncpar"] if r["sypusr"] == user)
    return {
        t
        for t in folder
        if not (sp[f"{t.lower()}otkcre"] == 1 and sp[f"{t.lower()}otkupd"] == 1)
    }


@pytest.mark.slow
@SETTINGS
@given(data=folders(), cr=criteria())
def test_force_matches_reference_and_undo_restores(
    db_engine: sa.Engine, data: dict[str, list[dict[str, Any]]], cr: Criteria
) -> None:
    engine = db_engine
    clear(engine)
    load(engine, data)
    who = _who(data, cr)
    keys = reference_selection(data, cr, who, _active_types(data, who.user))
    expected = reference_outcomes(
        data, keys, user=who.user, now=NOW, staledays=cr.staledays, only_oop=cr.onlyoop
    )

    # The preview is SPEC §3-§5: the same records, outcomes and out-of-phase flags.
    pv = marking.preview(engine, cr, operator="ADMIN", now=NOW, page_size=10_000)
    got = {
        (r.object_type, r.record_key): (r.outcome, r.out_of_phase) for r in pv.records
    }
    assert got == expected
    assert {t: dict(c) for t, c in pv.counts.items()} == counts_of(expected)

    # Force writes what the preview announced, and nothing else changes.
    before = state(engine)
    done = marking.force(engine, cr, operator="ADMIN", now=NOW)
    assert {t: dict(c) for t, c in done.counts.items()} == counts_of(expected)
    assert done.written == pv.to_write
    check_forced(
        before["syncdata"],
        syncdata(engine),
        user=who.user,
        written=written_keys(expected),
        now=NOW,
        operator="ADMIN",
    )

    # A second identical run writes nothing new.
    after_first = syncdata(engine)
    again = marking.force(engine, cr, operator="ADMIN", now=NOW)
    assert again.written == 0
    assert syncdata(engine) == after_first

    # Undo of the first run restores SYNCDATA exactly (all rows, all columns).
    undone = marking.undo(engine, done.run_id, operator="ADMIN")
    assert (undone.restored, undone.kept) == (done.written, 0)
    assert syncdata(engine) == before["syncdata"]


@pytest.mark.slow
@settings(SETTINGS, max_examples=max(1, EXAMPLES * 3 // 5))
@given(data=folders(), cr=criteria(), second=criteria())
def test_undo_of_an_older_run_never_loses_a_later_one(
    db_engine: sa.Engine,
    data: dict[str, list[dict[str, Any]]],
    cr: Criteria,
    second: Criteria,
) -> None:
    """Force A, force B (other criteria, same user), undo A: B's R rows all survive,
    A's records that B did not rewrite are back as before A, and nothing else moved."""
    engine = db_engine
    second = second.replace(user=cr.user)
    clear(engine)
    load(engine, data)
    s0 = syncdata(engine)
    a = marking.force(engine, cr, operator="ADMIN", now=NOW)
    syncdata(engine)
    b = marking.force(engine, second, operator="ADMIN", now=NOW + dt.timedelta(hours=1))
    s2 = syncdata(engine)
    with engine.connect() as conn:
        lg = s.fsylog
        b_new = set(
            conn.execute(
                sa.select(lg.c.newsydnum).where(
                    lg.c.runid == b.run_id, lg.c.newsydnum.is_not(None)
                )
            ).scalars()
        )
        b_keys = set(
            conn.execute(
                sa.select(lg.c.sydtyp, lg.c.sydkey).where(
                    lg.c.runid == b.run_id, lg.c.newsydnum.is_not(None)
                )
            ).tuples()
        )
    u = marking.undo(engine, a.run_id, operator="ADMIN")
    s3 = syncdata(engine)
    user = a.context.user
    assert b_new <= {r[0] for r in s3}, "undo of A removed an R row written by B"

    # Records B rewrote are as B left them; the others are as before A.
    def rows_of(
        snapshot: list[tuple[Any, ...]], rewritten: bool
    ) -> list[tuple[Any, ...]]:
        return [
            r
            for r in snapshot
            if ((r[1] == user and (r[2], r[3]) in b_keys) == rewritten)
        ]

    assert rows_of(s3, True) == rows_of(s2, True)
    assert rows_of(s3, False) == rows_of(s0, False)
    assert u.restored + u.kept == a.written
