"""The references the toolkit is measured against, written by hand.

* ``bare_force``: "the two bare SQL statements" -- one DELETE of the superseded rows and
  one INSERT ... SELECT of the R rows over the same selection, in one transaction, with
  no staging, no run history and no undo detail.
* ``bare_preview``: the hand-written SQL that computes the same counts (per type,
  outcome and out-of-phase flag) and the same page of records as ``preview``.
* ``loop_force``: an X3-style per-record loop (read the selection, then per record one
  SELECT of its queue rows and an UPDATE/DELETE or INSERT), timed on a sample.

They cover the criteria the benchmarks use (ADMIN's tasks, calls and appointments,
optionally limited to one date window) and are checked against the toolkit's result
(same SYNCDATA, same counts, same page) by the scripts. Values are always bound; the SQL
text is assembled from constant fragments only.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from forcedsync_kit.results import RunContext

APT_ARRAY = 10
SEP = "\x1f"  # forcedsync_kit.schema.REASON_SEP


@dataclass(frozen=True)
class Scope:
    """Who the records are forced for, and the optional date window."""

    ctx: RunContext
    window: tuple[dt.date, dt.date] | None = None

    def params(self) -> dict[str, Any]:
        p: dict[str, Any] = {
            "usr": self.ctx.user,
            "rep": self.ctx.rep,
            "cpy": self.ctx.company,
            "opr": self.ctx.operator,
        }
        if self.window:
            p["lo"], p["hi"] = self.window
        return p


def _ts_key(dialect: str, col: str) -> str:
    if dialect == "postgresql":
        return f"to_char({col}, 'YYYY-MM-DDHH24MISS')"
    return f"strftime({col}, '%Y-%m-%d%H%M%S')"


def selection_sql(scope: Scope, *, upd: bool = False) -> str:
    """SELECT sydtyp, sydkey[, upd] of ADMIN's tasks, calls and appointments."""
    win = " AND {col} BETWEEN :lo AND :hi" if scope.window else ""
    sites = "salfcy IN (SELECT fcy FROM facility WHERE legcpy = :cpy)"
    extra = ", upddattim AS upd" if upd else ""
    reps = " OR ".join(
        ["atprepmna = :rep"] + [f"aptrepnum_{i} = :rep" for i in range(APT_ARRAY)]
    )
    return (
        f"SELECT 'TSK' AS sydtyp, tsknum AS sydkey{extra} FROM btask "
        f"WHERE tskrep = :rep AND {sites}{win.format(col='tskstr')} "
        f"UNION ALL SELECT 'CLL', cllnum{extra} FROM bcall "
        f"WHERE cllrep = :rep AND {sites}{win.format(col='clldat')} "
        f"UNION ALL SELECT 'BAP', aptnum{extra} FROM bappoint "
        f"WHERE ({reps}) AND {sites}{win.format(col='aptdat')}"
    )


# --- force ---------------------------------------------------------------------------

_COLS = (
    "sydnum, sydusr, sydtyp, sydkey, sydatttyp, syddat, sydhou, sydgen, sydupd, "
    "sydotksta, creusr, credattim, updusr, upddattim"
)


