"""Hostile and bad input (issue #6): every refusal of SPEC §4.2, through the command
line (click's CliRunner, and a real process for some) and through the library, on
DuckDB and PostgreSQL.

Each refusal: exit code 1, one sentence on stderr naming the field, and SYNCDATA and
the toolkit's tables byte-identical before and after. Quotes, SQL fragments, ``%``,
``_`` and ``\\`` in code *range* fields are legitimate values: they select what
compares between them as strings, literally, and inject nothing.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from builders import NOW, World
from click.testing import CliRunner
from conftest import drop_pg_schema, pg_url_or_skip
from reliability_helpers import (
    Who,
    check_forced,
    cli_args,
    counts_of,
    reference_outcomes,
    reference_selection,
    run_cli,
    state,
    syncdata,
    world_rows,
    written_keys,
)

from forcedsync_kit import db, marking
from forcedsync_kit import schema as s
from forcedsync_kit.cli import cli
from forcedsync_kit.criteria import Criteria
from forcedsync_kit.errors import ForcedSyncError

INJECTION = "' OR 1=1 --"
#: Contacts whose keys hold the characters LIKE and SQL treat specially.
TRICKY = ["K_1", "KA1", "K%1", "KB1", "K\\1", INJECTION, "%", "_", "A'B", "Z", "K1"]


def _world(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    w = World(engine).base()  # operator ADMIN: rep R1, function 3, company FR10
    w.user("SALES", rep="R1", function=1)
    w.user("NOREP", rep=None, function=1)
    w.user("NOFUNC", rep="R2", function=None)  # folder AUSCRMA=5: not a sales function
    w.user("BADREP", rep="R9", function=1)  # R9 is not in SALESREP
    w.user("NOSYNC", rep="R1", function=1, syncpar=False)
    w.user("INACT", rep="R1", function=3, active=False)
    w.user("NOACC", rep="R1", function=3, profile="SALES")  # FUNSYD6 ACS=1
    w.user("NOPROF", rep="R1", function=3, profile="NOSUCH")  # no AFCTFCT row
    w.customer("BP1", rep0="R1")
    w.customer("BP%", rep0="R1")
    w.customer("BP_", rep0="R1")
    w.lead("L_1", "R1")
    w.lead("LA1", "R1")
    for key in TRICKY:
        w.contact(key, bpr="BP_" if "_" in key else "BP1", reps_in_charge=("R_",))
    w.contact("REP1", cortyp=2, rep="R1", bpatyp=None)
    w.contact("PL1", bpr="L_1", bpatyp=6)
    w.contact("PLA", bpr="LA1", bpatyp=6)
    w.task("T1", cor="KA1")
    w.task("T2", cor="K_1", start=NOW.date())
    w.call("K1", cor="%")
    w.appointment("A1", reps=("R2",), cors=("_",))
    w.queue("TSK", "T1", "C")
    w.queue("COR", "K_1", "M", user="SALES")
    w.queue("COR", "KA1", "A")
    w.queue("COR", INJECTION, "R")
    w.anomaly("COR", "K%1", "CNTEMA", "a@x", "b@x")
    rows = world_rows(w)
    w.commit()
    return rows


@dataclass
class Folder:
    """The module's database. On DuckDB one connection stays open so that the many
    short connections of the CLI and the library reuse the open file; ``released()``
    closes it while another process needs the file."""

    url: str
    engine: sa.Engine
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    keeper: sa.Connection | None = None

    def hold(self) -> None:
        if self.url.startswith("duckdb") and self.keeper is None:
            self.keeper = self.engine.connect()

    def release(self) -> None:
        if self.keeper is not None:
            self.keeper.close()
            self.keeper = None

    @contextlib.contextmanager
    def released(self) -> Iterator[None]:
        self.release()
        try:
            yield
        finally:
            self.hold()


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def folder(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Folder]:
    """One folder per backend for the whole module (refusals write nothing)."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path_factory.mktemp('hostile') / 'hostile.duckdb'}"
    else:
        url = pg_url_or_skip()
    engine = db.connect(url)
    db.init(engine)
    f = Folder(url, engine, _world(engine))
    f.hold()
    try:
        yield f
    finally:
        f.release()
        engine.dispose()
        if request.param == "postgresql":
            drop_pg_schema(url)


