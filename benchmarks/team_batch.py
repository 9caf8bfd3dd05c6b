"""A team run of N users × M tasks each against one user with N×M tasks, per backend.

    python benchmarks/team_batch.py                  # 50 users × 20,000 vs 1,000,000
    python benchmarks/team_batch.py --users 50 --per-user 2000   # a quick run

Each backend gets a fresh folder (a DuckDB file, a PostgreSQL schema) holding: the
operator ADMIN; users U001..UNNN with reps R001..RNNN and a setup; the user SOLO with
rep RSOLO; M tasks per team rep and N×M tasks for RSOLO (one in ten with a pending M
row in SYNCDATA, so forces both insert and supersede). The team is forced with
``batch.force_batch`` (one transaction per user), SOLO with ``marking.force``; the
ratio team / solo is printed (target: at most 1.5), with the load average before and
after, and on DuckDB (which works in this process) the ratio of CPU seconds, which other
sessions' load disturbs less than the wall-clock.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forcedsync_kit import batch, db, marking  # noqa: E402
from forcedsync_kit import schema as s  # noqa: E402
from forcedsync_kit.criteria import Criteria  # noqa: E402

PG = os.environ.get(
    "FORCEDSYNC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOW = "2026-11-29T12:00:00"
FLAGS = {f"{o}otk{a}": 2 for o in s.SYNC_OBJECTS for a in ("cre", "upd")}


def reference(conn: sa.Connection, users: list[str]) -> None:
    """Company, site, rights, the operator, the users, their reps and setups."""
    conn.execute(sa.insert(s.company).values(cpy="FR10", cpynam="France"))
    conn.execute(
        sa.insert(s.facility).values(fcy="FR11", fcynam="Paris", legcpy="FR10")
    )
    conn.execute(sa.insert(s.afctfct).values(prffct="ADMIN", fct="FUNSYD6", acs=2))
    everyone = ["ADMIN", *users]
    conn.execute(
        sa.insert(s.autilis),
        [
            {"codusr": u, "nomusr": u, "enaflg": 2, "prffct": "ADMIN", "cpy": "FR10"}
            for u in everyone
        ],
    )
    reps = {u: ("RSOLO" if u == "SOLO" else "R" + u[1:]) for u in users}
    conn.execute(
        sa.insert(s.salesrep),
        [{"repnum": r, "repnam": r, "fcy": "FR11"} for r in reps.values()],
    )
    conn.execute(
        sa.insert(s.adoval),
        [{"param": "AUSCRMA", "lev": "GEN", "levkey": "", "valeur": "1"}]
        + [
            {"param": "AUSCRMF", "lev": "USR", "levkey": u, "valeur": r}
            for u, r in reps.items()
        ],
    )
    conn.execute(
        sa.insert(s.syncpar), [dict(sypusr=u, otkusr=u, **FLAGS) for u in users]
    )


def tasks(conn: sa.Connection, prefix: str, total: int, per_rep: int, rep: str) -> None:
    """``total`` tasks; rep ``rep`` or, when empty, R001.. by blocks of ``per_rep``."""
    rep_sql = (
        ":rep"
        if rep
        else "'R' || lpad(cast(cast(floor((g - 1) / cast(:per AS float)) "
        "AS integer) + 1 AS varchar), 3, '0')"
    )
    conn.execute(
        sa.text(
            "INSERT INTO btask "
            "(tsknum, tskstr, tskdat, tskrep, salfcy, tskdon, fulobj) "
            f"SELECT :p || lpad(cast(g as varchar), 9, '0'), DATE '2026-01-01', "
            f"DATE '2026-02-01', {rep_sql}, 'FR11', 1, 'task' "
            "FROM generate_series(1, :n) AS t(g)"
        ),
        {"p": prefix, "n": total, "per": per_rep, "rep": rep},
    )


def queue(conn: sa.Connection, prefix: str, base: int) -> None:
    """An M row for one task in ten of ``prefix``, for the user of the task's rep."""
    user = (
        "CASE WHEN b.tskrep = 'RSOLO' THEN 'SOLO' ELSE 'U' || substr(b.tskrep, 2) END"
    )
    conn.execute(
        sa.text(
            "INSERT INTO syncdata (sydnum, sydusr, sydtyp, sydkey, sydatttyp, syddat, "
            "sydhou, sydgen, sydupd, sydotksta, upddattim) "
            f"SELECT :base + row_number() OVER (ORDER BY b.tsknum), {user}, 'TSK', "
            "b.tsknum, 'M', DATE '2026-11-28', '120000', '0', '0', '0', "
            "TIMESTAMP '2026-11-28 12:00:00' FROM btask b "
            "WHERE b.tsknum LIKE :like "
            "AND cast(substr(b.tsknum, 2) as integer) % 10 = 0"
        ),
        {"base": base, "like": prefix + "%"},
    )


