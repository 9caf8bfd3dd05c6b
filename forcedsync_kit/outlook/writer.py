"""The files of a synchronization: the staged records streamed into Outlook items.

``export`` reads the staged queue (``staging.QUEUE``) one object type at a time, joined
to the current X3 record (``records``), and writes each record once: as an item of its
file (``KINDS`` names the table, columns, file and builder of each type) or, when it
leaves that Outlook or no longer exists, as an entry of ``deletions.json``. The files
are written in a work directory; ``publish`` moves them into the output directory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from .. import tables
from ..criteria import OBJECT_TYPES, ObjectType
from ..errors import ForcedSyncError
from .formats import (
    Sink,
    calendar_head,
    deletion_entry,
    vcard_contact,
    vevent_appointment,
    vevent_call,
    vtodo_task,
)
from .staging import ACTIONS, LEAVING, QUEUE

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


@dataclass(frozen=True)
class Kind:
    """How one object type is read (table, key, columns) and written (file, builder)."""

    object_type: ObjectType
    table: sa.Table
    key: sa.Column[Any]
    columns: tuple[sa.ColumnElement[Any], ...]
    file: str
    build: Callable[[Row[Any], str, dt.datetime], bytes]


def _kind(
    tb: tables.Tables,
    object_type: ObjectType,
    table: sa.Table,
    key: str,
    file: str,
    build: Callable[[Row[Any], str, dt.datetime], bytes],
    **columns: str,
) -> Kind:
    """A ``Kind`` reading ``columns`` (label = column name, blanks read as empty)."""
    named = {**columns, "changed": "upddattim"}
    labelled = tuple(tb.value(table.c[c]).label(label) for label, c in named.items())
    return Kind(object_type, table, table.c[key], labelled, file, build)


def kinds(tb: tables.Tables) -> tuple[Kind, ...]:
    """How each object type is read from the database of ``tb``."""
    return (
        _kind(tb, ObjectType.COR, tb.correspond, "cornum", CONTACTS_FILE,
              vcard_contact, last_name="cntlna", first_name="cntfna", email="cntema",
              function="fnc"),
        _kind(tb, ObjectType.TSK, tb.btask, "tsknum", TASKS_FILE, vtodo_task,
              subject="fulobj", start="tskstr", due="tskdat", done="tskdon"),
        _kind(tb, ObjectType.CLL, tb.bcall, "cllnum", EVENTS_FILE, vevent_call,
              subject="fulobj", date="clldat"),
        _kind(tb, ObjectType.BAP, tb.bappoint, "aptnum", EVENTS_FILE,
              vevent_appointment, subject="fulobj", date="aptdat",
              end_date="aptdatend", hour="apthou"),
    )  # fmt: skip


#: The toolkit layout's kinds.
KINDS = kinds(tables.TOOLKIT)


@dataclass
class Export:
    """What ``export`` wrote: rows per type and action, keys sent, files, gone."""

    counts: dict[str, dict[str, int]]
    exported: dict[str, list[str]]
    deleted: dict[str, list[str]]
    files: list[Path]
    missing: int  # records queued but gone from X3


@contextlib.contextmanager
def _sinks(work: Path) -> Iterator[dict[str, Sink]]:
    head, tail = calendar_head()
    sinks = {
        CONTACTS_FILE: Sink(work / CONTACTS_FILE, b"", b"", b""),
        TASKS_FILE: Sink(work / TASKS_FILE, head, b"", tail),
        EVENTS_FILE: Sink(work / EVENTS_FILE, head, b"", tail),
        DELETIONS_FILE: Sink(work / DELETIONS_FILE, b"[\n", b",\n", b"\n]\n"),
    }
    try:
        yield sinks
    except BaseException:
        for sink in sinks.values():
            sink.abort()
        raise


def export(conn: Connection, now: dt.datetime, work: Path) -> Export:
    """Stream the staged records into the files, one record at a time, in key order."""
    counts = {str(t): dict.fromkeys(ACTIONS, 0) for t in OBJECT_TYPES}
    grouped = sa.select(QUEUE.c.sydtyp, QUEUE.c.sydatttyp, sa.func.count()).group_by(
        QUEUE.c.sydtyp, QUEUE.c.sydatttyp
    )
    for typ, action, n in conn.execute(grouped):
        counts[typ][action] = int(n)
    out = Export(counts, {}, {}, [], 0)
    stamp = now.replace(tzinfo=dt.UTC)
    with _sinks(work) as sinks:
        tb = tables.of(conn)
        for kind in KINDS if tb.layout is None else kinds(tb):
            _export_kind(conn, kind, stamp, sinks, out)
        out.files = [p for p in (sinks[n].close() for n in OUTPUT_FILES) if p]
    return out


def _export_kind(
    conn: Connection,
    kind: Kind,
    stamp: dt.datetime,
    sinks: dict[str, Sink],
    out: Export,
) -> None:
    typ = str(kind.object_type)
    items = out.exported.setdefault(typ, [])
    gone = out.deleted.setdefault(typ, [])
    result = conn.execute(records(kind), execution_options={"yield_per": CHUNK_SIZE})
    for part in result.partitions():
        for row in part:
            uid = record_uid(typ, row.key)
            if row.leaving or row.found is None:
                out.missing += not row.leaving
                sinks[DELETIONS_FILE].add(deletion_entry(typ, row, uid))
                gone.append(row.key)
            else:
                sinks[kind.file].add(kind.build(row, uid, stamp))
                items.append(row.key)


def records(kind: Kind) -> sa.Select[Any]:
    """Staged records of one type, one row each, outer-joined to their X3 record."""
    qc = QUEUE.c
    leaving = sa.func.max(sa.case((qc.sydatttyp.in_(LEAVING), 1), else_=0))
    deleted = sa.func.max(sa.case((qc.sydatttyp == LEAVING[0], 1), else_=0))
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


def publish(files: list[Path], target: Path, published: list[Path]) -> None:
    """Move the written files into ``target``; each one moved joins ``published``.

    Raises:
        ForcedSyncError: a file of that name appeared in ``target`` meanwhile.
    """
    for src in files:
        dst = target / src.name
        if dst.exists():  # another synchronization wrote here meanwhile
            raise ForcedSyncError(
                f"{str(dst)!r} appeared during the synchronization; nothing was sent."
            )
        os.replace(src, dst)
        published.append(dst)