@dataclass(frozen=True)
class Case:
    """One refusal: criteria as -p pairs, the operator, extra options, the field."""

    id: str
    params: tuple[tuple[str, str], ...]
    field: str
    operator: str = "ADMIN"
    extra: tuple[str, ...] = ()
    raw_pairs: tuple[str, ...] = ()  # -p values that are not NAME=VALUE


def case(
    id: str,
    field: str,
    *pairs: str,
    operator: str = "ADMIN",
    extra: tuple[str, ...] = (),
    raw: tuple[str, ...] = (),
) -> Case:
    return Case(
        id,
        tuple(tuple(p.split("=", 1)) for p in pairs),  # type: ignore[misc]
        field,
        operator,
        extra,
        raw,
    )


LONG = "K" * 200
CASES = [
    # Every range inverted.
    case("cor-range-inverted", "CORDEB", "SELCOR=1", "CORDEB=B", "CORFIN=A"),
    case(
        "bpc-range-inverted",
        "BPCDEB",
        "SELCOR=1",
        "CORSYNCNT=1",
        "BPCDEB=Z",
        "BPCFIN=A",
    ),
    case(
        "pst-range-inverted",
        "PSTDEB",
        "SELCOR=1",
        "CORSYNPST=1",
        "PSTDEB=L9",
        "PSTFIN=L1",
    ),
    case(
        "rep-range-inverted",
        "REPDEB",
        "SELCOR=1",
        "CORSYNREP=1",
        "REPDEB=R3",
        "REPFIN=R1",
    ),
    case(
        "tskdat-inverted",
        "TSKDATDEB",
        "SELTSK=1",
        "TSKDATDEB=2026-02-01",
        "TSKDATFIN=2026-01-31",
    ),
    case(
        "tskech-inverted",
        "TSKECHDEB",
        "SELTSK=1",
        "TSKECHDEB=2026-12-31",
        "TSKECHFIN=2026-01-01",
    ),
    case(
        "clldat-inverted",
        "CLLDATDEB",
        "SELCLL=1",
        "CLLDATDEB=2027-01-01",
        "CLLDATFIN=2026-01-01",
    ),
    case(
        "bapdat-inverted",
        "BAPDATDEB",
        "SELBAP=1",
        "BAPDATDEB=2026-06-02",
        "BAPDATFIN=2026-06-01",
    ),
    # Malformed dates.
    case("date-feb-30", "TSKDATDEB", "SELTSK=1", "TSKDATDEB=2026-02-30"),
    case("date-month-13", "TSKDATFIN", "SELTSK=1", "TSKDATFIN=2026-13-01"),
    case("date-french", "CLLDATDEB", "SELCLL=1", "CLLDATDEB=31/12/2026"),
    case("date-compact", "BAPDATFIN", "SELBAP=1", "BAPDATFIN=20261231"),
    case("date-word", "TSKECHDEB", "SELTSK=1", "TSKECHDEB=yesterday"),
    case("date-short", "BAPDATDEB", "SELBAP=1", "BAPDATDEB=2026-1-1"),
    case("date-sql", "CLLDATFIN", "SELCLL=1", f"CLLDATFIN={INJECTION}"),
    case("date-long", "TSKDATDEB", "SELTSK=1", "TSKDATDEB=" + "2026-01-01" * 100),
    # Malformed booleans and numbers.
    case("bool-word", "SELTSK", "SELTSK=maybe"),
    case("bool-three", "SELCOR", "SELCOR=3"),
    case("bool-negative", "FLGTRCDET", "SELCOR=1", "FLGTRCDET=-1"),
    case("bool-sql", "ONLYOOP", "SELCOR=1", f"ONLYOOP={INJECTION}"),
    case("bool-in-block", "TSKFORCOR", "SELTSK=1", "TSKFORCOR=yes please"),
    case("staledays-negative", "STALEDAYS", "SELCOR=1", "STALEDAYS=-1"),
    case("staledays-word", "STALEDAYS", "SELCOR=1", "STALEDAYS=ten"),
    # Unknown parameter names and malformed pairs.
    case("unknown-param", "FOO", "SELCOR=1", "FOO=1"),
    case(
        "unknown-param-sql",
        "SELCOR;DROP TABLE SYNCDATA",
        "SELCOR=1",
        "SELCOR;DROP TABLE syncdata=1",
    ),
    case("unknown-param-long", "XXXXXXXXXX", "SELCOR=1", "X" * 1000 + "=1"),
    case("pair-without-equals", "-p", "SELCOR=1", raw=("SELCOR",)),
    case("pair-without-name", "-p", "SELCOR=1", raw=("=1",)),
    # Unknown user, company, rep, function; operator.
    case("unknown-user", "USER", "SELCOR=1", "USER=NOBODY"),
    case("unknown-company", "CPY", "SELCOR=1", "CPY=XX99"),
    case("unknown-rep-of-user", "AUSCRMF", "SELTSK=1", "USER=BADREP"),
    case(
        "unknown-function-number",
        "CORFCTTXT",
        "SELCOR=1",
        "CORSYNCNT=1",
        "CORFCTTXT=13",
    ),
    case(
        "unknown-function-label",
        "CORFCTTXT",
        "SELCOR=1",
        "CORSYNCNT=1",
        "CORFCTTXT=Astronaut",
    ),
    case("unknown-operator", "operator", "SELCOR=1", operator="NOBODY"),
    # Quotes and SQL fragments in code fields that name one thing (never a pattern).
    case("user-sql", "USER", "SELCOR=1", f"USER={INJECTION}"),
    case("user-percent", "USER", "SELCOR=1", "USER=%"),
    case("user-underscore", "USER", "SELCOR=1", "USER=ADMI_"),
    case("user-backslash", "USER", "SELCOR=1", "USER=\\"),
    case("user-sql-long", "USER", "SELCOR=1", "USER=ADMIN'; DELETE FROM syncdata; --"),
    case("company-percent", "CPY", "SELCOR=1", "CPY=FR1%"),
    case("company-quotes", "CPY", "SELCOR=1", "CPY=' OR ''='"),
    case("operator-percent", "operator", "SELCOR=1", operator="ADMI%"),
    case("operator-underscore", "operator", "SELCOR=1", operator="ADMI_"),
    case("operator-sql", "operator", "SELCOR=1", operator=INJECTION),
    # Very long values.
    case("code-range-long", "CORDEB", "SELCOR=1", f"CORDEB={LONG}"),
    case("user-very-long", "USER", "SELCOR=1", "USER=" + "U" * 5000),
    case("operator-long", "operator", "SELCOR=1", operator="A" * 300),
    # No object type.
    case("no-params", "SELCOR"),
    case("no-object-type", "SELCOR", "FLGTRCDET=1", "ONLYOOP=1"),
    case(
        "all-types-off", "SELCOR", "SELCOR=0", "SELTSK=no", "SELCLL=false", "SELBAP=0"
    ),
    # A block's parameter without its flag.
    case("tsk-date-without-seltsk", "TSKDATDEB", "SELCOR=1", "TSKDATDEB=2026-01-01"),
    case("corsyncnt-without-selcor", "CORSYNCNT", "SELTSK=1", "CORSYNCNT=1"),
    case("bpc-without-corsyncnt", "BPCDEB", "SELCOR=1", "BPCDEB=BP1"),
    case("functions-without-corsyncnt", "CORFCTTXT", "SELCOR=1", "CORFCTTXT=1"),
    case("pst-without-corsynpst", "PSTFIN", "SELCOR=1", "PSTFIN=L1"),
    case("rep-without-corsynrep", "REPDEB", "SELCOR=1", "REPDEB=R1"),
    case("bapforrep-without-selbap", "BAPFORREP", "SELTSK=1", "BAPFORREP=1"),
    case("cllforcor-without-selcll", "CLLFORCOR", "SELCOR=1", "CLLFORCOR=1"),
    case("cordeb-without-selcor", "CORDEB", "SELTSK=1", "CORDEB=K1"),
    # The operator may not run the function.
    case("operator-inactive", "operator", "SELCOR=1", operator="INACT"),
    case("operator-without-right", "FUNSYD6", "SELCOR=1", operator="NOACC"),
    case("operator-without-profile", "FUNSYD6", "SELCOR=1", operator="NOPROF"),
    # The user cannot be synchronized, or has no rep for a sales selection.
    case("user-without-rep-tasks", "AUSCRMF", "SELTSK=1", "USER=NOREP"),
    case(
        "user-without-rep-my-contacts",
        "AUSCRMF",
        "SELCOR=1",
        "CORSYNCNT=1",
        "USER=NOREP",
    ),
    case("user-without-rep-leads", "AUSCRMF", "SELCOR=1", "CORSYNPST=1", "USER=NOREP"),
    case("user-without-sales-function", "AUSCRMA", "SELCLL=1", "USER=NOFUNC"),
    case("user-without-syncpar", "SYNCPAR", "SELCOR=1", "USER=NOSYNC"),
    # The run's clock.
    case("now-malformed", "now", "SELCOR=1", extra=("--now", "yesterday")),
    case("now-sql", "now", "SELCOR=1", extra=("--now", INJECTION)),
]
CLI_ONLY = {"pair-without-equals", "pair-without-name"}


