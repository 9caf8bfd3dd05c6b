"""The fields of the FUNSYD6 screen (SPEC §3): one table that everything else reads.

Pure Python: this module never imports sqlalchemy. ``FIELDS`` holds, for every criteria
parameter, its type, the block flag it belongs to, the label the form shows, the help of
the job notebook and its default. ``criteria`` parses and validates with it, the form
lays itself out from it, and ``parameter_lines`` writes the job notebook's parameters.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .parsers import (
    FUNCTIONS,
    MAX_CODE_LEN,
    MAX_DAYS,
    parse_bool,
    parse_code,
    parse_codes,
    parse_date,
    parse_days,
    parse_functions,
)

__all__ = [
    "BLOCKS",
    "BY_NAME",
    "FIELDS",
    "FUNCTIONS",
    "MAX_CODE_LEN",
    "MAX_DAYS",
    "PARSERS",
    "RANGES",
    "TEAM_FIELDS",
    "Field",
    "FieldType",
    "group_titles",
    "param_value",
    "parameter_lines",
    "parse_bool",
    "parse_code",
    "parse_codes",
    "parse_date",
    "parse_days",
    "parse_functions",
]


class FieldType(enum.StrEnum):
    """How a parameter's value is written and parsed."""

    BOOL = "bool"
    CODE = "code"
    DATE = "date"
    INT = "int"
    FUNCTIONS = "functions"
    CODES = "codes"


@dataclass(frozen=True, slots=True)
class Field:
    """One parameter of the screen.

    Attributes:
        name: the SPEC parameter name (the screen's field code), upper case.
        type: how the value is written and parsed.
        label: the words the form shows next to the field.
        help: the one-line help of the job notebook's parameters cell.
        group: the title of the screen block the form shows the field in.
        block: the flag that must be on for the field to count (``None``: always).
        lookup: for a code, the ``lookup.codes`` kind that offers its values.
        default: the value when the parameter is not given.
        team: a selector of a team run (USERS...), not a field of X3's screen.
    """

    name: str
    type: FieldType
    label: str
    help: str
    group: str
    block: str | None = None
    lookup: str | None = None
    default: object = None
    team: bool = False

    @property
    def attr(self) -> str:
        """The ``Criteria`` attribute: the name in lower case."""
        return self.name.lower()

    def parse(self, value: object) -> object:
        """The value parsed for this field (the default when it is empty).

        Raises:
            CriteriaError: the value is not one of this field's type, naming it.
        """
        parsed = PARSERS[self.type](self.name, value)
        return self.default if parsed is None else parsed


def _flag(
    name: str, label: str, help_: str, group: str, block: str | None = None
) -> Field:
    return Field(name, FieldType.BOOL, label, help_, group, block, default=False)


def _code(
    name: str, lookup: str, label: str, help_: str, group: str, block: str | None = None
) -> Field:
    return Field(name, FieldType.CODE, label, help_, group, block, lookup)


def _date(name: str, label: str, help_: str, group: str, block: str) -> Field:
    return Field(name, FieldType.DATE, label, help_ + " (YYYY-MM-DD)", group, block)


def _code_range(
    stem: str, lookup: str, label: str, help_: str, group: str, block: str
) -> tuple[Field, Field]:
    """A range of codes, ``stem``DEB to ``stem``FIN; ``{}`` in ``help_``: first/last."""
    first = help_.format("first")
    last = help_.format("last")
    return (
        _code(stem + "DEB", lookup, label + " from", first, group, block),
        _code(stem + "FIN", lookup, label + " to", last, group, block),
    )


def _date_range(
    stem: str, label: str, help_: str, group: str, block: str
) -> tuple[Field, Field]:
    """A range of dates, ``stem``DEB to ``stem``FIN; ``{}`` in ``help_``: from/until."""
    return (
        _date(stem + "DEB", label + " from", help_.format("from"), group, block),
        _date(stem + "FIN", label + " to", help_.format("until"), group, block),
    )


_G, _C, _T, _L, _A = "General", "Contacts", "Tasks", "Calls", "Appointments"
_U = "Team"


def _team(
    name: str, type_: FieldType, lookup: str | None, label: str, help_: str
) -> Field:
    default = () if type_ is FieldType.CODES else None
    return Field(name, type_, label, help_, _U, None, lookup, default, team=True)


