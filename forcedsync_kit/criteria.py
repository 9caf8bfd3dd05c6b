"""The criteria of the forced synchronization screen (SPEC §3) as a frozen value object.

Pure Python: this module never imports sqlalchemy. Parameter names are the SPEC's (the
screen's field codes); the dataclass attributes are the same names in lower case, so a
parameters file, a papermill cell, ``-p NAME=VALUE`` and Python all read alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CriteriaError

logger = logging.getLogger(__name__)


class ObjectType(enum.StrEnum):
    """SYNCDATA.SYDTYP: the four object codes synchronized with Outlook."""

    COR = "COR"
    TSK = "TSK"
    CLL = "CLL"
    BAP = "BAP"


class Action(enum.StrEnum):
    """SYNCDATA.SYDATTTYP action codes (C/M/A/P/R, see x3-domain-notes §1.4)."""

    CREATION = "C"
    MODIFICATION = "M"
    DELETION = "A"
    USER_CHANGE = "P"
    FORCED = "R"


class Outcome(enum.StrEnum):
    """What a run does to one selected record (SPEC §4.4)."""

    INSERT = "insert"
    SUPERSEDE = "supersede"
    ALREADY = "already"
    SKIP = "skip"


OBJECT_TYPES: tuple[ObjectType, ...] = tuple(ObjectType)
OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)

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

_TRUE = {"1", "true", "yes", "y", "on", "2"}
_FALSE = {"0", "false", "no", "n", "off", ""}

# (block flag, fields that belong to the block); a block field set while its flag is
# off is refused (SPEC §4.2). SELCOR's sub-flags own their own ranges.
_BLOCKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("selcor", ("cordeb", "corfin", "corsyncnt", "corsynpst", "corsynrep")),
    ("corsyncnt", ("bpcdeb", "bpcfin", "corfcttxt")),
    ("corsynpst", ("pstdeb", "pstfin")),
    ("corsynrep", ("repdeb", "repfin")),
    ("seltsk", ("tskdatdeb", "tskdatfin", "tskechdeb", "tskechfin", "tskforcor")),
    ("selcll", ("clldatdeb", "clldatfin", "cllforcor")),
    ("selbap", ("bapdatdeb", "bapdatfin", "bapforcor", "bapforrep")),
)

_CODE_RANGES = (
    ("cordeb", "corfin"),
    ("bpcdeb", "bpcfin"),
    ("pstdeb", "pstfin"),
    ("repdeb", "repfin"),
)
_DATE_RANGES = (
    ("tskdatdeb", "tskdatfin"),
    ("tskechdeb", "tskechfin"),
    ("clldatdeb", "clldatfin"),
    ("bapdatdeb", "bapdatfin"),
)
_CODES = ("user", "cpy") + tuple(n for pair in _CODE_RANGES for n in pair)
_DATES = tuple(n for pair in _DATE_RANGES for n in pair)
_BOOLS = (
    "flgtrcdet",
    "selcor",
    "corsyncnt",
    "corsynpst",
    "corsynrep",
    "seltsk",
    "tskforcor",
    "selcll",
    "cllforcor",
    "selbap",
    "bapforcor",
    "bapforrep",
    "onlyoop",
)


@dataclass(frozen=True, slots=True)
class Criteria:
    """Every field of the FUNSYD6 screen, plus the toolkit's ONLYOOP and STALEDAYS.

    Build it from Python (``Criteria(seltsk=True)``), from SPEC parameter names
    (``Criteria.from_params({"SELTSK": "1"})``) or from a YAML/JSON file
    (``Criteria.from_file(path)``). Construction validates everything that needs no
    database and raises ``CriteriaError`` naming the field and the value.

    Attributes are the SPEC parameter names in lower case; ``None`` or ``""`` is an
    open bound. ``corfcttxt`` holds the function numbers of local menu 233.
    """

    user: str | None = None
    cpy: str | None = None
    flgtrcdet: bool = False
    selcor: bool = False
    cordeb: str | None = None
    corfin: str | None = None
    corsyncnt: bool = False
    bpcdeb: str | None = None
    bpcfin: str | None = None
    corfcttxt: tuple[int, ...] = ()
    corsynpst: bool = False
    pstdeb: str | None = None
    pstfin: str | None = None
    corsynrep: bool = False
    repdeb: str | None = None
    repfin: str | None = None
    seltsk: bool = False
    tskdatdeb: dt.date | None = None
    tskdatfin: dt.date | None = None
    tskechdeb: dt.date | None = None
    tskechfin: dt.date | None = None
    tskforcor: bool = False
    selcll: bool = False
    clldatdeb: dt.date | None = None
    clldatfin: dt.date | None = None
    cllforcor: bool = False
    selbap: bool = False
    bapdatdeb: dt.date | None = None
    bapdatfin: dt.date | None = None
    bapforcor: bool = False
    bapforrep: bool = False
    onlyoop: bool = False
    staledays: int = 7

    def __post_init__(self) -> None:
        put = object.__setattr__
        for name in _CODES:
            put(self, name, _parse_code(name, getattr(self, name)))
        for name in _DATES:
            put(self, name, _parse_date(name, getattr(self, name)))
        for name in _BOOLS:
            put(self, name, _parse_bool(name, getattr(self, name)))
        put(self, "corfcttxt", _parse_functions(self.corfcttxt))
        put(self, "staledays", _parse_staledays(self.staledays))
        self._validate()

    # -- construction -----------------------------------------------------------------

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Criteria:
        """Build criteria from SPEC parameter names (any case); unknown names refused.

        Args:
            params: mapping of parameter name (``SELTSK``, ``TSKDATDEB``...) to value,
                as strings (``"1"``, ``"2026-01-31"``) or Python values.

        Returns:
            The validated criteria.

        Raises:
            CriteriaError: an unknown name or a bad value, naming it.
        """
        known = {f.upper() for f in PARAMETERS}
        kwargs: dict[str, Any] = {}
        for raw_name, value in params.items():
            name = str(raw_name).strip().upper()
            if name not in known:
                raise CriteriaError(
                    str(raw_name),
                    value,
                    f"Unknown parameter {str(raw_name)!r}: use one of the screen's "
                    f"field codes such as SELTSK or TSKDATDEB.",
                    allowed=", ".join(sorted(known)),
                )
            kwargs[name.lower()] = value
        return cls(**kwargs)

    @classmethod
    def from_file(cls, path: str | Path) -> Criteria:
        """Read criteria from a YAML (``.yml``/``.yaml``) or JSON parameters file.

        Raises:
            CriteriaError: the file cannot be read or parsed, or a value is bad.
        """
        data = read_params_file(path)
        return cls.from_params(data)

    def to_params(self) -> dict[str, Any]:
        """Return the criteria as SPEC parameter names with JSON-ready values."""
        out: dict[str, Any] = {}
        for name in PARAMETERS:
            value = getattr(self, name)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = ",".join(str(v) for v in value)
            out[name.upper()] = value
        return out

    def to_json(self) -> str:
        """The criteria as a JSON object of SPEC parameter names (run history)."""
        return json.dumps(self.to_params(), sort_keys=True)

    def replace(self, **changes: Any) -> Criteria:
        """Return a copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    @property
    def object_types(self) -> tuple[ObjectType, ...]:
        """The object types whose block flag is on, in screen order."""
        flags = (
            (ObjectType.COR, self.selcor),
            (ObjectType.TSK, self.seltsk),
            (ObjectType.CLL, self.selcll),
            (ObjectType.BAP, self.selbap),
        )
        return tuple(t for t, on in flags if on)

    @property
    def needs_rep(self) -> bool:
        """True when the selection uses the user's sales rep (SPEC §4.2)."""
        return any(
            (self.corsyncnt, self.corsynpst, self.seltsk, self.selcll, self.selbap)
        )

    def summary(self) -> str:
        """One line naming the parameters that differ from their defaults."""
        params = self.to_params()
        parts = [
            f"{name.upper()}={params[name.upper()]}"
            for name in PARAMETERS
            if params[name.upper()] != _DEFAULTS[name]
        ]
        return " ".join(parts) or "(defaults)"

    # -- validation -------------------------------------------------------------------

    def _validate(self) -> None:
        for flag, members in _BLOCKS:
            if getattr(self, flag):
                continue
            for name in members:
                value = getattr(self, name)
                if value not in (None, False, ()):
                    shown = _show(value)
                    raise CriteriaError(
                        name.upper(),
                        value,
                        f"{name.upper()}={shown} is set but {flag.upper()} is off: "
                        f"switch {flag.upper()} on or clear {name.upper()}.",
                    )
        for lo, hi in _CODE_RANGES + _DATE_RANGES:
            a, b = getattr(self, lo), getattr(self, hi)
            if a is not None and b is not None and a > b:
                raise CriteriaError(
                    lo.upper(),
                    a,
                    f"{lo.upper()}={_show(a)} is after {hi.upper()}={_show(b)}: "
                    f"the start of a range must not be after its end.",
                )
        if not self.object_types:
            raise CriteriaError(
                "SELCOR",
                False,
                "No object type is selected: switch on at least one of SELCOR, "
                "SELTSK, SELCLL or SELBAP.",
            )