def _args(c: Case, url: str, command: str = "force") -> list[str]:
    args = [command, "--db", url, "--operator", c.operator, *c.extra]
    for name, value in c.params:
        args += ["-p", f"{name}={value}"]
    for raw in c.raw_pairs:
        args += ["-p", raw]
    if command == "force":
        args.append("--yes")
    return args


def _values(c: Case) -> list[str]:
    return (
        [v for _, v in c.params]
        + [n for n, _ in c.params]
        + [c.operator, *c.extra, *c.raw_pairs]
    )


def assert_one_sentence(message: str, field: str, values: list[str]) -> None:
    """One line, one sentence, naming the field (values may hold any punctuation)."""
    assert message.count("\n") == 0, message
    assert message.endswith("."), message
    text = message
    for v in sorted(values, key=len, reverse=True):
        if v:
            text = text.replace(v.upper(), "").replace(v, "")
    assert not re.search(r"[.!?]\s+[A-Z][a-z]", text), (
        f"more than one sentence: {message}"
    )
    if field.isupper() and field.isalnum():
        assert field in message, f"{field} not named in: {message}"
    else:
        assert field.lower() in message.lower(), f"{field} not named in: {message}"


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_refused_through_the_command_line(folder: Folder, c: Case) -> None:
    before = state(folder.engine)
    result = CliRunner().invoke(
        cli,
        _args(c, folder.url),
        env={"FORCEDSYNC_USER": None, "FORCEDSYNC_DB": None, "FORCEDSYNC_DB_URL": None},
    )
    assert result.exit_code == 1, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.stdout == ""
    err = result.stderr.rstrip("\n")
    assert err.startswith("Error: "), err
    assert_one_sentence(err[len("Error: ") :], c.field, _values(c))
    assert state(folder.engine) == before