#: Every SPEC §3 parameter, in screen order (the order of ``Criteria``'s attributes).
FIELDS: tuple[Field, ...] = (
    _code("USER", "user", "User (Outlook owner)",
          "whose Outlook to force for (default: operator)", _G),
    _code("CPY", "company", "Company", "company (default: the user's)", _G),
    _flag("FLGTRCDET", "Detailed log",
          "write the detailed log, one line per record", _G),
    _flag("SELCOR", "Process Outlook contacts", "process Outlook contacts", _C),
    *_code_range("COR", "contact", "Contacts",
                 "{} CORNUM of every contact selection", _C, "SELCOR"),
    _flag("CORSYNCNT", "Generate from my contacts",
          "contacts of the customers of the user's rep", _C, "SELCOR"),
    *_code_range("BPC", "customer", "Customers",
                 "with CORSYNCNT: {} customer BPCNUM", _C, "CORSYNCNT"),
    Field("CORFCTTXT", FieldType.FUNCTIONS, "Contact functions",
          "with CORSYNCNT: functions, e.g. '1,9'", _C, "CORSYNCNT", default=()),
    _flag("CORSYNPST", "Generate from my leads",
          "contacts of the leads of the user's rep", _C, "SELCOR"),
    *_code_range("PST", "lead", "Leads",
                 "with CORSYNPST: {} lead PSTNUM", _C, "CORSYNPST"),
    _flag("CORSYNREP", "Generate from sales reps",
          "contacts that have a rep in charge (CORREP)", _C, "SELCOR"),
    *_code_range("REP", "rep", "Sales reps",
                 "with CORSYNREP: {} rep REPNUM", _C, "CORSYNREP"),
    _flag("SELTSK", "Process tasks", "process the tasks of the user's rep", _T),
    *_date_range("TSKDAT", "Task start", "tasks starting {}", _T, "SELTSK"),
    *_date_range("TSKECH", "Task due", "tasks due {}", _T, "SELTSK"),
    _flag("TSKFORCOR", "Also force the task's contact",
          "also force the Outlook contact of each task", _T, "SELTSK"),
    _flag("SELCLL", "Process calls", "process the calls of the user's rep", _L),
    *_date_range("CLLDAT", "Call date", "calls {}", _L, "SELCLL"),
    _flag("CLLFORCOR", "Also force the call's contact",
          "also force the Outlook contact of each call", _L, "SELCLL"),
    _flag("SELBAP", "Process appointments",
          "process the appointments of the user's rep", _A),
    *_date_range("BAPDAT", "Appointment", "appointments {}", _A, "SELBAP"),
    _flag("BAPFORCOR", "Also force the persons met",
          "also force the contacts met (APTCOR)", _A, "SELBAP"),
    _flag("BAPFORREP", "Also force the intervening reps",
          "also force the intervening reps' contacts", _A, "SELBAP"),
    _flag("ONLYOOP", "Only out-of-phase records",
          "keep only the records that are out of phase", _G),
    Field("STALEDAYS", FieldType.INT, "Stale after (days)",
          "days after which a pending row is stale", _G, default=7),
    _team("USERS", FieldType.CODES, "user", "Users (team run)",
          "team run: user codes, e.g. 'SALES1,SALES2'"),
    _team("USRFCY", FieldType.CODE, None, "Users of the site",
          "team run: users whose rep belongs to this site"),
    _team("USRCPY", FieldType.CODE, "company", "Users of the company",
          "team run: users of this company (AUTILIS.CPY)"),
    _team("USRREPDEB", FieldType.CODE, "rep", "Users' reps from",
          "team run: first rep (AUSCRMF) of the users"),
    _team("USRREPFIN", FieldType.CODE, "rep", "Users' reps to",
          "team run: last rep (AUSCRMF) of the users"),
)  # fmt: skip

#: The selectors of a team run (USERS and the others), in screen order.
TEAM_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.team)

#: The fields by name.
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

#: (block flag, the fields that belong to it), flags in screen order; a field set while
#: its flag is off is refused (SPEC §4.2). SELCOR's sub-flags own their own ranges.
BLOCKS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (flag.name, tuple(f.name for f in FIELDS if f.block == flag.name))
    for flag in FIELDS
    if any(f.block == flag.name for f in FIELDS)
)

#: (first, last) of every range, in screen order: X3 names them ...DEB and ...FIN.
RANGES: tuple[tuple[str, str], ...] = tuple(
    (f.name, f.name.removesuffix("DEB") + "FIN")
    for f in FIELDS
    if f.name.endswith("DEB")
)


def group_titles() -> tuple[str, ...]:
    """The titles of the screen's blocks, in the order they first appear."""
    return tuple(dict.fromkeys(f.group for f in FIELDS))


def param_value(value: object) -> object:
    """A parsed value as a parameter is written: dates ISO, functions ``"1,9"``."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return value


# -- the job notebook's parameters cell ------------------------------------------------


def parameter_lines(overrides: Mapping[str, object] | None = None) -> list[str]:
    """The job notebook's criteria lines, ``NAME = value  # type: T help``.

    Papermill reads the ``# type:`` comments as each parameter's type and help. A value
    of ``None`` leaves the criterion at the default ``Criteria`` gives it.

    Args:
        overrides: values the notebook sets instead of the defaults, by name.

    Returns:
        One line per field, in screen order.
    """
    chosen = dict(overrides or {})
    lines = []
    for f in FIELDS:
        plain = f.type in (FieldType.BOOL, FieldType.INT)
        value = chosen.get(f.name, f.default if plain else None)
        kind = str(f.type) if plain else "Optional[str]"
        lines.append(f"{f.name} = {value!r}  # type: {kind} {f.help}")
    return lines


#: The parser of each field type.
PARSERS: dict[FieldType, Callable[[str, object], object]] = {
    FieldType.BOOL: parse_bool,
    FieldType.CODE: parse_code,
    FieldType.DATE: parse_date,
    FieldType.INT: parse_days,
    FieldType.FUNCTIONS: parse_functions,
    FieldType.CODES: parse_codes,
}
