"""The run's clock: every "now" of the toolkit comes from here (naive UTC).

TIMESTAMP columns hold UTC without a zone (SPEC §2), so every value is converted to UTC
and stripped of its zone once, here, and then bound as a parameter: no server ``now()``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from .edges import cut
from .errors import CriteriaError

logger = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    """The current UTC time, naive (TIMESTAMP columns hold UTC), to the second."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def stamp() -> dt.datetime:
    """Wall-clock UTC with microseconds, for run start/end (orders the history)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def to_naive_utc(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC without a zone; a naive value is taken as UTC already."""
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


#: The earliest clock accepted: with STALEDAYS at most 36500 (a hundred years), the
#: stale cut-off stays far above year 1.
#: A run's clock as the API takes it: a datetime, an ISO text (``parse_clock``) or
#: None for now.
When = dt.datetime | str | None

MIN_CLOCK = dt.datetime(1900, 1, 1)
#: The latest clock accepted: a day is left before datetime's end for day boundaries.
MAX_CLOCK = dt.datetime(9999, 12, 30, 23, 59, 59)

# YYYY-MM-DD, optionally THH:MM[:SS[.ffffff]] and Z or +HH:MM, in ASCII digits: no week
# dates, no compact forms, no other digits (docs/decisions.md, "Edge values").
_CLOCK = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)


def _bad_text(now: str) -> CriteriaError:
    return CriteriaError(
        "now",
        now,
        f"--now {cut(now)} is not an ISO date-time (YYYY-MM-DDTHH:MM:SS, "
        f"optionally Z or +HH:MM).",
    )


def _out_of_window(now: object) -> CriteriaError:
    return CriteriaError(
        "now",
        now,
        f"--now {cut(str(now))} is outside the clock's range: give a UTC time "
        f"from {MIN_CLOCK:%Y-%m-%d} to {MAX_CLOCK:%Y-%m-%d}.",
    )


def parse_clock(now: dt.datetime | dt.date | str | None) -> dt.datetime:
    """The run's clock: ``now`` (datetime, date or ISO text, any zone) as naive UTC.

    Args:
        now: the caller's clock, or None for the current time.

    Returns:
        A naive UTC datetime, to the second, from ``MIN_CLOCK`` to ``MAX_CLOCK``.

    Raises:
        CriteriaError: text that is not an ISO date-time, or a time outside the
            window (also when its offset would carry it past year 1 or 9999).
    """
    if now is None:
        return utcnow()
    given: object = now
    if isinstance(now, str):
        text = now.strip()
        if _CLOCK.fullmatch(text) is None:
            raise _bad_text(now)
        try:
            now = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise _bad_text(text) from None
    if not isinstance(now, dt.datetime):
        now = dt.datetime.combine(now, dt.time())
    try:
        clock = to_naive_utc(now).replace(microsecond=0)
    except OverflowError:  # 0001-01-01T00:00+05:00 or 9999-12-31T23:00-05:00
        raise _out_of_window(given) from None
    if not MIN_CLOCK <= clock <= MAX_CLOCK:
        raise _out_of_window(given)
    return clock


def days_before(clock: dt.datetime, days: int) -> dt.datetime:
    """``clock`` minus ``days`` days (the STALEDAYS cut-off), as one sentence on error.

    Raises:
        CriteriaError: the result would fall before year 1 (a clock not checked by
            ``parse_clock`` with a large STALEDAYS).
    """
    try:
        return clock - dt.timedelta(days=days)
    except OverflowError:
        raise CriteriaError(
            "STALEDAYS",
            days,
            f"STALEDAYS={days} days before the clock {clock.date().isoformat()} "
            f"falls before year 1: give a later --now or fewer days.",
        ) from None
