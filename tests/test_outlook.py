"""The next synchronization (outlook package) on a hand-built folder, both backends."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import vobject
from builders import NOW, World, count, pending
from icalendar import Calendar

from forcedsync_kit import db, outlook
from forcedsync_kit import schema as s
from forcedsync_kit.errors import ForcedSyncError, UserResolutionError
from forcedsync_kit.outlook import formats, staging, writer


@pytest.fixture
def world(engine: sa.Engine) -> World:
    """ADMIN's queue: every object type, several rows per record, A/P, anomalies.

    A second user, BOB, has rows and anomalies of his own that must stay.
    """
    w = World(engine).base()
    w.user("BOB", rep="R2")
    for num in ("C1", "C2", "C3", "C4", "C5"):
        w.contact(num)
    w.task("T1", due=dt.date(2026, 6, 5))
    w.task("T2")
    w.call("L1", date=dt.date(2026, 7, 1))
    w.appointment("B1", date=dt.date(2026, 8, 3))
    w.queue("COR", "C1", "C")
    w.queue("COR", "C1", "M")
    w.queue("COR", "C1", "R")  # C+M+R: one vCard with the current state
    w.queue("COR", "C2", "M")
    w.queue("COR", "C3", "M")
    w.queue("COR", "C3", "A")  # deleted in X3: deletions only
    w.queue("COR", "C4", "P")  # moved to another user: deletions only
    w.queue("TSK", "T1", "R")
    w.queue("TSK", "T2", "C")
    w.queue("CLL", "L1", "M")
    w.queue("BAP", "B1", "R")
    w.queue("COR", "C5", "M", user="BOB")
    w.anomaly("COR", "C1", "CNTEMA", "new@example.com", "old@example.com")
    w.anomaly("TSK", "T1", "TSKDAT", "2026-06-05", "2026-06-04")
    w.anomaly("COR", "C5", "CNTLNA", "X", "Y")  # not in ADMIN's queue: stays
    w.anomaly("COR", "C1", "CNTLNA", "X", "Y", user="BOB")  # BOB's: stays
    return w.commit()


def _cards(path: Path) -> list[Any]:
    return list(vobject.readComponents(path.read_text(encoding="utf-8")))


def _calendar(path: Path) -> Calendar:
    return Calendar.from_ical(path.read_bytes())


def _uids(components: list[Any]) -> set[str]:
    return {str(c["UID"]) for c in components}


def _deletions(path: Path) -> list[dict[str, str]]:
    data: list[dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_sync_exports_each_record_once_and_acknowledges(
    engine: sa.Engine, world: World, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = outlook.synchronize(engine, "admin", out, now=NOW)

    assert [f.name for f in result.files] == list(outlook.OUTPUT_FILES)
    assert {t: set(k) for t, k in result.exported.items()} == {
        "COR": {"C1", "C2"},
        "TSK": {"T1", "T2"},
        "CLL": {"L1"},
        "BAP": {"B1"},
    }
    assert {t: set(k) for t, k in result.deleted.items()} == {
        "COR": {"C3", "C4"},
        "TSK": set(),
        "CLL": set(),
        "BAP": set(),
    }
    cards = _cards(out / "contacts.vcf")
    assert [c.uid.value for c in cards] == ["x3-COR-C1", "x3-COR-C2"]
    assert _uids(_calendar(out / "tasks.ics").walk("VTODO")) == {
        "x3-TSK-T1",
        "x3-TSK-T2",
    }
    assert _uids(_calendar(out / "events.ics").walk("VEVENT")) == {
        "x3-CLL-L1",
        "x3-BAP-B1",
    }
    assert _deletions(out / "deletions.json") == [
        {"SYDTYP": "COR", "SYDKEY": "C3", "UID": "x3-COR-C3", "action": "A"},
        {"SYDTYP": "COR", "SYDKEY": "C4", "UID": "x3-COR-C4", "action": "P"},
    ]
    assert result.counts["COR"] == {"C": 1, "M": 3, "A": 1, "P": 1, "R": 1}
    assert result.counts["TSK"] == {"C": 1, "M": 0, "A": 0, "P": 0, "R": 1}
    assert result.rows_removed == 11
    assert result.links_cleared == 2
    assert result.warnings == ()
    # ADMIN's queue and resolved anomalies are gone; BOB's rows and the rest stay.
    assert pending(engine, "ADMIN") == {}
    assert pending(engine, "BOB") == {("COR", "C5"): ["M"]}
    with engine.connect() as conn:
        left = conn.execute(sa.select(s.synclink.c.sylusr, s.synclink.c.sylkey)).all()
    assert sorted(map(tuple, left)) == [("ADMIN", "C5"), ("BOB", "C1")]
    assert sorted(out.iterdir()) == sorted(result.files)  # no work dir left
    json.dumps(result.to_json_dict())
    lines = result.summary_lines()
    assert lines[1].split() == ["type", "C", "M", "A", "P", "R", "items", "deletions"]
    assert lines[2].split() == ["COR", "1", "3", "1", "1", "1", "2", "2"]
    assert "SYNCDATA rows removed: 11; SYNCLINK anomalies cleared: 2." in lines


def test_second_sync_exports_nothing(
    engine: sa.Engine, world: World, tmp_path: Path
) -> None:
    outlook.synchronize(engine, "ADMIN", tmp_path / "first", now=NOW)
    again = outlook.synchronize(engine, "ADMIN", tmp_path / "second", now=NOW)
    assert again.files == ()
    assert again.items == again.deletions == again.rows_removed == 0
    assert again.links_cleared == 0
    assert list((tmp_path / "second").iterdir()) == []
    assert again.summary_lines() == ["Nothing pending for ADMIN: no file written."]


def test_vcard_is_version_4_with_outlook_fields(
    engine: sa.Engine, world: World, tmp_path: Path
) -> None:
    outlook.synchronize(engine, "ADMIN", tmp_path / "out", now=NOW)
    data = (tmp_path / "out" / "contacts.vcf").read_bytes()
    assert data.startswith(b"BEGIN:VCARD\r\nVERSION:4.0\r\n")
    card = _cards(tmp_path / "out" / "contacts.vcf")[0]
    assert card.version.value == "4.0"
    assert card.fn.value == "First LastC1"
    assert (card.n.value.family, card.n.value.given) == ("LastC1", "First")
    assert card.email.value == "c1@example.com"
    assert card.title.value == "Managing Director"


def test_tasks_and_events_carry_dates_status_and_stamp(
    engine: sa.Engine, world: World, tmp_path: Path
) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(s.btask).where(s.btask.c.tsknum == "T2").values(tskdon=2)
        )
    outlook.synchronize(engine, "ADMIN", tmp_path / "out", now=NOW)
    todos = {
        str(t["UID"]): t
        for t in _calendar(tmp_path / "out" / "tasks.ics").walk("VTODO")
    }
    t1, t2 = todos["x3-TSK-T1"], todos["x3-TSK-T2"]
    assert str(t1["SUMMARY"]) == "Task T1"
    assert t1.decoded("DTSTART") == dt.date(2026, 6, 1)
    assert t1.decoded("DUE") == dt.date(2026, 6, 5)
    assert str(t1["STATUS"]) == "NEEDS-ACTION"
    assert t1.decoded("DTSTAMP") == NOW.replace(tzinfo=dt.UTC)
    assert str(t2["STATUS"]) == "COMPLETED"
    events = {
        str(e["UID"]): e
        for e in _calendar(tmp_path / "out" / "events.ics").walk("VEVENT")
    }
    call, meeting = events["x3-CLL-L1"], events["x3-BAP-B1"]
    assert str(call["SUMMARY"]) == "Call L1"
    assert call.decoded("DTSTART") == dt.date(2026, 7, 1)  # all day
    assert call.decoded("DTEND") == dt.date(2026, 7, 2)
    assert str(meeting["SUMMARY"]) == "Meeting B1"
    assert meeting.decoded("DTSTART") == dt.datetime(2026, 8, 3, 10, 0)  # APTHOU
    assert meeting.decoded("DTEND") == dt.datetime(2026, 8, 3, 11, 0)


_D, _T = dt.date, dt.datetime


@pytest.mark.parametrize(
    ("hour", "end", "start_value", "end_value"),
    [
        ("143000", None, _T(2026, 8, 3, 14, 30), _T(2026, 8, 3, 15, 30)),
        ("090000", _D(2026, 8, 5), _T(2026, 8, 3, 9), _T(2026, 8, 5, 10)),
        ("", _D(2026, 8, 4), _D(2026, 8, 3), _D(2026, 8, 5)),
        ("99", None, _D(2026, 8, 3), _D(2026, 8, 4)),  # bad time: all day
    ],
)
def test_appointment_times(
    engine: sa.Engine,
    world: World,
    tmp_path: Path,
    hour: str,
    end: dt.date | None,
    start_value: object,
    end_value: object,
) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(s.bappoint).values(apthou=hour or None, aptdatend=end))
    outlook.synchronize(engine, "ADMIN", tmp_path / "out", now=NOW)
    (event,) = [
        e
        for e in _calendar(tmp_path / "out" / "events.ics").walk("VEVENT")
        if str(e["UID"]) == "x3-BAP-B1"
    ]
    assert event.decoded("DTSTART") == start_value
    assert event.decoded("DTEND") == end_value


def test_row_added_after_the_read_keeps_its_row(
    engine: sa.Engine, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record forced while the files are written keeps its new row for next time."""
    real_export = writer.export

    def export_then_force(conn: Any, *args: Any) -> Any:
        done = real_export(conn, *args)
        with engine.begin() as other:  # another program, after the read
            other.execute(
                sa.insert(s.syncdata).values(
                    sydnum=1000, sydusr="ADMIN", sydtyp="COR", sydkey="C1",
                    sydatttyp="R", syddat=NOW.date(), sydhou="120000",
                )
            )  # fmt: skip
            other.execute(
                sa.insert(s.synclink).values(
                    sylnum=1000, sylusr="ADMIN", syltyp="COR", sylkey="C1",
                    sylfie="CNTFNA", sylflgdpt=2,
                )
            )  # fmt: skip
        return done

    monkeypatch.setattr(writer, "export", export_then_force)
    result = outlook.synchronize(engine, "ADMIN", tmp_path / "out", now=NOW)
    assert "C1" in result.exported["COR"]
    assert result.rows_removed == 11
    assert pending(engine, "ADMIN") == {("COR", "C1"): ["R"]}
    with engine.connect() as conn:
        nums = conn.execute(
            sa.select(s.synclink.c.sylnum).where(s.synclink.c.sylkey == "C1")
        ).scalars()
        assert 1000 in set(nums)
    monkeypatch.undo()
    again = outlook.synchronize(engine, "ADMIN", tmp_path / "next", now=NOW)
    assert again.exported["COR"] == ("C1",)
    assert again.rows_removed == 1


