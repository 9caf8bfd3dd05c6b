"""Issue 14: output paths, parameters files and edge values, refused in one sentence.

Library-level tests, and the command-line checks of output paths (wired in phase B);
tests/test_hardening_cli.py covers exit codes and the truth after a commit.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from builders import NOW, World, count, syncdata_rows
from click.testing import CliRunner

from forcedsync_kit import db, marking
from forcedsync_kit import schema as s
from forcedsync_kit.clock import days_before, parse_clock
from forcedsync_kit.criteria import Criteria
from forcedsync_kit.edges import MAX_INT32, ascii_int, cut, iso_date
from forcedsync_kit.errors import CriteriaError, ForcedSyncError, OutputPathError
from forcedsync_kit.outputs import check_implicit_log, check_output_path
from forcedsync_kit.safeload import load_params_file

LAUGHS = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n"
    for i in range(8)
)

#: This interpreter's import path, absolute (a child may start in a deleted folder).
PYTHONPATH = os.pathsep.join(os.path.abspath(p) for p in sys.path if p)


def folder(engine: sa.Engine) -> World:
    w = World(engine).base()
    w.task("T1")
    w.task("T2")
    w.queue("TSK", "T2", "C")
    return w.commit()


def state(engine: sa.Engine) -> tuple[object, ...]:
    """SYNCDATA and the run history: what a refused command must leave as it was."""
    return (syncdata_rows(engine), count(engine, s.fsyrun), count(engine, s.fsylog))


def one_sentence(exc: BaseException) -> str:
    msg = str(exc)
    assert isinstance(exc, ForcedSyncError), repr(exc)
    assert "\n" not in msg and msg.endswith("."), msg
    assert len(msg) < 400, msg
    return msg


def cli(*args: str, cwd: Path | None = None, timeout: float = 30) -> tuple[int, str]:
    """``python -m forcedsync_kit`` in a subprocess: (exit code, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "forcedsync_kit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": PYTHONPATH},
    )
    return proc.returncode, proc.stderr


# -- class 1: output paths ------------------------------------------------------------


def test_output_paths_are_refused_before_anything_is_written(
    engine: sa.Engine, backend: str, tmp_path: Path
) -> None:
    folder(engine)
    before = state(engine)
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    targets = [fifo, tmp_path, Path("/dev/null")]
    if engine.dialect.name == "duckdb":
        dbfile = Path(str(engine.url.database))
        targets += [dbfile, dbfile.with_name(dbfile.name + ".wal")]
    for target in targets:
        for database in (engine, backend):
            with pytest.raises(OutputPathError) as exc:
                check_output_path(target, database)
            assert target.name in one_sentence(exc.value)
    check_implicit_log(engine, None, tmp_path)
    assert state(engine) == before
    with db.reading(engine) as conn:
        db.require_schema(conn)


@pytest.fixture
def duck_folder(tmp_path: Path) -> tuple[str, Path, sa.Engine]:
    dbfile = tmp_path / "folder.duckdb"
    url = f"duckdb:///{dbfile}"
    engine = db.connect(url)
    db.init(engine)
    folder(engine)
    return url, dbfile, engine


FORCE = ["force", "--operator", "ADMIN", "-p", "SELTSK=1", "--yes", "--now"]


@pytest.mark.parametrize("option", ["--log", "log --out"])
def test_cli_refuses_the_database_as_its_log(
    duck_folder: tuple[str, Path, sa.Engine], option: str
) -> None:
    url, dbfile, engine = duck_folder
    before = state(engine)
    if option == "--log":
        args = [*FORCE, NOW.isoformat(), "--db", url, "--log", str(dbfile)]
    else:
        pv = marking.force(engine, Criteria(seltsk=True), operator="ADMIN", now=NOW)
        before = state(engine)
        args = ["log", "--db", url, "--run", pv.run_id, "--out", str(dbfile)]
    code, err = cli(*args)
    assert code == 1 and err.startswith("Error: ") and err.count("\n") == 1, err
    assert "is the database itself" in err
    assert dbfile.stat().st_size > 0 and state(engine) == before


