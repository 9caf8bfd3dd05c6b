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

from .edges import ascii_int, cut, is_ascii_digits, iso_date
from .errors import CriteriaError


class FieldType(enum.StrEnum):
    """How a parameter's value is written and parsed."""

    BOOL = "bool"
    CODE = "code"
    DATE = "date"
    INT = "int"
    FUNCTIONS = "functions"
    CODES = "codes"


#: Local menu 233 "Function (Contact)" (GESAIN / GESCOR help), number -> English label.
FUNCTIONS: dict[int, str] = {
    1: "Managing Director",
    2: "Sales Manager",
    3: "Technical Manager",
    4: "Financial and Legal Manager",
    5: "Site Manager",
    6: "Company manager",
    7: "Manager",
    8: "Staff manager",
    9: "Accountant",
    10: "Other",
    11: "Liquidator",
    12: "Official receiver",
}

#: Maximum length of a code (X3 codes are at most 15 characters; 20 in our schema).
MAX_CODE_LEN = 20

#: The largest STALEDAYS accepted (a hundred years).
MAX_DAYS = 36500


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
    _code("CORDEB", "contact", "Contacts from",
          "first CORNUM of every contact selection", _C, "SELCOR"),
    _code("CORFIN", "contact", "Contacts to",
          "last CORNUM of every contact selection", _C, "SELCOR"),
    _flag("CORSYNCNT", "Generate from my contacts",
          "contacts of the customers of the user's rep", _C, "SELCOR"),
    _code("BPCDEB", "customer", "Customers from",
          "with CORSYNCNT: first customer BPCNUM", _C, "CORSYNCNT"),
    _code("BPCFIN", "customer", "Customers to",
          "with CORSYNCNT: last customer BPCNUM", _C, "CORSYNCNT"),
    Field("CORFCTTXT", FieldType.FUNCTIONS, "Contact functions",
          "with CORSYNCNT: functions, e.g. '1,9'", _C, "CORSYNCNT", default=()),
    _flag("CORSYNPST", "Generate from my leads",
          "contacts of the leads of the user's rep", _C, "SELCOR"),
    _code("PSTDEB", "lead", "Leads from",
          "with CORSYNPST: first lead PSTNUM", _C, "CORSYNPST"),
    _code("PSTFIN", "lead", "Leads to",
          "with CORSYNPST: last lead PSTNUM", _C, "CORSYNPST"),
    _flag("CORSYNREP", "Generate from sales reps",
          "contacts that have a rep in charge (CORREP)", _C, "SELCOR"),
    _code("REPDEB", "rep", "Sales reps from",
          "with CORSYNREP: first rep REPNUM", _C, "CORSYNREP"),
    _code("REPFIN", "rep", "Sales reps to",
          "with CORSYNREP: last rep REPNUM", _C, "CORSYNREP"),
    _flag("SELTSK", "Process tasks", "process the tasks of the user's rep", _T),
    _date("TSKDATDEB", "Task start from", "tasks starting from", _T, "SELTSK"),
    _date("TSKDATFIN", "Task start to", "tasks starting until", _T, "SELTSK"),
    _date("TSKECHDEB", "Task due from", "tasks due from", _T, "SELTSK"),
    _date("TSKECHFIN", "Task due to", "tasks due until", _T, "SELTSK"),
    _flag("TSKFORCOR", "Also force the task's contact",
          "also force the Outlook contact of each task", _T, "SELTSK"),
    _flag("SELCLL", "Process calls", "process the calls of the user's rep", _L),
    _date("CLLDATDEB", "Call date from", "calls from", _L, "SELCLL"),
    _date("CLLDATFIN", "Call date to", "calls until", _L, "SELCLL"),
    _flag("CLLFORCOR", "Also force the call's contact",
          "also force the Outlook contact of each call", _L, "SELCLL"),
    _flag("SELBAP", "Process appointments",
          "process the appointments of the user's rep", _A),
    _date("BAPDATDEB", "Appointment from", "appointments from", _A, "SELBAP"),
    _date("BAPDATFIN", "Appointment to", "appointments until", _A, "SELBAP"),
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


# -- parsers: (name, value) -> value, or None for an empty value -----------------------

_TRUE = {"1", "true", "yes", "y", "on", "2"}
_FALSE = {"0", "false", "no", "n", "off", ""}


def parse_bool(name: str, value: object) -> bool:
    """A yes/no value: ``1/0``, ``true/false``, ``yes/no``, ``on/off`` (X3's 2 is yes).

    Args:
        name: the parameter name shown in the error.
        value: the value as given; ``None`` is no.

    Raises:
        CriteriaError: any other value, naming the parameter.
    """
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int) and value in (0, 1, 2):
        return value != 0
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CriteriaError(
        name.upper(),
        value,
        f"{name.upper()}={cut(value)} is not a yes/no value: use 1/0, true/false "
        f"or yes/no.",
    )


