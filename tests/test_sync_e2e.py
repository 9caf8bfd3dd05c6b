"""The whole loop: preview -> force -> next synchronization -> preview, on demo data.

Plus force and synchronization racing each other on PostgreSQL, where the advisory
lock of ``db.writing`` must keep every forced row either pending or sent exactly once.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import vobject
from builders import World, pending
from icalendar import Calendar

from forcedsync_kit import Criteria, demo, force, outlook, preview, run_records
from forcedsync_kit import schema as s

NOW = demo.DEMO_CLOCK
EVERY_TYPE = Criteria(selcor=True, seltsk=True, selcll=True, selbap=True)

Key = tuple[str, str]


def _file_keys(result: outlook.SyncResult) -> tuple[list[Key], list[Key]]:
    """(items, deletions) as re-read from the files, by (SYDTYP, SYDKEY)."""
    uids: list[str] = []
    deletions: list[Key] = []
    for path in result.files:
        if path.name == outlook.CONTACTS_FILE:
            text = path.read_text(encoding="utf-8")
            cards = list(vobject.readComponents(text))
            assert {c.version.value for c in cards} == {"4.0"}
            uids += [c.uid.value for c in cards]
        elif path.name == outlook.DELETIONS_FILE:
            for entry in json.loads(path.read_text(encoding="utf-8")):
                assert entry["UID"] == outlook.record_uid(
                    entry["SYDTYP"], entry["SYDKEY"]
                )
                deletions.append((entry["SYDTYP"], entry["SYDKEY"]))
        else:
            cal = Calendar.from_ical(path.read_bytes())
            uids += [str(c["UID"]) for c in cal.walk() if c.name in ("VTODO", "VEVENT")]
    items = [(u.split("-")[1], u.split("-", 2)[2]) for u in uids]
    return items, deletions


def _result_keys(result: outlook.SyncResult) -> tuple[list[Key], list[Key]]:
    items = [(t, k) for t, keys in result.exported.items() for k in keys]
    deletions = [(t, k) for t, keys in result.deleted.items() for k in keys]
    return items, deletions


def _queued(engine: sa.Engine, user: str) -> dict[Key, set[str]]:
    return {k: set(v) for k, v in pending(engine, user).items()}


def _links(engine: sa.Engine, user: str) -> Counter[Key]:
    lk = s.synclink
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(lk.c.syltyp, lk.c.sylkey).where(lk.c.sylusr == user)
        ).all()
    return Counter((t, k) for t, k in rows)


def test_preview_force_sync_preview(engine: sa.Engine, tmp_path: Path) -> None:
    demo.build(engine, scale=1, seed=42)
    before = _queued(engine, "ADMIN")
    first = preview(engine, EVERY_TYPE, operator="ADMIN", now=NOW, page_size=1)
    assert sum(first.out_of_phase.values()) > 0

    run = force(engine, EVERY_TYPE, operator="ADMIN", now=NOW)
    records, total = run_records(engine, run.run_id, page_size=10**9)
    assert total == len(records) == first.selected
    forced = {(r.object_type, r.record_key) for r in records if r.outcome != "skip"}
    skipped = {(r.object_type, r.record_key) for r in records if r.outcome == "skip"}
    queued = _queued(engine, "ADMIN")
    assert forced and all(queued[k] == {"R"} for k in forced)
    assert set(queued) == set(before) | forced
    rows = sum(n.rows for n in outlook.pending_summary(engine, "ADMIN"))
    links = _links(engine, "ADMIN")
    resolved = sum(n for k, n in links.items() if k in queued)
    assert resolved > 0

    result = outlook.synchronize(engine, "ADMIN", tmp_path / "sync1", now=NOW)
    items, deletions = _result_keys(result)
    assert (items, deletions) == _file_keys(result)
    assert len(set(items)) == len(items) and len(set(deletions)) == len(deletions)
    # Exactly what was pending for ADMIN: the forced records plus the rest.
    assert set(items) | set(deletions) == set(queued)
    assert not set(items) & set(deletions)
    assert forced <= set(items)
    leaving = {k for k, actions in queued.items() if actions & {"A", "P"}}
    assert skipped <= leaving <= set(deletions)
    assert result.rows_removed == rows
    assert result.links_cleared == resolved
    assert _queued(engine, "ADMIN") == {}
    assert outlook.pending_summary(engine, "ADMIN") == []
    assert _links(engine, "ADMIN") == Counter(
        {k: n for k, n in links.items() if k not in queued}
    )

    after = preview(engine, EVERY_TYPE, operator="ADMIN", now=NOW, page_size=1)
    assert after.selected == first.selected
    assert sum(after.out_of_phase.values()) == 0
    assert {o for c in after.counts.values() for o, n in c.items() if n} == {"insert"}

    again = outlook.synchronize(engine, "ADMIN", tmp_path / "sync2", now=NOW)
    assert again.files == () and again.rows_removed == 0


ROUNDS = 20


def _racing_world(engine: sa.Engine) -> World:
    """ADMIN (rep R1): 60 contacts, 40 tasks, 20 calls, 20 appointments, a queue."""
    w = World(engine).base()
    for i in range(60):
        w.contact(f"C{i:02d}")
    for i in range(40):
        w.task(f"T{i:02d}")
    for i in range(20):
        w.call(f"L{i:02d}")
        w.appointment(f"B{i:02d}")
    for i, action in enumerate("CMARPCMR"):  # every outcome: supersede, skip...
        w.queue("COR", f"C{i:02d}", action)
        w.queue("TSK", f"T{i:02d}", action)
    w.queue("COR", "C00", "M")
    return w.commit()


def test_force_and_sync_race_without_loss_or_duplicate(
    engine: sa.Engine, tmp_path: Path
) -> None:
    """Every pending episode of a record is sent exactly once, however runs interleave.

    A record becomes pending when it was queued at the start or when a force inserts
    its R row (outcome ``insert``); supersede and already add no episode, and skip
    leaves the A/P row that the next sync sends as a deletion. After a final sync,
    the number of times a key was sent must equal its number of episodes.
    """
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (DuckDB: one writer)")
    _racing_world(engine)
    initial = set(_queued(engine, "ADMIN"))
    runs: list[str] = []
    syncs: list[outlook.SyncResult] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def forcer() -> None:
        rng = random.Random(1)
        start.wait()
        for _ in range(ROUNDS):
            runs.append(force(engine, EVERY_TYPE, operator="ADMIN").run_id)
            time.sleep(rng.random() * 0.02)

    def syncer() -> None:
        rng = random.Random(2)
        start.wait()
        for i in range(ROUNDS):
            out = tmp_path / f"sync{i:02d}"
            syncs.append(outlook.synchronize(engine, "ADMIN", out))
            time.sleep(rng.random() * 0.02)

    def guarded(fn: Any) -> Any:
        def run() -> None:
            try:
                fn()
            except BaseException as exc:  # reported in the main thread
                errors.append(exc)

        return run

    started = time.monotonic()
    threads = [threading.Thread(target=guarded(f)) for f in (forcer, syncer)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors, errors
    assert len(runs) == len(syncs) == ROUNDS
    syncs.append(outlook.synchronize(engine, "ADMIN", tmp_path / "final"))
    assert time.monotonic() - started < 60
    assert _queued(engine, "ADMIN") == {}

    inserted: Counter[Key] = Counter()
    for run_id in runs:
        records, _ = run_records(engine, run_id, outcome="insert", page_size=10**9)
        inserted.update((r.object_type, r.record_key) for r in records)
    sent: Counter[Key] = Counter()
    for result in syncs:
        items, deletions = _result_keys(result)
        assert (items, deletions) == _file_keys(result)
        batch = items + deletions
        assert len(set(batch)) == len(batch)  # one item per record and sync
        sent.update(batch)
    episodes = Counter(initial) + inserted
    assert sent == episodes
    assert sum(r.rows_removed for r in syncs) >= sum(episodes.values())
    assert sum(1 for r in syncs if r.items) > 1  # the runs did interleave
