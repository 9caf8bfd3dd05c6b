"""Strict parsing at the edges: ASCII whole numbers, ISO dates, values cut for messages.

X3 fields are ASCII (docs/decisions.md, "Edge values"): a number is written with
the digits 0-9 only, so full-width, Arabic-Indic or superscript digits and ``1_000``
are refused, and a date is ``YYYY-MM-DD`` only (no week dates, no ordinal dates). Every
refusal is one sentence naming the field, and quotes the value cut to ``MAX_SHOWN``
characters, so a 100,000-character value is never echoed whole.
"""

from __future__ import annotations

import datetime as dt
import re

from .errors import CriteriaError

#: Longest value quoted in a message; longer ones are cut and marked with "…".
MAX_SHOWN = 60
#: The largest page number, page size or limit accepted (a 32-bit signed integer).
MAX_INT32 = 2**31 - 1

_ASCII_INT = re.compile(r"[+-]?[0-9]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def cut(value: object, limit: int = MAX_SHOWN) -> str:
    """``repr`` of ``value`` for a message, cut to about ``limit`` characters.

    The text is cut before ``repr`` (a huge value is never copied whole) and the
    result is one line: ``repr`` escapes newlines and control characters.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return repr(value[:limit]) + f"… ({len(value)} characters)"
    try:
        text = repr(value)
    except ValueError:  # an int of more than 4300 digits has no repr
        return "(a number too long to show)"
    return text if len(text) <= limit else text[:limit] + "…"


def cut_path(path: object, limit: int = 160) -> str:
    """``repr`` of a path for a message; a long one keeps its end (the file's name)."""
    text = str(path)
    if len(text) <= limit:
        return repr(text)
    return "'…" + repr(text[-limit:])[1:]


def ascii_int(name: str, value: object, lo: int = 0, hi: int = MAX_INT32) -> int:
    """A whole number written with ASCII digits, from ``lo`` to ``hi``.

    Args:
        name: the field or option shown in the error (``--page``, ``STALEDAYS``).
        value: an ``int`` (not ``bool``) or text such as ``"42"``; surrounding spaces
            are ignored, a sign is allowed, nothing else is.

    Returns:
        The number.

    Raises:
        CriteriaError: not ASCII digits, or out of ``lo..hi``, naming ``name``.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CriteriaError(name, value, f"{name}={cut(value)} is not a whole number.")
    if isinstance(value, str):
        text = value.strip()
        if _ASCII_INT.fullmatch(text) is None:
            raise CriteriaError(
                name,
                value,
                f"{name}={cut(value)} is not a whole number written with the "
                f"digits 0-9.",
            )
        # Bounded before int(): a 10**5-digit text is refused without converting it.
        digits = text.lstrip("+-").lstrip("0") or "0"
        if len(digits) > len(str(MAX_INT32)) + 1:
            raise _out_of_range(name, value, lo, hi)
        num = -int(digits) if text.startswith("-") else int(digits)
    else:
        num = value
    if not lo <= num <= hi:
        raise _out_of_range(name, value, lo, hi)
    return num


def _out_of_range(name: str, value: object, lo: int, hi: int) -> CriteriaError:
    return CriteriaError(
        name,
        value,
        f"{name}={cut(value)} is out of range: give a whole number from {lo} to {hi}.",
    )


def iso_date(name: str, value: object) -> dt.date | None:
    """A calendar date written ``YYYY-MM-DD`` (ASCII), or a ``date``; blank is None.

    A ``datetime`` gives its date. Week dates (``2026-W01-1``), ordinal dates and the
    compact ``20260131`` are refused: X3 dates are written one way.

    Raises:
        CriteriaError: any other value, naming ``name``.
    """
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if _ISO_DATE.fullmatch(text) is not None:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass  # 2026-13-45: the same refusal as any other text
    raise CriteriaError(
        name, value, f"{name}={cut(value)} is not a date: write it as YYYY-MM-DD."
    )


def is_ascii_digits(text: str) -> bool:
    """True when ``text`` is one or more of the ASCII digits 0-9 and nothing else."""
    return text.isascii() and text.isdigit()