def force_statements(scope: Scope) -> tuple[str, str]:
    """The DELETE of superseded rows, then the INSERT of the R rows (in that order).

    After the DELETE a selected record still has queue rows only when it is to be
    skipped (an A/P row) or already forced (exactly one R row); so the INSERT writes an
    R row for exactly the records with no row left: SPEC §4.4's insert + supersede.
    """
    sel = selection_sql(scope)
    delete = (
        "DELETE FROM syncdata WHERE sydusr = :usr AND (sydtyp, sydkey) IN ("
        " SELECT q.sydtyp, q.sydkey FROM syncdata q"
        f" WHERE q.sydusr = :usr AND (q.sydtyp, q.sydkey) IN ({sel})"
        " GROUP BY q.sydtyp, q.sydkey"
        " HAVING sum(CASE WHEN q.sydatttyp IN ('A', 'P') THEN 1 ELSE 0 END) = 0"
        " AND NOT (count(*) = 1 AND min(q.sydatttyp) = 'R'))"
    )
    insert = (
        f"INSERT INTO syncdata ({_COLS}) "
        "SELECT (SELECT coalesce(max(sydnum), 0) FROM syncdata)"
        " + row_number() OVER (ORDER BY sel.sydtyp, sel.sydkey),"
        " CAST(:usr AS VARCHAR), sel.sydtyp, sel.sydkey, 'R', CAST(:day AS DATE),"
        " CAST(:hour AS VARCHAR), '0', '0', '0', CAST(:opr AS VARCHAR),"
        " CAST(:now AS TIMESTAMP), CAST(:opr AS VARCHAR), CAST(:now AS TIMESTAMP)"
        f" FROM ({sel}) sel WHERE NOT EXISTS (SELECT 1 FROM syncdata q"
        " WHERE q.sydusr = :usr AND q.sydtyp = sel.sydtyp AND q.sydkey = sel.sydkey)"
        " ORDER BY sel.sydtyp, sel.sydkey"
    )
    return delete, insert


def clock_params(now: dt.datetime) -> dict[str, Any]:
    return {"day": now.date(), "hour": now.strftime("%H%M%S"), "now": now}


def bare_force(engine: sa.Engine, scope: Scope, now: dt.datetime) -> None:
    """The two bare statements, in one transaction."""
    delete, insert = force_statements(scope)
    params = scope.params() | clock_params(now)
    with engine.begin() as conn:
        conn.execute(sa.text(delete), params)
        conn.execute(sa.text(insert), params)


def syncdata_digest(engine: sa.Engine) -> tuple[int, str]:
    """Row count and an md5 of every SYNCDATA row in SYDNUM order."""
    cols = [c.strip() for c in _COLS.split(",")]
    text = " || '|' || ".join(f"coalesce(CAST({c} AS VARCHAR), '~')" for c in cols)
    sql = f"SELECT count(*), md5(string_agg({text}, ',' ORDER BY sydnum)) FROM syncdata"
    with engine.connect() as conn:
        n, digest = conn.execute(sa.text(sql)).one()
    return int(n), str(digest)


# --- preview -------------------------------------------------------------------------


def _outcome(a: str) -> str:
    return (
        f"CASE WHEN {a}.nap > 0 THEN 'skip'"
        f" WHEN {a}.n = 1 AND {a}.nr = 1 THEN 'already'"
        f" WHEN {a}.n > 0 THEN 'supersede' ELSE 'insert' END"
    )


def _agg(dialect: str, keys: str | None) -> str:
    qkey = "CAST(q.syddat AS VARCHAR) || coalesce(q.sydhou, '000000')"
    join = (
        f" JOIN {keys} k ON k.sydtyp = q.sydtyp AND k.sydkey = q.sydkey" if keys else ""
    )
    return (
        "SELECT q.sydtyp, q.sydkey, count(*) AS n,"
        " sum(CASE WHEN q.sydatttyp IN ('A', 'P') THEN 1 ELSE 0 END) AS nap,"
        " sum(CASE WHEN q.sydatttyp = 'R' THEN 1 ELSE 0 END) AS nr,"
        f" min({qkey}) AS qmin, max({qkey}) AS qmax"
        f" FROM syncdata q{join} WHERE q.sydusr = :usr GROUP BY q.sydtyp, q.sydkey"
    )