def _show(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _parse_code(name: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int):
        raise CriteriaError(
            name.upper(), value, f"{name.upper()}={value!r} is not a code."
        )
    text = str(value).strip()
    if text == "":
        return None
    if len(text) > MAX_CODE_LEN:
        raise CriteriaError(
            name.upper(),
            value,
            f"{name.upper()}={text[:30]!r}... is {len(text)} characters long; "
            f"X3 codes have at most {MAX_CODE_LEN}.",
        )
    if any(ord(ch) < 32 for ch in text):
        raise CriteriaError(
            name.upper(),
            value,
            f"{name.upper()}={text!r} contains a control character.",
        )
    return text.upper()


def _parse_date(name: str, value: object) -> dt.date | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CriteriaError(
            name.upper(),
            value,
            f"{name.upper()}={text!r} is not a date: write it as YYYY-MM-DD.",
        ) from None


def _parse_bool(name: str, value: object) -> bool:
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
        f"{name.upper()}={value!r} is not a yes/no value: use 1/0, true/false "
        f"or yes/no.",
    )


_LABELS = {label.lower(): num for num, label in FUNCTIONS.items()}


def _parse_functions(value: object) -> tuple[int, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items: list[object] = list(value.split(","))
    elif isinstance(value, int) and not isinstance(value, bool):
        items = [value]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise CriteriaError(
            "CORFCTTXT", value, f"CORFCTTXT={value!r} is not a list of functions."
        )
    out: list[int] = []
    for item in items:
        text = str(item).strip()
        if text == "":
            continue
        num: int | None
        if text.isdigit():
            num = int(text)
            if num not in FUNCTIONS:
                num = None
        else:
            num = _LABELS.get(text.lower())
        if num is None:
            raise CriteriaError(
                "CORFCTTXT",
                item,
                f"CORFCTTXT contains {text!r}, which is not a contact function: use "
                f"a number 1-12 of local menu 233 or its label (e.g. 'Accountant').",
                allowed=", ".join(f"{k}={v}" for k, v in FUNCTIONS.items()),
            )
        if num not in out:
            out.append(num)
    return tuple(sorted(out))


def _parse_staledays(value: object) -> int:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return 7
    try:
        if isinstance(value, bool):
            raise ValueError
        num = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise CriteriaError(
            "STALEDAYS",
            value,
            f"STALEDAYS={value!r} is not a whole number of days.",
        ) from None
    if num < 0 or num > 36500:
        raise CriteriaError(
            "STALEDAYS",
            value,
            f"STALEDAYS={num} is out of range: give a number of days from 0 to 36500.",
        )
    return num


def read_params_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON parameters file into a dict (keys as written).

    Raises:
        CriteriaError: the file is missing, unreadable or not a mapping.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CriteriaError(
            "params", str(path), f"Cannot read parameters file {str(path)!r}: {exc}."
        ) from None
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else _load_yaml(text)
    except Exception as exc:  # json/yaml errors have no common base
        first = " ".join(str(exc).split("\n")[0].split()).rstrip(".:")
        raise CriteriaError(
            "params",
            str(path),
            f"Parameters file {str(path)!r} does not parse: {first}.",
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CriteriaError(
            "params",
            str(path),
            f"Parameters file {str(path)!r} must hold a mapping of NAME: value.",
        )
    return data


_YAML_NULLS = {"", "~", "null", "Null", "NULL"}


def _load_yaml(text: str) -> Any:
    """YAML with every scalar kept as written (``CORDEB: 0012`` stays '0012', not 10).

    The criteria parse their own values; YAML's implicit typing would turn codes that
    look like numbers, dates or booleans into something else. Null spellings mean empty.
    """
    import yaml  # local: only file reading needs it

    def plain(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: plain(v) for k, v in node.items()}
        if isinstance(node, list):
            return [plain(v) for v in node]
        return None if node in _YAML_NULLS else node

    return plain(yaml.load(text, Loader=yaml.BaseLoader))  # noqa: S506 (no objects)


#: SPEC parameter names (lower case) in screen order.
PARAMETERS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Criteria))
_DEFAULTS: dict[str, Any] = {
    "user": None,
    "cpy": None,
    "corfcttxt": "",
    "staledays": 7,
    **dict.fromkeys(_CODES + _DATES),
    **dict.fromkeys(_BOOLS, False),
}
