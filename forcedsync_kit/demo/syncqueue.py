"""Demo queue and anomalies: the SYNCDATA rows and SYNCLINK rows of generated records.

``queue_rows`` queues a share of a chunk's records with one of the row patterns of
``base`` (and rewrites the records' UPDDATTIM so that some count as changed after
queued); ``gone_keys`` draws the keys of records deleted from X3; ``anomaly_rows``
writes SYNCLINK rows where Outlook holds a different value than X3.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .base import (
    ANOMALY_OTHER,
    ANOMALY_OWN,
    CHANGED_SHARE,
    CLOCK,
    OTHER,
    OTHER_P,
    OTHER_USER_P,
    OWN,
    OWN_P,
    PATTERN_ACTIONS,
    PATTERN_LEN,
    Q_DELETED,
    Q_OTHER,
    Q_OWN,
    STALE_SHARE,
    USER_CODES,
    USERS,
    Array,
    Columns,
    Records,
    World,
    hhmmss,
    make_codes,
    random_seconds,
)

logger = logging.getLogger(__name__)


# --- the queue (SYNCDATA) and the anomalies (SYNCLINK) -------------------------------


def _ages(rng: np.random.Generator, n: int) -> Array:
    """Age of a record's newest queue row: recent (< 6 days) or stale (months)."""
    stale = rng.random(n) < STALE_SHARE
    months = rng.integers(30 * 86400, 300 * 86400, n)
    return np.where(stale, months, rng.integers(600, 6 * 86400, n)).astype("m8[s]")


def queue_rows(
    w: World, rng: np.random.Generator, rec: Records, gone: Array
) -> Columns:
    """Queue rows for a share of the records; A rows for the deleted keys ``gone``.

    Rewrites ``rec.upd`` of the queued records: just before their newest row, or (a
    tenth of them) after it, so that they count as changed after queued.
    """
    own = rec.owner >= 0
    u = rng.random(len(rec.keys))
    picked = np.flatnonzero(np.where(own, u < Q_OWN, u < Q_OTHER))
    m = len(picked)
    mine = own[picked]
    pattern = np.where(
        mine,
        rng.choice(len(OWN), m, p=OWN_P),
        len(OWN) + rng.choice(len(OTHER), m, p=OTHER_P),
    )
    user = np.where(mine, rec.owner[picked], rng.choice(len(USERS), m, p=OTHER_USER_P))
    last = CLOCK - _ages(rng, m)
    room = (CLOCK - last).astype(np.int64)
    after = last + (room * rng.uniform(0.2, 0.9, m)).astype(np.int64).astype("m8[s]")
    before = last - random_seconds(rng, m, 0, 120)
    rec.upd[picked] = np.where(rng.random(m) < CHANGED_SHARE, after, before)
    gap = rng.integers(3600, 3 * 86400, m)
    length = PATTERN_LEN[pattern]
    row = np.repeat(np.arange(m), length)
    pos = np.arange(len(row)) - np.repeat(np.cumsum(length) - length, length)
    when = last[row] - ((length[row] - 1 - pos) * gap[row]).astype("m8[s]")
    nd = len(gone)
    keys = np.concatenate([rec.keys[picked[row]], gone])
    users = np.concatenate([user[row], rng.choice(len(USERS), nd, p=OTHER_USER_P)])
    action = np.concatenate(
        [PATTERN_ACTIONS[pattern[row], pos], np.full(nd, "A", dtype=object)]
    )
    when = np.concatenate([when, CLOCK - _ages(rng, nd)])
    sydnum = w.sydnum + 1 + np.arange(len(keys), dtype=np.int64)
    w.sydnum += len(keys)
    sydusr = USER_CODES[users]
    by = np.where(action == "R", "ADMIN", sydusr)  # forced rows come from FUNSYD6
    day = when.astype("M8[D]")
    return {
        "sydnum": sydnum,
        "sydusr": sydusr,
        "sydtyp": rec.typ,
        "sydkey": keys,
        "sydatttyp": action,
        "syddat": day,
        "sydhou": hhmmss((when - day).astype(np.int64)),
        "sydgen": "0",
        "sydupd": "0",
        "sydotksta": "0",
        "creusr": by,
        "credattim": when,
        "updusr": by,
        "upddattim": when,
    }


def gone_keys(
    rng: np.random.Generator, prefix: str, width: int, total: int, start: int, n: int
) -> Array:
    """Keys of records deleted from X3 (numbered above ``total``), one per 100."""
    count = int(rng.binomial(n, Q_DELETED))
    return make_codes(prefix, total + 1 + start + np.arange(count), width)


def _outlook_values(name: str, x3: Array, shift: Array) -> tuple[Array, Array]:
    """The X3 value of a field as text, and the different value Outlook holds."""
    if np.issubdtype(x3.dtype, np.datetime64):
        day = x3.astype("M8[D]")
        moved = day + shift.astype("m8[D]")
        text = np.datetime_as_string(day).astype(object)
        return text, np.datetime_as_string(moved).astype(object)
    value = pd.Series(x3, dtype=object)
    if name == "CNTEMA":
        otk = value.str.split("@").str[0] + "@outlook.example.org"
    elif name == "APTHOU":
        hour = (value.str[:2].astype(np.int64).to_numpy() + shift) % 24
        otk = pd.Series(hour).astype(str).str.zfill(2) + value.str[2:]
    elif name == "FULOBJ":
        otk = value + " (edited in Outlook)"
    else:
        otk = value.str.upper()
    return x3.astype(object), otk.to_numpy(dtype=object)


def anomaly_rows(w: World, rng: np.random.Generator, rec: Records) -> Columns:
    """SYNCLINK rows for a share of the records, queued or not."""
    own = rec.owner >= 0
    u = rng.random(len(rec.keys))
    hit = np.flatnonzero(np.where(own, u < ANOMALY_OWN, u < ANOMALY_OTHER))
    m = len(hit)
    user = np.where(own[hit], rec.owner[hit], rng.choice(len(USERS), m, p=OTHER_USER_P))
    names = np.array(list(rec.fields), dtype=object)
    which = rng.integers(0, len(names), m)
    shift = rng.integers(1, 6, m)
    flag = np.where(rng.random(m) < 0.85, 2, 1).astype(np.int16)
    x3, otk = np.empty(m, dtype=object), np.empty(m, dtype=object)
    for i, name in enumerate(names):
        sel = which == i
        x3[sel], otk[sel] = _outlook_values(
            name, rec.fields[name][hit[sel]], shift[sel]
        )
    sylnum = w.sylnum + 1 + np.arange(m, dtype=np.int64)
    w.sylnum += m
    return {
        "sylnum": sylnum,
        "sylusr": USER_CODES[user],
        "syltyp": rec.typ,
        "sylkey": rec.keys[hit],
        "sylfie": names[which],
        "sylvaladx": x3,
        "sylvalotk": otk,
        "sylflgdpt": flag,
    }
