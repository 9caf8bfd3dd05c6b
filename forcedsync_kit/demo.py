"""Deterministic demo data at any scale: an X3 CRM folder with a synchronization queue.

``build`` fills the X3 tables of SPEC §2 with a folder that exercises every path of the
forced synchronization: three companies and their sites, sales reps, customers, leads,
Outlook contacts of every kind, three years of tasks, calls and appointments, a SYNCDATA
queue holding every action letter (stale and recent rows, several rows for one record,
records changed after they were queued) and SYNCLINK anomalies. The named users of
``USERS`` (ADMIN, SALES1, SALES2, NOREP, NOSYNC, GONE) are what tests and docs rely on.

Every value comes from numpy's ``Generator(PCG64)`` seeded from ``seed``, one stream per
table and chunk of ``_CHUNK`` rows, so a seed gives the same rows on DuckDB and on
PostgreSQL whatever the machine. Rows are generated into pandas frames a chunk at a time
and bulk-loaded (DuckDB: a registered frame and ``INSERT … SELECT``; PostgreSQL:
``COPY``), all in one transaction. Sizes are linear in ``scale``: scale 1 has about
5,200 activities; ``LARGE_SCALE`` (1000) has 5.2 million and about 1.3 million queue
rows, of which REP01 (ADMIN's rep) owns a quarter.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from numpy.typing import NDArray
from psycopg import sql as pgsql
from sqlalchemy.engine import Connection, Engine

from . import db, schema
from .errors import BackendError, CriteriaError

logger = logging.getLogger(__name__)

__all__ = [
    "DEMO_CLOCK",
    "LARGE_SCALE",
    "PERIOD",
    "PER_SCALE",
    "USERS",
    "DemoSummary",
    "DemoUser",
    "build",
]

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
_USER_CODES = np.array(list(USERS), dtype=object)
#: AUSCRMA at company level (the folder level says 5, "other").
_COMPANY_CRM_FUNCTION = {"FR10": 1, "US20": 1}
_COMPANIES = (
    ("FR10", "Forcedsync France"),
    ("US20", "Forcedsync USA"),
    ("DE30", "Forcedsync Deutschland"),
)
_SITES = (  # FCY, name, index of LEGCPY in _COMPANIES
    ("FR11", "Paris", 0),
    ("FR12", "Lyon", 0),
    ("FR13", "Nantes", 0),
    ("US21", "Boston", 1),
    ("US22", "Chicago", 1),
    ("DE31", "Hamburg", 2),
    ("DE32", "Munich", 2),
)
_FR_SITES = 3  # the first three sites belong to FR10
_NAMED_REP_SITES = (0, 1, 3, 5, 2)  # sites of REP01..REP05
_RIGHTS = {  # AFCTFCT.ACS per profile and function
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
_REP01_SHARE = 0.25  # of tasks, calls, leads and contact reps (ADMIN's rep)
_NAMED_REP_SHARE = 0.03  # each of REP02..REP05, whatever the scale
_Q_OWN, _Q_OTHER, _Q_DELETED = 0.30, 0.07, 0.01  # queued shares of records
_STALE_SHARE, _CHANGED_SHARE = 0.25, 0.10
_ANOMALY_OWN, _ANOMALY_OTHER = 0.05, 0.004
# Queue rows of one record, oldest first: records of a named user's rep (_OWN), and
# records of other reps, queued for a user who was in charge before (_OTHER).
_OWN = ("C", "M", "R", "CM", "MM", "MR", "A", "P", "CMM")
_OWN_P = (0.28, 0.28, 0.14, 0.10, 0.07, 0.03, 0.04, 0.03, 0.03)
_OTHER = ("P", "M", "C", "MP")
_OTHER_P = (0.55, 0.25, 0.12, 0.08)
_OTHER_USER_P = (0.30, 0.15, 0.15, 0.10, 0.10, 0.20)  # in USERS order
_PATTERNS = _OWN + _OTHER
_PATTERN_LEN = np.array([len(p) for p in _PATTERNS])
_PATTERN_ACTIONS = np.array([list(p.ljust(3)) for p in _PATTERNS], dtype=object)


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
_FIRM = _words(
    "Atlas Boreal Cobalt Delta Elan Fjord Granit Helix Ionis Jura Krypton Lumen "
    "Meridian Nova Orion Polaris"
)
_TRADE = _words("Industries Logistics Foods Systems Pharma Energy Retail Textiles")
_SUBJECTS = {
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


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What ``build`` loaded.

    Attributes:
        seed: The seed the rows were generated from.
        scale: The scale factor (sizes are linear in it).
        rows: Rows loaded per X3 table, for every X3 table (lower-case names).
        seconds: Wall-clock duration of the build, commit included.
    """

    seed: int
    scale: int
    rows: Mapping[str, int]
    seconds: float


