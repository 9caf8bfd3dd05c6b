"""SPEC §2: AUSCRMA / AUSCRMF are read at the most specific level that has a row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from builders import NOW, World, count

from forcedsync_kit import Criteria, UserResolutionError, force, preview
from forcedsync_kit import schema as s

TASKS = Criteria(seltsk=True, user="U1")


def world(engine: sa.Engine, user_rep: str | None) -> World:
    """U1 of company FR10, whose company-level rep is R2; U1's own row as given."""
    w = World(engine).base()
    w.user("U1", rep=None, function=1)
    w.param("AUSCRMF", "R2", "CPY", "FR10")
    if user_rep is not None:
        w.param("AUSCRMF", user_rep, "USR", "U1")
    w.task("T1", rep="R2")
    return w.commit()


@pytest.mark.parametrize("blank", ["", " ", "   "])
def test_empty_user_rep_holds_and_does_not_fall_back(
    engine: sa.Engine, blank: str
) -> None:
    world(engine, blank)
    with pytest.raises(UserResolutionError) as err:
        preview(engine, TASKS, operator="ADMIN", now=NOW)
    assert err.value.field == "AUSCRMF"
    assert "has no sales rep" in str(err.value)
    with pytest.raises(UserResolutionError):
        force(engine, TASKS, operator="ADMIN", now=NOW)
    assert count(engine, s.syncdata) == 0
    assert count(engine, s.fsyrun) == 0


def test_no_user_row_falls_back_to_the_company_rep(engine: sa.Engine) -> None:
    world(engine, None)
    res = preview(engine, TASKS, operator="ADMIN", now=NOW)
    assert res.context.rep == "R2"
    assert [r.record_key for r in res.records] == ["T1"]


def test_user_rep_wins_over_the_company_rep(engine: sa.Engine) -> None:
    world(engine, "R3")
    res = preview(engine, TASKS, operator="ADMIN", now=NOW)
    assert res.context.rep == "R3"
    assert res.records == ()
