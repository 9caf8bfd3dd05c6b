"""params.merge_params / split_pair: one merge of a parameters file and NAME=VALUE."""

from __future__ import annotations

from pathlib import Path

import pytest

from forcedsync_kit.errors import CriteriaError
from forcedsync_kit.params import merge_params, split_pair


def test_file_and_pairs_are_merged_with_names_upper_cased(tmp_path: Path) -> None:
    f = tmp_path / "nightly.yaml"
    f.write_text("seltsk: 1\nTSKDATDEB: 2026-01-01\n", encoding="utf-8")
    got = merge_params(f, ["selcll=0", " CPY = FR10"])
    assert got == {
        "SELTSK": "1",  # the file reader keeps YAML scalars as text
        "TSKDATDEB": "2026-01-01",
        "SELCLL": "0",
        "CPY": " FR10",
    }


def test_a_pair_overrides_the_file(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text('{"SELTSK": 1, "USER": "ADMIN"}', encoding="utf-8")
    assert merge_params(f, ["seltsk=0"]) == {"SELTSK": "0", "USER": "ADMIN"}
    assert merge_params(None, ["A=1", "a=2"]) == {"A": "2"}


def test_a_value_may_hold_an_equals_sign() -> None:
    assert split_pair("TSKOBJ=a=b") == ("TSKOBJ", "a=b")
    assert split_pair("SELTSK=") == ("SELTSK", "")


@pytest.mark.parametrize("pair", ["SELTSK", "=1", "  =1", ""])
def test_a_bad_pair_is_one_line_naming_it(pair: str) -> None:
    with pytest.raises(CriteriaError) as info:
        merge_params(None, ["SELCLL=1", pair])
    message = str(info.value)
    assert "\n" not in message
    assert f"-p {pair!r} is not NAME=VALUE" in message
    assert info.value.field == "-p" and info.value.value == pair


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(CriteriaError, match="nope.yaml"):
        merge_params(missing, ["SELTSK=1"])