def build(
    engine: Engine,
    *,
    scale: int = 1,
    seed: int = 42,
    progress: Callable[[str, float], None] | None = None,
    replace: bool = False,
) -> DemoSummary:
    """Load the demo folder into the X3 tables, in one transaction.

    Args:
        engine: Engine of a DuckDB or PostgreSQL database; missing tables are created.
        scale: Size factor >= 1, rows linear in it. Scale 1 has about 5,200
            activities and builds in about a second; ``LARGE_SCALE`` (1000) has 5.2
            million activities and about 1.3 million SYNCDATA rows.
        seed: Generator seed; the same seed gives the same rows on every backend.
        progress: Called as ``progress(step, fraction)`` when a step starts and after
            each chunk, with the fraction of the build done; last as ``("done", 1.0)``.
        replace: Delete the rows of every table of the schema (X3 and toolkit) first,
            instead of refusing a database whose X3 tables hold data.

    Returns:
        The seed, the scale, the rows loaded per X3 table and the duration.

    Raises:
        CriteriaError: ``scale`` is not an integer >= 1.
        BackendError: the X3 tables already hold data and ``replace`` is false
            (nothing is written), or the database cannot be used.
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise CriteriaError(
            "scale",
            scale,
            f"Demo scale {scale!r} is not valid: give an integer of 1 or more.",
            allowed="an integer >= 1",
        )
    started = time.perf_counter()
    report = progress or _no_progress
    db.init(engine)
    with db.writing(engine) as conn:
        _make_room(conn, replace=replace)
        loader = _Loader(conn)
        total = sum(PER_SCALE.values()) * scale
        for step, done in _generate(loader, seed=seed, scale=scale):
            report(step, min(0.99, done / total))
        report("commit", 0.99)
    seconds = time.perf_counter() - started
    rows = {name: loader.rows.get(name, 0) for name in schema.X3_TABLES}
    logger.info(
        "demo scale %d seed %d: %d rows in %.1f s",
        scale,
        seed,
        sum(rows.values()),
        seconds,
    )
    report("done", 1.0)
    return DemoSummary(seed=seed, scale=scale, rows=rows, seconds=seconds)


def _no_progress(step: str, fraction: float) -> None:
    """Progress sink used when the caller gives none."""


# --- loading -------------------------------------------------------------------------


def _make_room(conn: Connection, *, replace: bool) -> None:
    # Demo rows must never mix with a real folder's: refuse unless told to wipe.
    holding = None
    for name in schema.X3_TABLES:
        table = schema.metadata.tables[name]
        query = sa.select(sa.literal(1)).select_from(table).limit(1)
        if conn.execute(query).first() is not None:
            holding = name
            break
    if holding is None:
        return
    if not replace:
        raise BackendError(
            f"Database {db.masked(conn.engine.url)!r} already holds X3 data (table "
            f"{holding!r}): build the demo into an empty database or pass "
            f"replace=True to delete every row first."
        )
    logger.info("demo: deleting the rows of every table first")
    for table in reversed(schema.metadata.sorted_tables):
        conn.execute(sa.delete(table))


class _Loader:
    """Bulk-loads frames into the open transaction of a connection, counting rows."""

    _VIEW = "fsdemo_frame"
    _COPY_BATCH = 50_000

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = db.capabilities(conn).name
        self.rows: Counter[str] = Counter()

    def load(self, table: sa.Table, columns: Mapping[str, Any]) -> None:
        frame = _frame(columns)
        if frame.empty:
            return
        cols = [str(c) for c in frame.columns]
        unknown = [c for c in cols if c not in table.c]
        if unknown:
            raise KeyError(f"table {table.name} has no column {unknown[0]!r}")
        raw: Any = self.conn.connection.driver_connection
        if self.dialect == "duckdb":
            # duckdb-engine's wrapper scans a frame registered on the same connection,
            # hence inside the transaction of the statements SQLAlchemy sends.
            raw.register(self._VIEW, frame)
            try:
                source = sa.select(*(sa.column(c) for c in cols))
                source = source.select_from(sa.table(self._VIEW))
                self.conn.execute(sa.insert(table).from_select(cols, source))
            finally:
                raw.unregister(self._VIEW)
        else:
            stmt = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
                pgsql.Identifier(table.name),
                pgsql.SQL(", ").join(pgsql.Identifier(c) for c in cols),
            )
            # Text format is safe: no generated value holds a tab, newline or backslash.
            with raw.cursor() as cur, cur.copy(stmt) as copy:
                for start in range(0, len(frame), self._COPY_BATCH):
                    part = frame.iloc[start : start + self._COPY_BATCH]
                    text = part.to_csv(
                        sep="\t",
                        header=False,
                        index=False,
                        na_rep="\\N",
                        quoting=csv.QUOTE_NONE,
                        lineterminator="\n",
                    )
                    copy.write(text)
        self.rows[table.name] += len(frame)


def _frame(columns: Mapping[str, Any]) -> pd.DataFrame:
    """A frame of arrays and broadcast constants, keeping strings as Python objects.

    pandas would otherwise convert every string column to its Arrow-backed dtype, which
    costs more than the whole load; both loaders read object columns directly.
    """
    arrays = {k: v for k, v in columns.items() if not isinstance(v, str | int)}
    n = len(next(iter(arrays.values())))
    data = {}
    for name, value in columns.items():
        if isinstance(value, str):
            value = np.full(n, value, dtype=object)
        elif isinstance(value, int):
            value = np.full(n, value, dtype=np.int16)
        elif not isinstance(value, np.ndarray):
            is_text = isinstance(value[0], str)
            value = np.asarray(value, dtype=object if is_text else None)
        data[name] = pd.Series(value, dtype=object if value.dtype == object else None)
    return pd.DataFrame(data, copy=False)


# --- generation helpers --------------------------------------------------------------


def _rng(seed: int, stream: str, chunk: int = 0) -> np.random.Generator:
    seq = np.random.SeedSequence(seed, spawn_key=(_STREAMS.index(stream) + 1, chunk))
    return np.random.Generator(np.random.PCG64(seq))


def _codes(prefix: str, numbers: Array, width: int) -> Array:
    text = pd.Series(numbers, dtype="int64").astype(str).str.zfill(width)
    out: Array = (prefix + text).to_numpy(dtype=object)
    return out


def _pick(values: Array, idx: Array) -> Array:
    """``values[idx]``, with '' (X3's "none") where ``idx`` is -1."""
    out = np.full(len(idx), "", dtype=object)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out


def _contact_codes(idx: Array) -> Array:
    out = np.full(len(idx), "", dtype=object)
    ok = idx >= 0
    out[ok] = _codes("OC", idx[ok] + 1, 7)
    return out


def _reps(rng: np.random.Generator, n: int, nrep: int, rep01: float) -> Array:
    """Rep indexes: REP01 with ``rep01``, REP02..05 with 3 % each, else uniform."""
    u = rng.random(n)
    other = 5 + rng.integers(0, nrep - 5, n)
    named = 1 + ((u - rep01) / _NAMED_REP_SHARE).astype(np.int64)
    out = np.where(u < rep01 + 4 * _NAMED_REP_SHARE, named, other)
    return np.where(u < rep01, 0, out)


def _dates(rng: np.random.Generator, n: int) -> Array:
    days = (PERIOD[1] - PERIOD[0]).days + 1
    return np.datetime64(PERIOD[0], "D") + rng.integers(0, days, n).astype("m8[D]")


def _days(rng: np.random.Generator, n: int, low: int, high: int) -> Array:
    return rng.integers(low, high + 1, n).astype("m8[D]")


def _seconds(rng: np.random.Generator, n: int, low: int, high: int) -> Array:
    return rng.integers(low, high, n).astype("m8[s]")


def _hhmmss(seconds: Array) -> Array:
    s = seconds.astype(np.int64) % 86400
    number = (s // 3600) * 10000 + (s % 3600 // 60) * 100 + s % 60
    out: Array = pd.Series(number).astype(str).str.zfill(6).to_numpy(dtype=object)
    return out


def _names(rng: np.random.Generator, n: int) -> tuple[Array, Array]:
    first = _FIRST[rng.integers(0, len(_FIRST), n)]
    return first, _LAST[rng.integers(0, len(_LAST), n)]


def _join(*parts: Array | str) -> Array:
    """Element-wise concatenation of string arrays and constants."""
    result: Any = ""
    for part in parts:
        result = result + (part if isinstance(part, str) else pd.Series(part))
    return np.asarray(result, dtype=object)


def _chunks(total: int) -> Iterator[tuple[int, int, int]]:
    for number, start in enumerate(range(0, total, _CHUNK)):
        yield number, start, min(start + _CHUNK, total)


_CLOCK = np.datetime64(DEMO_CLOCK, "s")


# --- the reference tables, reps, customers and leads ---------------------------------


@dataclass(slots=True)
class _World:
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


def _reference(loader: _Loader) -> None:
    load = loader.load
    load(
        schema.company,
        {"cpy": [c for c, _ in _COMPANIES], "cpynam": [n for _, n in _COMPANIES]},
    )
    load(
        schema.facility,
        {
            "fcy": [s[0] for s in _SITES],
            "fcynam": [s[1] for s in _SITES],
            "legcpy": [_COMPANIES[s[2]][0] for s in _SITES],
        },
    )
    users = list(USERS.values())
    load(
        schema.autilis,
        {
            "codusr": [u.code for u in users],
            "nomusr": [u.name for u in users],
            "enaflg": np.array([2 if u.active else 1 for u in users], dtype=np.int16),
            "prffct": [u.profile for u in users],
            "cpy": [u.company for u in users],
        },
    )
    rights = [(p, f, a) for p, fa in _RIGHTS.items() for f, a in fa.items()]
    load(
        schema.afctfct,
        {
            "prffct": [r[0] for r in rights],
            "fct": [r[1] for r in rights],
            "acs": np.array([r[2] for r in rights], dtype=np.int16),
        },
    )
    values = [
        (p, "GEN", "", "2")
        for p in ("CRMSYNC", "CRMSYNCCOR", "CRMSYNCTSK", "CRMSYNCCLL", "CRMSYNCBAP")
    ]
    values.append(("AUSCRMA", "GEN", "", "5"))
    values += [("AUSCRMA", "CPY", c, str(v)) for c, v in _COMPANY_CRM_FUNCTION.items()]
    for u in users:
        if u.crm_function is not None:
            values.append(("AUSCRMA", "USR", u.code, str(u.crm_function)))
        if u.rep is not None:
            values.append(("AUSCRMF", "USR", u.code, u.rep))
    load(
        schema.adoval,
        dict(
            zip(
                ("param", "lev", "levkey", "valeur"),
                map(list, zip(*values, strict=True)),
                strict=True,
            )
        ),
    )
    synced = [u for u in users if u.syncpar]
    flags: dict[str, Any] = {
        f"{obj}otk{act}": np.array(
            [1 if (obj == "cll" and u.code == "SALES2") else 2 for u in synced],
            dtype=np.int16,
        )
        for obj in schema.SYNC_OBJECTS
        for act in ("cre", "upd")
    }
    load(
        schema.syncpar,
        {
            "sypusr": [u.code for u in synced],
            "otkusr": [f"{u.code.lower()}@forcedsync.example" for u in synced],
            **flags,
        },
    )


def _people(loader: _Loader, seed: int, scale: int) -> _World:
    nrep = PER_SCALE["salesrep"] * scale
    rng = _rng(seed, "salesrep")
    reps = _codes("REP", np.arange(1, nrep + 1), 2)
    first, last = _names(rng, nrep)
    rep_site = np.concatenate(
        [_NAMED_REP_SITES, rng.integers(0, len(_SITES), nrep - 5)]
    )
    sites = np.array([s[0] for s in _SITES], dtype=object)
    loader.load(
        schema.salesrep,
        {"repnum": reps, "repnam": _join(first, " ", last), "fcy": sites[rep_site]},
    )
    rep_user = np.full(nrep, -1)
    for i, user in enumerate(USERS.values()):
        if user.rep is not None:
            rep_user[int(user.rep[3:]) - 1] = i

    n = PER_SCALE["bpcustomer"] * scale
    rng = _rng(seed, "bpcustomer")
    customers = _codes("C", np.arange(1, n + 1), 6)
    rep0 = _reps(rng, n, nrep, 0.20)
    u = rng.random(n)
    # REP_1 is another rep than REP_0, and REP01 only with the probability below.
    second = 1 + (np.maximum(rep0 - 1, 0) + 1 + rng.integers(0, nrep - 2, n)) % (
        nrep - 1
    )
    rep1 = np.where((rep0 != 0) & (u < 0.07), 0, np.where(u < 0.45, second, -1))
    name = _join(
        _FIRM[rng.integers(0, len(_FIRM), n)],
        " ",
        _TRADE[rng.integers(0, len(_TRADE), n)],
    )
    loader.load(
        schema.bpcustomer,
        {
            "bpcnum": customers,
            "bpcnam": name,
            "rep_0": reps[rep0],
            "rep_1": _pick(reps, rep1),
            "bpcsta": np.where(rng.random(n) < 0.10, 1, 2).astype(np.int16),
        },
    )

    n = PER_SCALE["lead"] * scale
    rng = _rng(seed, "lead")
    leads = _codes("L", np.arange(1, n + 1), 6)
    lead_rep = np.where(rng.random(n) < 0.05, -1, _reps(rng, n, nrep, _REP01_SHARE))
    name = _join(
        _FIRM[rng.integers(0, len(_FIRM), n)],
        " Prospect ",
        _codes("", rng.integers(1, 1000, n), 3),
    )
    loader.load(
        schema.lead,
        {
            "pstnum": leads,
            "pstnam": name,
            "pstrep": _pick(reps, lead_rep),
            "pststa": rng.integers(1, 5, n).astype(np.int16),
        },
    )
    return _World(
        seed,
        nrep,
        reps,
        rep_site,
        rep_user,
        first,
        last,
        customers,
        rep0,
        leads,
        lead_rep,
    )


# --- contacts and activities ---------------------------------------------------------

_SITE_CODES = np.array([s[0] for s in _SITES], dtype=object)
_TODAY = np.datetime64(DEMO_CLOCK.date(), "D")
Columns = dict[str, Any]


@dataclass(slots=True)
class _Records:
    """One chunk of one object type, as the queue and anomaly generators need it."""

    typ: str  # SYDTYP
    keys: Array
    owner: Array  # index in USERS of the user in charge, -1 none
    upd: Array  # UPDDATTIM (datetime64[s]); the queue rewrites it for queued records
    fields: dict[str, Array] = field(default_factory=dict)  # SYLFIE -> X3 values


def _sites(rng: np.random.Generator, w: _World, rep: Array) -> Array:
    """SALFCY: REP01 works mostly on FR10 sites, the others mostly on their own."""
    n = len(rep)
    anywhere = rng.integers(0, len(_SITES), n)
    home = np.where(rng.random(n) < 0.75, w.rep_site[rep], anywhere)
    france = np.where(rng.random(n) < 0.85, rng.integers(0, _FR_SITES, n), anywhere)
    return _SITE_CODES[np.where(rep == 0, france, home)]


def _some_contacts(rng: np.random.Generator, w: _World, n: int, filled: float) -> Array:
    return np.where(rng.random(n) < filled, rng.integers(0, w.contacts, n), -1)


def _subjects(rng: np.random.Generator, typ: str, n: int) -> Array:
    return np.array(_SUBJECTS[typ], dtype=object)[rng.integers(0, 6, n)]


def _record_upd(rng: np.random.Generator, when: Array) -> Array:
    """Last change: up to 20 days before the activity, never after the demo clock."""
    n = len(when)
    made = when.astype("M8[s]") - _seconds(rng, n, 0, 20 * 86400)
    latest = _CLOCK - _seconds(rng, n, 3600, 90 * 86400)
    out: Array = np.minimum(made, latest)
    return out


def _contacts(
    loader: _Loader, w: _World, rng: np.random.Generator, kind: str, first: int, n: int
) -> tuple[Columns, _Records]:
    """Outlook contacts numbered from ``first`` (their CORREP rows are loaded here)."""
    keys = _codes("OC", first + np.arange(n), 7)
    upd = _CLOCK - _seconds(rng, n, 3600, 3 * 365 * 86400)
    cols: Columns
    if kind == "rep_contacts":  # one CORTYP=2 contact per rep, in rep order
        rep = first - 1 - w.contacts + np.arange(n)
        fna, lna = w.rep_first[rep], w.rep_last[rep]
        domain: Array | str = "forcedsync.example"
        cols = {"cortyp": 2, "bprnum": "", "cpybpatyp": 0, "repnum": w.reps[rep]}
        cols["fnc"] = 0
        owner = w.rep_user[rep]
    else:
        fna, lna = _names(rng, n)
        partners, partner_reps, bpatyp = (
            (w.customers, w.customer_rep, 1)
            if kind == "customer_contacts"
            else (w.leads, w.lead_rep, 6)
        )
        partner = rng.integers(0, len(partners), n)
        bpr = partners[partner]
        domain = _join(pd.Series(bpr).str.lower().to_numpy(), ".example.com")
        cols = {"cortyp": 1, "bprnum": bpr, "cpybpatyp": bpatyp, "repnum": ""}
        cols["fnc"] = rng.integers(1, 13, n).astype(np.int16)
        in_charge = rng.random(n) < 0.30
        rep = _reps(rng, n, w.nrep, _REP01_SHARE)
        second = in_charge & (rng.random(n) < 0.15)
        rep2 = (rep + 1 + rng.integers(0, w.nrep - 1, n)) % w.nrep
        loader.load(
            schema.correp,
            {
                "coprep": np.concatenate(
                    [w.reps[rep[in_charge]], w.reps[rep2[second]]]
                ),
                "copnum": np.concatenate([keys[in_charge], keys[second]]),
            },
        )
        partner_rep = partner_reps[partner]
        by_partner = np.where(partner_rep >= 0, w.rep_user[partner_rep], -1)
        by_correp = np.where(in_charge, w.rep_user[rep], -1)
        owner = np.where(by_correp >= 0, by_correp, by_partner)
    lower = pd.Series(_join(fna, ".", lna)).str.lower().to_numpy(dtype=object)
    email = _join(lower, "@", domain)
    cols = {"cornum": keys, **cols, "cntlna": lna, "cntfna": fna, "cntema": email}
    cols["upddattim"] = upd
    fields = {"CNTEMA": email, "CNTLNA": lna, "CNTFNA": fna}
    return cols, _Records("COR", keys, owner, upd, fields)


def _tasks(
    w: _World, rng: np.random.Generator, start: int, n: int
) -> tuple[Columns, _Records]:
    keys = _codes("T", start + 1 + np.arange(n), 8)
    rep = _reps(rng, n, w.nrep, _REP01_SHARE)
    begin = _dates(rng, n)
    due = begin + _days(rng, n, 0, 30)
    subject = _subjects(rng, "TSK", n)
    done = (due < _TODAY) & (rng.random(n) < 0.85)
    cols = {
        "tsknum": keys,
        "tskstr": begin,
        "tskdat": due,
        "tskrep": w.reps[rep],
        "tskcor": _contact_codes(_some_contacts(rng, w, n, 0.80)),
        "salfcy": _sites(rng, w, rep),
        "tskdon": np.where(done, 2, 1).astype(np.int16),
        "fulobj": subject,
        "upddattim": _record_upd(rng, begin),
    }
    fields = {"FULOBJ": subject, "TSKDAT": due, "TSKSTR": begin}
    return cols, _Records("TSK", keys, w.rep_user[rep], cols["upddattim"], fields)


def _calls(
    w: _World, rng: np.random.Generator, start: int, n: int
) -> tuple[Columns, _Records]:
    keys = _codes("K", start + 1 + np.arange(n), 8)
    rep = _reps(rng, n, w.nrep, _REP01_SHARE)
    day = _dates(rng, n)
    subject = _subjects(rng, "CLL", n)
    cols = {
        "cllnum": keys,
        "clldat": day,
        "cllrep": w.reps[rep],
        "cllcor": _contact_codes(_some_contacts(rng, w, n, 0.85)),
        "salfcy": _sites(rng, w, rep),
        "fulobj": subject,
        "upddattim": _record_upd(rng, day),
    }
    fields = {"FULOBJ": subject, "CLLDAT": day}
    return cols, _Records("CLL", keys, w.rep_user[rep], cols["upddattim"], fields)


def _appointments(
    w: _World, rng: np.random.Generator, start: int, n: int
) -> tuple[Columns, _Records]:
    keys = _codes("A", start + 1 + np.arange(n), 8)
    org = _reps(rng, n, w.nrep, 0.18)
    # REP01 intervenes in some appointments it does not organise (a quarter in all).
    with01 = (org != 0) & (rng.random(n) < 0.09)
    others = rng.choice(5, n, p=(0.30, 0.30, 0.20, 0.12, 0.08))
    # Other intervening reps: distinct, never REP01 nor the organizer, as the offsets
    # 1..8 from the organizer stay below nrep - 1 (nrep >= 10).
    base = np.where(org > 0, org - 1, rng.integers(0, w.nrep - 1, n))
    steps = rng.integers(1, 3, (n, 4)).cumsum(axis=1)
    pool = 1 + (base[:, None] + steps) % (w.nrep - 1)
    slots = np.full((n, schema.APT_ARRAY), -1)
    slots[:, 0] = np.where(with01, 0, -1)
    rows, first_free = np.arange(n), with01.astype(np.int64)
    for j in range(4):
        take = j < others
        slots[rows[take], j + first_free[take]] = pool[take, j]
    # Queued for the organizer's user, else for ADMIN when REP01 intervenes (the other
    # intervening reps are drawn among all reps: using them would tie shares to scale).
    owner = np.where(w.rep_user[org] >= 0, w.rep_user[org], np.where(with01, 0, -1))
    met = rng.choice(6, n, p=(0.10, 0.35, 0.25, 0.15, 0.10, 0.05))
    first_met, stride = rng.integers(0, w.contacts, n), rng.integers(1, 50, n)
    day = _dates(rng, n)
    end = day + rng.choice(3, n, p=(0.80, 0.15, 0.05)).astype("m8[D]")
    hour = _hhmmss((8 + rng.integers(0, 11, n)) * 3600 + rng.integers(0, 4, n) * 900)
    subject = _subjects(rng, "BAP", n)
    cols: Columns = {
        "aptnum": keys,
        "aptdat": day,
        "aptdatend": end,
        "apthou": hour,
        "atprepmna": w.reps[org],
    }
    for j in range(schema.APT_ARRAY):
        cols[f"aptrepnum_{j}"] = _pick(w.reps, slots[:, j])
    for j in range(schema.APT_ARRAY):
        contact = np.where(j < met, (first_met + j * stride) % w.contacts, -1)
        cols[f"aptcor_{j}"] = _contact_codes(contact)
    cols["salfcy"] = _sites(rng, w, org)
    cols["fulobj"] = subject
    cols["upddattim"] = _record_upd(rng, day)
    fields = {"FULOBJ": subject, "APTDAT": day, "APTHOU": hour}
    return cols, _Records("BAP", keys, owner, cols["upddattim"], fields)


# --- the queue (SYNCDATA) and the anomalies (SYNCLINK) -------------------------------


def _ages(rng: np.random.Generator, n: int) -> Array:
    """Age of a record's newest queue row: recent (< 6 days) or stale (months)."""
    stale = rng.random(n) < _STALE_SHARE
    months = rng.integers(30 * 86400, 300 * 86400, n)
    return np.where(stale, months, rng.integers(600, 6 * 86400, n)).astype("m8[s]")


def _queue(w: _World, rng: np.random.Generator, rec: _Records, gone: Array) -> Columns:
    """Queue rows for a share of the records; A rows for the deleted keys ``gone``.

    Rewrites ``rec.upd`` of the queued records: just before their newest row, or (a
    tenth of them) after it, so that they count as changed after queued.
    """
    own = rec.owner >= 0
    u = rng.random(len(rec.keys))
    picked = np.flatnonzero(np.where(own, u < _Q_OWN, u < _Q_OTHER))
    m = len(picked)
    mine = own[picked]
    pattern = np.where(
        mine,
        rng.choice(len(_OWN), m, p=_OWN_P),
        len(_OWN) + rng.choice(len(_OTHER), m, p=_OTHER_P),
    )
    user = np.where(mine, rec.owner[picked], rng.choice(len(USERS), m, p=_OTHER_USER_P))
    last = _CLOCK - _ages(rng, m)
    room = (_CLOCK - last).astype(np.int64)
    after = last + (room * rng.uniform(0.2, 0.9, m)).astype(np.int64).astype("m8[s]")
    before = last - _seconds(rng, m, 0, 120)
    rec.upd[picked] = np.where(rng.random(m) < _CHANGED_SHARE, after, before)
    gap = rng.integers(3600, 3 * 86400, m)
    length = _PATTERN_LEN[pattern]
    row = np.repeat(np.arange(m), length)
    pos = np.arange(len(row)) - np.repeat(np.cumsum(length) - length, length)
    when = last[row] - ((length[row] - 1 - pos) * gap[row]).astype("m8[s]")
    nd = len(gone)
    keys = np.concatenate([rec.keys[picked[row]], gone])
    users = np.concatenate([user[row], rng.choice(len(USERS), nd, p=_OTHER_USER_P)])
    action = np.concatenate(
        [_PATTERN_ACTIONS[pattern[row], pos], np.full(nd, "A", dtype=object)]
    )
    when = np.concatenate([when, _CLOCK - _ages(rng, nd)])
    sydnum = w.sydnum + 1 + np.arange(len(keys), dtype=np.int64)
    w.sydnum += len(keys)
    sydusr = _USER_CODES[users]
    by = np.where(action == "R", "ADMIN", sydusr)  # forced rows come from FUNSYD6
    day = when.astype("M8[D]")
    return {
        "sydnum": sydnum,
        "sydusr": sydusr,
        "sydtyp": rec.typ,
        "sydkey": keys,
        "sydatttyp": action,
        "syddat": day,
        "sydhou": _hhmmss((when - day).astype(np.int64)),
        "sydgen": "0",
        "sydupd": "0",
        "sydotksta": "0",
        "creusr": by,
        "credattim": when,
        "updusr": by,
        "upddattim": when,
    }


def _gone(
    rng: np.random.Generator, prefix: str, width: int, total: int, start: int, n: int
) -> Array:
    """Keys of records deleted from X3 (numbered above ``total``), one per 100."""
    count = int(rng.binomial(n, _Q_DELETED))
    return _codes(prefix, total + 1 + start + np.arange(count), width)


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


def _anomalies(w: _World, rng: np.random.Generator, rec: _Records) -> Columns:
    """SYNCLINK rows for a share of the records, queued or not."""
    own = rec.owner >= 0
    u = rng.random(len(rec.keys))
    hit = np.flatnonzero(np.where(own, u < _ANOMALY_OWN, u < _ANOMALY_OTHER))
    m = len(hit)
    user = np.where(
        own[hit], rec.owner[hit], rng.choice(len(USERS), m, p=_OTHER_USER_P)
    )
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
        "sylusr": _USER_CODES[user],
        "syltyp": rec.typ,
        "sylkey": rec.keys[hit],
        "sylfie": names[which],
        "sylvaladx": x3,
        "sylvalotk": otk,
        "sylflgdpt": flag,
    }


# --- the whole build -----------------------------------------------------------------

_Maker = Callable[[_World, np.random.Generator, int, int], tuple[Columns, _Records]]
_ACTIVITIES: tuple[tuple[str, sa.Table, str, _Maker], ...] = (
    ("tasks", schema.btask, "T", _tasks),
    ("calls", schema.bcall, "K", _calls),
    ("appointments", schema.bappoint, "A", _appointments),
)


def _finish(
    loader: _Loader,
    w: _World,
    rng: np.random.Generator,
    table: sa.Table,
    chunk: tuple[Columns, _Records],
    gone: Array,
) -> None:
    cols, rec = chunk
    queue = _queue(w, rng, rec, gone)  # first: it rewrites the records' UPDDATTIM
    loader.load(table, cols)
    loader.load(schema.syncdata, queue)
    loader.load(schema.synclink, _anomalies(w, rng, rec))


def _generate(loader: _Loader, *, seed: int, scale: int) -> Iterator[tuple[str, int]]:
    """Generate and load everything, yielding (step, rows generated so far)."""
    yield "reference data", 0
    _reference(loader)
    yield "customers and leads", 0
    w = _people(loader, seed, scale)
    done = sum(PER_SCALE[t] for t in ("salesrep", "bpcustomer", "lead")) * scale
    segments = (
        ("customer_contacts", PER_SCALE["customer_contacts"] * scale),
        ("lead_contacts", PER_SCALE["lead_contacts"] * scale),
        ("rep_contacts", w.nrep),
    )
    w.contacts = segments[0][1] + segments[1][1]
    total = w.contacts + w.nrep
    offset = 0
    yield "contacts", done
    for kind, count in segments:
        for number, start, stop in _chunks(count):
            rng = _rng(seed, kind, number)
            n = stop - start
            chunk = _contacts(loader, w, rng, kind, offset + start + 1, n)
            gone = _gone(rng, "OC", 7, total, offset + start, n)
            _finish(loader, w, rng, schema.correspond, chunk, gone)
            done += n if kind != "rep_contacts" else 0
            yield "contacts", done
        offset += count
    for step, table, prefix, make in _ACTIVITIES:
        count = PER_SCALE[table.name] * scale
        yield step, done
        for number, start, stop in _chunks(count):
            rng = _rng(seed, table.name, number)
            n = stop - start
            chunk = make(w, rng, start, n)
            _finish(
                loader, w, rng, table, chunk, _gone(rng, prefix, 8, count, start, n)
            )
            done += n
            yield step, done
