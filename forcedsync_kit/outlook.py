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

import contextlib
import datetime as dt
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from . import db, present
from . import schema as s
from ._formats import APPOINTMENT_MINUTES as APPOINTMENT_MINUTES
from ._formats import PRODID as PRODID
from ._formats import VCARD_VERSION as VCARD_VERSION
from ._formats import (
    _appointment,
    _calendar_head,
    _call,
    _contact,
    _deletion,
    _Sink,
    _task,
)
from ._syncqueue import _ACTIONS, _LEAVING, _acknowledge, _queue, _stage
from .criteria import OBJECT_TYPES, ObjectType
from .errors import ForcedSyncError, UserResolutionError

logger = logging.getLogger(__name__)

CONTACTS_FILE = "contacts.vcf"
TASKS_FILE = "tasks.ics"
EVENTS_FILE = "events.ics"
DELETIONS_FILE = "deletions.json"
#: Every file a synchronization may write into its output directory.
OUTPUT_FILES = (CONTACTS_FILE, TASKS_FILE, EVENTS_FILE, DELETIONS_FILE)
#: Rows fetched per round trip while the queue is streamed into the files.
CHUNK_SIZE = 5_000


def record_uid(object_type: str, record_key: str) -> str:
    """The stable UID of a record's Outlook item, e.g. ``x3-COR-C0001``."""
    return f"x3-{object_type}-{record_key}"


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
        actions = list(_ACTIONS)
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
    q = s.syncdata
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

    Files are published before the commit, never after, because the two failure
    modes differ: if anything fails before the commit, the transaction rolls back,
    the files already moved are removed and the queue is untouched; if the commit
    itself fails, the files stay and the rows stay pending, so the next
    synchronization sends the same records again, which the stable UIDs turn into an
    update (at least once, never lost). Committing first and moving afterwards would
    lose the records if the move failed.

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
    clock = _clock(now)
    target, work = _prepare_dir(Path(out_dir))
    published: list[Path] = []
    body_done = False
    try:
        with db.writing(engine) as conn:
            db.require_schema(conn)
            _check_user(conn, code)
            left = _stage(conn, code)
            export = _export(conn, clock, work)
            rows, links = _acknowledge(conn)
            _publish(export.files, target, published)
            body_done = True
    except BaseException as exc:
        if not body_done:  # rolled back: the queue is untouched, so are the files
            for path in published:
                path.unlink(missing_ok=True)
        if isinstance(exc, ForcedSyncError) or not isinstance(exc, Exception):
            raise
        logger.exception("sync %s failed", code)
        raise ForcedSyncError(_failure(code, target, exc, body_done)) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    logger.info(
        "sync %s: %d rows removed, %d items, %d deletions, %d links cleared",
        code, rows, sum(map(len, export.exported.values())),
        sum(map(len, export.deleted.values())), links,
    )  # fmt: skip
    return SyncResult(
        user=code,
        out_dir=target,
        now=clock,
        files=tuple(published),
        counts=export.counts,
        exported={t: tuple(k) for t, k in export.exported.items()},
        deleted={t: tuple(k) for t, k in export.deleted.items()},
        rows_removed=rows,
        links_cleared=links,
        warnings=_warnings(code, left, export.missing),
    )


# --- steps -------------------------------------------------------------------------


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


