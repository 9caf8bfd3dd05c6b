"""Output files checked before anything is written, then written atomically.

Issue 14, class 1.

A log or export path is refused, before the run, when it is the DuckDB database or its
write-ahead log (writing it would truncate the folder), a directory, a FIFO or a device
(opening a FIFO blocks forever), or cannot be created. Nothing here opens the target:
every check uses ``stat`` and ``access``. ``atomic_text`` / ``atomic_writer`` then
write through a temporary file in the same folder renamed over the target, so a reader
never sees half a file and a failure leaves the old file whole.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from sqlalchemy.engine import URL, Connection, Engine, make_url

from .edges import cut_path
from .errors import OutputPathError

#: The implicit detailed log of a FLGTRCDET run, in the current folder.
IMPLICIT_LOG = "forcedsync-{run_id}.log"
#: Longest file name and path, in bytes (Linux, macOS and Windows accept these).
NAME_MAX, PATH_MAX = 255, 4096


def database_files(target: Engine | Connection | URL | str | None) -> list[Path]:
    """The files of a DuckDB database (the file and its ``.wal``), resolved.

    PostgreSQL, ``:memory:`` and ``None`` have no file: the list is empty.
    """
    if target is None:
        return []
    if isinstance(target, Engine | Connection):
        url = target.engine.url
    elif isinstance(target, str) and "://" not in target:
        # A plain path is a DuckDB file (db.resolve_url).
        path = Path(target).expanduser().resolve()
        return [path, path.with_name(path.name + ".wal")]
    else:
        try:
            url = make_url(target)
        except Exception:  # not a URL: nothing to compare with
            return []
    if url.get_backend_name() != "duckdb" or url.database in (None, "", ":memory:"):
        return []
    path = Path(str(url.database)).expanduser().resolve()
    return [path, path.with_name(path.name + ".wal")]


def _too_long(path: Path) -> bool:
    """A name the file system refuses: a part over NAME_MAX or the whole over PATH_MAX
    bytes, or text that is no file name at all (a lone surrogate)."""
    try:
        parts = [os.fsencode(part) for part in path.parts]
        whole = os.fsencode(path)
    except UnicodeError:
        return True
    return len(whole) >= PATH_MAX or any(len(part) > NAME_MAX for part in parts)


def _refuse(option: str, path: str | Path, problem: str) -> OutputPathError:
    return OutputPathError(
        option,
        str(path),
        f"{option} {cut_path(path)} {problem}; nothing was written.",
    )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _writable_folder(option: str, path: Path, shown: str | Path) -> None:
    """The nearest existing folder of ``path`` must be a folder we may write in."""
    parent = path.parent
    while not parent.exists():
        if parent == parent.parent:
            break
        parent = parent.parent
    if not parent.is_dir():
        raise _refuse(option, shown, f"cannot be created: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _refuse(option, shown, f"cannot be created: folder {parent} is read-only")
    try:  # access() can be wrong (root, ACLs, a read-only mount, a deleted folder)
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".fsy-probe-"):
            pass
    except OSError as exc:
        raise _refuse(
            option, shown, f"cannot be created in {parent} ({exc.strerror or exc})"
        ) from None


def check_output_path(
    path: str | Path,
    database: Engine | Connection | URL | str | None = None,
    *,
    option: str = "--log",
) -> Path:
    """Refuse an output path that must not be written, without opening it.

    Args:
        path: the file the command will write.
        database: the engine (or URL) of the run: its DuckDB file and ``.wal`` are
            refused. ``None`` skips that comparison.
        option: the option named in the message (``--log``, ``--out``).

    Returns:
        The path, expanded.

    Raises:
        OutputPathError: the database or its WAL, a directory, a FIFO, socket or
            device, a file that cannot be written, or a folder that cannot be written.
    """
    target = Path(path).expanduser()
    if str(path).strip() == "":
        raise _refuse(option, path, "is empty: give a file name")
    if "\x00" in str(path):
        raise _refuse(option, path, "holds a NUL byte")
    if _too_long(target):
        raise _refuse(option, path, "is too long a name for the file system")
    for db_file in database_files(database):
        if _same_file(target, db_file):
            raise _refuse(option, path, "is the database itself")
    try:
        info = os.stat(target)  # follows a symbolic link to what it names
    except FileNotFoundError:
        _writable_folder(option, target, path)
        return target
    except OSError as exc:
        raise _refuse(option, path, f"cannot be used ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise _refuse(option, path, "is a folder: give a file name")
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(option, path, "is not a regular file (a FIFO, socket or device)")
    if not os.access(target, os.W_OK):
        raise _refuse(option, path, "is read-only")
    _writable_folder(option, target, path)  # the rename needs the folder
    return target


def implicit_log_path(run_id: str, folder: str | Path | None = None) -> Path:
    """``forcedsync-<run>.log`` in ``folder`` (default: the current folder)."""
    return Path(folder or ".") / IMPLICIT_LOG.format(run_id=run_id)


def check_implicit_log(
    database: Engine | Connection | URL | str | None,
    run_id: str | None = None,
    folder: str | Path | None = None,
) -> Path:
    """Check the FLGTRCDET log that a run writes when no ``--log`` is given.

    Before the run (``run_id`` None) the folder must be writable; once the run id is
    known the very file is checked as ``check_output_path`` does.

    Returns:
        The folder (before the run) or the log's path.

    Raises:
        OutputPathError: the log could not be written, naming it.
    """
    where = Path(folder or ".")
    if run_id is None:
        probe = where / IMPLICIT_LOG.format(run_id="<run>")
        if where.exists() and not where.is_dir():
            raise _refuse("the detailed log", probe, f"cannot be created in {where}")
        _writable_folder("the detailed log", probe, probe)
        return where
    return check_output_path(
        implicit_log_path(run_id, where), database, option="the detailed log"
    )


@contextlib.contextmanager
def atomic_writer(
    path: str | Path,
    database: Engine | Connection | URL | str | None = None,
    *,
    option: str = "--log",
) -> Iterator[IO[str]]:
    """A text stream whose content replaces ``path`` only when the block succeeds.

    The target is checked first (``check_output_path``); the data goes to a temporary
    file in the same folder, renamed over the target at the end. On an exception the
    temporary file is removed and the target is untouched.
    """
    target = check_output_path(path, database, option=option)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".fsy-", suffix=".tmp")
    try:
        # mkstemp makes the file 0600: keep the old file's mode, or the usual 0644.
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_text(
    path: str | Path,
    text: str,
    database: Engine | Connection | URL | str | None = None,
    *,
    option: str = "--log",
) -> Path:
    """Write ``text`` to ``path`` atomically after ``check_output_path``; returns it."""
    with atomic_writer(path, database, option=option) as fh:
        fh.write(text)
    return Path(path).expanduser()


def check_output_dir(
    folder: str | Path,
    names: Iterable[str],
    database: Engine | Connection | URL | str | None = None,
    *,
    option: str = "--out",
) -> Path:
    """Refuse an output folder, and the files ``names`` in it, before anything runs.

    The folder may not exist yet (its nearest existing folder must then be writable);
    if it exists it must be a folder, not the database, and each named file in it is
    checked as ``check_output_path`` does (not the database, a FIFO or a folder).

    Raises:
        OutputPathError: naming the folder or the file.
    """
    where = Path(folder).expanduser()
    if str(folder).strip() == "":
        raise _refuse(option, folder, "is empty: give a folder name")
    if "\x00" in str(folder):
        raise _refuse(option, folder, "holds a NUL byte")
    for db_file in database_files(database):
        if _same_file(where, db_file):
            raise _refuse(option, folder, "is the database itself")
    if os.path.lexists(where) and not where.is_dir():
        raise _refuse(option, folder, "is not a folder")
    for name in names:
        check_output_path(where / name, database, option=option)
    return where