def test_cli_refuses_a_fifo_log_without_hanging(
    engine: sa.Engine, backend: str, tmp_path: Path
) -> None:
    folder(engine)
    before = state(engine)
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    code, err = cli(
        *FORCE, NOW.isoformat(), "--db", backend, "--log", str(fifo), timeout=8
    )
    assert code == 1 and "is not a regular file" in err and err.count("\n") == 1
    assert state(engine) == before


def test_cli_refuses_a_detailed_log_that_cannot_be_created(
    engine: sa.Engine, backend: str, tmp_path: Path
) -> None:
    """FLGTRCDET writes forcedsync-<run>.log in the current folder: a current folder
    that cannot take it (here: deleted) refuses the run before anything is forced."""
    folder(engine)
    before = state(engine)
    gone = tmp_path / "gone"
    gone.mkdir()
    proc = subprocess.run(
        ["sh", "-c", 'cd "$0" && rmdir "$0" && exec "$@"', str(gone), sys.executable,
         "-m", "forcedsync_kit", *FORCE, NOW.isoformat(), "--db", backend,
         "-p", "FLGTRCDET=1"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": PYTHONPATH},
    )  # fmt: skip
    code, err = proc.returncode, proc.stderr
    assert code == 1 and "the detailed log" in err and err.count("\n") == 1, err
    assert state(engine) == before


# -- class 4: parameters files --------------------------------------------------------


def test_a_params_file_of_nested_aliases_is_refused_at_once(
    engine: sa.Engine, backend: str, tmp_path: Path
) -> None:
    folder(engine)
    before = state(engine)
    params = tmp_path / "laughs.yaml"
    params.write_text(LAUGHS)
    start = time.monotonic()
    res = CliRunner().invoke(
        __import__("forcedsync_kit.cli", fromlist=["cli"]).cli,
        ["preview", "--db", backend, "--operator", "ADMIN", "--params", str(params)],
    )
    assert time.monotonic() - start < 5
    assert res.exit_code == 1 and "YAML anchor" in res.stderr, res.output
    assert res.stderr.count("\n") == 1
    assert state(engine) == before


@pytest.mark.parametrize(
    "text", ["SELTSK: '1'\nSELTSK: '0'\n", "SELTSK: '1'\nseltsk: '1'\n"]
)
def test_a_name_twice_is_refused(tmp_path: Path, text: str) -> None:
    p = tmp_path / "twice.yaml"
    p.write_text(text)
    with pytest.raises(CriteriaError) as exc:
        Criteria.from_file(p)
    assert "twice" in one_sentence(exc.value)
    with pytest.raises(CriteriaError):
        load_params_file(p)


# -- class 6: edge values -------------------------------------------------------------

NOT_ASCII_NUMBERS = ["３", "٣", "³", "1_000", "0x10", "1e3", "3.0", " ", "+"]


@pytest.mark.parametrize("value", NOT_ASCII_NUMBERS)
def test_staledays_takes_ascii_digits_only(value: str) -> None:
    with pytest.raises(CriteriaError) as exc:
        Criteria.from_params({"SELTSK": "1", "STALEDAYS": value + "x" * (value == " ")})
    assert "STALEDAYS" in one_sentence(exc.value)


@pytest.mark.parametrize("value", ["³", "１", "٩", "1_0", "¹²"])
def test_contact_functions_take_ascii_digits_only(value: str) -> None:
    with pytest.raises(CriteriaError) as exc:
        Criteria.from_params({"SELCOR": "1", "CORSYNCNT": "1", "CORFCTTXT": value})
    assert "CORFCTTXT" in one_sentence(exc.value)


@pytest.mark.parametrize(
    "value",
    ["2026-W01-1", "2026W011", "2026-001", "20260131", "２０２６-01-31", "2026-1-31"],
)
def test_dates_are_written_yyyy_mm_dd_only(value: str) -> None:
    with pytest.raises(CriteriaError) as exc:
        Criteria.from_params({"SELTSK": "1", "TSKDATDEB": value})
    assert "TSKDATDEB" in one_sentence(exc.value)
    assert Criteria(seltsk=True, tskdatdeb="2026-01-31").tskdatdeb == dt.date(
        2026, 1, 31
    )


@pytest.mark.parametrize("value", ["ÉTÉ", "K\u00a01", "Ｋ1", "ß" * 15, "K\x7f"])
def test_codes_are_printable_ascii(value: str) -> None:
    with pytest.raises(CriteriaError) as exc:
        Criteria.from_params({"SELCOR": "1", "CORDEB": value})
    assert "CORDEB" in one_sentence(exc.value)


def test_a_huge_value_is_cut_in_the_message() -> None:
    huge = "9" * 100_000
    for params in (
        {"SELTSK": "1", "STALEDAYS": huge},
        {"SELTSK": "1", "STALEDAYS": "x" * 100_000},
        {"SELTSK": "1", "TSKDATDEB": huge},
        {"SELCOR": "1", "CORDEB": huge},
        {"SELCOR": "1", "CORSYNCNT": "1", "CORFCTTXT": huge},
        {"SELTSK": huge},
        {huge: "1"},
    ):
        with pytest.raises(CriteriaError) as exc:
            Criteria.from_params(params)
        one_sentence(exc.value)
    with pytest.raises(CriteriaError) as exc:
        Criteria(seltsk=True, staledays=10**5000)  # type: ignore[arg-type]
    one_sentence(exc.value)
    assert len(cut(huge)) < 100


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:30:00-05:00",
        "0001-01-01",
        "1899-12-31T23:59:59",
        "9999-12-31",
        dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        dt.date(9999, 12, 31),
        "2026-W48-1",
        "２０２６-11-29",
    ],
)
def test_clock_edges_are_one_sentence(value: object) -> None:
    with pytest.raises(CriteriaError) as exc:
        parse_clock(value)  # type: ignore[arg-type]
    assert "--now" in one_sentence(exc.value)