_STEPS = {
    "acknowledge": (staging, "acknowledge"),
    "publish": (writer, "publish"),
    "contact": (formats, "vcard_contact"),
}


@pytest.mark.parametrize("step", list(_STEPS))
def test_failure_leaves_queue_and_directory_untouched(
    engine: sa.Engine,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    before = (pending(engine, "ADMIN"), count(engine, s.synclink))
    module, name = _STEPS[step]
    real = getattr(module, name)
    calls: list[int] = []

    def failing(*args: Any) -> Any:
        calls.append(1)
        if step == "publish":
            real(*args)  # the files are moved, then the commit never happens
        elif step == "contact" and len(calls) == 1:
            return real(*args)  # fail on the second contact, mid-file
        raise RuntimeError("boom")

    monkeypatch.setattr(module, name, failing)
    if step == "contact":  # the kinds table holds the builder itself
        kinds = tuple(
            k if k.build is not real else writer.Kind(
                k.object_type, k.table, k.key, k.columns, k.file, failing
            )
            for k in writer.KINDS
        )  # fmt: skip
        monkeypatch.setattr(writer, "KINDS", kinds)
    with pytest.raises(ForcedSyncError, match="rolled back.*: boom"):
        outlook.synchronize(engine, "ADMIN", tmp_path / "out", now=NOW)
    assert (pending(engine, "ADMIN"), count(engine, s.synclink)) == before
    assert list((tmp_path / "out").iterdir()) == []


def test_commit_failure_keeps_files_and_queue(
    engine: sa.Engine, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At least once: if the commit fails, the files stay and so do the rows."""
    real_writing = db.writing

    @contextlib.contextmanager
    def writing_then_fail(engine: sa.Engine) -> Iterator[sa.Connection]:
        with real_writing(engine) as conn:
            yield conn
            raise RuntimeError("connection lost")

    monkeypatch.setattr(db, "writing", writing_then_fail)
    before = pending(engine, "ADMIN")
    with pytest.raises(ForcedSyncError, match="could not acknowledge"):
        outlook.synchronize(engine, "ADMIN", tmp_path / "out", now=NOW)
    assert pending(engine, "ADMIN") == before
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted(outlook.OUTPUT_FILES)


def test_task_due_before_start_keeps_the_due_date(
    engine: sa.Engine, world: World, tmp_path: Path
) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(s.btask)
            .where(s.btask.c.tsknum == "T1")
            .values(tskdat=dt.date(2026, 5, 1))
        )
    outlook.synchronize(engine, "ADMIN", tmp_path / "out", now=NOW)
    (todo,) = [
        t
        for t in _calendar(tmp_path / "out" / "tasks.ics").walk("VTODO")
        if str(t["UID"]) == "x3-TSK-T1"
    ]
    assert "DTSTART" not in todo
    assert todo.decoded("DUE") == dt.date(2026, 5, 1)


def test_refuses_directory_holding_an_earlier_export(
    engine: sa.Engine, world: World, tmp_path: Path
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "tasks.ics").write_text("earlier", encoding="utf-8")
    with pytest.raises(ForcedSyncError, match="already holds tasks.ics"):
        outlook.synchronize(engine, "ADMIN", tmp_path / "out", now=NOW)
    assert len(pending(engine, "ADMIN")) == 8


def test_refuses_an_output_path_that_is_a_file(
    engine: sa.Engine, world: World, tmp_path: Path
) -> None:
    (tmp_path / "out").write_text("", encoding="utf-8")
    with pytest.raises(ForcedSyncError, match="Cannot write to output directory"):
        outlook.synchronize(engine, "ADMIN", tmp_path / "out", now=NOW)
    assert len(pending(engine, "ADMIN")) == 8


def test_unknown_user_is_refused(
    engine: sa.Engine, world: World, tmp_path: Path
) -> None:
    with pytest.raises(UserResolutionError, match="'NOBODY' is unknown"):
        outlook.synchronize(engine, "nobody", tmp_path / "out")


def test_missing_records_and_unknown_rows(
    engine: sa.Engine, world: World, tmp_path: Path
) -> None:
    """A record gone from X3 is sent as a deletion; an unknown type stays queued."""
    w = World(engine)
    w._sydnum = 500
    w.queue("TSK", "T404", "R")
    w.queue("XYZ", "Q1", "C")
    w.queue("TSK", "T2", "?")
    w.commit()
    result = outlook.synchronize(engine, "ADMIN", tmp_path / "out", now=NOW)
    assert result.deleted["TSK"] == ("T404",)
    assert {"SYDTYP": "TSK", "SYDKEY": "T404", "UID": "x3-TSK-T404", "action": "A"} in (
        _deletions(tmp_path / "out" / "deletions.json")
    )
    assert pending(engine, "ADMIN") == {("XYZ", "Q1"): ["C"], ("TSK", "T2"): ["?"]}
    assert len(result.warnings) == 2


def test_large_queue_is_streamed_in_chunks(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outlook, "CHUNK_SIZE", 7)
    w = World(engine).base()
    keys = [f"C{i:03d}" for i in range(50)]
    for key in keys:
        w.contact(key)
        w.queue("COR", key, "M")
    w.commit()
    result = outlook.synchronize(engine, "ADMIN", tmp_path / "out", now=NOW)
    assert result.exported["COR"] == tuple(keys)
    assert [c.uid.value for c in _cards(tmp_path / "out" / "contacts.vcf")] == [
        f"x3-COR-{k}" for k in keys
    ]


def test_pending_summary(engine: sa.Engine, world: World) -> None:
    every = outlook.pending_summary(engine)
    assert ("BOB", "COR", "M", 1) in every
    assert ("ADMIN", "COR", "M", 3) in every
    mine = outlook.pending_summary(engine, "admin")
    assert {p.user for p in mine} == {"ADMIN"}
    assert sum(p.rows for p in mine) == 11
    assert mine == sorted(mine)
    assert outlook.pending_summary(engine, "BOB") == [
        outlook.PendingCount("BOB", "COR", "M", 1)
    ]