def preview_counts_sql(dialect: str, scope: Scope) -> str:
    """Counts per (type, outcome, out-of-phase flag) over the whole selection."""
    oop = (
        "CASE WHEN lnk.syltyp IS NOT NULL OR agg.qmin < :cutoff OR"
        f" (sel.upd IS NOT NULL AND {_ts_key(dialect, 'sel.upd')} > agg.qmax)"
        " THEN 1 ELSE 0 END"
    )
    return (
        f"WITH sel AS ({selection_sql(scope, upd=True)}),"
        f" agg AS ({_agg(dialect, None)}),"
        " lnk AS (SELECT DISTINCT syltyp, sylkey FROM synclink"
        " WHERE sylusr = :usr AND sylflgdpt = 2)"
        f" SELECT sel.sydtyp, {_outcome('agg')} AS outcome, {oop} AS oop, count(*) AS n"
        " FROM sel LEFT JOIN agg ON agg.sydtyp = sel.sydtyp AND agg.sydkey = sel.sydkey"
        " LEFT JOIN lnk ON lnk.syltyp = sel.sydtyp AND lnk.sylkey = sel.sydkey"
        " GROUP BY 1, 2, 3"
    )


def preview_page_sql(dialect: str, scope: Scope) -> str:
    """One page (no filter) of records with outcome, reasons, description, date, rep.

    The page's keys are taken first (ORDER BY ... LIMIT/OFFSET over the selection),
    then only those records are classified and described.
    """
    stale = "agg.qmin < :cutoff"
    changed = f"sel.upd IS NOT NULL AND {_ts_key(dialect, 'sel.upd')} > agg.qmax"
    link = (
        "'field ' || coalesce(l.sylfie, '') || ': X3 ' || coalesce(l.sylvaladx, '')"
        " || ' / Outlook ' || coalesce(l.sylvalotk, '')"
    )
    name = "trim(coalesce(c.cntfna, '') || ' ' || coalesce(c.cntlna, ''))"
    return (
        f"WITH sel AS (SELECT * FROM ({selection_sql(scope, upd=True)}) s"
        " ORDER BY sydtyp, sydkey LIMIT :limit OFFSET :offset),"
        f" agg AS ({_agg(dialect, 'sel')}),"
        f" lnk AS (SELECT l.syltyp, l.sylkey, string_agg({link}, chr(31)) AS txt"
        " FROM synclink l JOIN sel k ON k.sydtyp = l.syltyp AND k.sydkey = l.sylkey"
        " WHERE l.sylusr = :usr AND l.sylflgdpt = 2 GROUP BY l.syltyp, l.sylkey)"
        f" SELECT sel.sydtyp, sel.sydkey, {_outcome('agg')} AS outcome,"
        f" CASE WHEN lnk.txt IS NOT NULL OR {stale} OR ({changed}) THEN 1 ELSE 0 END"
        " AS oop,"
        " coalesce(lnk.txt, '')"
        f" || CASE WHEN {stale}"
        " THEN chr(31) || 'pending since ' || substr(agg.qmin, 1, 10) ELSE '' END"
        f" || CASE WHEN {changed} THEN chr(31) || 'changed after queued' ELSE '' END"
        " AS reasons,"
        f" coalesce(t.fulobj, k.fulobj, a.fulobj, {name}) AS descr,"
        " coalesce(t.tskstr, k.clldat, a.aptdat) AS recdate,"
        " coalesce(t.tskrep, k.cllrep, a.atprepmna, c.repnum) AS rep"
        " FROM sel LEFT JOIN agg ON agg.sydtyp = sel.sydtyp AND agg.sydkey = sel.sydkey"
        " LEFT JOIN lnk ON lnk.syltyp = sel.sydtyp AND lnk.sylkey = sel.sydkey"
        " LEFT JOIN correspond c ON sel.sydtyp = 'COR' AND c.cornum = sel.sydkey"
        " LEFT JOIN btask t ON sel.sydtyp = 'TSK' AND t.tsknum = sel.sydkey"
        " LEFT JOIN bcall k ON sel.sydtyp = 'CLL' AND k.cllnum = sel.sydkey"
        " LEFT JOIN bappoint a ON sel.sydtyp = 'BAP' AND a.aptnum = sel.sydkey"
        " ORDER BY sel.sydtyp, sel.sydkey"
    )


@dataclass(frozen=True)
class BarePreview:
    counts: dict[str, dict[str, int]]
    oop: dict[str, int]
    page: list[tuple[Any, ...]]


