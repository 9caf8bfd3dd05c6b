"""Criteria parsing and validation (pure Python, no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from pathlib import Path

import pytest

from forcedsync_kit import Criteria, CriteriaError, criteria
from forcedsync_kit.criteria import PARAMETERS, read_params_file
from forcedsync_kit.fields import BLOCKS, BY_NAME, FIELDS, RANGES, Field, FieldType


@pytest.mark.parametrize(
    "text, value",
    [
        ("1", True),
        ("0", False),
        ("true", True),
        ("False", False),
        ("yes", True),
        ("NO", False),
        (1, True),
        (0, False),
        (True, True),
        ("", False),
    ],
)
def test_booleans_accept_the_usual_spellings(text: object, value: bool) -> None:
    assert Criteria.from_params({"SELTSK": 1, "TSKFORCOR": text}).tskforcor is value


def test_codes_are_stripped_and_upper_cased() -> None:
    c = Criteria.from_params({"SELCOR": "1", "CORDEB": "  k1 ", "CORFIN": ""})
    assert c.cordeb == "K1" and c.corfin is None


def test_dates_are_iso_and_functions_numbers_or_labels() -> None:
    c = Criteria.from_params(
        {"SELCOR": 1, "CORSYNCNT": 1, "CORFCTTXT": "accountant, 2,Accountant"}
    )
    assert c.corfcttxt == (2, 9)
    d = Criteria.from_params({"SELTSK": 1, "TSKDATDEB": "2026-01-31"})
    assert d.tskdatdeb == dt.date(2026, 1, 31)


def test_parameter_names_are_case_insensitive_and_round_trip() -> None:
    c = Criteria.from_params({"seltsk": "yes", "TskDatFin": "2026-02-01"})
    again = Criteria.from_params(c.to_params())
    assert again == c
    assert set(c.to_params()) == {p.upper() for p in PARAMETERS}


def test_summary_names_only_what_differs_from_defaults() -> None:
    c = Criteria(seltsk=True, tskdatdeb=dt.date(2026, 1, 1))
    assert c.summary() == "SELTSK=True TSKDATDEB=2026-01-01"


def test_yaml_and_json_files(tmp_path: Path) -> None:
    y = tmp_path / "p.yml"
    y.write_text("SELBAP: true\nBAPDATDEB: 2026-03-01\n")
    assert Criteria.from_file(y).bapdatdeb == dt.date(2026, 3, 1)
    j = tmp_path / "p.json"
    j.write_text('{"SELCLL": 1, "STALEDAYS": "3"}')
    assert Criteria.from_file(j).staledays == 3
    bad = tmp_path / "bad.yml"
    bad.write_text("- a list\n")
    with pytest.raises(CriteriaError, match="mapping"):
        read_params_file(bad)
    with pytest.raises(CriteriaError, match="Cannot read"):
        Criteria.from_file(tmp_path / "missing.yml")


def test_too_long_code_is_refused() -> None:
    with pytest.raises(CriteriaError) as info:
        Criteria.from_params({"SELCOR": 1, "CORDEB": "X" * 500})
    assert info.value.field == "CORDEB"


def test_criteria_error_pickles_with_stable_str() -> None:
    with pytest.raises(CriteriaError) as info:
        Criteria.from_params({"SELTSK": "perhaps"})
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value)
    assert (again.field, again.value) == ("SELTSK", "perhaps")


def test_criteria_are_frozen() -> None:
    c = Criteria(seltsk=True)
    with pytest.raises(AttributeError):
        c.seltsk = False  # type: ignore[misc]
    assert c.replace(selcll=True).object_types == ("TSK", "CLL")


def test_the_dataclass_is_the_field_table() -> None:
    attrs = dataclasses.fields(Criteria)
    assert [a.name for a in attrs] == [f.attr for f in FIELDS] == list(PARAMETERS)
    assert [a.default for a in attrs] == [f.default for f in FIELDS]
    assert Criteria(seltsk=True).to_params() == {
        f.name: (True if f.name == "SELTSK" else "" if f.default == () else f.default)
        for f in FIELDS
    }


def test_blocks_and_ranges_come_from_the_fields() -> None:
    assert dict(BLOCKS)["SELCOR"] == ("CORDEB", "CORFIN", "CORSYNCNT", "CORSYNPST",
                                      "CORSYNREP")  # fmt: skip
    assert dict(BLOCKS)["CORSYNCNT"] == ("BPCDEB", "BPCFIN", "CORFCTTXT")
    assert [flag for flag, _ in BLOCKS] == [
        "SELCOR", "CORSYNCNT", "CORSYNPST", "CORSYNREP", "SELTSK", "SELCLL", "SELBAP"
    ]  # fmt: skip
    assert ("TSKECHDEB", "TSKECHFIN") in RANGES and len(RANGES) == 9  # + USRREP
    for lo, hi in RANGES:
        assert BY_NAME[lo].type == BY_NAME[hi].type != FieldType.BOOL


_SAMPLE = {
    FieldType.BOOL: "1",
    FieldType.CODE: "K1",
    FieldType.DATE: "2026-01-01",
    FieldType.FUNCTIONS: "9",
}


@pytest.mark.parametrize("field", [f for f in FIELDS if f.block], ids=lambda f: f.name)
def test_every_block_field_is_refused_while_its_flag_is_off(field: Field) -> None:
    on = {"SELCLL": 1} if field.block != "SELCLL" else {"SELTSK": 1}
    params = {**on, field.name: _SAMPLE[field.type]}
    with pytest.raises(CriteriaError, match=f"is set but {field.block} is off") as e:
        Criteria.from_params(params)
    assert e.value.field == field.name


def test_parse_bool_is_public_and_names_the_parameter() -> None:
    assert criteria.parse_bool("COMMIT", "yes") is True
    assert criteria.parse_bool("COMMIT", None) is False
    assert criteria.parse_bool("COMMIT", 2) is True
    with pytest.raises(CriteriaError, match="COMMIT='maybe' is not a yes/no") as e:
        criteria.parse_bool("COMMIT", "maybe")
    assert e.value.field == "COMMIT"


def test_staledays_empty_is_the_default_and_bad_values_are_named() -> None:
    assert Criteria.from_params({"SELTSK": 1, "STALEDAYS": ""}).staledays == 7
    assert Criteria.from_params({"SELTSK": 1, "STALEDAYS": "0"}).staledays == 0
    with pytest.raises(CriteriaError, match="STALEDAYS=-1 is out of range"):
        Criteria.from_params({"SELTSK": 1, "STALEDAYS": -1})
    with pytest.raises(CriteriaError, match="STALEDAYS='x' is not a whole number"):
        Criteria.from_params({"SELTSK": 1, "STALEDAYS": "x"})