def test_clock_window_edges_pass_and_staledays_never_underflow() -> None:
    low = parse_clock("1900-01-01T00:00:00")
    assert parse_clock("9999-12-30T23:59:59Z") == dt.datetime(9999, 12, 30, 23, 59, 59)
    assert days_before(low, 36500) == low - dt.timedelta(days=36500)
    with pytest.raises(CriteriaError) as exc:
        days_before(dt.datetime(1, 1, 5), 36500)
    assert "STALEDAYS" in one_sentence(exc.value)


def test_a_force_at_the_earliest_clock_with_the_largest_staledays(
    engine: sa.Engine,
) -> None:
    folder(engine)
    cr = Criteria(seltsk=True, staledays=36500)
    pv = marking.preview(engine, cr, operator="ADMIN", now="1900-01-01T05:00:00+05:00")
    assert {r.record_key for r in pv.records} == {"T1", "T2"}


@pytest.mark.parametrize(
    "value",
    [str(10**20), "-1", "0", "３", "1_000", "²", str(MAX_INT32 + 1), "0" * 10**5],
)
def test_page_numbers_are_bounded_ascii(value: str) -> None:
    with pytest.raises(CriteriaError) as exc:
        ascii_int("--page", value, 1, MAX_INT32)
    assert "--page" in one_sentence(exc.value)
    assert ascii_int("--page", f" {MAX_INT32} ", 1) == MAX_INT32
    assert iso_date("D", "2026-02-28") == dt.date(2026, 2, 28)


@pytest.mark.parametrize("value", [str(10**20), "１２", "1_000"])
def test_cli_refuses_page_and_limit_beyond_ascii_int32(
    backend: str, value: str
) -> None:
    from forcedsync_kit.cli import cli as command

    for args in (
        ["runs", "--db", backend, "--limit", value],
        ["preview", "--db", backend, "--operator", "ADMIN", "-p", "SELTSK=1",
         "--page", value],
    ):  # fmt: skip
        res = CliRunner().invoke(command, args)
        assert res.exit_code == 1, res.output
        assert res.stderr.startswith("Error: ") and res.stderr.count("\n") == 1


def test_connect_errors_are_one_masked_sentence() -> None:
    from forcedsync_kit.errors import BackendError

    with pytest.raises(BackendError) as exc:
        db.connect("postgresql+nosuchdriver://u:s3cr3t@h/d")
    msg = one_sentence(exc.value)
    assert "s3cr3t" not in msg and "nosuchdriver" in msg
