"""The parsers of the criteria values (SPEC §3): one per field type, pure Python.

``fields`` maps each field type to its parser; every parser takes the parameter name
(shown in the error) and the value as given, and returns the parsed value or ``None``
for an empty one.
"""

from __future__ import annotations

import datetime as dt

from .edges import ascii_int, cut, is_ascii_digits, iso_date
from .errors import CriteriaError

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
