"""The next synchronization (SPEC §6): a stand-in for one user's Outlook add-in.

``synchronize`` takes a user's pending SYNCDATA rows and writes what the add-in would
send to Outlook, in formats Outlook and Thunderbird import:

- ``contacts.vcf``: Outlook contacts (COR, from CORRESPOND) as vCard 4.0;
- ``tasks.ics``: tasks (TSK, from BTASK) as iCalendar VTODO;
- ``events.ics``: calls (CLL, BCALL) and appointments (BAP, BAPPOINT) as VEVENT;
- ``deletions.json``: records leaving that Outlook (actions A and P).

Then it acknowledges them as X3 does on success (FUNSYD: "the corresponding record is
no longer displayed"): it removes exactly the SYNCDATA rows it read and the SYNCLINK
anomalies of those records, read at the same time.

Every item carries the X3 key in a stable UID, ``x3-<SYDTYP>-<SYDKEY>``, so that a
re-import updates the Outlook item rather than duplicating it (peers' worst complaint,
x3-domain-notes §3). A file is written only when it holds at least one item.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .. import db, present, tables
from ..clock import parse_clock
from ..errors import ForcedSyncError, UserResolutionError
from . import staging, writer
from .staging import ACTIONS
from .writer import OUTPUT_FILES

logger = logging.getLogger(__name__)

#: Start of the name of a synchronization's work folder inside ``out_dir``.
WORK_PREFIX = ".forcedsync-sync-"


class PendingCount(NamedTuple):
    """Pending SYNCDATA rows of one user, object type and action."""

    user: str
    object_type: str
    action: str
    rows: int


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one synchronization sent and acknowledged.

    Attributes:
        user: the user whose Outlook was synchronized.
        out_dir: the directory the files were written to.
        now: the synchronization's clock (naive UTC), written as DTSTAMP.
        files: the files written, in ``OUTPUT_FILES`` order (none when nothing was
            pending).
        counts: SYNCDATA rows removed, ``{SYDTYP: {SYDATTTYP: n}}`` for every type
            and action.
        exported: record keys written as items (vCard / VTODO / VEVENT), per type.
        deleted: record keys listed in ``deletions.json``, per type.
        rows_removed: SYNCDATA rows removed.
        links_cleared: SYNCLINK anomalies removed.
        warnings: soft problems (rows left in the queue, records missing in X3...).
    """

    user: str
    out_dir: Path
    now: dt.datetime
    files: tuple[Path, ...]
    counts: Mapping[str, Mapping[str, int]]
    exported: Mapping[str, tuple[str, ...]]
    deleted: Mapping[str, tuple[str, ...]]
    rows_removed: int
    links_cleared: int
    warnings: tuple[str, ...] = ()

    @property
    def items(self) -> int:
        """Records written as contacts, tasks or events."""
        return sum(len(k) for k in self.exported.values())

    @property
    def deletions(self) -> int:
        """Records listed as deletions."""
        return sum(len(k) for k in self.deleted.values())

    def summary_lines(self) -> list[str]:
        """The text of ``forcedsync sync``: rows per type and action, files, totals."""
        if not self.files:
            return [f"Nothing pending for {self.user}: no file written."]
        actions = list(ACTIONS)
        lines = [
            f"Synchronized {self.user} into {self.out_dir} at {self.now.isoformat()}.",
        ]
        lines += present.action_table(self.counts, actions, self.exported, self.deleted)
        lines.append("files: " + ", ".join(f.name for f in self.files))
        lines.append(
            f"SYNCDATA rows removed: {self.rows_removed}; SYNCLINK anomalies "
            f"cleared: {self.links_cleared}."
        )
        lines += [f"warning: {w}" for w in self.warnings]
        return lines

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON of ``forcedsync sync --json`` (X3 names for types and actions)."""
        return {
            "user": self.user,
            "out_dir": str(self.out_dir),
            "now": self.now.isoformat(),
            "files": [str(f) for f in self.files],
            "counts": {t: dict(c) for t, c in self.counts.items()},
            "rows_removed": self.rows_removed,
            "links_cleared": self.links_cleared,
            "items": self.items,
            "deletions": self.deletions,
            "exported": {t: list(k) for t, k in self.exported.items()},
            "deleted": {t: list(k) for t, k in self.deleted.items()},
            "warnings": list(self.warnings),
        }


def pending_summary(engine: Engine, user: str | None = None) -> list[PendingCount]:
    """Pending SYNCDATA rows per user, object type and action (for the dashboard).

    Args:
        engine: the database.
        user: only this user's queue; default every user's.

    Returns:
        ``(user, SYDTYP, SYDATTTYP, count)`` tuples ordered by user, type and action;
        combinations with no row are absent.

    Raises:
        BackendError: the database cannot be used or is not initialised.
    """
    q = tables.of(engine).syncdata
    stmt = sa.select(q.c.sydusr, q.c.sydtyp, q.c.sydatttyp, sa.func.count())
    if user is not None:
        stmt = stmt.where(q.c.sydusr == _user_code(user))
    keys = (q.c.sydusr, q.c.sydtyp, q.c.sydatttyp)
    with db.reading(engine) as conn:
        db.require_schema(conn)
        rows = conn.execute(stmt.group_by(*keys).order_by(*keys)).all()
    return [PendingCount(u, t, a, int(n)) for u, t, a, n in rows]


def synchronize(
    engine: Engine, user: str, out_dir: str | Path, *, now: dt.datetime | None = None
) -> SyncResult:
    """Send a user's pending queue to files and remove what was sent (SPEC §6).

    One ``db.writing`` transaction reads the queue (the SYNCDATA rows of USER, staged
    by SYDNUM, and their SYNCLINK rows by SYLNUM), streams the current state of each
    record into files in a work directory inside ``out_dir``, deletes exactly the
    staged rows, moves the files into ``out_dir`` and only then commits. On
    PostgreSQL the transaction holds the toolkit's advisory lock, so a force run never
    interleaves with it; a row that another program adds after the read is not in the
    staged set and stays pending.

    Files are published before the commit, never after (see ``_send``).

    A record with several rows is sent once with its current state; a record with an
    A or P row goes to ``deletions.json`` only, as does a record that no longer exists
    in X3. Rows of an unknown type or action are left in the queue with a warning.

    Args:
        engine: the database.
        user: the user (AUTILIS.CODUSR) whose Outlook is synchronized.
        out_dir: directory for the files; created if missing. It must not already
            hold files of an earlier synchronization, which would be overwritten
            before they were imported.
        now: the clock written as DTSTAMP (UTC; a naive value is taken as UTC);
            default the current time.

    Returns:
        The files written, the rows removed per type and action, the keys sent and
        the anomalies cleared.

    Raises:
        UserResolutionError: the user is unknown.
        BackendError: the database cannot be used or is not initialised.
        ForcedSyncError: ``out_dir`` cannot be created or holds earlier files, or
            the synchronization failed (rolled back; the message says so, or that
            the files were written but the commit's outcome is unknown).
    """
    code = _user_code(user)
    clock = parse_clock(now)
    target, work = _prepare_dir(Path(out_dir))
    try:
        sent, left, rows, links, published = _send(engine, code, clock, target, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    logger.info(
        "sync %s: %d rows removed, %d items, %d deletions, %d links cleared",
        code, rows, sum(map(len, sent.exported.values())),
        sum(map(len, sent.deleted.values())), links,
    )  # fmt: skip
    return SyncResult(
        code, target, clock, tuple(published), sent.counts,
        exported={t: tuple(k) for t, k in sent.exported.items()},
        deleted={t: tuple(k) for t, k in sent.deleted.items()},
        rows_removed=rows, links_cleared=links,
        warnings=_warnings(code, left, sent.missing),
    )  # fmt: skip


# --- steps -------------------------------------------------------------------------


def _send(
    engine: Engine, code: str, clock: dt.datetime, target: Path, work: Path
) -> tuple[writer.Export, int, int, int, list[Path]]:
    """The transaction of ``synchronize``: (export, rows left, removed, cleared, files).

    Files are published before the commit, never after, because the two failure
    modes differ: if anything fails before the commit, the transaction rolls back,
    the files already moved are removed and the queue is untouched; if the commit
    itself fails, the files stay and the rows stay pending, so the next
    synchronization sends the same records again, which the stable UIDs turn into an
    update (at least once, never lost). Committing first and moving afterwards would
    lose the records if the move failed.
    """
    published: list[Path] = []
    body_done = False
    try:
        with db.writing(engine) as conn:
            db.require_schema(conn)
            _check_user(conn, code)
            left = staging.stage(conn, code)
            sent = writer.export(conn, clock, work)
            rows, links = staging.acknowledge(conn)
            writer.publish(sent.files, target, published)
            body_done = True
    except BaseException as exc:
        if not body_done:  # rolled back: the queue is untouched, so are the files
            for path in published:
                path.unlink(missing_ok=True)
        if isinstance(exc, ForcedSyncError) or not isinstance(exc, Exception):
            raise
        logger.exception("sync %s failed", code)
        raise ForcedSyncError(_failure(code, target, exc, body_done)) from exc
    return sent, left, rows, links, published


def _failure(code: str, target: Path, exc: Exception, committing: bool) -> str:
    cause = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if committing:  # the outcome of the commit is unknown: keep the files
        return (
            f"The synchronization of {code} wrote its files to {str(target)!r} but "
            f"could not acknowledge the queue ({cause}); the next synchronization "
            f"may send the same records again, which re-import as updates."
        )
    return (
        f"The synchronization of {code} failed and was rolled back, leaving the "
        f"queue and {str(target)!r} untouched: {cause}."
    )


def _user_code(user: str) -> str:
    code = str(user).strip().upper()
    if not code:
        raise UserResolutionError("USER", user, "No user given: name the user to sync.")
    return code


def _prepare_dir(path: Path) -> tuple[Path, Path]:
    """The output directory, checked, and a work directory inside it (same device)."""
    earlier = [n for n in OUTPUT_FILES if (path / n).exists()]
    if earlier:
        raise ForcedSyncError(
            f"Output directory {str(path)!r} already holds {earlier[0]} of an earlier "
            f"synchronization: import or move it, or choose another directory."
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        remove_stale_work_dirs(path)
        work = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-", dir=path))
    except OSError as exc:
        raise ForcedSyncError(
            f"Cannot write to output directory {str(path)!r}: {exc}."
        ) from None
    return path.resolve(), work


def remove_stale_work_dirs(path: Path) -> list[Path]:
    """Remove the work folders a killed synchronization left in ``path``; returns them.

    A work folder is named ``.forcedsync-sync-<pid>-<random>``: it is stale when no
    process ``<pid>`` runs on this machine. A folder without a process id (written
    before it was part of the name) is stale when it is older than a day.
    """
    removed = []
    for work in path.glob(f"{WORK_PREFIX}*"):
        if work.is_dir() and not work.is_symlink() and _abandoned(work):
            shutil.rmtree(work, ignore_errors=True)
            removed.append(work)
    if removed:
        logger.info("removed %d stale work folder(s) in %s", len(removed), path)
    return removed


def _abandoned(work: Path) -> bool:
    pid = work.name[len(WORK_PREFIX) :].split("-", 1)[0]
    if not (pid.isascii() and pid.isdigit()):
        try:
            return time.time() - work.stat().st_mtime > 86_400
        except OSError:
            return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):
        return False
    return False


def _check_user(conn: Connection, code: str) -> None:
    u = tables.of(conn).autilis
    if conn.execute(sa.select(u.c.codusr).where(u.c.codusr == code)).first() is None:
        raise UserResolutionError(
            "USER", code, f"User {code!r} is unknown: give a user code of AUTILIS."
        )


def _warnings(code: str, left: int, missing: int) -> tuple[str, ...]:
    out = []
    if left:
        out.append(
            f"SYNCDATA rows of {code} left in the queue (unknown type or action): "
            f"{left}."
        )
    if missing:
        out.append(
            f"Records queued for {code} that no longer exist in X3, sent as "
            f"deletions: {missing}."
        )
    return tuple(out)
