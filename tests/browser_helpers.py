"""Seed data and Voila/Chromium helpers for the UI, notebook and browser tests."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from forcedsync_kit import db
from forcedsync_kit import schema as s

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 3, 2, 12, 0, 0)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Tasks of ADMIN's rep REP01 at site FR011 (three preview pages of 200).
N_TASKS = 450


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for a Voila started with launch)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[Any], timeout: float = 60.0) -> None:
    """Wait until ``url`` answers; fail early when the server process died.

    Raises:
        RuntimeError: the process exited before answering.
        TimeoutError: no answer within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Voila exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:g} s")


def seed(engine: sa.Engine) -> None:
    """A small named folder: ADMIN (rep REP01, company FR10), tasks, calls, contacts.

    SYNCDATA for ADMIN holds T0001 'C' (supersede), T0002 'R' (already), T0003 'A'
    (skip), T0004 'C'+'M' dated 2026-01-01 (supersede, stale) and L0001 'M'
    (supersede); SYNCLINK flags T0005 (out of phase, insert).
    """
    rows: dict[sa.Table, list[dict[str, object]]] = {
        s.company: [
            {"cpy": "FR10", "cpynam": "Forcedsync France"},
            {"cpy": "US20", "cpynam": "Forcedsync USA"},
        ],
        s.facility: [
            {"fcy": "FR011", "fcynam": "Paris", "legcpy": "FR10"},
            {"fcy": "US021", "fcynam": "Boston", "legcpy": "US20"},
        ],
        s.salesrep: [
            {"repnum": "REP01", "repnam": "Anne Martin", "fcy": "FR011"},
            {"repnum": "REP02", "repnam": "Bruno Petit", "fcy": "FR011"},
        ],
        s.autilis: [
            {
                "codusr": "ADMIN",
                "nomusr": "Administrator",
                "enaflg": 2,
                "prffct": "ADMIN",
                "cpy": "FR10",
            },
            {
                "codusr": "SALES1",
                "nomusr": "Sales one",
                "enaflg": 2,
                "prffct": "SALES",
                "cpy": "US20",
            },
        ],
        s.afctfct: [
            {"prffct": "ADMIN", "fct": "FUNSYD6", "acs": 2},
            {"prffct": "SALES", "fct": "FUNSYD6", "acs": 1},
        ],
        s.adoval: [
            {"param": "AUSCRMF", "lev": "USR", "levkey": "ADMIN", "valeur": "REP01"},
            {"param": "AUSCRMA", "lev": "USR", "levkey": "ADMIN", "valeur": "1"},
            {"param": "AUSCRMF", "lev": "USR", "levkey": "SALES1", "valeur": "REP02"},
            {"param": "AUSCRMA", "lev": "USR", "levkey": "SALES1", "valeur": "1"},
        ],
        s.syncpar: [
            {
                "sypusr": u,
                "otkusr": u.lower(),
                **{f"{o}otk{a}": 2 for o in s.SYNC_OBJECTS for a in ("cre", "upd")},
            }
            for u in ("ADMIN", "SALES1")
        ],
        s.bpcustomer: [
            {
                "bpcnum": f"C{i:04d}",
                "bpcnam": f"Customer {i}",
                "rep_0": "REP01" if i <= 3 else "REP02",
                "rep_1": None,
                "bpcsta": 2,
            }
            for i in range(1, 6)
        ],
        s.correspond: [
            {
                "cornum": f"CN{i:04d}",
                "cortyp": 1,
                "bprnum": f"C{1 + i % 5:04d}",
                "cpybpatyp": 1,
                "repnum": None,
                "fnc": 1 + i % 12,
                "cntlna": f"Last{i}",
                "cntfna": f"First{i}",
                "cntema": f"c{i}@example.com",
                "upddattim": dt.datetime(2026, 1, 1),
            }
            for i in range(1, 21)
        ],
        s.btask: [
            {
                "tsknum": f"T{i:04d}",
                "tskstr": dt.date(2026, 1, 1) + dt.timedelta(days=i % 60),
                "tskdat": dt.date(2026, 2, 1) + dt.timedelta(days=i % 60),
                "tskrep": "REP01",
                "tskcor": f"CN{1 + i % 20:04d}",
                "salfcy": "FR011",
                "tskdon": 1,
                "fulobj": f"Task {i}",
                "upddattim": dt.datetime(2026, 1, 1),
            }
            for i in range(1, N_TASKS + 1)
        ]
        + [
            {
                "tsknum": f"T9{i:03d}",
                "tskstr": dt.date(2026, 1, 5),
                "tskdat": dt.date(2026, 2, 5),
                "tskrep": "REP02",
                "tskcor": None,
                "salfcy": "FR011",
                "tskdon": 1,
                "fulobj": f"Other task {i}",
                "upddattim": dt.datetime(2026, 1, 1),
            }
            for i in range(1, 11)
        ],
        s.bcall: [
            {
                "cllnum": f"L{i:04d}",
                "clldat": dt.date(2026, 1, 1) + dt.timedelta(days=i),
                "cllrep": "REP01",
                "cllcor": f"CN{i:04d}",
                "salfcy": "FR011",
                "fulobj": f"Call {i}",
                "upddattim": dt.datetime(2026, 1, 1),
            }
            for i in range(1, 31)
        ],
        s.syncdata: [
            _q(1, "TSK", "T0001", "C", dt.date(2026, 3, 1)),
            _q(2, "TSK", "T0002", "R", dt.date(2026, 3, 1)),
            _q(3, "TSK", "T0003", "A", dt.date(2026, 3, 1)),
            _q(4, "TSK", "T0004", "C", dt.date(2026, 1, 1)),
            _q(5, "TSK", "T0004", "M", dt.date(2026, 1, 2)),
            _q(6, "CLL", "L0001", "M", dt.date(2026, 3, 1)),
        ],
        s.synclink: [
            {
                "sylnum": 1,
                "sylusr": "ADMIN",
                "syltyp": "TSK",
                "sylkey": "T0005",
                "sylfie": "FULOBJ",
                "sylvaladx": "Task 5",
                "sylvalotk": "Task five",
                "sylflgdpt": 2,
            },
        ],
    }
    with db.writing(engine) as conn:
        for table, data in rows.items():
            conn.execute(sa.insert(table), data)


