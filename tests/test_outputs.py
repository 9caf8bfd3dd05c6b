"""Output paths (issue 14, class 1): refused before anything is written; atomic."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from forcedsync_kit import db
from forcedsync_kit.errors import OutputPathError
from forcedsync_kit.outputs import (
    atomic_text,
    atomic_writer,
    check_implicit_log,
    check_output_path,
    database_files,
    implicit_log_path,
)


def within(seconds: float, call: Callable[[], object]) -> BaseException | None:
    """Run ``call`` in a thread; fail when it has not returned in ``seconds``."""
    caught: list[BaseException | None] = [None]

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # handed to the test
            caught[0] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"still blocked after {seconds} s"
    return caught[0]


def refused(path: str | Path, database: object, match: str) -> str:
    exc = within(5, lambda: check_output_path(path, database))  # type: ignore[arg-type]
    assert isinstance(exc, OutputPathError), exc
    msg = str(exc)
    assert msg.count("\n") == 0 and msg.endswith("nothing was written.")
    assert match in msg, msg
    return msg


@pytest.fixture
def duck(tmp_path: Path) -> str:
    url = f"duckdb:///{tmp_path / 'folder.duckdb'}"
    db.init(db.connect(url))
    return url


def test_the_database_and_its_wal_are_refused(
    duck: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # "folder.duckdb" below is relative to here
    dbfile = tmp_path / "folder.duckdb"
    engine = db.connect(duck)
    before = dbfile.read_bytes()
    for target in (dbfile, tmp_path / "folder.duckdb.wal", "folder.duckdb"):
        for database in (engine, duck, str(dbfile)):
            refused(target, database, "is the database itself")
    link = tmp_path / "link.log"
    link.symlink_to(dbfile)
    refused(link, engine, "is the database itself")
    hard = tmp_path / "hard.log"
    os.link(dbfile, hard)
    refused(hard, engine, "is the database itself")
    assert dbfile.read_bytes() == before


def test_folders_fifos_and_devices_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    refused(fifo, None, "is not a regular file")
    refused("/dev/null", None, "is not a regular file")
    refused(tmp_path, None, "is a folder")
    refused("", None, "is empty")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_targets_are_refused(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "old.log").write_text("x")
    (ro / "old.log").chmod(0o444)
    ro.chmod(0o555)
    try:
        refused(ro / "old.log", None, "is read-only")
        refused(ro / "new.log", None, "is read-only")
    finally:
        ro.chmod(0o755)


def test_a_path_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    refused(tmp_path / "plain" / "run.log", None, "cannot be")
    refused(tmp_path / "plain" / "sub" / "run.log", None, "cannot be")


def test_ordinary_paths_pass_and_missing_folders_are_allowed(tmp_path: Path) -> None:
    assert check_output_path(tmp_path / "a.log", None) == tmp_path / "a.log"
    assert check_output_path(tmp_path / "new" / "b.log", None).name == "b.log"
    (tmp_path / "c.log").write_text("old")
    assert check_output_path(tmp_path / "c.log", None) == tmp_path / "c.log"


def test_postgresql_has_no_file_to_protect() -> None:
    assert database_files("postgresql://u:p@h/d") == []
    assert database_files("duckdb:///:memory:") == []
    assert database_files(None) == []


def test_implicit_log(duck: str, tmp_path: Path) -> None:
    engine = db.connect(duck)
    assert check_implicit_log(engine, None, tmp_path) == tmp_path
    path = check_implicit_log(engine, "abc", tmp_path)
    assert path == implicit_log_path("abc", tmp_path) == tmp_path / "forcedsync-abc.log"
    (tmp_path / "forcedsync-fifo.log").unlink(missing_ok=True)
    os.mkfifo(tmp_path / "forcedsync-fifo.log")
    exc = within(5, lambda: check_implicit_log(engine, "fifo", tmp_path))
    assert isinstance(exc, OutputPathError) and "the detailed log" in str(exc)
    (tmp_path / "file").write_text("x")
    exc = within(5, lambda: check_implicit_log(engine, None, tmp_path / "file"))
    assert isinstance(exc, OutputPathError)


def test_atomic_text_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "run.log"
    target.write_text("old\n")
    target.chmod(0o640)
    atomic_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    with pytest.raises(RuntimeError), atomic_writer(target) as fh:
        fh.write("half")
        raise RuntimeError("boom")
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.log"]


def test_atomic_text_never_replaces_the_database(duck: str, tmp_path: Path) -> None:
    dbfile = tmp_path / "folder.duckdb"
    before = dbfile.read_bytes()
    with pytest.raises(OutputPathError, match="is the database itself"):
        atomic_text(dbfile, "log\n", db.connect(duck))
    assert dbfile.read_bytes() == before
    db.require_schema(db.connect(duck).connect())


def test_a_deleted_current_folder_refuses_the_implicit_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    with pytest.raises(OutputPathError, match="the detailed log .* cannot be created"):
        check_implicit_log(None)
