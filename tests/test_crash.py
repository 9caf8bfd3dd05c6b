"""Crashes (issue #6): ``forcedsync force`` killed with SIGKILL in the middle of a large
run, on DuckDB and on PostgreSQL.

The command runs with its stderr on a pseudo-terminal, so it reports each step of its
one transaction ("selecting", "saving replaced rows", "writing", "recording"); the test
kills it a random moment after a randomly chosen step (seeded: the same points every
run). Afterwards SYNCDATA and the toolkit's tables are identical to before (the run's
header is written in the same transaction, so the run is absent, not half-recorded), no
log file was written, and the database opens and works: a new force succeeds and writes
exactly what the preview announces.
"""

from __future__ import annotations

import json
import os
import pty
import random
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import drop_pg_schema, pg_url_or_skip
from reliability_helpers import (
    CLI,
    check_forced,
    cli_args,
    cli_env,
    run_cli,
    state,
    syncdata,
)

from forcedsync_kit import db, demo, marking, runlog
from forcedsync_kit.criteria import Criteria

PARAMS = {
    "SELCOR": "1",
    "SELTSK": "1",
    "SELCLL": "1",
    "SELBAP": "1",
    "TSKFORCOR": "1",
    "BAPFORCOR": "1",
    "FLGTRCDET": "1",
}
#: Demo scale per backend for a force of about 1-3 s on this kind of machine.
SCALE = {"duckdb": 20, "postgresql": 12}
ROUNDS = 3
STEPS = ("selecting", "saving replaced rows", "writing", "recording")


@pytest.fixture(params=["duckdb", "postgresql"])
def big(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A demo folder large enough that a force takes a second or more."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'crash.duckdb'}"
    else:
        url = pg_url_or_skip()
    engine = db.connect(url)
    db.init(engine)
    demo.build(engine, scale=SCALE[request.param], seed=42)
    engine.dispose()
    try:
        yield request.param, url
    finally:
        if request.param == "postgresql":
            drop_pg_schema(url)


def force_and_kill(
    url: str, step: str, delay: float, log: Path, cwd: Path
) -> tuple[bool, str]:
    """Start ``forcedsync force``, wait for ``step`` on its terminal, sleep ``delay``,
    SIGKILL it. Returns (killed before its commit, what it printed): False when it had
    already reported "done" (committed; maybe killed while writing its log)."""
    master, slave = pty.openpty()
    args = cli_args(url, "force", "ADMIN", PARAMS, "--yes", "--json", "--log", str(log))
    proc = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=cli_env(),
        cwd=cwd,
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 120
    try:
        while step.encode() not in seen:
            assert time.monotonic() < deadline, f"no '{step}' step: {seen!r}"
            ready, _, _ = select.select([master], [], [], 0.02)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
            if proc.poll() is not None:
                break
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        while True:  # what it printed before it died
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    killed = b"] done" not in seen  # 'done' is reported after the commit
    if killed:
        assert proc.returncode == -signal.SIGKILL, seen
    return killed, seen.decode(errors="replace")


@pytest.mark.slow
def test_force_killed_mid_run_leaves_no_trace(
    big: tuple[str, str], tmp_path: Path
) -> None:
    kind, url = big
    engine = db.connect(url)
    cr = Criteria.from_params(PARAMS)
    pv = marking.preview(engine, cr, operator="ADMIN")
    assert pv.to_write > 10_000  # a large run
    before = state(engine)
    rng = random.Random(f"crash-{kind}")
    kills = 0
    for n in range(2 * ROUNDS):  # bounded: ROUNDS kills, or twice as many attempts
        if kills == ROUNDS:
            break
        step = rng.choice(STEPS)
        delay = rng.uniform(0.0, 0.01 if step == "recording" else 0.1)
        log = tmp_path / f"round{n}.log"
        killed, seen = force_and_kill(url, step, delay, log, tmp_path)
        if not killed:  # it committed before the kill: complete, then undone
            runs = [r for r in state(engine)["fsyrun"] if r not in before["fsyrun"]]
            assert len(runs) == 1 and runs[0][9] == "DONE"
            marking.undo(engine, runs[0][0], operator="ADMIN")
            assert syncdata(engine) == before["syncdata"]
            before = state(engine)
            continue
        kills += 1
        engine.dispose()
        assert state(engine) == before, f"trace left by a run killed after {step!r}"
        assert not log.exists()
    assert kills >= ROUNDS - 1, "the command was hardly ever killed mid-run"

    # The database opens and works: the history reads, a new force completes.
    proc = run_cli([*CLI, "runs", "--db", url])
    assert proc.returncode == 0, proc.stderr
    assert len(runlog.list_runs(engine, limit=None)) == len(before["fsyrun"])
    done = run_cli(
        cli_args(
            url,
            "force",
            "ADMIN",
            PARAMS,
            "--yes",
            "--json",
            "--log",
            str(tmp_path / "final.log"),
        ),
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["written"] == pv.to_write
    engine.dispose()
    lg = sa.table(
        "fsylog",
        sa.column("runid"),
        sa.column("sydtyp"),
        sa.column("sydkey"),
        sa.column("newsydnum"),
    )
    with engine.connect() as conn:
        written = set(
            conn.execute(
                sa.select(lg.c.sydtyp, lg.c.sydkey).where(
                    lg.c.runid == out["run_id"], lg.c.newsydnum.is_not(None)
                )
            ).tuples()
        )
    check_forced(
        before["syncdata"],
        syncdata(engine),
        user="ADMIN",
        written=written,
        operator="ADMIN",
    )
    engine.dispose()


def test_history_reads_as_json_after_an_undo(tmp_path: Path) -> None:
    """After a run and its undo the history must still be readable by scripts
    (SPEC §4.7: the run history; STYLE §5: the CLI exits 0 or 1 with a message)."""
    url = f"duckdb:///{tmp_path / 'history.duckdb'}"
    engine = db.connect(url)
    db.init(engine)
    demo.build(engine, scale=1, seed=42)
    done = marking.force(engine, Criteria(seltsk=True), operator="ADMIN")
    marking.undo(engine, done.run_id, operator="ADMIN")
    proc = run_cli([*CLI, "runs", "--db", url, "--json"])
    assert proc.returncode == 0, proc.stderr.splitlines()[-1:]
    kinds = sorted(r["kind"] for r in json.loads(proc.stdout))
    assert kinds == ["FORCE", "UNDO"]