def load(engine: sa.Engine, nusers: int, per_user: int) -> list[str]:
    users = [f"U{i:03d}" for i in range(1, nusers + 1)]
    with db.writing(engine) as conn:
        reference(conn, [*users, "SOLO"])
        tasks(conn, "T", nusers * per_user, per_user, "")
        tasks(conn, "S", nusers * per_user, 0, "RSOLO")
        queue(conn, "T", 0)
        queue(conn, "S", 10 * nusers * per_user)
    db.refresh_statistics(engine, list(s.metadata.sorted_tables), 10**9)
    return users


class Timing(NamedTuple):
    """Wall-clock and this process's CPU seconds (all threads) of one run."""

    wall: float
    cpu: float


def timed(run: Callable[[], int]) -> tuple[Timing, int]:
    """Run ``run`` (returns R rows written); its wall and CPU time, and the rows."""
    w0, c0 = time.perf_counter(), time.process_time()
    written = run()
    return Timing(time.perf_counter() - w0, time.process_time() - c0), written


def measure(url: str, nusers: int, per_user: int) -> tuple[Timing, Timing, int, int]:
    engine = db.connect(url)
    db.init(engine)
    users = load(engine, nusers, per_user)
    solo_crit = Criteria(user="SOLO", seltsk=True)
    team_crit = Criteria(users=tuple(users), seltsk=True)
    solo, w_solo = timed(
        lambda: marking.force(engine, solo_crit, operator="ADMIN", now=NOW).written
    )
    team, w_team = timed(
        lambda: batch.force_batch(engine, team_crit, operator="ADMIN", now=NOW).written
    )
    return solo, team, w_solo, w_team


def pg_url() -> tuple[str, str]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with sa.create_engine(PG, poolclass=sa.pool.NullPool).begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    return f"{PG}?options=-csearch_path%3D{name}", name


def drop(name: str) -> None:
    with sa.create_engine(PG, poolclass=sa.pool.NullPool).begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--per-user", type=int, default=20_000)
    ap.add_argument("--backends", default="duckdb,postgresql")
    args = ap.parse_args()
    n, m = args.users, args.per_user
    print(f"team of {n} users × {m:,} tasks vs one user with {n * m:,} tasks")
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(
        f"{'backend':<11}{'one user (s)':>14}{'team (s)':>10}{'ratio':>7}{'R rows':>11}"
        f"{'CPU ratio':>11}"
    )
    for backend in args.backends.split(","):
        if backend == "duckdb":
            with tempfile.TemporaryDirectory() as tmp:
                res = measure(f"duckdb:///{tmp}/bench.duckdb", n, m)
        else:
            url, name = pg_url()
            try:
                res = measure(url, n, m)
            finally:
                drop(name)
        solo, team, w_solo, w_team = res
        assert w_solo == w_team, (w_solo, w_team)
        # CPU: DuckDB works in this process; PostgreSQL's work is in its server.
        cpu = f"{team.cpu / solo.cpu:>11.2f}" if backend == "duckdb" else f"{'-':>11}"
        print(
            f"{backend:<11}{solo.wall:>14.2f}{team.wall:>10.2f}"
            f"{team.wall / solo.wall:>7.2f}{w_team:>11,}{cpu}"
        )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