def _clock(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    if now.tzinfo is not None:
        now = now.astimezone(dt.UTC).replace(tzinfo=None)
    return now.replace(microsecond=0)


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
        work = Path(tempfile.mkdtemp(prefix=".forcedsync-sync-", dir=path))
    except OSError as exc:
        raise ForcedSyncError(
            f"Cannot write to output directory {str(path)!r}: {exc}."
        ) from None
    return path.resolve(), work


def _check_user(conn: Connection, code: str) -> None:
    u = s.autilis
    if conn.execute(sa.select(u.c.codusr).where(u.c.codusr == code)).first() is None:
        raise UserResolutionError(
            "USER", code, f"User {code!r} is unknown: give a user code of AUTILIS."
        )


def _publish(files: list[Path], target: Path, published: list[Path]) -> None:
    for src in files:
        dst = target / src.name
        if dst.exists():  # another synchronization wrote here meanwhile
            raise ForcedSyncError(
                f"{str(dst)!r} appeared during the synchronization; nothing was sent."
            )
        os.replace(src, dst)
        published.append(dst)


# --- export ------------------------------------------------------------------------


@dataclass
class _Export:
    counts: dict[str, dict[str, int]]
    exported: dict[str, list[str]]
    deleted: dict[str, list[str]]
    files: list[Path]
    missing: int  # records queued but gone from X3


@contextlib.contextmanager
def _sinks(work: Path) -> Iterator[dict[str, _Sink]]:
    head, tail = _calendar_head()
    sinks = {
        CONTACTS_FILE: _Sink(work / CONTACTS_FILE, b"", b"", b""),
        TASKS_FILE: _Sink(work / TASKS_FILE, head, b"", tail),
        EVENTS_FILE: _Sink(work / EVENTS_FILE, head, b"", tail),
        DELETIONS_FILE: _Sink(work / DELETIONS_FILE, b"[\n", b",\n", b"\n]\n"),
    }
    try:
        yield sinks
    except BaseException:
        for sink in sinks.values():
            sink.abort()
        raise


def _export(conn: Connection, now: dt.datetime, work: Path) -> _Export:
    """Stream the staged records into the files, one record at a time, in key order."""
    counts = {str(t): dict.fromkeys(_ACTIONS, 0) for t in OBJECT_TYPES}
    grouped = sa.select(_queue.c.sydtyp, _queue.c.sydatttyp, sa.func.count()).group_by(
        _queue.c.sydtyp, _queue.c.sydatttyp
    )
    for typ, action, n in conn.execute(grouped):
        counts[typ][action] = int(n)
    out = _Export(counts, {}, {}, [], 0)
    stamp = now.replace(tzinfo=dt.UTC)
    with _sinks(work) as sinks:
        for kind in _KINDS:
            typ = str(kind.object_type)
            items = out.exported.setdefault(typ, [])
            gone = out.deleted.setdefault(typ, [])
            result = conn.execute(
                _records(kind), execution_options={"yield_per": CHUNK_SIZE}
            )
            for part in result.partitions():
                for row in part:
                    uid = record_uid(typ, row.key)
                    if row.leaving or row.found is None:
                        out.missing += not row.leaving
                        sinks[DELETIONS_FILE].add(_deletion(typ, row, uid))
                        gone.append(row.key)
                    else:
                        sinks[kind.file].add(kind.build(row, uid, stamp))
                        items.append(row.key)
        out.files = [p for p in (sinks[n].close() for n in OUTPUT_FILES) if p]
    return out


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


def _records(kind: _Kind) -> sa.Select[Any]:
    """Staged records of one type, one row each, outer-joined to their X3 record."""
    qc = _queue.c
    leaving = sa.func.max(sa.case((qc.sydatttyp.in_(_LEAVING), 1), else_=0))
    deleted = sa.func.max(sa.case((qc.sydatttyp == _LEAVING[0], 1), else_=0))
    keys = (
        sa.select(qc.sydkey.label("key"), leaving.label("leaving"),
                  deleted.label("deleted"))
        .where(qc.sydtyp == str(kind.object_type))
        .group_by(qc.sydkey)
        .subquery("k")
    )  # fmt: skip
    joined = keys.outerjoin(kind.table, kind.key == keys.c.key)
    cols = [keys.c.key, keys.c.leaving, keys.c.deleted, kind.key.label("found")]
    return sa.select(*cols, *kind.columns).select_from(joined).order_by(keys.c.key)


@dataclass(frozen=True)
class _Kind:
    object_type: ObjectType
    table: sa.Table
    key: sa.Column[Any]
    columns: tuple[sa.ColumnElement[Any], ...]
    file: str
    build: Callable[[Row[Any], str, dt.datetime], bytes]


_KINDS = (
    _Kind(ObjectType.COR, s.correspond, s.correspond.c.cornum, (
        s.correspond.c.cntlna.label("last_name"),
        s.correspond.c.cntfna.label("first_name"),
        s.correspond.c.cntema.label("email"),
        s.correspond.c.fnc.label("function"),
        s.correspond.c.upddattim.label("changed"),
    ), CONTACTS_FILE, _contact),
    _Kind(ObjectType.TSK, s.btask, s.btask.c.tsknum, (
        s.btask.c.fulobj.label("subject"),
        s.btask.c.tskstr.label("start"),
        s.btask.c.tskdat.label("due"),
        s.btask.c.tskdon.label("done"),
        s.btask.c.upddattim.label("changed"),
    ), TASKS_FILE, _task),
    _Kind(ObjectType.CLL, s.bcall, s.bcall.c.cllnum, (
        s.bcall.c.fulobj.label("subject"),
        s.bcall.c.clldat.label("date"),
        s.bcall.c.upddattim.label("changed"),
    ), EVENTS_FILE, _call),
    _Kind(ObjectType.BAP, s.bappoint, s.bappoint.c.aptnum, (
        s.bappoint.c.fulobj.label("subject"),
        s.bappoint.c.aptdat.label("date"),
        s.bappoint.c.aptdatend.label("end_date"),
        s.bappoint.c.apthou.label("hour"),
        s.bappoint.c.upddattim.label("changed"),
    ), EVENTS_FILE, _appointment),
)  # fmt: skip