@pytest.mark.parametrize(
    "c",
    [c for c in CASES if c.id not in CLI_ONLY],
    ids=[c.id for c in CASES if c.id not in CLI_ONLY],
)
def test_refused_through_the_library(folder: Folder, c: Case) -> None:
    """The same refusal from Python: a ForcedSyncError and nothing written, whether the
    criteria are refused on construction or the run refuses them."""
    before = state(folder.engine)
    now = dict(zip(c.extra[::2], c.extra[1::2], strict=True)).get("--now")
    with pytest.raises(ForcedSyncError) as info:
        cr = Criteria.from_params(dict(c.params))
        marking.force(folder.engine, cr, operator=c.operator, now=now)
    assert_one_sentence(str(info.value), c.field, _values(c))
    with pytest.raises(ForcedSyncError):
        cr = Criteria.from_params(dict(c.params))
        marking.preview(folder.engine, cr, operator=c.operator, now=now)
    assert state(folder.engine) == before


SUBPROCESS_CASES = [
    "cor-range-inverted",
    "date-feb-30",
    "unknown-param",
    "user-without-syncpar",
    "operator-sql",
    "user-underscore",
]


@pytest.mark.parametrize("cid", SUBPROCESS_CASES)
def test_refused_by_a_real_process(folder: Folder, cid: str) -> None:
    """The installed command in its own process: exit 1, exactly one line on stderr
    (no traceback, no log noise), nothing on stdout, nothing written."""
    c = next(x for x in CASES if x.id == cid)
    before = state(folder.engine)
    pairs = dict(c.params)
    with folder.released():
        proc = run_cli(
            cli_args(folder.url, "force", c.operator, pairs, *c.extra, "--yes")
        )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    assert_one_sentence(lines[0][len("Error: ") :], c.field, _values(c))
    assert state(folder.engine) == before


