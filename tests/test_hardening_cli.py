"""Issue 14 through the command line: exit codes, the truth after a commit, one line.

Exit 0 success, 1 refused or failed with nothing written, 2 a malformed command line,
3 written (a run committed) and then a later step failed; every failure is one
``Error:`` line on stderr naming what was committed, if anything.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from builders import NOW, World, count, pending, syncdata_rows
from click.testing import CliRunner, Result

from forcedsync_kit import db, marking, outlook, outputs
from forcedsync_kit import schema as s
from forcedsync_kit.cli import cli as command
from forcedsync_kit.criteria import Criteria
from forcedsync_kit.marking import transaction

CLOCK = NOW.isoformat()
FORCE = ["force", "--operator", "ADMIN", "-p", "SELTSK=1", "--yes", "--now", CLOCK]

#: This interpreter's import path, absolute (a child may start in a deleted folder).
PYTHONPATH = os.pathsep.join(os.path.abspath(p) for p in sys.path if p)


def folder(engine: sa.Engine) -> World:
    w = World(engine).base()
    w.task("T1")
    w.task("T2")
    w.queue("TSK", "T2", "C")
    return w.commit()


def state(engine: sa.Engine) -> tuple[object, ...]:
    return (syncdata_rows(engine), count(engine, s.fsyrun), count(engine, s.fsylog))


def run(*args: str) -> Result:
    return CliRunner().invoke(command, list(args))


def one_error_line(res: Result) -> str:
    err = res.stderr
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def runs_of(engine: sa.Engine, kind: str) -> list[tuple[str, str]]:
    r = s.fsyrun
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(r.c.runid, r.c.oprusr).where(r.c.runkind == kind)
        ).all()
    return [(str(a), str(b)) for a, b in rows]


def r_rows(engine: sa.Engine) -> int:
    return sum(acts.count("R") for acts in pending(engine).values())


# -- exit 3: committed, then the log could not be written -----------------------------


def test_a_log_failing_after_the_commit_exits_3_with_the_run_id(
    engine: sa.Engine, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder(engine)
    to_write = marking.preview(
        engine, Criteria(seltsk=True), operator="ADMIN", now=NOW
    ).to_write

    @contextlib.contextmanager
    def disk_full(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise OSError(28, "No space left on device")
        yield  # pragma: no cover

    monkeypatch.setattr(outputs, "atomic_writer", disk_full)
    log = tmp_path / "run.log"
    res = run(*FORCE, "--db", backend, "--log", str(log))
    assert res.exit_code == 3, res.output
    err = one_error_line(res)
    (run_id, _), *others = runs_of(engine, "FORCE")
    assert not others
    assert f"run {run_id} was committed" in err and "No space left" in err
    assert f"forcedsync log --run {run_id}" in err
    assert to_write == 2 and r_rows(engine) == to_write
    assert not log.exists()


def test_the_detailed_log_failing_after_the_commit_exits_3(
    engine: sa.Engine, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FLGTRCDET without --log: the folder was fine at the probe, gone at the write."""
    folder(engine)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    real = marking.force

    def force_then_lose_the_folder(*args: Any, **kwargs: Any) -> Any:
        done = real(*args, **kwargs)
        work.rmdir()
        return done

    monkeypatch.setattr(marking, "force", force_then_lose_the_folder)
    res = run(*FORCE, "--db", backend, "-p", "FLGTRCDET=1")
    assert res.exit_code == 3, res.output
    err = one_error_line(res)
    ((run_id, _),) = runs_of(engine, "FORCE")
    assert run_id in err and f"forcedsync-{run_id}.log" in err
    assert r_rows(engine) == 2


# -- the truth after an interrupt at COMMIT ------------------------------------------


def interrupt_commit(monkeypatch: pytest.MonkeyPatch, *, after: bool) -> None:
    real = transaction.commit

    def commit(conn: sa.Connection) -> None:
        if after:
            real(conn)
        raise KeyboardInterrupt

    monkeypatch.setattr(transaction, "commit", commit)