def parse_code(name: str, value: object) -> str | None:
    """An X3 code, stripped and upper-cased; empty is ``None``.

    X3 codes are ASCII: the code must fit its column (``MAX_CODE_LEN``) once
    upper-cased and hold printable ASCII characters only.

    Raises:
        CriteriaError: not text, too long, or holding a non-ASCII or control character.
    """
    name = name.upper()
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CriteriaError(name, value, f"{name}={cut(value)} is not a code.")
    if isinstance(value, int) and not -(10**MAX_CODE_LEN) < value < 10**MAX_CODE_LEN:
        raise CriteriaError(
            name, value, f"{name} is a number longer than a code ({MAX_CODE_LEN})."
        )
    text = str(value).strip()
    if text == "":
        return None
    if len(text) > MAX_CODE_LEN:
        raise CriteriaError(
            name,
            value,
            f"{name}={cut(text, 30)} is {len(text)} characters long; "
            f"X3 codes have at most {MAX_CODE_LEN}.",
        )
    if not all(" " <= ch <= "~" for ch in text):
        raise CriteriaError(
            name,
            value,
            f"{name}={cut(text)} holds a character that is not printable ASCII "
            f"(X3 codes are letters, digits and signs).",
        )
    odd = [ch for ch in text if ch.upper() != ch and not "a" <= ch <= "z"]
    if odd:  # 'ſales1'.upper() is 'SALES1': X3 codes are ASCII (SPEC §7)
        raise CriteriaError(
            name, value, f"{name}={text!r} holds {odd[0]!r}: X3 codes are ASCII."
        )
    return text.upper()


def parse_codes(name: str, value: object) -> tuple[str, ...] | None:
    """A comma-separated list of X3 codes, each as ``parse_code``, once each, in order.

    Raises:
        CriteriaError: an item that is not a code, naming the parameter and the item.
    """
    name = name.upper()
    if value is None:
        return None
    if isinstance(value, str):
        items: list[object] = list(value.split(","))
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise CriteriaError(name, value, f"{name}={cut(value)} is not a list of codes.")
    out: list[str] = []
    for item in items:
        code = parse_code(name, item)
        if code is not None and code not in out:
            out.append(code)
    return tuple(out) or None


def parse_date(name: str, value: object) -> dt.date | None:
    """A date: a ``date``/``datetime`` or ``YYYY-MM-DD``; empty is ``None``.

    Raises:
        CriteriaError: any other value (week dates, other digits) naming the field.
    """
    return iso_date(name.upper(), value)


_LABELS = {label.lower(): num for num, label in FUNCTIONS.items()}


def _function_items(name: str, value: object) -> list[object]:
    if isinstance(value, str):
        return list(value.split(","))
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, list | tuple):
        return list(value)
    raise CriteriaError(name, value, f"{name}={cut(value)} is not a list of functions.")


def parse_functions(name: str, value: object) -> tuple[int, ...]:
    """Contact functions of local menu 233, as numbers or labels, sorted, once each.

    Raises:
        CriteriaError: an item that is no function of the menu.
    """
    name = name.upper()
    if value is None or value == "":
        return ()
    out: list[int] = []
    for item in _function_items(name, value):
        text = str(item).strip()
        if text == "":
            continue
        num: int | None
        if is_ascii_digits(text):
            num = int(text) if len(text) <= 2 and int(text) in FUNCTIONS else None
        else:
            num = _LABELS.get(text.lower())
        if num is None:
            raise CriteriaError(
                name,
                item,
                f"{name} contains {cut(text)}, which is not a contact function: use "
                f"a number 1-12 of local menu 233 or its label (e.g. 'Accountant').",
                allowed=", ".join(f"{k}={v}" for k, v in FUNCTIONS.items()),
            )
        if num not in out:
            out.append(num)
    return tuple(sorted(out))


def parse_days(name: str, value: object) -> int | None:
    """A whole number of days from 0 to ``MAX_DAYS`` in ASCII digits; empty is ``None``.

    Raises:
        CriteriaError: not a whole number, or out of range.
    """
    name = name.upper()
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    return ascii_int(name, value, 0, MAX_DAYS)


#: The parser of each field type.
PARSERS: dict[FieldType, Callable[[str, object], object]] = {
    FieldType.BOOL: parse_bool,
    FieldType.CODE: parse_code,
    FieldType.DATE: parse_date,
    FieldType.INT: parse_days,
    FieldType.FUNCTIONS: parse_functions,
    FieldType.CODES: parse_codes,
}