def _q(num: int, typ: str, key: str, act: str, day: dt.date) -> dict[str, object]:
    return {
        "sydnum": num,
        "sydusr": "ADMIN",
        "sydtyp": typ,
        "sydkey": key,
        "sydatttyp": act,
        "syddat": day,
        "sydhou": "090000",
        "sydgen": "",
        "sydupd": "",
        "sydotksta": "0",
        "creusr": "ADMIN",
        "credattim": dt.datetime.combine(day, dt.time(9)),
        "updusr": "ADMIN",
        "upddattim": dt.datetime.combine(day, dt.time(9)),
    }


def syncdata_rows(engine: sa.Engine) -> list[tuple[object, ...]]:
    """Every SYNCDATA row (user, type, key, action), sorted."""
    q = s.syncdata
    with db.reading(engine) as conn:
        rows = conn.execute(
            sa.select(q.c.sydusr, q.c.sydtyp, q.c.sydkey, q.c.sydatttyp).order_by(
                q.c.sydusr, q.c.sydtyp, q.c.sydkey, q.c.sydatttyp
            )
        ).all()
    return [tuple(r) for r in rows]


def run_count(engine: sa.Engine) -> int:
    """Rows of the run history (FSYRUN)."""
    with db.reading(engine) as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(s.fsyrun)).scalar() or 0
        )


def written_per_run(engine: sa.Engine, run_id: str) -> list[tuple[str, int]]:
    """(SYDUSR, R rows) of the SYNCDATA rows a run wrote."""
    q, lg = s.syncdata, s.fsylog
    stmt = (
        sa.select(q.c.sydusr, sa.func.count())
        .select_from(q.join(lg, lg.c.newsydnum == q.c.sydnum))
        .where(lg.c.runid == run_id, q.c.sydatttyp == "R")
        .group_by(q.c.sydusr)
    )
    with db.reading(engine) as conn:  # waits while a kernel holds the DuckDB file
        return [(str(u), int(n)) for u, n in conn.execute(stmt)]


@contextmanager
def voila(
    db_url: str, log_path: Path, user: str = "ADMIN", identity: str | None = None
) -> Iterator[str]:
    """Serve the dashboard on a free port (from dashboards/), yield its URL, stop it.

    Each browser session acts as ``user`` (FORCEDSYNC_USER), or takes its login from
    ``identity`` (``header:NAME``: that request header; the server's variables are
    then dropped).
    """
    from forcedsync_kit import dashboard

    port = free_port()
    env = {**os.environ, "FORCEDSYNC_USER": user}
    with open(log_path, "wb") as log:
        proc = dashboard.launch(db_url, port, env=env, stdout=log, identity=identity)
        url = f"http://127.0.0.1:{port}/"
        try:
            wait_http(url, proc)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
