"""A database's layout: the logical tables of SPEC §2 bound to physical names.

``Layout(mapping, folder=…)`` gives SQLAlchemy ``Table`` objects whose columns carry
the physical name and the logical key (``Column("SYDUSR_0", key="sydusr")``), so
selection and marking code keeps writing ``t.c.sydusr`` whatever the folder calls it.
The layout also knows how the folder spells "empty" (X3: ``' '`` and 1753-01-01,
never NULL): ``value`` and ``is_empty`` read it, the insert helpers write it, and they
fill the technical columns (AUUID, UPDTICK) as X3 would; ROWID is never written.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement, FromClause, Select

from . import dialects, schema
from .errors import MappingError
from .mapping import FolderMapping, TableMap, resolve

logger = logging.getLogger(__name__)

#: Logical keys of the technical columns in every layout table (when mapped).
AUUID, UPDTICK = "auuid", "updtick"
#: Logical name of the table of user-level parameter values (X3: ADOVALAUS).
USER_PARAMS = "adovalaus"
#: ADOVAL's level whose rows live in the user-level table when the mapping says so.
USER_LEVEL = "USR"


class Layout:
    """The X3 tables of one database, physical names bound to logical keys.

    Args:
        mapping: a ``FolderMapping`` (or a preset name / file path for ``resolve``).
        folder: the X3 folder (schema) name, for mappings whose schema is ``{folder}``.
        toolkit_schema: the schema of the toolkit's own tables (run history, log);
            None = the connection's default schema.
    """

    def __init__(
        self,
        mapping: FolderMapping | str | None = None,
        *,
        folder: str | None = None,
        toolkit_schema: str | None = None,
    ) -> None:
        self.mapping = (
            mapping if isinstance(mapping, FolderMapping) else resolve(mapping)
        )
        self.folder = folder
        self.schema = self.mapping.schema_for(folder)
        self.toolkit_schema = toolkit_schema
        self.metadata = sa.MetaData()
        self._tables = {
            name: self._bind(tm) for name, tm in self.mapping.tables.items()
        }
        self._user_params = self._bind_user_params()

    # --- tables ------------------------------------------------------------------

    @property
    def is_x3(self) -> bool:
        """True when empty values are written as blanks/dates rather than NULL."""
        return self.mapping.blank is not None or self.mapping.empty_date is not None

    def table(self, logical: str) -> sa.Table:
        """The ``Table`` of a logical X3 table (``"syncdata"``), physical names inside.

        Raises:
            MappingError: ``logical`` is not a table of SPEC §2.
        """
        try:
            return self._tables[logical]
        except KeyError:
            raise MappingError(
                "table",
                logical,
                f"Table {logical!r} is not an X3 table of the model: use one of "
                f"{', '.join(sorted(self._tables))}.",
            ) from None

    @property
    def user_params(self) -> sa.Table | None:
        """The user-level parameter table (X3: ADOVALAUS), keys levkey/param/valeur."""
        return self._user_params

    def tables(self) -> list[sa.Table]:
        """Every table the layout reads or writes in the folder (for checks and DDL)."""
        out = list(self._tables.values())
        if self._user_params is not None:
            out.append(self._user_params)
        return out

    def own(self, logical: str) -> sa.Table:
        """A toolkit table (``"fsyrun"``…) placed in the toolkit's schema."""
        if logical not in schema.TOOLKIT_TABLES:
            raise MappingError(
                "table",
                logical,
                f"Table {logical!r} is not a toolkit table: use one of "
                f"{', '.join(schema.TOOLKIT_TABLES)}.",
            )
        key = f"{self.toolkit_schema}.{logical}" if self.toolkit_schema else logical
        if key in self.metadata.tables:
            return self.metadata.tables[key]
        source = schema.metadata.tables[logical]
        if self.toolkit_schema is None:
            return source.to_metadata(self.metadata)
        return source.to_metadata(self.metadata, schema=self.toolkit_schema)

    def _bind(self, tm: TableMap) -> sa.Table:
        logical = schema.metadata.tables[tm.logical]
        cols: list[sa.Column[Any]] = [
            sa.Column(
                tm.columns[c.name],
                c.type,
                key=c.name,
                primary_key=c.primary_key,
                autoincrement=False,
            )
            for c in logical.columns
        ]
        return sa.Table(
            tm.physical, self.metadata, *cols, *self._technical(), schema=self.schema
        )

    def _technical(self) -> list[sa.Column[Any]]:
        tech = self.mapping.technical
        cols: list[sa.Column[Any]] = []
        if tech.auuid:
            cols.append(sa.Column(tech.auuid, sa.LargeBinary(16), key=AUUID))
        if tech.updtick:
            cols.append(sa.Column(tech.updtick, sa.Integer, key=UPDTICK))
        return cols

    def _bind_user_params(self) -> sa.Table | None:
        ul = self.mapping.user_level
        if ul is None:
            return None
        adoval = schema.adoval
        return sa.Table(
            ul.table,
            self.metadata,
            sa.Column(ul.user, adoval.c.levkey.type, key="levkey", primary_key=True),
            sa.Column(ul.param, adoval.c.param.type, key="param", primary_key=True),
            sa.Column(ul.value, adoval.c.valeur.type, key="valeur"),
            *self._technical(),
            schema=self.schema,
        )

    # --- reading -------------------------------------------------------------------

    def value(self, col: ColumnElement[Any]) -> ColumnElement[Any]:
        """``col`` as the logical model reads it: the folder's empty value -> NULL.

        Identity on the toolkit layout (no cost); on X3, a blank code or text and the
        1753-01-01 date read as NULL, so ``coalesce(x, '') = ''`` tests keep working.
        """
        if not self.is_x3:
            return col
        if isinstance(col.type, sa.String):
            return sa.case((_blank_text(col), sa.null()), else_=col)
        empty = self._empty_date(col.type)
        if empty is not None:
            return sa.func.nullif(col, sa.literal(empty, col.type))
        return col

    def is_empty(self, col: ColumnElement[Any]) -> ColumnElement[bool]:
        """True when ``col`` holds "empty" (SPEC §8: NULL, '', blanks, 1753-01-01)."""
        if isinstance(col.type, sa.String):
            return _blank_text(col)
        empty = self._empty_date(col.type)
        if empty is not None:
            return sa.or_(col.is_(None), col == sa.literal(empty, col.type))
        return col.is_(None)

    def parameter_values(self) -> FromClause:
        """ADOVAL as the logical model sees it: columns param, lev, levkey, valeur.

        On X3 the rows of level USR come from ADOVALAUS, levels CPY and GEN from
        ADOVAL; blank LEVKEY/VALEUR read as NULL (a row with an empty value holds).
        """
        a = self.table("adoval")
        if self._user_params is None and not self.is_x3:
            return a
        general = sa.select(
            a.c.param.label("param"),
            a.c.lev.label("lev"),
            self.value(a.c.levkey).label("levkey"),
            self.value(a.c.valeur).label("valeur"),
        )
        u = self._user_params
        if u is None:
            return general.subquery("adoval")
        user = sa.select(
            u.c.param.label("param"),
            sa.literal(USER_LEVEL, a.c.lev.type).label("lev"),
            u.c.levkey.label("levkey"),
            self.value(u.c.valeur).label("valeur"),
        )
        general = general.where(a.c.lev != USER_LEVEL)
        return sa.union_all(user, general).subquery("adoval")

    # --- writing -------------------------------------------------------------------

    def empty_value(self, col: sa.Column[Any]) -> Any:
        """What the folder writes for an empty ``col`` (None on the toolkit layout)."""
        if isinstance(col.type, sa.String):
            return self.mapping.blank
        empty = self._empty_date(col.type)
        if empty is not None:
            return empty
        if self.is_x3 and isinstance(col.type, sa.Integer):
            return 0
        return None

    def insert_values(
        self, logical: str, rows: Sequence[Mapping[str, Any]]
    ) -> sa.Insert:
        """INSERT of ``rows`` (logical keys), empties written the folder's way.

        Every mapped column is written: a key not given or None gets ``empty_value``;
        AUUID gets a new UUID per row and UPDTICK 1.

        Raises:
            MappingError: a row names a column the table does not have.
        """
        t = self.table(logical)
        names = [c.key for c in t.columns if c.key not in (AUUID, UPDTICK)]
        full: list[dict[str, Any]] = []
        for row in rows:
            for key in row:
                if key not in names:
                    raise MappingError(
                        "column",
                        key,
                        f"Table {logical!r} has no column {key!r}: use its logical "
                        "names (schema.py).",
                    )
            out = {n: _or(row.get(n), self.empty_value(t.c[n])) for n in names}
            if AUUID in t.c:
                out[AUUID] = uuid.uuid4().bytes
            if UPDTICK in t.c:
                out[UPDTICK] = 1
            full.append(out)
        return sa.insert(t).values(full)

    def insert_from_select(
        self,
        logical: str | sa.Table,
        names: Sequence[str],
        source: Select[Any],
        dialect: dialects.DialectCaps,
        *,
        direct: Mapping[str, ColumnElement[Any]] | None = None,
    ) -> sa.Insert:
        """INSERT … SELECT into ``logical``: ``source``'s columns fill ``names``.

        The columns not named get the folder's empty value, NULLs from ``source`` too
        (X3 columns are NOT NULL); AUUID gets ``dialects.new_uuid`` per row, UPDTICK 1.
        ``logical`` may also be a layout table (``user_params``). ``direct`` columns
        are written as given, outside the source subquery: a sequence's next value
        (``keys.sequence_key``) must be there, as SQL Server and Oracle refuse it in a
        derived table or inside COALESCE.
        """
        t = logical if isinstance(logical, sa.Table) else self.table(logical)
        src = source.subquery("src")
        given = dict(zip(names, src.c, strict=True))
        targets: list[sa.Column[Any]] = []
        exprs: list[ColumnElement[Any]] = []
        for col in t.columns:
            if col.key == AUUID:
                expr: ColumnElement[Any] | None = dialects.new_uuid(dialect)
            elif col.key == UPDTICK:
                expr = sa.literal(1, sa.Integer)
            elif direct and col.key in direct:
                expr = direct[col.key]
            else:
                expr = self._filled(col, given.get(col.key))
            if expr is not None:
                targets.append(col)
                exprs.append(expr.label(col.key))
        return sa.insert(t).from_select(targets, sa.select(*exprs))

    def _filled(
        self, col: sa.Column[Any], given: ColumnElement[Any] | None
    ) -> ColumnElement[Any] | None:
        empty = self.empty_value(col)
        if given is None:
            return None if empty is None else sa.literal(empty, col.type)
        if empty is None:
            return given
        if isinstance(col.type, sa.String):  # NULL, '' and blanks are all "empty"
            return sa.case(
                (_blank_text(given), sa.literal(empty, col.type)), else_=given
            )
        return sa.func.coalesce(given, sa.literal(empty, col.type))

    def _empty_date(self, type_: Any) -> dt.date | dt.datetime | None:
        day = self.mapping.empty_date
        if day is None:
            return None
        if isinstance(type_, sa.DateTime):
            return dt.datetime(day.year, day.month, day.day)
        if isinstance(type_, sa.Date):
            return day
        return None


def _blank_text(col: ColumnElement[Any]) -> ColumnElement[bool]:
    # char_length is LEN on SQL Server; coalesce covers NULL and Oracle's '' (NULL).
    return sa.func.coalesce(sa.func.char_length(sa.func.trim(col)), 0) == 0


def _or(value: Any, default: Any) -> Any:
    """``default`` for None, '' and blanks-only text (SPEC §8: all read as empty)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    return value