@pytest.mark.parametrize(
    "args",
    [
        ["force", "--bogus"],
        ["undo"],
        ["frobnicate"],
    ],
    ids=[
        "unknown-option",
        "undo-without-run",
        "no-command",
    ],
)
def test_usage_errors_exit_2_and_write_nothing(folder: Folder, args: list[str]) -> None:
    before = state(folder.engine)
    result = CliRunner().invoke(
        cli,
        [
            args[0],
            *(["--db", folder.url] if args[0] in ("force", "undo") else []),
            *args[1:],
        ],
    )
    assert result.exit_code == 2, result.output
    assert state(folder.engine) == before


@pytest.mark.parametrize(
    "args",
    [["--page", "0"], ["--page-size", "100000"]],
    ids=["page-0", "page-size-huge"],
)
def test_page_numbers_out_of_range_are_refusals(
    folder: Folder, args: list[str]
) -> None:
    """Checked like criteria (issue 14): exit 1, one Error: line naming the option."""
    before = state(folder.engine)
    result = CliRunner().invoke(
        cli, ["force", "--db", folder.url, *args, "-p", "SELCOR=1", "--yes"]
    )
    assert result.exit_code == 1 and result.stderr.startswith("Error: " + args[0])
    assert state(folder.engine) == before


def test_refused_when_synchronization_is_off(folder: Folder) -> None:
    a = s.adoval
    off = sa.update(a).where(a.c.param == "CRMSYNC", a.c.lev == "GEN")
    with folder.engine.begin() as conn:
        conn.execute(off.values(valeur="1"))
    try:
        before = state(folder.engine)
        result = CliRunner().invoke(
            cli,
            [
                "force",
                "--db",
                folder.url,
                "--operator",
                "ADMIN",
                "-p",
                "SELCOR=1",
                "--yes",
            ],
        )
        assert result.exit_code == 1
        assert_one_sentence(result.stderr.strip()[len("Error: ") :], "CRMSYNC", [])
        assert state(folder.engine) == before
    finally:
        with folder.engine.begin() as conn:
            conn.execute(off.values(valeur="2"))


@pytest.mark.parametrize(
    "name,text,fld",
    [
        ("missing.yaml", None, "missing.yaml"),
        ("list.yaml", "- SELCOR\n- SELTSK\n", "mapping"),
        ("broken.yaml", "SELCOR: [1\n", "does not parse"),
        ("broken.json", '{"SELCOR": 1,', "does not parse"),
        ("unknown.yaml", "SELCOR: 1\nDROP TABLE syncdata: 1\n", "DROP TABLE SYNCDATA"),
        ("bad-date.json", '{"SELTSK": 1, "TSKDATDEB": "2026-02-30"}', "TSKDATDEB"),
        ("bad-code.yaml", "SELCOR: 1\nCORDEB: {a: 1}\n", "CORDEB"),
    ],
    ids=[
        "missing",
        "not-a-mapping",
        "broken-yaml",
        "broken-json",
        "unknown-name",
        "bad-date",
        "bad-code",
    ],
)
def test_refused_parameters_files(
    folder: Folder, tmp_path: Path, name: str, text: str | None, fld: str
) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text, encoding="utf-8")
    before = state(folder.engine)
    result = CliRunner().invoke(
        cli,
        [
            "force",
            "--db",
            folder.url,
            "--operator",
            "ADMIN",
            "--params",
            str(path),
            "--yes",
        ],
    )
    assert result.exit_code == 1, result.output
    err = result.stderr.strip()
    assert err.startswith("Error: ") and err.count("\n") == 0, err
    assert fld in err
    assert state(folder.engine) == before


# --- code ranges: legitimate values, compared literally as strings ------------------

