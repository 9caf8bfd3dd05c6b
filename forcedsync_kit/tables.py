"""The tables a database's statements use: the toolkit's own, or a live folder's.

``db.connect(url, layout=…)`` binds a ``Layout`` to its engine; code that builds
statements asks ``of(conn)`` for a ``Tables`` view and keeps writing logical names
(``t.btask.c.tskrep``). An engine without a layout (every toolkit database) gets the
tables of ``schema.py`` themselves, so its SQL is unchanged.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import ColumnElement, FromClause, Select

from . import dialects, schema
from .layout import AUUID, UPDTICK, Layout

logger = logging.getLogger(__name__)

_LAYOUTS: weakref.WeakKeyDictionary[Engine, Layout] = weakref.WeakKeyDictionary()
_CHECKED: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


class Tables:
    """Logical table names -> ``Table`` of one layout (None: the toolkit's schema.py).

    ``t.syncdata`` is the SYNCDATA of the folder (physical names, logical keys);
    ``t.fsylog`` a toolkit table, in the toolkit's schema on a folder.
    """

    def __init__(self, layout: Layout | None = None) -> None:
        self.layout = layout

    def __getattr__(self, name: str) -> sa.Table:
        if name.startswith("_") or name == "layout":
            raise AttributeError(name)
        if self.layout is None:
            found = schema.metadata.tables.get(name)
            if found is None:
                raise AttributeError(name)
            return found
        if name in schema.TOOLKIT_TABLES:
            return self.layout.own(name)
        return self.layout.table(name)

    def value(self, col: ColumnElement[Any]) -> ColumnElement[Any]:
        """``col`` with the folder's empty value read as NULL (identity otherwise)."""
        return col if self.layout is None else self.layout.value(col)

    def parameter_values(self) -> FromClause:
        """ADOVAL as the model reads it (param, lev, levkey, valeur)."""
        if self.layout is None:
            return schema.adoval
        return self.layout.parameter_values()

    def columns(self, table: sa.Table) -> list[str]:
        """The logical column keys of ``table``, technical columns left out."""
        return [c.key for c in table.columns if c.key not in (AUUID, UPDTICK)]

    def insert_from_select(
        self,
        table: sa.Table,
        names: Sequence[str],
        source: Select[Any],
        bind: Connection,
    ) -> sa.Insert:
        """INSERT … SELECT; on a folder, empties and AUUID/UPDTICK filled as X3 does."""
        if self.layout is None:
            return sa.insert(table).from_select(list(names), source)
        caps = dialects.caps(bind)
        return self.layout.insert_from_select(table, names, source, caps)


#: The view of a database without a layout (schema.py's tables).
TOOLKIT = Tables()


def bind(engine: Engine, layout: Layout | None) -> None:
    """Bind ``layout`` to ``engine`` (None: the toolkit layout)."""
    if layout is None:
        _LAYOUTS.pop(engine, None)
    else:
        _LAYOUTS[engine] = layout
    _CHECKED.pop(engine, None)


def layout_of(bind: Engine | Connection) -> Layout | None:
    """The layout bound to the engine of ``bind`` (None: the toolkit layout)."""
    engine = bind.engine if isinstance(bind, Connection) else bind
    return _LAYOUTS.get(engine)


def of(bind: Engine | Connection | None) -> Tables:
    """The ``Tables`` view of the database of ``bind`` (None: the toolkit's)."""
    if bind is None:
        return TOOLKIT
    layout = layout_of(bind)
    return TOOLKIT if layout is None else Tables(layout)


def needs_check(engine: Engine) -> bool:
    """True while a folder-bound engine has not passed ``x3check.require`` yet."""
    return engine in _LAYOUTS and not _CHECKED.get(engine)


def mark_checked(engine: Engine) -> None:
    """Record that the engine's folder passed the check (once per engine)."""
    _CHECKED[engine] = True


def for_toolkit_tables(layout: Layout | None) -> list[sa.Table]:
    """The toolkit's own tables as the layout places them (schema.py's by default)."""
    if layout is None:
        return [schema.metadata.tables[n] for n in schema.TOOLKIT_TABLES]
    return [layout.own(n) for n in schema.TOOLKIT_TABLES]
