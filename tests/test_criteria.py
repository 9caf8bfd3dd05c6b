"""Criteria parsing and validation (pure Python, no database)."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pytest

from forcedsync_kit import Criteria, CriteriaError
from forcedsync_kit.criteria import PARAMETERS, read_params_file


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
