"""The mapping as data: presets, the X3 naming rule, a site's file and its errors."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from forcedsync_kit import schema
from forcedsync_kit.errors import MappingError
from forcedsync_kit.mapping import (
    PRESETS,
    load_mapping,
    physical_name,
    preset,
    resolve,
)


def test_toolkit_preset_keeps_every_logical_name() -> None:
    m = preset("toolkit")
    assert m.schema_for(None) is None
    assert m.blank is None and m.empty_date is None and m.user_level is None
    assert m.sydnum.strategy == "max"
    for name in schema.X3_TABLES:
        tm = m.tables[name]
        assert tm.physical == name
        assert dict(tm.columns) == {
            c.name: c.name for c in schema.metadata.tables[name].c
        }


def test_x3_preset_follows_the_folder_rule() -> None:
    m = preset("x3")
    assert m.schema_for("SEED") == "SEED"
    assert m.blank == " " and m.empty_date == dt.date(1753, 1, 1)
    for name in schema.X3_TABLES:
        tm = m.tables[name]
        assert tm.physical == name.upper()
        for logical, physical in tm.columns.items():
            if (name, logical) == ("autilis", "codusr"):
                assert physical == "USR_0"
            elif re.search(r"_\d$", logical):
                assert physical == logical.upper()
            else:
                assert physical == logical.upper() + "_0"


def test_x3_preset_exceptions_and_technical_columns() -> None:
    m = preset("x3")
    assert m.tables["bappoint"].columns["aptrepnum_3"] == "APTREPNUM_3"
    assert m.tables["syncdata"].columns["sydnum"] == "SYDNUM_0"
    assert m.user_level is not None
    assert (m.user_level.table, m.user_level.user) == ("ADOVALAUS", "CODUSR_0")
    assert (m.user_level.param, m.user_level.value) == ("PARAM_0", "VALEUR_0")
    assert (m.technical.auuid, m.technical.updtick) == ("AUUID_0", "UPDTICK_0")
    assert m.technical.rowid == "ROWID"
    assert (m.sydnum.strategy, m.sydnum.sequence) == ("sequence", "SEQ_SYNCDATA")


def test_login_column_follows_the_rule() -> None:
    # AUTILIS.LOGIN (SPEC §2) is LOGIN_0 in a live folder.
    assert physical_name("login", "upper", "_0") == "LOGIN_0"
    assert physical_name("aptcor_9", "upper", "_0") == "APTCOR_9"
    assert physical_name("SYDKEY", "lower", "") == "sydkey"


def test_resolve_presets_and_files(tmp_path: Path) -> None:
    assert resolve(None).name == "toolkit"
    assert {resolve(p).name for p in PRESETS} == set(PRESETS)
    site = tmp_path / "site.yaml"
    site.write_text(
        "name: site\nschema: '{folder}'\n"
        "names: {table_case: upper, column_case: upper, column_suffix: _0}\n"
        "empty: {text: ' ', date: '1753-01-01'}\n"
        "tables:\n  syncdata:\n    name: ZSYNCDATA\n    columns: {sydkey: SYDCLE_0}\n"
        "keys:\n  sydnum: {strategy: counter, table: ACOUNTER, column: VAL_0,"
        " key_column: CODE_0, key_value: SYD}\n"
    )
    m = resolve(site)
    assert m.name == "site"
    assert m.tables["syncdata"].physical == "ZSYNCDATA"
    assert m.tables["syncdata"].columns["sydkey"] == "SYDCLE_0"
    assert m.tables["syncdata"].columns["sydusr"] == "SYDUSR_0"
    assert m.empty_date == dt.date(1753, 1, 1)
    assert (m.sydnum.table, m.sydnum.key_value) == ("ACOUNTER", "SYD")


AUT = "tables:\n  autilis:\n    columns: "
BAD = {
    "tables.autilisx": "tables:\n  autilisx: {}\n",
    "tables.autilis.columns.codusrx": AUT + "{codusrx: X_0}\n",
    "tables.autilis.columns.codusr": AUT + "{codusr: 'USR_0; DROP'}\n",
    "tables.autilis.columns.nomusr": (
        "names: {column_case: upper}\n"
        "tables:\n  autilis:\n    columns: {nomusr: CODUSR}\n"
    ),
    "keys.sydnum.strategy": "keys:\n  sydnum: {strategy: guess}\n",
    "keys.sydnum.sequence": "keys:\n  sydnum: {strategy: sequence}\n",
    "keys.sydnum.table": "keys:\n  sydnum: {strategy: counter, column: V}\n",
    "empty.text": "empty: {text: x}\n",
    "empty.date": "empty: {date: 'soon'}\n",
    "names.table_case": "names: {table_case: title}\n",
    "names.column_suffix": "names: {column_suffix: '-0'}\n",
    "tables.adoval.user_level.value": (
        "tables:\n  adoval:\n    user_level: {table: T, user: U, param: P}\n"
    ),
    "technical.guid": "technical: {guid: G}\n",
    "schema": "schema: 'a b'\n",
    "colour": "colour: red\n",
}


@pytest.mark.parametrize("key", sorted(BAD))
def test_bad_mapping_names_the_key(key: str, tmp_path: Path) -> None:
    site = tmp_path / "bad.yaml"
    site.write_text(BAD[key])
    with pytest.raises(MappingError) as err:
        load_mapping(site)
    msg = str(err.value)
    assert key in msg and "\n" not in msg and msg.endswith(".")
    assert err.value.key == key


def test_unreadable_or_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="cannot be read"):
        load_mapping(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("tables: [\n")
    with pytest.raises(MappingError, match="not valid YAML at line"):
        load_mapping(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    with pytest.raises(MappingError, match="give a mapping"):
        load_mapping(listed)


def test_unknown_preset_and_missing_folder() -> None:
    with pytest.raises(MappingError, match="'oracle' is unknown"):
        preset("oracle")
    with pytest.raises(MappingError, match="--x3-folder"):
        preset("x3").schema_for(None)
    with pytest.raises(MappingError, match="'SE ED'"):
        preset("x3").schema_for("SE ED")


def test_mapping_error_pickles() -> None:
    import pickle

    exc = MappingError("tables.x", "x", "Mapping 'f': tables.x is 'x'; use one of a.")
    again = pickle.loads(pickle.dumps(exc))
    assert str(again) == str(exc) and again.__dict__ == exc.__dict__
