"""Preview tokens: a force checks that the queue has not changed since the preview."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from builders import NOW, World, count, syncdata_rows

from forcedsync_kit import Criteria, db, force, preview, token
from forcedsync_kit import schema as s
from forcedsync_kit.errors import CriteriaError, PreviewChangedError
from forcedsync_kit.snapshot import open_snapshot

CRITERIA = Criteria(user="ADMIN", seltsk=True)


def _folder(engine: sa.Engine) -> World:
    w = World(engine).base()
    for n in range(1, 5):
        w.task(f"T{n}")
    w.queue("TSK", "T2", "C")
    w.queue("TSK", "T3", "R")
    return w.commit()


def test_token_round_trip_and_snapshot_token(engine: sa.Engine) -> None:
    _folder(engine)
    p = preview(engine, CRITERIA, operator="ADMIN", now=NOW)
    tok = token.for_preview(p)
    data = token.decode(tok)
    assert data.user == "ADMIN"
    assert data.counts["TSK"] == {"insert": 2, "supersede": 1, "already": 1, "skip": 0}
    with open_snapshot(engine, CRITERIA, operator="ADMIN", now=NOW) as snap:
        assert snap.token() == tok


def test_unchanged_queue_passes_the_check(engine: sa.Engine) -> None:
    _folder(engine)
    tok = token.for_preview(preview(engine, CRITERIA, operator="ADMIN", now=NOW))
    run = force(engine, CRITERIA, operator="ADMIN", now=NOW)
    with db.reading(engine) as conn:
        counts = token.check_staged(
            conn, tok, run_id=run.run_id, criteria=CRITERIA, user="ADMIN"
        )
    assert counts == run.counts


def test_changed_queue_is_refused_with_the_differences(engine: sa.Engine) -> None:
    _folder(engine)
    tok = token.for_preview(preview(engine, CRITERIA, operator="ADMIN", now=NOW))
    q = s.syncdata
    with engine.begin() as conn:  # T2's pending C row is sent; T1 leaves Outlook
        row = conn.execute(sa.select(q).where(q.c.sydkey == "T2")).one()._asdict()
        conn.execute(sa.delete(q).where(q.c.sydkey == "T2"))
        conn.execute(sa.insert(q).values({**row, "sydkey": "T1", "sydatttyp": "A"}))
    run = force(engine, CRITERIA, operator="ADMIN", now=NOW)
    with db.reading(engine) as conn, pytest.raises(PreviewChangedError) as err:
        token.check_staged(
            conn, tok, run_id=run.run_id, criteria=CRITERIA, user="ADMIN"
        )
    assert err.value.differences == {
        ("TSK", "supersede"): (1, 0),
        ("TSK", "skip"): (0, 1),
    }
    assert "TSK supersede 1 -> 0, TSK skip 0 -> 1" in str(err.value)
    assert "nothing was written" in str(err.value)


def test_a_refusal_under_the_write_lock_rolls_the_run_back(engine: sa.Engine) -> None:
    _folder(engine)
    tok = token.for_preview(preview(engine, CRITERIA, operator="ADMIN", now=NOW))
    before = syncdata_rows(engine)
    with pytest.raises(PreviewChangedError), db.writing(engine) as conn:
        conn.execute(sa.delete(s.syncdata).where(s.syncdata.c.sydkey == "T2"))
        now = {"TSK": {"insert": 3, "already": 1}}
        token.check_counts(tok, criteria=CRITERIA, user="ADMIN", counts=now)
    assert syncdata_rows(engine) == before
    assert count(engine, s.fsyrun) == 0


def test_bad_or_foreign_tokens_are_named(engine: sa.Engine) -> None:
    _folder(engine)
    tok = token.for_preview(preview(engine, CRITERIA, operator="ADMIN", now=NOW))
    counts = token.decode(tok).counts
    with pytest.raises(CriteriaError, match="is damaged"):
        token.decode(tok[:-1] + ("0" if tok[-1] != "0" else "1"))
    with pytest.raises(CriteriaError, match="is not a preview token"):
        token.decode("hello")
    with pytest.raises(CriteriaError, match="other criteria"):
        token.check_counts(
            tok, criteria=CRITERIA.replace(selcll=True), user="ADMIN", counts=counts
        )
    with pytest.raises(CriteriaError, match="USER='ADMIN', not 'SALES1'"):
        token.check_counts(tok, criteria=CRITERIA, user="SALES1", counts=counts)
