"""Check a live database against a mapping before any run (read-only).

``check(engine, layout)`` reads the database catalogue and reports every table and
column the mapping names that is missing, every column whose type cannot hold the
logical type, the risk of the SYDNUM key strategy, and a toolkit schema placed among
the folder's tables. ``render`` shows the report as one text table; a report with an
error is exit-worthy (``exit_code`` 1).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import dialects, keys
from .errors import BackendError
from .layout import AUUID, UPDTICK, Layout

logger = logging.getLogger(__name__)

ERROR, WARNING = "error", "warning"
#: Tables the toolkit writes: a missing technical column there is an error.
WRITTEN = ("syncdata",)

_TEXT = {"varchar", "character varying", "nvarchar", "char", "character", "nchar",
         "text", "varchar2", "nvarchar2", "clob", "nclob", "bpchar"}  # fmt: skip
_INT = {"smallint", "integer", "int", "bigint", "tinyint", "number", "numeric",
        "decimal", "hugeint", "int2", "int4", "int8"}  # fmt: skip
_TS = {"timestamp", "timestamp without time zone", "timestamp with time zone",
       "datetime", "datetime2", "smalldatetime", "timestamptz"}  # fmt: skip
_BIN = {"bytea", "blob", "binary", "varbinary", "raw", "uuid", "uniqueidentifier"}
_FAMILIES = {
    "text": _TEXT,
    "int": _INT,
    "date": _TS | {"date"},
    "timestamp": _TS,
    "binary": _BIN,
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of a check: ``level`` is "error" (no run) or "warning"."""

    level: str
    table: str
    column: str
    message: str


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The result of ``check``: the mapping, the schema and every finding."""

    mapping: str
    schema: str | None
    dialect: str
    tables: int
    findings: tuple[Finding, ...] = field(default=())

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == WARNING)

    @property
    def ok(self) -> bool:
        """True when nothing stops a run (warnings allowed)."""
        return not self.errors

    @property
    def exit_code(self) -> int:
        """0 when ``ok``, else 1 (for ``forcedsync check``)."""
        return 0 if self.ok else 1


def check(engine: Engine | Connection, layout: Layout) -> CheckReport:
    """Inspect the database catalogue against ``layout`` (never writes).

    Raises:
        BackendError: the dialect is unknown to the toolkit.
    """
    caps = dialects.caps(engine)
    if isinstance(engine, Connection):
        return _check(engine, layout, caps)
    with engine.connect() as conn:
        try:
            return _check(conn, layout, caps)
        finally:
            conn.rollback()


def _check(conn: Connection, layout: Layout, caps: dialects.DialectCaps) -> CheckReport:
    catalog: dict[str, dict[str, str]] = {}
    for table, column, data_type in conn.execute(
        dialects.catalog_columns(caps, layout.schema)
    ):
        catalog.setdefault(str(table), {})[str(column)] = str(data_type)
    exact = caps.name in ("postgresql", "oracle")
    findings: list[Finding] = []
    for t in layout.tables():
        findings += _table_findings(t, catalog, exact, caps.name)
    queue = layout.table("syncdata").name
    if not any(f.table == queue and f.column == "" for f in findings):
        findings += [
            Finding(r.level, queue, layout.table("syncdata").c.sydnum.name, r.message)
            for r in keys.assess(conn, layout)
        ]
    if layout.is_x3 and (layout.toolkit_schema or None) == layout.schema:
        findings.append(
            Finding(
                ERROR,
                "",
                "",
                f"The toolkit's own tables would go in the folder's schema "
                f"{layout.schema or '(default)'}: give --toolkit-schema another one.",
            )
        )
    return CheckReport(
        mapping=layout.mapping.name,
        schema=layout.schema,
        dialect=caps.name,
        tables=len(layout.tables()),
        findings=tuple(findings),
    )


def _lookup(names: dict[str, Any], name: str, exact: bool) -> tuple[str | None, str]:
    """The catalogue's spelling of ``name`` and a note when only its case differs."""
    if name in names:
        return name, ""
    folded = {n.upper(): n for n in names}
    other = folded.get(name.upper())
    if other is None:
        return None, ""
    if exact:
        return None, f" (found {other!r}: names are case-sensitive here)"
    return other, ""


