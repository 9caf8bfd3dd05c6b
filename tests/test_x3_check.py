"""``x3check.check``: a live folder against its mapping, read-only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from x3_helpers import x3_folder  # noqa: F401  (the ``folder`` fixture)

from forcedsync_kit import schema, x3check
from forcedsync_kit.errors import BackendError
from forcedsync_kit.layout import Layout
from forcedsync_kit.mapping import parse_mapping, preset

Folder = tuple[sa.Engine, Layout]


def _alter(engine: sa.Engine, layout: Layout, sql: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql.replace("F.", f'"{layout.schema}".')))


def _found(report: x3check.CheckReport) -> set[tuple[str, str, str]]:
    return {(f.level, f.table, f.column) for f in report.findings}


def test_check_passes_on_the_fixture_folder(folder: Folder) -> None:
    engine, x3 = folder
    report = x3check.check(engine, x3)
    assert report.findings == () and report.ok and report.exit_code == 0
    assert report.tables == len(schema.X3_TABLES) + 1  # + ADOVALAUS
    toolkit = x3check.check(engine, Layout())
    assert toolkit.ok and toolkit.findings == ()
    text = x3check.render(report)
    assert text.splitlines()[0].startswith(f"mapping x3 on {engine.dialect.name}")
    assert "0 error(s), 0 warning(s)" in text


def test_dropped_column_is_an_error(folder: Folder) -> None:
    engine, x3 = folder
    _alter(engine, x3, 'ALTER TABLE F."SYNCDATA" DROP COLUMN "SYDKEY_0"')
    report = x3check.check(engine, x3)
    assert _found(report) == {("error", "SYNCDATA", "SYDKEY_0")}
    assert not report.ok and report.exit_code == 1
    assert "column missing" in x3check.render(report)


def test_renamed_column_is_reported_missing(folder: Folder) -> None:
    engine, x3 = folder
    _alter(engine, x3, 'ALTER TABLE F."AUTILIS" RENAME COLUMN "USR_0" TO "CODUSR_0"')
    report = x3check.check(engine, x3)
    assert _found(report) == {("error", "AUTILIS", "USR_0")}


def test_wrong_type_is_an_error(folder: Folder) -> None:
    engine, x3 = folder
    _alter(engine, x3, 'ALTER TABLE F."BTASK" DROP COLUMN "TSKSTR_0"')
    _alter(engine, x3, 'ALTER TABLE F."BTASK" ADD COLUMN "TSKSTR_0" VARCHAR(10)')
    report = x3check.check(engine, x3)
    assert _found(report) == {("error", "BTASK", "TSKSTR_0")}
    assert "cannot hold date" in report.errors[0].message


def test_missing_table_and_technical_columns(folder: Folder) -> None:
    engine, x3 = folder
    _alter(engine, x3, 'DROP TABLE F."ADOVALAUS"')
    _alter(engine, x3, 'ALTER TABLE F."BCALL" DROP COLUMN "AUUID_0"')
    _alter(engine, x3, 'ALTER TABLE F."SYNCDATA" DROP COLUMN "UPDTICK_0"')
    report = x3check.check(engine, x3)
    assert _found(report) == {
        ("error", "ADOVALAUS", ""),
        ("warning", "BCALL", "AUUID_0"),  # never written by the toolkit
        ("error", "SYNCDATA", "UPDTICK_0"),  # every insert fills it
    }


def test_key_strategy_risks(folder: Folder) -> None:
    engine, x3 = folder
    _alter(engine, x3, 'DROP SEQUENCE F."SEQ_SYNCDATA"')
    report = x3check.check(engine, x3)
    assert _found(report) == {("error", "SYNCDATA", "SYDNUM_0")}
    assert "SEQ_SYNCDATA" in report.errors[0].message
    data = {
        "schema": "{folder}",
        "names": {"table_case": "upper", "column_case": "upper", "column_suffix": "_0"},
        "empty": {"text": " ", "date": "1753-01-01"},
        "technical": {"auuid": "AUUID_0", "updtick": "UPDTICK_0"},
        "tables": {"autilis": {"columns": {"codusr": "USR_0"}}, "adoval": {
            "user_level": {"table": "ADOVALAUS", "user": "CODUSR_0",
                           "param": "PARAM_0", "value": "VALEUR_0"}}},
        "keys": {"sydnum": {"strategy": "max"}},
    }  # fmt: skip
    site = Layout(parse_mapping(data, source="site"), folder=x3.folder)
    report = x3check.check(engine, site)
    assert _found(report) == {("warning", "SYNCDATA", "SYDNUM_0")}
    assert report.ok and "collide" in report.warnings[0].message


def test_toolkit_schema_among_the_folder_tables_is_refused(folder: Folder) -> None:
    engine, x3 = folder
    same = Layout(preset("x3"), folder=x3.folder, toolkit_schema=x3.schema)
    report = x3check.check(engine, same)
    assert not report.ok and "--toolkit-schema" in report.errors[0].message


def test_wrong_folder_reports_every_table(folder: Folder) -> None:
    engine, _ = folder
    report = x3check.check(engine, Layout("x3", folder="NOFOLDER"))
    assert len(report.errors) == len(schema.X3_TABLES) + 1
    assert {f.column for f in report.findings} == {""}


def test_check_writes_nothing(folder: Folder) -> None:
    engine, x3 = folder
    q = x3.table("syncdata")
    with engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(q)).scalar()
    x3check.check(engine, x3)
    with engine.connect() as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(q)).scalar()
    assert before == after


def test_unknown_dialect_is_refused(tmp_path: object) -> None:
    engine = sa.create_engine("sqlite://")
    with pytest.raises(BackendError) as err:
        x3check.check(engine, Layout())
    assert "'sqlite' is not supported" in str(err.value)
    assert "\n" not in str(err.value)


def test_render_is_one_table() -> None:
    report = x3check.CheckReport(
        mapping="x3",
        schema="SEED",
        dialect="mssql",
        tables=18,
        findings=(
            x3check.Finding("error", "SYNCDATA", "SYDKEY_0", "column missing"),
            x3check.Finding("warning", "BCALL", "AUUID_0", "column missing"),
        ),
    )
    lines = x3check.render(report).splitlines()
    assert lines[0] == "mapping x3 on mssql, schema SEED: 1 error(s), 1 warning(s)"
    assert lines[1].split() == ["level", "table", "column", "finding"]
    assert lines[3].split() == ["error", "SYNCDATA", "SYDKEY_0", "column", "missing"]
    assert lines[4].split()[:3] == ["warning", "BCALL", "AUUID_0"]
    assert len({line.index("column") for line in lines[1:2]}) == 1
    assert lines[3].index("SYDKEY_0") == lines[1].index("column")


def test_require_raises_one_sentence_naming_the_first_error(folder: Folder) -> None:
    engine, x3 = folder
    assert x3check.require(engine, x3).ok
    _alter(engine, x3, 'ALTER TABLE F."SYNCDATA" DROP COLUMN "SYDKEY_0"')
    _alter(engine, x3, 'ALTER TABLE F."SYNCDATA" DROP COLUMN "SYDHOU_0"')
    with pytest.raises(BackendError) as err:
        x3check.require(engine, x3)
    msg = str(err.value)
    assert "SYNCDATA.SYDKEY_0: column missing (and 1 more)" in msg
    assert "\n" not in msg


def test_init_is_refused_on_an_x3_folder() -> None:
    with pytest.raises(BackendError, match="never creates X3 tables in folder 'SEED'"):
        x3check.refuse_init(Layout("x3", folder="SEED"))
    x3check.refuse_init(Layout())  # the toolkit layout: init creates its tables
