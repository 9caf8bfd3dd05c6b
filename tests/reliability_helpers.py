"""Helpers of the reliability suite (issue #6): snapshots, a plain-Python reference of
SPEC §3-§5, bulk data, the command line in a subprocess and process workers.

The reference model reads the same row dicts that are inserted into the database and
evaluates SPEC §3 (which records are selected), §4.4 (their outcome) and §5 (out of
phase) with sets and loops, nothing shared with ``forcedsync_kit.selection``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from forcedsync_kit import db
from forcedsync_kit import schema as s
from forcedsync_kit.criteria import Criteria

Rows = Mapping[str, Sequence[Mapping[str, Any]]]
Key = tuple[str, str]

ROOT = Path(__file__).resolve().parents[1]
#: The command line as another process runs it.
CLI = [sys.executable, "-m", "forcedsync_kit"]

SYNCDATA_COLS = [c.name for c in s.syncdata.columns]
TOOLKIT = (s.fsyrun, s.fsylog, s.fsyold, s.fsykey)


# --- the database -------------------------------------------------------------------


def syncdata(conn_or_engine: sa.Engine | sa.Connection) -> list[tuple[Any, ...]]:
    """Every SYNCDATA row, every column, ordered by SYDNUM."""
    stmt = sa.select(s.syncdata).order_by(s.syncdata.c.sydnum)
    if isinstance(conn_or_engine, sa.Engine):
        with conn_or_engine.connect() as conn:
            return [tuple(r) for r in conn.execute(stmt)]
    return [tuple(r) for r in conn_or_engine.execute(stmt)]


def _sorted(rows: Iterable[Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(r) for r in rows), key=lambda r: tuple((v is None, str(v)) for v in r)
    )


def table_rows(engine: sa.Engine, table: sa.Table) -> list[tuple[Any, ...]]:
    """Every row of a table, every column, sorted (for exact comparisons)."""
    with engine.connect() as conn:
        return _sorted(conn.execute(sa.select(table)))


def state(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """SYNCDATA and the toolkit's tables, all rows and columns (one connection)."""
    with engine.connect() as conn:
        out = {"syncdata": syncdata(conn)}
        for t in TOOLKIT:
            out[t.name] = _sorted(conn.execute(sa.select(t)))
    return out


def clear(engine: sa.Engine) -> None:
    """Delete every row of every table (cheaper than a fresh database per example)."""
    with engine.begin() as conn:
        for table in reversed(s.metadata.sorted_tables):
            conn.execute(sa.delete(table))


def load(engine: sa.Engine, data: Rows) -> None:
    """Insert row dicts per table name, in one transaction."""
    with engine.begin() as conn:
        for table in s.metadata.sorted_tables:
            rows = data.get(table.name)
            if rows:
                keys = sorted({k for r in rows for k in r})
                conn.execute(
                    sa.insert(table), [{k: r.get(k) for k in keys} for r in rows]
                )


def world_rows(world: Any) -> dict[str, list[dict[str, Any]]]:
    """The rows a ``builders.World`` holds before ``commit()``, per table name."""
    return {t.name: [dict(r) for r in rows] for t, rows in world.rows.items()}


def pg_locks_held(url: str) -> int:
    """Advisory locks held in the database (PostgreSQL), to time a kill."""
    eng = sa.create_engine(db.resolve_url(url), poolclass=sa.pool.NullPool)
    with eng.connect() as conn:
        n = conn.execute(
            sa.text(
                "select count(*) from pg_locks where locktype = 'advisory' and granted"
            )
        ).scalar()
    eng.dispose()
    return int(n or 0)


# --- the command line in another process --------------------------------------------


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEDSYNC_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def cli_args(
    url: str, command: str, operator: str, params: Mapping[str, str], *extra: str
) -> list[str]:
    args = [*CLI, command, "--db", url, "--operator", operator]
    for name, value in params.items():
        args += ["-p", f"{name}={value}"]
    return args + list(extra)