def _table_findings(
    t: sa.Table, catalog: dict[str, dict[str, str]], exact: bool, dialect: str
) -> list[Finding]:
    found, note = _lookup(catalog, t.name, exact)
    if found is None:
        return [Finding(ERROR, t.name, "", f"table missing{note}")]
    columns = catalog[found]
    out: list[Finding] = []
    for col in t.columns:
        written = t.name.lower() in WRITTEN
        level = WARNING if col.key in (AUUID, UPDTICK) and not written else ERROR
        cname, cnote = _lookup(columns, col.name, exact)
        if cname is None:
            out.append(Finding(level, t.name, col.name, f"column missing{cnote}"))
            continue
        family = _family(col.type)
        got = _base(columns[cname])
        allowed = _FAMILIES[family] | ({"date"} if dialect == "oracle" else set())
        if got not in allowed:
            out.append(
                Finding(
                    ERROR,
                    t.name,
                    col.name,
                    f"type {columns[cname]} cannot hold {family} (logical {col.key})",
                )
            )
    return out


def _family(type_: Any) -> str:
    if isinstance(type_, sa.String):
        return "text"
    if isinstance(type_, sa.Integer):
        return "int"
    if isinstance(type_, sa.DateTime):
        return "timestamp"
    if isinstance(type_, sa.Date):
        return "date"
    return "binary"


def _base(data_type: str) -> str:
    """'character varying(20)' -> 'character varying'; 'TIMESTAMP(6)' -> 'timestamp'."""
    return re.sub(r"\s*\(.*?\)", "", data_type.strip().lower())


def render(report: CheckReport) -> str:
    """The report as one text table: level, table, column, finding."""
    rows = [
        (f.level, f.table or "-", f.column or "-", f.message) for f in report.findings
    ]
    if not rows:
        rows = [("ok", "-", "-", "every table and column the mapping names is present")]
    head = ("level", "table", "column", "finding")
    title = (
        f"mapping {report.mapping} on {report.dialect}, schema "
        f"{report.schema or '(default)'}: {len(report.errors)} error(s), "
        f"{len(report.warnings)} warning(s)"
    )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(3)]
    rule = ("-" * widths[0], "-" * widths[1], "-" * widths[2], "-" * len(head[3]))
    return "\n".join([title, *(_line(r, widths) for r in [head, rule, *rows])])


def _line(cells: tuple[str, str, str, str], widths: list[int]) -> str:
    padded = [cells[i].ljust(widths[i]) for i in range(3)]
    return "  ".join([*padded, cells[3]])


def require(engine: Engine | Connection, layout: Layout) -> CheckReport:
    """``check``, raising when a run must not start (SPEC §8: checked before any run).

    Raises:
        BackendError: the report has an error; the message names the first and counts.
    """
    report = check(engine, layout)
    if report.ok:
        return report
    first = report.errors[0]
    where = ".".join(p for p in (first.table, first.column) if p) or "the mapping"
    more = len(report.errors) - 1
    raise BackendError(
        f"Database does not match mapping {report.mapping!r}: {where}: {first.message}"
        f"{f' (and {more} more)' if more else ''}; run 'forcedsync check' for the list."
    )


def refuse_init(layout: Layout) -> None:
    """Refuse to create the X3 tables of a live folder (``forcedsync init``).

    Raises:
        BackendError: the layout is an X3 folder; its tables belong to X3.
    """
    if layout.is_x3 or layout.schema is not None:
        raise BackendError(
            f"forcedsync init never creates X3 tables in folder "
            f"{layout.schema or layout.folder!r}: they belong to X3; init creates only "
            "the toolkit's own tables (--toolkit-schema)."
        )