RANGES = [
    {"SELCOR": "1", "CORDEB": "K_1", "CORFIN": "K_1"},
    {"SELCOR": "1", "CORDEB": "K%1", "CORFIN": "K%1"},
    {"SELCOR": "1", "CORDEB": "%", "CORFIN": "%"},
    {"SELCOR": "1", "CORDEB": "_", "CORFIN": "_"},
    {"SELCOR": "1", "CORDEB": "K\\1", "CORFIN": "K\\1"},
    {"SELCOR": "1", "CORDEB": INJECTION, "CORFIN": INJECTION},
    {"SELCOR": "1", "CORDEB": INJECTION},
    {"SELCOR": "1", "CORFIN": INJECTION},
    {"SELCOR": "1", "CORDEB": "A'B", "CORFIN": "K%1"},
    {"SELCOR": "1", "CORDEB": "K", "CORFIN": "K_"},
    {"SELCOR": "1", "CORDEB": "' OR ''='", "CORFIN": "Z"},
    {"SELCOR": "1", "CORDEB": "k_1", "CORFIN": "k_1"},  # codes are upper-cased
    {"SELCOR": "1", "CORSYNCNT": "1", "BPCDEB": "BP_", "BPCFIN": "BP_"},
    {"SELCOR": "1", "CORSYNCNT": "1", "BPCDEB": "BP%", "BPCFIN": "BP%"},
    {"SELCOR": "1", "CORSYNPST": "1", "PSTDEB": "L_1", "PSTFIN": "L_1"},
    {"SELCOR": "1", "CORSYNREP": "1", "REPDEB": "R_", "REPFIN": "R_"},
    {"SELCOR": "1", "CORSYNREP": "1", "REPDEB": INJECTION, "REPFIN": "R%"},
    {"SELCOR": "1", "CORSYNREP": "1", "REPDEB": "R1", "REPFIN": "R1"},
]


