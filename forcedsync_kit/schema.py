"""Core ``Table`` objects: the X3 tables of SPEC §2 and the toolkit's own run tables.

X3 dictionary names are kept, in lower case, so an X3 consultant recognises them. Array
fields are stored as X3 stores them in SQL (``NAME_0 .. NAME_9``). Every column beyond
SPEC §2 is nullable or has a default, so other programs can load these tables naming
only the SPEC's columns. Tables are declared, never reflected (reflection through
duckdb-engine 0.17 queries pg_catalog.pg_collation, which DuckDB 2.x lacks).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import (
    TIMESTAMP,
    BigInteger,
    Column,
    Date,
    Index,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

logger = logging.getLogger(__name__)

metadata = MetaData()

#: X3 tables (SPEC §2); everything the toolkit reads or writes in the X3 folder.
X3_TABLES: list[str] = []
#: The toolkit's own tables (run history, per-record detail, saved rows, key counter).
TOOLKIT_TABLES: list[str] = []

_CODE = 20  # X3 codes are short; 20 leaves room for folder customisations.
_NAME = 80


def _code(name: str, **kw: Any) -> Column[Any]:
    return Column(name, String(_CODE), **kw)


def _text(name: str, length: int = _NAME) -> Column[Any]:
    return Column(name, String(length))


def _key(name: str) -> Column[Any]:
    """A code that is (part of) the table's primary key."""
    return _code(name, primary_key=True)


def _small(name: str) -> Column[Any]:
    """A local menu or a flag (X3 stores 1 = no, 2 = yes)."""
    return Column(name, SmallInteger)


def _date(name: str) -> Column[Any]:
    return Column(name, Date)


def _stamp(name: str) -> Column[Any]:
    return Column(name, TIMESTAMP)


def _hour(name: str) -> Column[Any]:
    """An X3 time of day, 'HHMMSS'."""
    return Column(name, String(6))


def _flag(name: str) -> Column[Any]:
    """A one-letter code (SYNCDATA's generation and status letters)."""
    return Column(name, String(1))


def _note(name: str) -> Column[Any]:
    """Free text of any length (the toolkit's JSON and messages)."""
    return Column(name, Text)


def _user_record(prefix: str) -> list[Column[Any]]:
    """NUM (the key), USR, TYP, KEY: a row of a user's records (SYNCDATA, SYNCLINK)."""
    return [
        Column(f"{prefix}num", BigInteger, primary_key=True, autoincrement=False),
        _code(f"{prefix}usr"),
        _code(f"{prefix}typ"),
        _code(f"{prefix}key"),
    ]


def _x3(name: str, *cols: Any) -> Table:
    X3_TABLES.append(name)
    return Table(name, metadata, *cols)


def _own(name: str, *cols: Any) -> Table:
    TOOLKIT_TABLES.append(name)
    return Table(name, metadata, *cols)


autilis = _x3(
    "autilis",
    _key("codusr"),
    _text("nomusr"),
    _small("enaflg"),
    _code("prffct"),
    _code("cpy"),
    _text("login"),  # the person's login name (SPEC §7); nullable, may be blank
)

afctfct = _x3(
    "afctfct",
    _key("prffct"),
    _key("fct"),
    _small("acs"),
)

adoval = _x3(
    "adoval",
    _key("param"),
    _key("lev"),
    _key("levkey"),
    _text("valeur", 250),
)

company = _x3("company", _key("cpy"), _text("cpynam"))

facility = _x3("facility", _key("fcy"), _text("fcynam"), _code("legcpy"))

salesrep = _x3("salesrep", _key("repnum"), _text("repnam"), _code("fcy"))

bpcustomer = _x3(
    "bpcustomer",
    _key("bpcnum"),
    _text("bpcnam"),
    _code("rep_0"),
    _code("rep_1"),
    _small("bpcsta"),
)

lead = _x3(
    "lead",
    _key("pstnum"),
    _text("pstnam"),
    _code("pstrep"),
    _small("pststa"),
)

correspond = _x3(
    "correspond",
    _key("cornum"),
    _small("cortyp"),
    _code("bprnum"),
    _small("cpybpatyp"),
    _code("repnum"),
    _small("fnc"),
    _text("cntlna"),
    _text("cntfna"),
    _text("cntema"),
    _stamp("upddattim"),
)

correp = _x3(
    "correp",
    _key("coprep"),
    _key("copnum"),
)

btask = _x3(
    "btask",
    _key("tsknum"),
    _date("tskstr"),
    _date("tskdat"),
    _code("tskrep"),
    _code("tskcor"),
    _code("salfcy"),
    _small("tskdon"),
    _text("fulobj", 250),
    _stamp("upddattim"),
)

bcall = _x3(
    "bcall",
    _key("cllnum"),
    _date("clldat"),
    _code("cllrep"),
    _code("cllcor"),
    _code("salfcy"),
    _text("fulobj", 250),
    _stamp("upddattim"),
)