def run_cli(
    args: Sequence[str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
    )


# --- the reference model of SPEC §3-§5 ----------------------------------------------


@dataclass(frozen=True)
class Who:
    """The resolved USER, CPY and rep a reference evaluation uses."""

    user: str
    company: str
    rep: str | None
    operator: str = "ADMIN"


def _between(value: Any, lo: Any, hi: Any) -> bool:
    """SPEC §3: inclusive, an empty bound is open; a NULL value never compares."""
    if lo is not None and (value is None or value < lo):
        return False
    return not (hi is not None and (value is None or value > hi))


def reference_selection(
    data: Rows,
    cr: Criteria,
    who: Who,
    types: Iterable[str] = ("COR", "TSK", "CLL", "BAP"),
) -> set[Key]:
    """SPEC §3 in plain Python: the (SYDTYP, SYDKEY) of every record to force.

    ``types`` are the object types that passed the gates (SPEC §4.3); contacts pulled
    in by the ...FORCOR/BAPFORREP flags are COR records and need COR among them.
    """
    active = set(types)
    rep = who.rep
    contacts = {c["cornum"]: c for c in data.get("correspond", [])}
    sites = {
        f["fcy"] for f in data.get("facility", []) if f.get("legcpy") == who.company
    }
    out: set[Key] = set()

    def in_cor(num: str) -> bool:
        return _between(num, cr.cordeb, cr.corfin)

    if cr.selcor and "COR" in active:
        if not (cr.corsyncnt or cr.corsynpst or cr.corsynrep):
            out |= {("COR", n) for n in contacts if in_cor(n)}  # "totally"
        if cr.corsyncnt:
            customers = {
                b["bpcnum"]
                for b in data.get("bpcustomer", [])
                if b.get("bpcsta") == 2
                and rep is not None
                and rep in (b.get("rep_0"), b.get("rep_1"))
                and _between(b["bpcnum"], cr.bpcdeb, cr.bpcfin)
            }
            for n, c in contacts.items():
                if (
                    c.get("cortyp") == 1
                    and c.get("cpybpatyp") == 1
                    and c.get("bprnum") in customers
                    and in_cor(n)
                    and (not cr.corfcttxt or c.get("fnc") in cr.corfcttxt)
                ):
                    out.add(("COR", n))
        if cr.corsynpst:
            leads = {
                ld["pstnum"]
                for ld in data.get("lead", [])
                if rep is not None
                and ld.get("pstrep") == rep
                and _between(ld["pstnum"], cr.pstdeb, cr.pstfin)
            }
            for n, c in contacts.items():
                if c.get("cpybpatyp") == 6 and c.get("bprnum") in leads and in_cor(n):
                    out.add(("COR", n))
        if cr.corsynrep:
            linked = {
                r["copnum"]
                for r in data.get("correp", [])
                if _between(r["coprep"], cr.repdeb, cr.repfin)
            }
            out |= {("COR", n) for n in contacts if n in linked and in_cor(n)}

    def pull(keys: Iterable[Any]) -> None:
        if "COR" in active:
            out.update(("COR", k) for k in keys if k in contacts)

    if cr.seltsk:
        chosen = [
            t
            for t in data.get("btask", [])
            if rep is not None
            and t.get("tskrep") == rep
            and t.get("salfcy") in sites
            and _between(t.get("tskstr"), cr.tskdatdeb, cr.tskdatfin)
            and _between(t.get("tskdat"), cr.tskechdeb, cr.tskechfin)
        ]
        if "TSK" in active:
            out |= {("TSK", t["tsknum"]) for t in chosen}
        if cr.tskforcor:
            pull(t.get("tskcor") for t in chosen)
    if cr.selcll:
        chosen = [
            k
            for k in data.get("bcall", [])
            if rep is not None
            and k.get("cllrep") == rep
            and k.get("salfcy") in sites
            and _between(k.get("clldat"), cr.clldatdeb, cr.clldatfin)
        ]
        if "CLL" in active:
            out |= {("CLL", k["cllnum"]) for k in chosen}
        if cr.cllforcor:
            pull(k.get("cllcor") for k in chosen)
    if cr.selbap:
        n_arr = s.APT_ARRAY
        chosen = [
            a
            for a in data.get("bappoint", [])
            if rep is not None
            and (
                a.get("atprepmna") == rep
                or any(a.get(f"aptrepnum_{i}") == rep for i in range(n_arr))
            )
            and a.get("salfcy") in sites
            and _between(a.get("aptdat"), cr.bapdatdeb, cr.bapdatfin)
        ]
        if "BAP" in active:
            out |= {("BAP", a["aptnum"]) for a in chosen}
        if cr.bapforcor:
            pull(a.get(f"aptcor_{i}") for a in chosen for i in range(n_arr))
        if cr.bapforrep and "COR" in active:
            reps = {a.get(f"aptrepnum_{i}") for a in chosen for i in range(n_arr)} - {
                None
            }
            out |= {
                ("COR", n)
                for n, c in contacts.items()
                if c.get("cortyp") == 2 and c.get("repnum") in reps
            }
    return out


def _queued_at(row: Mapping[str, Any]) -> dt.datetime:
    hhmmss = row.get("sydhou") or "000000"
    return dt.datetime.combine(
        row["syddat"], dt.time(int(hhmmss[:2]), int(hhmmss[2:4]), int(hhmmss[4:6]))
    )


def _last_change(data: Rows) -> dict[Key, dt.datetime | None]:
    out: dict[Key, dt.datetime | None] = {}
    for typ, table, key in (
        ("COR", "correspond", "cornum"),
        ("TSK", "btask", "tsknum"),
        ("CLL", "bcall", "cllnum"),
        ("BAP", "bappoint", "aptnum"),
    ):
        for r in data.get(table, []):
            out[(typ, r[key])] = r.get("upddattim")
    return out


def reference_outcomes(
    data: Rows,
    keys: Iterable[Key],
    *,
    user: str,
    now: dt.datetime,
    staledays: int,
    only_oop: bool = False,
) -> dict[Key, tuple[str, bool]]:
    """SPEC §4.4 and §5: (outcome, out of phase) of each selected record for USER."""
    queue: dict[Key, list[Mapping[str, Any]]] = {}
    for r in data.get("syncdata", []):
        if r["sydusr"] == user:
            queue.setdefault((r["sydtyp"], r["sydkey"]), []).append(r)
    links = {
        (r["syltyp"], r["sylkey"])
        for r in data.get("synclink", [])
        if r["sylusr"] == user and r.get("sylflgdpt") == 2
    }
    changed_at = _last_change(data)
    cutoff = now - dt.timedelta(days=staledays)
    out: dict[Key, tuple[str, bool]] = {}
    for key in keys:
        rows = queue.get(key, [])
        actions = [r["sydatttyp"] for r in rows]
        if any(a in ("A", "P") for a in actions):
            outcome = "skip"
        elif actions == ["R"]:
            outcome = "already"
        elif actions:
            outcome = "supersede"
        else:
            outcome = "insert"
        times = [_queued_at(r) for r in rows]
        upd = changed_at.get(key)
        oop = (
            key in links
            or (bool(times) and min(times) < cutoff)
            or (
                bool(times)
                and upd is not None
                and upd.replace(microsecond=0) > max(times)
            )
        )
        if only_oop and not oop:
            continue
        out[key] = (outcome, oop)
    return out


def counts_of(outcomes: Mapping[Key, tuple[str, bool]]) -> dict[str, dict[str, int]]:
    counts = {
        t: dict.fromkeys(("insert", "supersede", "already", "skip"), 0)
        for t in ("COR", "TSK", "CLL", "BAP")
    }
    for (typ, _key), (outcome, _oop) in outcomes.items():
        counts[typ][outcome] += 1
    return counts


def written_keys(outcomes: Mapping[Key, Any]) -> set[Key]:
    """The records a run writes an R row for (insert and supersede)."""
    return {
        k
        for k, v in outcomes.items()
        if (v[0] if isinstance(v, tuple) else v) in ("insert", "supersede")
    }


def check_forced(
    before: Sequence[tuple[Any, ...]],
    after: Sequence[tuple[Any, ...]],
    *,
    user: str,
    written: set[Key],
    now: dt.datetime | None = None,
    operator: str | None = None,
) -> None:
    """SPEC §4.6: the written records of USER have exactly one R row each, new; every
    other row is untouched (same SYDNUM, same values)."""

    def key(row: tuple[Any, ...]) -> Key:
        return (row[2], row[3])

    old_nums = {r[0] for r in before}
    kept = [r for r in before if not (r[1] == user and key(r) in written)]
    assert sorted(r for r in after if r[0] in old_nums) == sorted(kept), (
        "rows that the run must leave alone changed"
    )
    new = [r for r in after if r[0] not in old_nums]
    assert sorted(key(r) for r in new) == sorted(written), (
        "R rows differ from the selection"
    )
    top = max(old_nums, default=0)
    for r in new:
        row = dict(zip(SYNCDATA_COLS, r, strict=True))
        assert row["sydnum"] > top
        assert row["sydusr"] == user and row["sydatttyp"] == "R"
        assert (row["sydgen"], row["sydupd"], row["sydotksta"]) == ("0", "0", "0")
        if now is not None:
            assert row["syddat"] == now.date() and row["sydhou"] == now.strftime(
                "%H%M%S"
            )
        if operator is not None:
            assert row["updusr"] == operator
    per_key: dict[Key, int] = {}
    for r in after:
        if r[1] == user and key(r) in written:
            per_key[key(r)] = per_key.get(key(r), 0) + 1
    assert all(n == 1 for n in per_key.values())


# --- bulk data for crash and concurrency tests --------------------------------------


def bulk_rows(
    n_contacts: int,
    n_tasks: int,
    n_calls: int,
    n_appointments: int,
    *,
    rep: str = "R1",
    seed: int = 42,
) -> dict[str, list[dict[str, Any]]]:
    """Many records of ``rep`` at sites FR1/FR2 (company FR10), spread over 2026."""
    rng = random.Random(seed)
    day0 = dt.date(2026, 1, 1)
    t0 = dt.datetime(2026, 11, 1, 9, 0, 0)
    out: dict[str, list[dict[str, Any]]] = {
        "bpcustomer": [],
        "correspond": [],
        "btask": [],
        "bcall": [],
        "bappoint": [],
    }
    for i in range(max(1, n_contacts // 5)):
        out["bpcustomer"].append(
            {
                "bpcnum": f"BP{i:05d}",
                "bpcnam": f"Customer {i}",
                "rep_0": rep if i % 2 else "R2",
                "rep_1": None,
                "bpcsta": 2,
            }
        )
    cors = [f"C{i:05d}" for i in range(n_contacts)]
    for i, c in enumerate(cors):
        out["correspond"].append(
            {
                "cornum": c,
                "cortyp": 2 if i % 50 == 0 else 1,
                "bprnum": f"BP{i // 5:05d}",
                "cpybpatyp": 1,
                "repnum": rep if i % 50 == 0 else None,
                "fnc": 1 + i % 12,
                "cntlna": f"Last{i}",
                "cntfna": "First",
                "cntema": f"c{i}@example.com",
                "upddattim": t0,
            }
        )
    for i in range(n_tasks):
        d = day0 + dt.timedelta(days=rng.randrange(365))
        out["btask"].append(
            {
                "tsknum": f"T{i:06d}",
                "tskstr": d,
                "tskdat": d + dt.timedelta(days=7),
                "tskrep": rep,
                "tskcor": rng.choice(cors) if cors else None,
                "salfcy": rng.choice(("FR1", "FR2")),
                "tskdon": 1,
                "fulobj": f"Task {i}",
                "upddattim": t0,
            }
        )
    for i in range(n_calls):
        d = day0 + dt.timedelta(days=rng.randrange(365))
        out["bcall"].append(
            {
                "cllnum": f"K{i:06d}",
                "clldat": d,
                "cllrep": rep,
                "cllcor": rng.choice(cors) if cors else None,
                "salfcy": rng.choice(("FR1", "FR2")),
                "fulobj": f"Call {i}",
                "upddattim": t0,
            }
        )
    for i in range(n_appointments):
        d = day0 + dt.timedelta(days=rng.randrange(365))
        row: dict[str, Any] = {
            "aptnum": f"A{i:06d}",
            "aptdat": d,
            "aptdatend": d,
            "apthou": "100000",
            "atprepmna": rep,
            "salfcy": rng.choice(("FR1", "FR2")),
            "fulobj": f"Meeting {i}",
            "upddattim": t0,
        }
        for j in range(s.APT_ARRAY):
            row[f"aptrepnum_{j}"] = "R2" if j == 0 else None
            row[f"aptcor_{j}"] = rng.choice(cors) if (cors and j < 2) else None
        out["bappoint"].append(row)
    return out


_ACTION_PATTERNS = (
    ("C",),
    ("M",),
    ("R",),
    ("C", "M"),
    ("M", "R"),
    ("R", "R"),
    ("A",),
    ("P",),
    ("C", "M", "M"),
)


def random_queue(
    records: Iterable[Key],
    *,
    user: str,
    share: float,
    seed: int,
    first_sydnum: int,
    when: dt.datetime = dt.datetime(2026, 11, 28, 8, 0, 0),
) -> list[dict[str, Any]]:
    """SYNCDATA rows for a random share of the records, with every action pattern."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    num = first_sydnum
    for typ, key in records:
        if rng.random() >= share:
            continue
        for action in rng.choice(_ACTION_PATTERNS):
            num += 1
            rows.append(
                {
                    "sydnum": num,
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
    return rows


def all_records(data: Rows) -> list[Key]:
    out: list[Key] = []
    for typ, table, key in (
        ("COR", "correspond", "cornum"),
        ("TSK", "btask", "tsknum"),
        ("CLL", "bcall", "cllnum"),
        ("BAP", "bappoint", "aptnum"),
    ):
        out += [(typ, r[key]) for r in data.get(table, [])]
    return out


# --- process workers (multiprocessing, spawn) ---------------------------------------

_ENGINES: dict[str, sa.Engine] = {}
_BARRIER: Any = None


def worker_init(barrier: Any) -> None:
    """Pool initializer: keep the barrier every task waits on before it starts."""
    global _BARRIER
    _BARRIER = barrier


def _engine(url: str) -> sa.Engine:
    if url not in _ENGINES:
        _ENGINES[url] = db.connect(url)
    return _ENGINES[url]


def worker_task(
    url: str, kind: str, operator: str, arg: Any, now: str | None = None
) -> dict[str, Any]:
    """Wait for the other workers, then force (arg: params) or undo (arg: run id)."""
    from forcedsync_kit import marking

    eng = _engine(url)
    if _BARRIER is not None:
        _BARRIER.wait(timeout=60)
    if kind == "force":
        res = marking.force(eng, Criteria.from_params(arg), operator=operator, now=now)
        return {
            "kind": kind,
            "run_id": res.run_id,
            "written": res.written,
            "counts": json.loads(json.dumps(res.counts)),
        }
    if kind == "undo":
        u = marking.undo(eng, arg, operator=operator, now=now)
        return {
            "kind": kind,
            "run_id": u.run_id,
            "restored": u.restored,
            "kept": u.kept,
        }
    if kind == "sync":
        from forcedsync_kit import outlook

        r = outlook.synchronize(eng, operator, arg)
        return {
            "kind": kind,
            "exported": {t: list(k) for t, k in r.exported.items()},
            "deleted": {t: list(k) for t, k in r.deleted.items()},
            "rows_removed": r.rows_removed,
        }
    raise ValueError(kind)


def fast_url(url: str) -> tuple[str, Path | None]:
    """A cheaper twin of a test database for many-example tests (no durability needed).

    DuckDB: a fresh file in /dev/shm (memory), returned with the folder to remove.
    PostgreSQL: the same schema, ``synchronous_commit=off`` (no WAL flush per commit).
    """
    if url.startswith("duckdb"):
        import tempfile

        shm = Path("/dev/shm")
        folder = Path(
            tempfile.mkdtemp(prefix="fs-prop-", dir=shm if shm.is_dir() else None)
        )
        return f"duckdb:///{folder / 'prop.duckdb'}", folder
    return url + "%20-csynchronous_commit%3Doff", None