def test_ctrl_c_after_the_commit_of_a_force_says_committed(
    engine: sa.Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder(engine)
    interrupt_commit(monkeypatch, after=True)
    res = run(*FORCE, "--db", backend)
    assert res.exit_code == 3, res.output
    err = one_error_line(res)
    ((run_id, _),) = runs_of(engine, "FORCE")
    assert f"Run {run_id} was committed" in err and "rolled back" not in err
    assert r_rows(engine) == 2


def test_ctrl_c_after_the_commit_of_an_undo_says_committed(
    engine: sa.Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder(engine)
    before = syncdata_rows(engine)
    done = marking.force(engine, Criteria(seltsk=True), operator="ADMIN", now=NOW)
    interrupt_commit(monkeypatch, after=True)
    res = run("undo", "--db", backend, "--operator", "ADMIN", "--run", done.run_id,
              "--yes")  # fmt: skip
    assert res.exit_code == 3, res.output
    err = one_error_line(res)
    ((undo_id, _),) = runs_of(engine, "UNDO")
    assert f"Run {undo_id} was committed" in err
    assert syncdata_rows(engine) == before


@pytest.mark.parametrize("cmd", ["force", "undo"])
def test_ctrl_c_before_the_commit_says_nothing_was_written(
    engine: sa.Engine, backend: str, monkeypatch: pytest.MonkeyPatch, cmd: str
) -> None:
    folder(engine)
    args = [*FORCE, "--db", backend]
    if cmd == "undo":
        done = marking.force(engine, Criteria(seltsk=True), operator="ADMIN", now=NOW)
        args = ["undo", "--db", backend, "--operator", "ADMIN", "--run", done.run_id,
                "--yes"]  # fmt: skip
    before = state(engine)
    interrupt_commit(monkeypatch, after=False)
    res = run(*args)
    assert res.exit_code == 1, res.output
    assert "nothing was written" in one_error_line(res)
    assert state(engine) == before


# -- a database error inside the transaction -----------------------------------------


def test_a_not_null_column_added_by_another_program_is_one_line(
    engine: sa.Engine, backend: str
) -> None:
    folder(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "duckdb":  # DuckDB alters no table with indexes
            names = conn.execute(
                sa.text(
                    "SELECT index_name FROM duckdb_indexes() "
                    "WHERE table_name = 'syncdata'"
                )
            ).scalars()
            for name in list(names):
                conn.execute(sa.text(f'DROP INDEX "{name}"'))
        conn.execute(
            sa.text("ALTER TABLE syncdata ADD COLUMN extra INTEGER NOT NULL DEFAULT 0")
        )
        conn.execute(sa.text("ALTER TABLE syncdata ALTER COLUMN extra DROP DEFAULT"))
    before = state(engine)
    proc = subprocess.run(
        [sys.executable, "-m", "forcedsync_kit", *FORCE, "--db", backend],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": PYTHONPATH},
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    assert "rolled back" in err and "extra" in err.lower()
    assert state(engine) == before
    verbose = subprocess.run(
        [sys.executable, "-m", "forcedsync_kit", "-v", *FORCE, "--db", backend],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": PYTHONPATH},
    )  # fmt: skip
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr
    assert verbose.stderr.rstrip().splitlines()[-1].startswith("Error: ")
    assert state(engine) == before


def test_an_unexpected_error_is_one_line_and_its_traceback_needs_v(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(marking, "preview", boom)
    args = ["preview", "--db", backend, "--operator", "ADMIN", "-p", "SELTSK=1"]
    res = run(*args)
    assert res.exit_code == 1
    assert one_error_line(res) == (
        "Error: RuntimeError: boom second line (-v shows the traceback).\n"
    )
    res = run("-v", *args)
    assert isinstance(res.exception, RuntimeError)


# -- identity: undo records the X3 code -----------------------------------------------


def test_undo_by_login_records_the_x3_code(engine: sa.Engine, backend: str) -> None:
    folder(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.update(s.autilis)
            .where(s.autilis.c.codusr == "ADMIN")
            .values(login="a.martin")
        )
    done = marking.force(engine, Criteria(seltsk=True), operator="a.martin", now=NOW)
    res = run("undo", "--db", backend, "--operator", "a.martin", "--run", done.run_id,
              "--yes")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert runs_of(engine, "FORCE") == [(done.run_id, "ADMIN")]
    ((_, oprusr),) = runs_of(engine, "UNDO")
    assert oprusr == "ADMIN"
    refused = run("undo", "--db", backend, "--operator", "a.martın", "--run",
                  done.run_id, "--yes")  # fmt: skip
    assert refused.exit_code == 1 and len(runs_of(engine, "UNDO")) == 1
    one_error_line(refused)


# -- output paths of log --out and sync --out -----------------------------------------


def test_log_out_refuses_a_fifo_and_a_folder(
    engine: sa.Engine, backend: str, tmp_path: Path
) -> None:
    folder(engine)
    done = marking.force(engine, Criteria(seltsk=True), operator="ADMIN", now=NOW)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target, problem in ((fifo, "not a regular file"), (tmp_path, "is a folder")):
        res = run("log", "--db", backend, "--run", done.run_id, "--out", str(target))
        assert res.exit_code == 1 and problem in one_error_line(res)
    res = run("log", "--db", backend, "--run", "nosuchrun", "--out",
              str(tmp_path / "x.log"))  # fmt: skip
    assert res.exit_code == 1 and not (tmp_path / "x.log").exists()
    res = run("log", "--db", backend, "--run", done.run_id, "--out",
              str(tmp_path / "ok.log"))  # fmt: skip
    assert res.exit_code == 0, res.output
    text = (tmp_path / "ok.log").read_text()
    assert done.run_id in text and "T1" in text
    assert not list(tmp_path.glob(".fsy-*"))


def test_sync_out_refuses_the_database_and_a_fifo(
    duck: tuple[str, Path, sa.Engine], tmp_path: Path
) -> None:
    url, dbfile, engine = duck
    marking.force(engine, Criteria(seltsk=True), operator="ADMIN", now=NOW)
    before = state(engine)
    fifo_dir = tmp_path / "out"
    fifo_dir.mkdir()
    os.mkfifo(fifo_dir / "tasks.ics")
    for target, problem in (
        (dbfile, "is the database itself"),
        (dbfile.with_name(dbfile.name + ".wal"), "is the database itself"),
        (fifo_dir, "not a regular file"),
        (tmp_path / "a-file", "is not a folder"),
    ):
        (tmp_path / "a-file").write_text("x")
        res = run("sync", "--db", url, "--user", "ADMIN", "--out", str(target),
                  "--now", CLOCK)  # fmt: skip
        assert res.exit_code == 1 and problem in one_error_line(res), res.output
    assert dbfile.stat().st_size > 0 and state(engine) == before


@pytest.fixture
def duck(tmp_path: Path) -> tuple[str, Path, sa.Engine]:
    dbfile = tmp_path / "folder.duckdb"
    url = f"duckdb:///{dbfile}"
    engine = db.connect(url)
    db.init(engine)
    folder(engine)
    return url, dbfile, engine


def test_sync_removes_the_work_folder_of_a_killed_sync(
    engine: sa.Engine, backend: str, tmp_path: Path
) -> None:
    folder(engine)
    out = tmp_path / "outlook"
    out.mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = out / f"{outlook.sync.WORK_PREFIX}{gone.stdout.strip()}-abc"
    stale.mkdir()
    (stale / "tasks.ics").write_text("half a file")
    live = out / f"{outlook.sync.WORK_PREFIX}{os.getppid()}-def"
    live.mkdir()
    res = run("sync", "--db", backend, "--user", "ADMIN", "--out", str(out),
              "--now", CLOCK)  # fmt: skip
    assert res.exit_code == 0, res.output
    assert not stale.exists() and live.exists()
    leftovers = {p.name for p in out.iterdir() if p.name.startswith(".")}
    assert leftovers == {live.name}


def test_sync_killed_then_run_again_leaves_no_work_folder(
    duck: tuple[str, Path, sa.Engine], tmp_path: Path
) -> None:
    url, _, engine = duck
    marking.force(engine, Criteria(seltsk=True), operator="ADMIN", now=NOW)
    out = tmp_path / "outlook"
    env = {**os.environ, "PYTHONPATH": PYTHONPATH}
    script = (
        "import os, signal, sys\n"
        "from forcedsync_kit import outlook\n"
        "from forcedsync_kit.outlook import writer\n"
        "def die(*a, **k): os.kill(os.getpid(), signal.SIGKILL)\n"
        "writer.publish = die\n"
        "outlook.synchronize(__import__('forcedsync_kit').db.connect(sys.argv[1]),"
        " 'ADMIN', sys.argv[2])\n"
    )
    killed = subprocess.run([sys.executable, "-c", script, url, str(out)],
                            capture_output=True, text=True, env=env)  # fmt: skip
    assert killed.returncode == -9, killed.stderr
    assert [p.name[:17] for p in out.iterdir()] == [outlook.sync.WORK_PREFIX]
    res = run("sync", "--db", url, "--user", "ADMIN", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    assert (out / "tasks.ics").exists()


# -- demo run twice -----------------------------------------------------------------


def test_demo_into_a_folder_with_data_suggests_replace(
    engine: sa.Engine, backend: str
) -> None:
    folder(engine)
    before = state(engine)
    res = run("demo", "--db", backend)
    assert res.exit_code == 1
    err = one_error_line(res)
    assert "--replace" in err and "replace=True" not in err
    assert state(engine) == before


# -- job --output ---------------------------------------------------------------------


def test_job_output_files_are_checked_before_the_notebook_runs(
    duck: tuple[str, Path, sa.Engine], tmp_path: Path
) -> None:
    url, dbfile, engine = duck
    before = state(engine)
    out = tmp_path / "job"
    out.mkdir()
    os.mkfifo(out / "summary.json")
    res = run("job", "--db", url, "--operator", "ADMIN", "-p", "SELTSK=1",
              "--commit", "--output", str(out))  # fmt: skip
    assert res.exit_code == 1, res.output
    assert "summary.json" in one_error_line(res) and "not a regular file" in res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
    res = run("job", "--db", url, "--operator", "ADMIN", "-p", "SELTSK=1",
              "--commit", "--output", str(dbfile))  # fmt: skip
    assert res.exit_code == 2 and "is a file" in res.stderr  # a usage error
    assert dbfile.stat().st_size > 0 and state(engine) == before