@pytest.mark.parametrize(
    "params",
    RANGES,
    ids=lambda p: " ".join(f"{k}={v}" for k, v in p.items() if k != "SELCOR"),
)
def test_code_ranges_match_literally(folder: Folder, params: dict[str, str]) -> None:
    cr = Criteria.from_params(params)
    expected = reference_selection(folder.rows, cr, Who("ADMIN", "FR10", "R1"))
    before = state(folder.engine)
    pv = marking.preview(folder.engine, cr, operator="ADMIN", now=NOW, page_size=1000)
    assert {(r.object_type, r.record_key) for r in pv.records} == expected
    args = [
        "preview",
        "--db",
        folder.url,
        "--operator",
        "ADMIN",
        "--json",
        "--page-size",
        "1000",
        "--now",
        NOW.isoformat(),
    ]
    for k, v in params.items():
        args += ["-p", f"{k}={v}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {(r["SYDTYP"], r["SYDKEY"]) for r in out["records"]} == expected
    assert state(folder.engine) == before


def test_underscore_and_percent_are_not_wildcards(folder: Folder) -> None:
    cr = Criteria(selcor=True, cordeb="K_1", corfin="K_1")
    pv = marking.preview(folder.engine, cr, operator="ADMIN", now=NOW)
    assert [r.record_key for r in pv.records] == ["K_1"]
    cr = Criteria(selcor=True, cordeb="K%1", corfin="K%1")
    pv = marking.preview(folder.engine, cr, operator="ADMIN", now=NOW)
    assert [r.record_key for r in pv.records] == ["K%1"]


def test_injection_in_a_range_is_forced_as_a_value_and_undone(folder: Folder) -> None:
    """Force a range bounded by SQL fragments for real: exactly the records between the
    two strings get their R row, no table is harmed, and undo puts everything back."""
    params = {"SELCOR": "1", "CORDEB": INJECTION, "CORFIN": "K%1"}
    cr = Criteria.from_params(params)
    expected = reference_selection(folder.rows, cr, Who("ADMIN", "FR10", "R1"))
    assert expected  # the quote sorts before the letters: something is selected
    before = state(folder.engine)
    with folder.released():
        proc = run_cli(
            cli_args(
                folder.url,
                "force",
                "ADMIN",
                params,
                "--yes",
                "--json",
                "--now",
                NOW.isoformat(),
            )
        )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    outcomes = reference_outcomes(
        folder.rows, expected, user="ADMIN", now=NOW, staledays=7
    )
    assert out["counts"]["COR"] == counts_of(outcomes)["COR"]
    check_forced(
        before["syncdata"],
        syncdata(folder.engine),
        user="ADMIN",
        written=written_keys(outcomes),
        now=NOW,
        operator="ADMIN",
    )
    with folder.engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert {t.name for t in s.metadata.sorted_tables} <= tables
    marking.undo(folder.engine, out["run_id"], operator="ADMIN")
    after = state(folder.engine)
    assert after["syncdata"] == before["syncdata"]


# --- bugs found while writing these tests, fixed since --------------------------------


def test_operator_with_a_nul_character_is_refused(folder: Folder) -> None:
    """SPEC §4.2: an unknown operator is a refusal, also when its code holds a control
    character (PostgreSQL rejects NUL in text: it must never reach the driver)."""
    before = state(folder.engine)
    for run in (marking.preview, marking.force):
        with pytest.raises(ForcedSyncError) as info:
            run(folder.engine, Criteria(selcor=True), operator="AD\x00MIN")
        assert "perator" in str(info.value)
        assert type(info.value).__name__ != "MarkingError"
    assert state(folder.engine) == before


def test_numeric_looking_codes_in_a_yaml_file_are_kept_as_written(
    folder: Folder, tmp_path: Path
) -> None:
    """SPEC §3: the same names and values in a parameters file as on the command line;
    code ranges compare codes as strings. A code that looks like a number must select
    the same records as -p CORDEB=0012 does, never another code."""
    path = tmp_path / "codes.yaml"
    path.write_text("SELCOR: 1\nCORDEB: 0012\nCORFIN: 0012\n", encoding="utf-8")
    from_file = Criteria.from_file(path)
    from_line = Criteria.from_params(
        {"SELCOR": "1", "CORDEB": "0012", "CORFIN": "0012"}
    )
    assert (from_file.cordeb, from_file.corfin) == (from_line.cordeb, from_line.corfin)


@pytest.mark.parametrize(
    "run_id",
    [INJECTION, "%", "_" * 32, "", " ", "x" * 5000, "' OR status='DONE"],
    ids=["sql", "percent", "underscores", "empty", "blank", "long", "quote"],
)
def test_undo_and_log_of_a_hostile_run_id(folder: Folder, run_id: str) -> None:
    """A run id is looked up literally: undo and log refuse an unknown one (exit 1,
    one line), and nothing is undone, even with a real run in the history."""
    done = marking.force(
        folder.engine, Criteria(seltsk=True), operator="ADMIN", now=NOW
    )
    try:
        before = state(folder.engine)
        for command in (["undo", "--yes"], ["undo"], ["log"]):
            result = CliRunner().invoke(
                cli,
                [command[0], "--db", folder.url, "--run", run_id, *command[1:]]
                + (["--operator", "ADMIN"] if command[0] == "undo" else []),
            )
            assert result.exit_code == 1, (command, result.output, result.exception)
            err = result.stderr.strip()
            assert err.startswith("Error: ") and "\n" not in err, err
            assert "run" in err.lower()
            assert state(folder.engine) == before
    finally:
        marking.undo(folder.engine, done.run_id, operator="ADMIN")


@pytest.mark.parametrize("operator", ["NOACC", "INACT", "NOBODY", INJECTION])
def test_undo_refused_to_an_operator_without_the_right(
    folder: Folder, operator: str
) -> None:
    done = marking.force(
        folder.engine, Criteria(seltsk=True), operator="ADMIN", now=NOW
    )
    try:
        before = state(folder.engine)
        result = CliRunner().invoke(
            cli,
            [
                "undo",
                "--db",
                folder.url,
                "--run",
                done.run_id,
                "--operator",
                operator,
                "--yes",
            ],
        )
        assert result.exit_code == 1, result.output
        assert_one_sentence(
            result.stderr.strip()[len("Error: ") :], "operator", [operator]
        )
        assert state(folder.engine) == before
    finally:
        marking.undo(folder.engine, done.run_id, operator="ADMIN")


def test_an_unwritable_log_path_is_reported_in_one_line(folder: Folder) -> None:
    """STYLE §5: the CLI turns every failure into one 'Error:' line and exit 1. With a
    --log that cannot be written, either nothing is forced, or the message says which
    run was committed (so that nobody forces or undoes it blindly)."""
    before = state(folder.engine)
    target = "/proc/forcedsync-nope/run.log"
    result = CliRunner().invoke(
        cli,
        [
            "force",
            "--db",
            folder.url,
            "--operator",
            "ADMIN",
            "-p",
            "SELTSK=1",
            "--yes",
            "--log",
            target,
        ],
    )
    after = state(folder.engine)
    committed = [r for r in after["fsyrun"] if r not in before["fsyrun"]]
    try:
        assert result.exit_code == 1
        assert isinstance(result.exception, SystemExit), result.exception
        err = result.stderr.strip()
        assert err.startswith("Error: ") and "\n" not in err, err
        assert target in err
        if committed:
            assert committed[0][0] in err
        else:
            assert after == before
    finally:
        for run in committed:
            marking.undo(folder.engine, run[0], operator="ADMIN")