#: Number of elements of the X3 array fields APTREPNUM and APTCOR.
APT_ARRAY = 10

bappoint = _x3(
    "bappoint",
    _key("aptnum"),
    _date("aptdat"),
    _date("aptdatend"),
    _hour("apthou"),
    _code("atprepmna"),
    *[_code(f"aptrepnum_{i}") for i in range(APT_ARRAY)],
    *[_code(f"aptcor_{i}") for i in range(APT_ARRAY)],
    _code("salfcy"),
    _text("fulobj", 250),
    _stamp("upddattim"),
)

#: Object codes whose SYNCPAR flags are {obj}otkcre / {obj}otkupd.
SYNC_OBJECTS = ("cor", "tsk", "cll", "bap")

syncpar = _x3(
    "syncpar",
    _key("sypusr"),
    _text("otkusr"),
    *[
        Column(f"{obj}otk{act}", SmallInteger)
        for obj in SYNC_OBJECTS
        for act in ("cre", "upd")
    ],
)

syncdata = _x3(
    "syncdata",
    *_user_record("syd"),
    _code("sydatttyp"),
    _date("syddat"),
    _hour("sydhou"),
    _flag("sydgen"),
    _flag("sydupd"),
    _flag("sydotksta"),
    _code("creusr"),
    _stamp("credattim"),
    _code("updusr"),
    _stamp("upddattim"),
)

synclink = _x3(
    "synclink",
    *_user_record("syl"),
    _text("sylfie"),
    _text("sylvaladx", 250),
    _text("sylvalotk", 250),
    _small("sylflgdpt"),
)

# --- the toolkit's own tables -------------------------------------------------------

#: One row per run (force or undo): who, for whom, criteria, clock, counts, warnings.
fsyrun = _own(
    "fsyrun",
    Column("runid", String(32), primary_key=True),
    Column("runkind", String(8), nullable=False),  # FORCE or UNDO
    _code("oprusr"),
    _code("usr"),
    _code("cpy"),
    _note("criteria"),  # JSON of the criteria, SPEC parameter names
    _stamp("started"),
    _stamp("ended"),
    _stamp("runclock"),  # the run's "now" (SYDDAT/SYDHOU written)
    Column("status", String(10)),  # DONE; UNDONE once undone
    _note("counts"),  # JSON {type: {outcome: n}}
    _note("warnings"),  # JSON list of strings
    Column("undorun", String(32)),  # FORCE: the UNDO run that reverted it
    Column("targetrun", String(32)),  # UNDO: the FORCE run it reverted
)

#: One row per selected record of a FORCE run: the staged selection and detailed log.
fsylog = _own(
    "fsylog",
    Column("runid", String(32), nullable=False),
    _code("sydtyp", nullable=False),
    _code("sydkey", nullable=False),
    Column("outcome", String(10), nullable=False),
    _small("oop"),  # 1 when out of phase
    _note("reasons"),  # reasons, separated by REASON_SEP
    Column("newsydnum", BigInteger),  # the R row written (insert / supersede)
    Column("undone", String(12)),  # after undo: RESTORED or KEPT
    Index("fsylog_run", "runid", "sydtyp", "sydkey"),
)

#: Copies of the SYNCDATA rows a FORCE run replaced, so that undo restores them exactly.
fsyold = _own(
    "fsyold",
    Column("runid", String(32), nullable=False),
    *[
        Column(c.name, c.type, nullable=True)
        for c in syncdata.columns  # same names and types as SYNCDATA
    ],
    Index("fsyold_run", "runid", "sydtyp", "sydkey"),
)

#: High-water mark of the SYDNUM keys the toolkit generates (never reused, SPEC §2).
fsykey = _own(
    "fsykey",
    Column("keyname", String(20), primary_key=True),
    Column("lastval", BigInteger, nullable=False),
)

#: One row per team run (batch): who made it, its criteria (with the team selectors),
#: its clock and whether every user's part is done. Written by ``batchlog`` alone.
fsybatch = _own(
    "fsybatch",
    Column("batchid", String(32), primary_key=True),
    _code("oprusr"),
    _note("criteria"),  # JSON of the criteria, SPEC parameter names
    _stamp("started"),
    _stamp("runclock"),
    Column("status", String(10)),  # OPEN until every part is settled; DONE; UNDONE
)

#: One row per user of a team run: its order, state, FORCE run and the reason of a
#: refusal or failure. A part is DONE in the same transaction as its FORCE run.
fsybusr = _own(
    "fsybusr",
    Column("batchid", String(32), primary_key=True),
    _key("usr"),
    Column("seq", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),  # PENDING DONE REFUSED FAILED
    Column("runid", String(32)),  # the part's FORCE run, once DONE
    _note("message"),  # why it was refused or failed
)

#: Separator of the reasons stored in FSYLOG.REASONS (a control character no value has).
REASON_SEP = "\x1f"
