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

from .criteria import OBJECT_TYPES, ObjectType
from .tables import TOOLKIT, Tables


def type_parts(page: sa.Subquery, tb: Tables = TOOLKIT) -> list[tuple[Any, ...]]:
    """Per object type, in coalesce order: table, join, description, date, rep.

    Values are read through ``tb.value``: an X3 blank or 1753-01-01 is empty.
    """
    c, t, k, a, v = tb.correspond, tb.btask, tb.bcall, tb.bappoint, tb.value
    first = sa.func.coalesce(v(c.c.cntfna), "")
    name = sa.func.trim(first + " " + sa.func.coalesce(v(c.c.cntlna), ""))

    def on(typ: ObjectType, key: Any) -> Any:
        return sa.and_(page.c.sydtyp == str(typ), key == page.c.sydkey)

    return [
        ("TSK", t, on(ObjectType.TSK, t.c.tsknum), v(t.c.fulobj), v(t.c.tskstr),
         v(t.c.tskrep)),
        ("CLL", k, on(ObjectType.CLL, k.c.cllnum), v(k.c.fulobj), v(k.c.clldat),
         v(k.c.cllrep)),
        ("BAP", a, on(ObjectType.BAP, a.c.aptnum), v(a.c.fulobj), v(a.c.aptdat),
         v(a.c.atprepmna)),
        ("COR", c, on(ObjectType.COR, c.c.cornum), name, None, v(c.c.repnum)),
    ]  # fmt: skip


def first_of(values: list[Any], kind: Any) -> Any:
    """COALESCE of the non-None values (a typed NULL when there is none)."""
    values = [v for v in values if v is not None]
    if not values:
        return sa.cast(sa.null(), kind)
    return values[0] if len(values) == 1 else sa.func.coalesce(*values)


def describe(
    page: sa.Subquery, tables: Tables = TOOLKIT, types: Iterable[str] | None = None
) -> Select[Any]:
    """Join a page of classified records to their description, date and rep.

    ``tables``: the folder's layout; ``types``: the types on the page, if known
    (only their tables are joined).
    """
    wanted = {str(x) for x in (OBJECT_TYPES if types is None else types)}
    parts = [p for p in type_parts(page, tables) if p[0] in wanted]
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
