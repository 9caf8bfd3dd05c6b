"""Foundations of the demo data: the folder's definition and the generators' helpers.

The public constants and ``DemoUser`` are defined here, below every generator, and
re-exported by ``forcedsync_kit.demo``, which is where callers import them from. The
rest is shared by the demo modules only: the companies, sites and rights of the folder,
the shares the generators draw with, the value lists, one RNG stream per table and
chunk (``stream_rng``), the numpy helpers every generator uses, and the two records the
generation stages pass along (``World``, ``Records``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

Array = NDArray[Any]

#: The clock the queue is aged against: recent rows are under 7 days old then, stale
#: rows 30 to 300 days old. Pass it as the run's clock for reproducible previews.
DEMO_CLOCK = dt.datetime(2026, 11, 29, 12, 0, 0)
#: Tasks, calls and appointments are dated within this period.
PERIOD = (dt.date(2024, 1, 1), dt.date(2026, 12, 31))
#: The scale that gives >= 5,000,000 activities and >= 1,000,000 SYNCDATA rows.
LARGE_SCALE = 1000
#: Rows generated per unit of scale; the reference tables are small and fixed.
PER_SCALE: Mapping[str, int] = {
    "salesrep": 10,
    "bpcustomer": 400,
    "lead": 150,
    "customer_contacts": 1000,
    "lead_contacts": 250,
    "btask": 2000,
    "bcall": 2000,
    "bappoint": 1200,
}


@dataclass(frozen=True, slots=True)
class DemoUser:
    """One named user of the demo folder (AUTILIS, ADOVAL at user level, SYNCPAR).

    Attributes:
        code: AUTILIS.CODUSR.
        name: AUTILIS.NOMUSR.
        active: AUTILIS.ENAFLG is 2 (yes).
        profile: Function profile PRFFCT: ``ADMIN`` has FUNSYD6, ``SALES`` has not.
        company: Default company CPY.
        rep: AUSCRMF at user level (None: no rep anywhere).
        crm_function: AUSCRMA at user level (None: the company's value applies).
        syncpar: Whether the user has a SYNCPAR row.
    """

    code: str
    name: str
    active: bool
    profile: str
    company: str
    rep: str | None
    crm_function: int | None
    syncpar: bool


#: The named users, by code. SALES2's SYNCPAR switches calls off (CLLOTKCRE/UPD=1);
#: GONE left the company but keeps its rep REP05 and its pending rows.
USERS: Mapping[str, DemoUser] = {
    u.code: u
    for u in (
        DemoUser("ADMIN", "Administrator", True, "ADMIN", "FR10", "REP01", 3, True),
        DemoUser(
            "SALES1", "Sales engineer Paris", True, "SALES", "FR10", "REP02", None, True
        ),
        DemoUser(
            "SALES2",
            "Sales engineer Boston",
            True,
            "SALES",
            "US20",
            "REP03",
            None,
            True,
        ),
        DemoUser("NOREP", "Assistant", True, "ADMIN", "FR10", None, 5, True),
        DemoUser(
            "NOSYNC", "Sales engineer Hamburg", True, "ADMIN", "DE30", "REP04", 1, False
        ),
        DemoUser(
            "GONE", "Former sales engineer", False, "ADMIN", "FR10", "REP05", None, True
        ),
    )
}
USER_CODES = np.array(list(USERS), dtype=object)
#: AUSCRMA at company level (the folder level says 5, "other").
COMPANY_CRM_FUNCTION = {"FR10": 1, "US20": 1}
COMPANIES = (
    ("FR10", "Forcedsync France"),
    ("US20", "Forcedsync USA"),
    ("DE30", "Forcedsync Deutschland"),
)
SITES = (  # FCY, name, index of LEGCPY in COMPANIES
    ("FR11", "Paris", 0),
    ("FR12", "Lyon", 0),
    ("FR13", "Nantes", 0),
    ("US21", "Boston", 1),
    ("US22", "Chicago", 1),
    ("DE31", "Hamburg", 2),
    ("DE32", "Munich", 2),
)
FR_SITES = 3  # the first three sites belong to FR10
NAMED_REP_SITES = (0, 1, 3, 5, 2)  # sites of REP01..REP05
RIGHTS = {  # AFCTFCT.ACS per profile and function
    "ADMIN": {
        "FUNSYD6": 2,
        "FUNSYD": 2,
        "FUNSYL": 2,
        "GESSYP": 2,
        "GESCOR": 2,
        "GESTSK": 2,
        "GESCLL": 2,
        "GESBAP": 2,
    },
    "SALES": {
        "FUNSYD6": 1,
        "FUNSYD": 1,
        "FUNSYL": 1,
        "GESSYP": 1,
        "GESCOR": 2,
        "GESTSK": 2,
        "GESCLL": 2,
        "GESBAP": 2,
    },
}

_CHUNK = 250_000  # rows per generated chunk: part of the data's definition
REP01_SHARE = 0.25  # of tasks, calls, leads and contact reps (ADMIN's rep)
_NAMED_REP_SHARE = 0.03  # each of REP02..REP05, whatever the scale
Q_OWN, Q_OTHER, Q_DELETED = 0.30, 0.07, 0.01  # queued shares of records
STALE_SHARE, CHANGED_SHARE = 0.25, 0.10
ANOMALY_OWN, ANOMALY_OTHER = 0.05, 0.004
# Queue rows of one record, oldest first: records of a named user's rep (OWN), and
# records of other reps, queued for a user who was in charge before (OTHER).
OWN = ("C", "M", "R", "CM", "MM", "MR", "A", "P", "CMM")
OWN_P = (0.28, 0.28, 0.14, 0.10, 0.07, 0.03, 0.04, 0.03, 0.03)
OTHER = ("P", "M", "C", "MP")
OTHER_P = (0.55, 0.25, 0.12, 0.08)
OTHER_USER_P = (0.30, 0.15, 0.15, 0.10, 0.10, 0.20)  # in USERS order
_PATTERNS = OWN + OTHER
PATTERN_LEN = np.array([len(p) for p in _PATTERNS])
PATTERN_ACTIONS = np.array([list(p.ljust(3)) for p in _PATTERNS], dtype=object)


def _words(text: str) -> Array:
    return np.array(text.split(), dtype=object)


_FIRST = _words(
    "Anna Paul Marie Louis Emma Jan Sofia Lukas Mia Noah Olivia Liam Ava Hugo Chloe "
    "Felix Lea Tom Nina Max Julia Leon Clara Ethan"
)
_LAST = _words(
    "Martin Bernard Dubois Schmidt Muller Smith Johnson Brown Garcia Weber Laurent "
    "Moreau Fischer Wagner Miller Davis Wilson Taylor Lefebvre Becker Hoffmann Clark "
    "Lewis Roux"
)
FIRM = _words(
    "Atlas Boreal Cobalt Delta Elan Fjord Granit Helix Ionis Jura Krypton Lumen "
    "Meridian Nova Orion Polaris"
)
TRADE = _words("Industries Logistics Foods Systems Pharma Energy Retail Textiles")
SUBJECTS = {
    "TSK": (
        "Send the quote",
        "Prepare the proposal",
        "Update the contract",
        "Check the delivery",
        "Chase the payment",
        "Plan the demo",
    ),
    "CLL": (
        "Follow-up call",
        "Qualification call",
        "Price negotiation",
        "Support call",
        "Renewal call",
        "Introduction call",
    ),
    "BAP": (
        "Project review",
        "Product demonstration",
        "Annual business review",
        "Site visit",
        "Contract signature",
        "Kick-off meeting",
    ),
}
_STREAMS = (  # one RNG stream per generated table; chunks are spawned below them
    "salesrep",
    "bpcustomer",
    "lead",
    "customer_contacts",
    "lead_contacts",
    "rep_contacts",
    "btask",
    "bcall",
    "bappoint",
)


# --- generation helpers --------------------------------------------------------------


def stream_rng(seed: int, stream: str, chunk: int = 0) -> np.random.Generator:
    seq = np.random.SeedSequence(seed, spawn_key=(_STREAMS.index(stream) + 1, chunk))
    return np.random.Generator(np.random.PCG64(seq))


def make_codes(prefix: str, numbers: Array, width: int) -> Array:
    text = pd.Series(numbers, dtype="int64").astype(str).str.zfill(width)
    out: Array = (prefix + text).to_numpy(dtype=object)
    return out


def pick(values: Array, idx: Array) -> Array:
    """``values[idx]``, with '' (X3's "none") where ``idx`` is -1."""
    out = np.full(len(idx), "", dtype=object)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out


def contact_codes(idx: Array) -> Array:
    out = np.full(len(idx), "", dtype=object)
    ok = idx >= 0
    out[ok] = make_codes("OC", idx[ok] + 1, 7)
    return out


def random_reps(rng: np.random.Generator, n: int, nrep: int, rep01: float) -> Array:
    """Rep indexes: REP01 with ``rep01``, REP02..05 with 3 % each, else uniform."""
    u = rng.random(n)
    other = 5 + rng.integers(0, nrep - 5, n)
    named = 1 + ((u - rep01) / _NAMED_REP_SHARE).astype(np.int64)
    out = np.where(u < rep01 + 4 * _NAMED_REP_SHARE, named, other)
    return np.where(u < rep01, 0, out)


def random_dates(rng: np.random.Generator, n: int) -> Array:
    days = (PERIOD[1] - PERIOD[0]).days + 1
    return np.datetime64(PERIOD[0], "D") + rng.integers(0, days, n).astype("m8[D]")


def random_days(rng: np.random.Generator, n: int, low: int, high: int) -> Array:
    return rng.integers(low, high + 1, n).astype("m8[D]")


def random_seconds(rng: np.random.Generator, n: int, low: int, high: int) -> Array:
    return rng.integers(low, high, n).astype("m8[s]")


def hhmmss(seconds: Array) -> Array:
    s = seconds.astype(np.int64) % 86400
    number = (s // 3600) * 10000 + (s % 3600 // 60) * 100 + s % 60
    out: Array = pd.Series(number).astype(str).str.zfill(6).to_numpy(dtype=object)
    return out


def random_names(rng: np.random.Generator, n: int) -> tuple[Array, Array]:
    first = _FIRST[rng.integers(0, len(_FIRST), n)]
    return first, _LAST[rng.integers(0, len(_LAST), n)]


def join_text(*parts: Array | str) -> Array:
    """Element-wise concatenation of string arrays and constants."""
    result: Any = ""
    for part in parts:
        result = result + (part if isinstance(part, str) else pd.Series(part))
    return np.asarray(result, dtype=object)


def chunk_bounds(total: int) -> Iterator[tuple[int, int, int]]:
    for number, start in enumerate(range(0, total, _CHUNK)):
        yield number, start, min(start + _CHUNK, total)


CLOCK = np.datetime64(DEMO_CLOCK, "s")


# --- what the generation stages pass along -------------------------------------------


@dataclass(slots=True)
class World:
    """Facts of the small tables the chunked generators draw on, and key counters."""

    seed: int
    nrep: int
    reps: Array  # REPNUM codes
    rep_site: Array  # site index of each rep
    rep_user: Array  # index in USERS of the user having the rep, -1 none
    rep_first: Array
    rep_last: Array
    customers: Array
    customer_rep: Array  # rep index of REP_0
    leads: Array
    lead_rep: Array  # rep index of PSTREP, -1 when empty
    contacts: int = 0  # customer and lead contacts, the ones activities refer to
    sydnum: int = 0
    sylnum: int = 0


Columns = dict[str, Any]


@dataclass(slots=True)
class Records:
    """One chunk of one object type, as the queue and anomaly generators need it."""

    typ: str  # SYDTYP
    keys: Array
    owner: Array  # index in USERS of the user in charge, -1 none
    upd: Array  # UPDDATTIM (datetime64[s]); the queue rewrites it for queued records
    fields: dict[str, Array] = field(default_factory=dict)  # SYLFIE -> X3 values