def bare_preview(
    engine: sa.Engine,
    scope: Scope,
    now: dt.datetime,
    *,
    staledays: int = 7,
    page: int = 1,
    page_size: int = 200,
    counts: bool = True,
) -> BarePreview:
    """Counts per type/outcome/oop and one page, as two hand-written statements."""
    from forcedsync_kit.outofphase import stale_cutoff

    dialect = engine.dialect.name
    params = scope.params() | {"cutoff": stale_cutoff(now, staledays)}
    out: dict[str, dict[str, int]] = {}
    oop: dict[str, int] = {}
    with engine.connect() as conn:
        if counts:
            for typ, outcome, flag, n in conn.execute(
                sa.text(preview_counts_sql(dialect, scope)), params
            ):
                out.setdefault(typ, {}).setdefault(outcome, 0)
                out[typ][outcome] += int(n)
                oop[typ] = oop.get(typ, 0) + (int(n) if flag else 0)
        rows = conn.execute(
            sa.text(preview_page_sql(dialect, scope)),
            params | {"limit": page_size, "offset": (page - 1) * page_size},
        ).all()
    return BarePreview(out, oop, [tuple(r) for r in rows])


# --- the per-record loop -------------------------------------------------------------


@dataclass(frozen=True)
class LoopTiming:
    sample: int  # records processed by the loop
    seconds: float  # the loop over the sample (statements + commit)
    driving_seconds: float  # the query that reads the whole selection, once
    statements: int

    def extrapolate(self, records: int) -> float:
        return self.driving_seconds + self.seconds / self.sample * records


def loop_force(
    engine: sa.Engine, scope: Scope, now: dt.datetime, *, sample: int
) -> LoopTiming:
    """X3 style: read the selection, then SELECT and UPDATE/DELETE or INSERT per record.

    The whole selection is read once (timed apart: the loop's driving read), then every
    ``len // sample``-th record (in key order) is processed, in one transaction, so the
    sample spreads over every type and outcome.
    """
    sel = selection_sql(scope)
    read = sa.text(
        "SELECT sydnum, sydatttyp FROM syncdata"
        " WHERE sydusr = :usr AND sydtyp = :typ AND sydkey = :key ORDER BY sydnum"
    )
    update = sa.text(
        "UPDATE syncdata SET sydatttyp = 'R', syddat = :day, sydhou = :hour,"
        " sydgen = '0', sydupd = '0', sydotksta = '0', updusr = :opr, upddattim = :now"
        " WHERE sydnum = :num"
    )
    drop = sa.text("DELETE FROM syncdata WHERE sydnum = :num")
    insert = sa.text(
        f"INSERT INTO syncdata ({_COLS}) VALUES (:num, :usr, :typ, :key, 'R', :day,"
        " :hour, '0', '0', '0', :opr, :now, :opr, :now)"
    )
    base = scope.params() | clock_params(now)
    n_statements = 0
    with engine.begin() as conn:
        t0 = time.perf_counter()
        everything = conn.execute(sa.text(sel), base).all()  # the loop's driving read
        driving_s = time.perf_counter() - t0
        everything.sort()
        step = max(1, len(everything) // sample)
        records = everything[step - 1 :: step][:sample]
        top = int(
            conn.execute(
                sa.text("SELECT coalesce(max(sydnum), 0) FROM syncdata")
            ).scalar()
            or 0
        )
        t0 = time.perf_counter()
        for typ, key in records:
            p = base | {"typ": typ, "key": key}
            rows = conn.execute(read, p).all()
            n_statements += 1
            actions = [r.sydatttyp for r in rows]
            if any(a in ("A", "P") for a in actions):
                continue
            if actions == ["R"]:
                continue
            if rows:
                conn.execute(update, p | {"num": rows[0].sydnum})
                n_statements += 1
                for r in rows[1:]:
                    conn.execute(drop, {"num": r.sydnum})
                    n_statements += 1
            else:
                top += 1
                conn.execute(insert, p | {"num": top})
                n_statements += 1
    seconds = time.perf_counter() - t0  # includes the commit
    return LoopTiming(len(records), seconds, driving_s, n_statements)
