"""A page of classified records joined to its description, date and rep (per type).

``describe`` joins only the activity tables of the types on the page when the caller
knows them (a snapshot page): a page of tasks then never probes the calls,
appointments and contacts tables, which is most of a DuckDB page turn's cost.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import Select

from . import schema as s
from .criteria import OBJECT_TYPES, ObjectType


def type_parts(page: sa.Subquery) -> list[tuple[Any, ...]]:
    """Per object type, in coalesce order: table, join, description, date, rep."""
    c, t, k, a = s.correspond, s.btask, s.bcall, s.bappoint
    first, last = sa.func.coalesce(c.c.cntfna, ""), sa.func.coalesce(c.c.cntlna, "")
    name = sa.func.trim(first + " " + last)

    def on(typ: ObjectType, key: Any) -> Any:
        return sa.and_(page.c.sydtyp == str(typ), key == page.c.sydkey)

    return [
        ("TSK", t, on(ObjectType.TSK, t.c.tsknum), t.c.fulobj, t.c.tskstr, t.c.tskrep),
        ("CLL", k, on(ObjectType.CLL, k.c.cllnum), k.c.fulobj, k.c.clldat, k.c.cllrep),
        ("BAP", a, on(ObjectType.BAP, a.c.aptnum), a.c.fulobj, a.c.aptdat,
         a.c.atprepmna),
        ("COR", c, on(ObjectType.COR, c.c.cornum), name, None, c.c.repnum),
    ]  # fmt: skip


def first_of(values: list[Any], kind: Any) -> Any:
    """COALESCE of the non-None values (a typed NULL when there is none)."""
    values = [v for v in values if v is not None]
    if not values:
        return sa.cast(sa.null(), kind)
    return values[0] if len(values) == 1 else sa.func.coalesce(*values)


def describe(page: sa.Subquery, types: Iterable[str] | None = None) -> Select[Any]:
    """Join a page of classified records to their description, date and rep.

    ``types``: the types on the page, if known; only their tables are joined.
    """
    wanted = {str(x) for x in (OBJECT_TYPES if types is None else types)}
    parts = [p for p in type_parts(page) if p[0] in wanted]
    source: Any = page
    for _, table, on, _, _, _ in parts:
        source = source.outerjoin(table, on)
    return (
        sa.select(
            page.c.sydtyp,
            page.c.sydkey,
            page.c.outcome,
            page.c.oop,
            page.c.reasons,
            first_of([p[3] for p in parts], sa.String).label("descr"),
            first_of([p[4] for p in parts], sa.Date).label("recdate"),
            first_of([p[5] for p in parts], sa.String).label("rep"),
        )  # fmt: skip
        .select_from(source)
        .order_by(page.c.sydtyp, page.c.sydkey)
    )
