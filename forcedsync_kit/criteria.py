"""The criteria of the forced synchronization screen (SPEC §3) as a frozen value object.

Pure Python: this module never imports sqlalchemy. Parameter names are the SPEC's (the
screen's field codes); the dataclass attributes are the same names in lower case, so a
parameters file, a papermill cell, ``-p NAME=VALUE`` and Python all read alike. Each
field's type, block and default come from ``fields.FIELDS``.
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

from .edges import cut
from .errors import CriteriaError
from .fields import (
    BLOCKS,
    FIELDS,
    FUNCTIONS,
    MAX_CODE_LEN,
    RANGES,
    TEAM_FIELDS,
    param_value,
    parse_bool,
)
from .safeload import load_params_file

logger = logging.getLogger(__name__)

__all__ = [
    "FUNCTIONS",
    "MAX_CODE_LEN",
    "OBJECT_TYPES",
    "OUTCOMES",
    "PARAMETERS",
    "Action",
    "Criteria",
    "ObjectType",
    "Outcome",
    "parse_bool",
    "read_params_file",
]


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


#: The types of the screen's fields, named as ``fields.FieldType`` names them.
Code = str | None  # an X3 code; None (or "") is an open bound
Codes = tuple[str, ...]  # a list of codes (USERS)
Day = dt.date | None  # a date; None is an open bound
Days = int  # a number of days (STALEDAYS)
Flag = bool  # a check box
Functions = tuple[int, ...]  # function numbers of local menu 233 (CORFCTTXT)


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

    user: Code = None
    cpy: Code = None
    flgtrcdet: Flag = False
    selcor: Flag = False
    cordeb: Code = None
    corfin: Code = None
    corsyncnt: Flag = False
    bpcdeb: Code = None
    bpcfin: Code = None
    corfcttxt: Functions = ()
    corsynpst: Flag = False
    pstdeb: Code = None
    pstfin: Code = None
    corsynrep: Flag = False
    repdeb: Code = None
    repfin: Code = None
    seltsk: Flag = False
    tskdatdeb: Day = None
    tskdatfin: Day = None
    tskechdeb: Day = None
    tskechfin: Day = None
    tskforcor: Flag = False
    selcll: Flag = False
    clldatdeb: Day = None
    clldatfin: Day = None
    cllforcor: Flag = False
    selbap: Flag = False
    bapdatdeb: Day = None
    bapdatfin: Day = None
    bapforcor: Flag = False
    bapforrep: Flag = False
    onlyoop: Flag = False
    staledays: Days = 7
    users: Codes = ()
    usrfcy: Code = None
    usrcpy: Code = None
    usrrepdeb: Code = None
    usrrepfin: Code = None

    def __post_init__(self) -> None:
        for field in FIELDS:
            object.__setattr__(self, field.attr, field.parse(getattr(self, field.attr)))
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
                    f"Unknown parameter {cut(str(raw_name))}: use one of the screen's "
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
        return {f.name: param_value(getattr(self, f.attr)) for f in FIELDS}

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
    def team(self) -> bool:
        """True when a team selector (USERS, USRFCY, USRCPY, USRREPDEB/FIN) is set."""
        return any(getattr(self, name.lower()) for name in TEAM_FIELDS)

    def for_user(self, user: str) -> Criteria:
        """The criteria of one user's part of a team run: USER set, no team selector."""
        cleared: dict[str, Any] = {name.lower(): None for name in TEAM_FIELDS}
        return self.replace(user=user, **cleared)

    def team_params(self) -> dict[str, Any]:
        """The team selectors that are set, as SPEC parameter names."""
        params = self.to_params()
        return {name: params[name] for name in TEAM_FIELDS if params[name]}

    def team_refusal(self, why: str, before: str = "") -> CriteriaError:
        """The refusal of the first team selector set: ``before`` NAME=VALUE ``why``."""
        name, value = next(iter(self.team_params().items()))
        return CriteriaError(name, value, f"{before}{name}={value} {why}")

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
        for flag, members in BLOCKS:
            if getattr(self, flag.lower()):
                continue
            for name in members:
                value = getattr(self, name.lower())
                if value not in (None, False, ()):
                    raise CriteriaError(
                        name,
                        value,
                        f"{name}={_show(value)} is set but {flag} is off: "
                        f"switch {flag} on or clear {name}.",
                    )
        for lo, hi in RANGES:
            a, b = getattr(self, lo.lower()), getattr(self, hi.lower())
            if a is not None and b is not None and a > b:
                raise CriteriaError(
                    lo,
                    a,
                    f"{lo}={_show(a)} is after {hi}={_show(b)}: "
                    f"the start of a range must not be after its end.",
                )
        if self.user and self.team:
            name = next(iter(self.team_params()))
            raise self.team_refusal(
                f"are both given: USER forces for one user, {name} for a team; give "
                "one or the other.",
                before=f"USER={self.user} and ",
            )
        if not self.object_types:
            raise CriteriaError(
                "SELCOR",
                False,
                "No object type is selected: switch on at least one of SELCOR, "
                "SELTSK, SELCLL or SELBAP.",
            )


def _show(value: object) -> str:
    return str(param_value(value))


def read_params_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON parameters file into a dict (keys as written).

    The rules of ``safeload.load_params_file`` apply: small, flat, UTF-8, no YAML
    anchors, aliases, tags or merge keys, every name once.

    Raises:
        CriteriaError: the file is missing, unreadable, refused or not a mapping.
    """
    return load_params_file(path)


#: SPEC parameter names (lower case) in screen order.
PARAMETERS: tuple[str, ...] = tuple(f.attr for f in FIELDS)
_DEFAULTS: dict[str, Any] = {f.attr: param_value(f.default) for f in FIELDS}
