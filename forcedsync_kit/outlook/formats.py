"""Outlook items of a synchronization: vCard 4.0 contacts, iCalendar tasks and events.

Each builder turns one X3 record (a row of ``writer.records``) into the bytes of one
item: ``vcard_contact`` a vCard, ``vtodo_task`` a VTODO, ``vevent_call`` and
``vevent_appointment`` a VEVENT, ``deletion_entry`` an entry of ``deletions.json``.
``Sink`` frames the items of one output file (calendar head and tail, JSON brackets).
``forcedsync_kit.outlook`` re-exports the public constants.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path
from typing import IO, Any

import vobject
from icalendar import Calendar, Event, Todo
from sqlalchemy.engine import Row

from ..criteria import FUNCTIONS, Action

logger = logging.getLogger(__name__)

PRODID = "-//forcedsync//Sage X3 CRM Outlook stand-in//EN"
VCARD_VERSION = "4.0"
#: Length of an appointment that has a start time: BAPPOINT has an end date only.
APPOINTMENT_MINUTES = 60
_YES = 2  # X3 local menu 1: 1 = no, 2 = yes


class Sink:
    """One output file in the work directory, opened on its first item."""

    def __init__(self, path: Path, head: bytes, sep: bytes, tail: bytes) -> None:
        self.path, self.head, self.sep, self.tail = path, head, sep, tail
        self.fh: IO[bytes] | None = None

    def add(self, data: bytes) -> None:
        if self.fh is None:
            self.fh = self.path.open("xb")
            self.fh.write(self.head)
        else:
            self.fh.write(self.sep)
        self.fh.write(data)

    def close(self) -> Path | None:
        if self.fh is None:
            return None
        self.fh.write(self.tail)
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        return self.path

    def abort(self) -> None:
        if self.fh is not None:
            self.fh.close()


def calendar_head() -> tuple[bytes, bytes]:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    text = cal.to_ical()
    tail = b"END:VCALENDAR\r\n"
    return text[: -len(tail)], tail


def deletion_entry(typ: str, row: Row[Any], uid: str) -> bytes:
    """A deletions.json entry: A wins over P; a record gone from X3 counts as A."""
    action = Action.USER_CHANGE if row.leaving and not row.deleted else Action.DELETION
    entry = {"SYDTYP": typ, "SYDKEY": row.key, "UID": uid, "action": str(action)}
    return json.dumps(entry).encode("utf-8")


# --- items -------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else value.replace(tzinfo=dt.UTC, microsecond=0)


def vcard_contact(row: Row[Any], uid: str, now: dt.datetime) -> bytes:
    """vCard 4.0: vobject writes 3.0 unless told; 4.0 shares 3.0's syntax."""
    card = vobject.vCard()
    card.add("version").value = VCARD_VERSION
    uid_line = card.add("uid")
    uid_line.value = uid
    uid_line.params["VALUE"] = ["text"]  # RFC 6350 §6.7.6: a UID that is no URI
    card.add("kind").value = "individual"
    first, last = _text(row.first_name), _text(row.last_name)
    card.add("fn").value = " ".join(p for p in (first, last) if p) or row.key
    card.add("n").value = vobject.vcard.Name(family=last, given=first)
    if _text(row.email):
        email = card.add("email")
        email.value = _text(row.email)
        email.params["TYPE"] = ["work"]
    if row.function in FUNCTIONS:
        card.add("title").value = FUNCTIONS[row.function]
    changed = _utc(row.changed)
    if changed is not None:
        card.add("rev").value = changed.strftime("%Y%m%dT%H%M%SZ")
    return str(card.serialize()).encode("utf-8")


def vtodo_task(row: Row[Any], uid: str, now: dt.datetime) -> bytes:
    todo = Todo()
    todo.add("uid", uid)
    todo.add("dtstamp", now)
    todo.add("summary", _text(row.subject) or f"Task {row.key}")
    # RFC 5545 wants DUE after DTSTART; a start after the due date is dropped.
    if row.start is not None and (row.due is None or row.due >= row.start):
        todo.add("dtstart", row.start)
    if row.due is not None:
        todo.add("due", row.due)
    changed = _utc(row.changed)
    if row.done == _YES:
        todo.add("status", "COMPLETED")
        todo.add("percent-complete", 100)
        if changed is not None:
            todo.add("completed", changed)
    else:
        todo.add("status", "NEEDS-ACTION")
    if changed is not None:
        todo.add("last-modified", changed)
    return bytes(todo.to_ical())


def _event(
    uid: str, now: dt.datetime, summary: str, start: Any, end: Any, changed: Any
) -> bytes:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("summary", summary)
    if start is not None:
        event.add("dtstart", start)
        event.add("dtend", end)
    if changed is not None:
        event.add("last-modified", _utc(changed))
    return bytes(event.to_ical())


def vevent_call(row: Row[Any], uid: str, now: dt.datetime) -> bytes:
    """A call has a date only: an all-day event (DTEND is exclusive)."""
    day = row.date
    end = None if day is None else day + dt.timedelta(days=1)
    summary = _text(row.subject) or f"Call {row.key}"
    return _event(uid, now, summary, day, end, row.changed)


def _hour(value: Any) -> dt.time | None:
    text = _text(value)
    if len(text) != 6 or not text.isdigit():
        return None
    try:
        return dt.time(int(text[:2]), int(text[2:4]), int(text[4:]))
    except ValueError:
        return None


def vevent_appointment(row: Row[Any], uid: str, now: dt.datetime) -> bytes:
    """APTHOU 'HHMMSS' gives a floating (wall-clock) start; without it, all-day."""
    start: Any = row.date
    end: Any = None
    if start is not None:
        last = max(row.end_date or start, start)
        hour = _hour(row.hour)
        if hour is None:
            end = last + dt.timedelta(days=1)
        else:
            start = dt.datetime.combine(start, hour)
            end = dt.datetime.combine(last, hour) + dt.timedelta(
                minutes=APPOINTMENT_MINUTES
            )
    summary = _text(row.subject) or f"Appointment {row.key}"
    return _event(uid, now, summary, start, end, row.changed)
