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


def _x3(name: str, *cols: Any) -> Table:
    X3_TABLES.append(name)
    return Table(name, metadata, *cols)


def _own(name: str, *cols: Any) -> Table:
    TOOLKIT_TABLES.append(name)
    return Table(name, metadata, *cols)


autilis = _x3(
    "autilis",
    _code("codusr", primary_key=True),
    _text("nomusr"),
    Column("enaflg", SmallInteger),
    _code("prffct"),
    _code("cpy"),
    _text("login"),  # the person's login name (SPEC §7); nullable, may be blank
)

afctfct = _x3(
    "afctfct",
    _code("prffct", primary_key=True),
    _code("fct", primary_key=True),
    Column("acs", SmallInteger),
)

adoval = _x3(
    "adoval",
    _code("param", primary_key=True),
    _code("lev", primary_key=True),
    _code("levkey", primary_key=True),
    _text("valeur", 250),
)

company = _x3("company", _code("cpy", primary_key=True), _text("cpynam"))

facility = _x3(
    "facility", _code("fcy", primary_key=True), _text("fcynam"), _code("legcpy")
)

salesrep = _x3(
    "salesrep", _code("repnum", primary_key=True), _text("repnam"), _code("fcy")
)

bpcustomer = _x3(
    "bpcustomer",
    _code("bpcnum", primary_key=True),
    _text("bpcnam"),
    _code("rep_0"),
    _code("rep_1"),
    Column("bpcsta", SmallInteger),
)

lead = _x3(
    "lead",
    _code("pstnum", primary_key=True),
    _text("pstnam"),
    _code("pstrep"),
    Column("pststa", SmallInteger),
)

correspond = _x3(
    "correspond",
    _code("cornum", primary_key=True),
    Column("cortyp", SmallInteger),
    _code("bprnum"),
    Column("cpybpatyp", SmallInteger),
    _code("repnum"),
    Column("fnc", SmallInteger),
    _text("cntlna"),
    _text("cntfna"),
    _text("cntema"),
    Column("upddattim", TIMESTAMP),
)

correp = _x3(
    "correp",
    _code("coprep", primary_key=True),
    _code("copnum", primary_key=True),
)

btask = _x3(
    "btask",
    _code("tsknum", primary_key=True),
    Column("tskstr", Date),
    Column("tskdat", Date),
    _code("tskrep"),
    _code("tskcor"),
    _code("salfcy"),
    Column("tskdon", SmallInteger),
    _text("fulobj", 250),
    Column("upddattim", TIMESTAMP),
)

bcall = _x3(
    "bcall",
    _code("cllnum", primary_key=True),
    Column("clldat", Date),
    _code("cllrep"),
    _code("cllcor"),
    _code("salfcy"),
    _text("fulobj", 250),
    Column("upddattim", TIMESTAMP),
)

#: Number of elements of the X3 array fields APTREPNUM and APTCOR.
APT_ARRAY = 10

bappoint = _x3(
    "bappoint",
    _code("aptnum", primary_key=True),
    Column("aptdat", Date),
    Column("aptdatend", Date),
    Column("apthou", String(6)),
    _code("atprepmna"),
    *[_code(f"aptrepnum_{i}") for i in range(APT_ARRAY)],
    *[_code(f"aptcor_{i}") for i in range(APT_ARRAY)],
    _code("salfcy"),
    _text("fulobj", 250),
    Column("upddattim", TIMESTAMP),
)

#: Object codes whose SYNCPAR flags are {obj}otkcre / {obj}otkupd.
SYNC_OBJECTS = ("cor", "tsk", "cll", "bap")

syncpar = _x3(
    "syncpar",
    _code("sypusr", primary_key=True),
    _text("otkusr"),
    *[
        Column(f"{obj}otk{act}", SmallInteger)
        for obj in SYNC_OBJECTS
        for act in ("cre", "upd")
    ],
)

syncdata = _x3(
    "syncdata",
    Column("sydnum", BigInteger, primary_key=True, autoincrement=False),
    _code("sydusr"),
    _code("sydtyp"),
    _code("sydkey"),
    _code("sydatttyp"),
    Column("syddat", Date),
    Column("sydhou", String(6)),
    Column("sydgen", String(1)),
    Column("sydupd", String(1)),
    Column("sydotksta", String(1)),
    _code("creusr"),
    Column("credattim", TIMESTAMP),
    _code("updusr"),
    Column("upddattim", TIMESTAMP),
)

synclink = _x3(
    "synclink",
    Column("sylnum", BigInteger, primary_key=True, autoincrement=False),
    _code("sylusr"),
    _code("syltyp"),
    _code("sylkey"),
    _text("sylfie"),
    _text("sylvaladx", 250),
    _text("sylvalotk", 250),
    Column("sylflgdpt", SmallInteger),
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
    Column("criteria", Text),  # JSON of the criteria, SPEC parameter names
    Column("started", TIMESTAMP),
    Column("ended", TIMESTAMP),
    Column("runclock", TIMESTAMP),  # the run's "now" (SYDDAT/SYDHOU written)
    Column("status", String(10)),  # DONE; UNDONE once undone
    Column("counts", Text),  # JSON {type: {outcome: n}}
    Column("warnings", Text),  # JSON list of strings
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
    Column("oop", SmallInteger),  # 1 when out of phase
    Column("reasons", Text),  # reasons, separated by REASON_SEP
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
    Column("criteria", Text),  # JSON of the criteria, SPEC parameter names
    Column("started", TIMESTAMP),
    Column("runclock", TIMESTAMP),
    Column("status", String(10)),  # OPEN until every part is settled; DONE; UNDONE
)

#: One row per user of a team run: its order, state, FORCE run and the reason of a
#: refusal or failure. A part is DONE in the same transaction as its FORCE run.
fsybusr = _own(
    "fsybusr",
    Column("batchid", String(32), primary_key=True),
    _code("usr", primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),  # PENDING DONE REFUSED FAILED
    Column("runid", String(32)),  # the part's FORCE run, once DONE
    Column("message", Text),  # why it was refused or failed
)

#: Separator of the reasons stored in FSYLOG.REASONS (a control character no value has).
REASON_SEP = "\x1f"
