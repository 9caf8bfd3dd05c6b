"""The run's clock: every "now" of the toolkit comes from here (naive UTC).

TIMESTAMP columns hold UTC without a zone (SPEC §2), so every value is converted to UTC
and stripped of its zone once, here, and then bound as a parameter: no server ``now()``.
"""

from __future__ import annotations

import datetime as dt
import logging

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


def parse_clock(now: dt.datetime | dt.date | str | None) -> dt.datetime:
    """The run's clock: ``now`` (datetime, date or ISO text, any zone) as naive UTC.

    Args:
        now: the caller's clock, or None for the current time.

    Returns:
        A naive UTC datetime, to the second.

    Raises:
        CriteriaError: text that is not an ISO date-time.
    """
    if now is None:
        return utcnow()
    if isinstance(now, str):
        try:
            now = dt.datetime.fromisoformat(now.strip().replace("Z", "+00:00"))
        except ValueError:
            raise CriteriaError(
                "now",
                now,
                f"--now {now!r} is not an ISO date-time (YYYY-MM-DDTHH:MM:SS).",
            ) from None
    if not isinstance(now, dt.datetime):
        now = dt.datetime.combine(now, dt.time())
    return to_naive_utc(now).replace(microsecond=0)
