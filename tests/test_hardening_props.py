"""Property: any Unicode text or bytes given to any criteria parameter is either
accepted or refused with a one-line ``CriteriaError``, never another exception
(issue 14, class 6)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forcedsync_kit.clock import parse_clock
from forcedsync_kit.criteria import Criteria
from forcedsync_kit.edges import ascii_int
from forcedsync_kit.errors import CriteriaError
from forcedsync_kit.fields import BY_NAME, FIELDS, FieldType
from forcedsync_kit.safeload import load_params_file

NAMES = [f.name for f in FIELDS]
# Text that looks like the values the parsers expect, with the digits, signs and
# separators that have tripped them: other scripts' digits, superscripts, underscores.
DIGITS = "0123456789３٣۳³¹²_+-. WTZ:"
VALUES = st.one_of(
    st.text(),
    st.text(alphabet=DIGITS, max_size=25),
    st.binary(max_size=40),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.lists(st.one_of(st.text(max_size=5), st.integers()), max_size=4),
    st.text(min_size=2000, max_size=3000),
)


def check(params: dict[str, object]) -> None:
    try:
        Criteria.from_params(params)
    except CriteriaError as exc:
        msg = str(exc)
        assert "\n" not in msg and "\r" not in msg, msg
        assert len(msg) < 500, msg


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None)
@given(value=VALUES)
def test_any_value_of_any_parameter(name: str, value: object) -> None:
    field = BY_NAME[name]
    params: dict[str, object] = {name: value}
    if field.block is not None:  # switch its block on, so the value itself is parsed
        params[field.block] = "1"
        parent = BY_NAME[field.block].block
        if parent is not None:
            params[parent] = "1"
    if "SELCOR" not in params:
        params["SELTSK"] = "1"
    check(params)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=12), VALUES, max_size=5))
def test_any_mapping(params: dict[str, object]) -> None:
    check(params)


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.text(), st.text(alphabet=DIGITS, max_size=30)))
def test_any_clock_text(value: str) -> None:
    try:
        clock = parse_clock(value)
    except CriteriaError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 500
    else:
        assert dt.datetime(1900, 1, 1) <= clock <= dt.datetime(9999, 12, 30, 23, 59, 59)


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.text(), st.text(alphabet=DIGITS, max_size=30), st.integers()))
def test_any_page_number(value: str | int) -> None:
    try:
        num = ascii_int("--page", value, 1)
    except CriteriaError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 500
    else:
        assert 1 <= num <= 2**31 - 1


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".yaml", ".json"]))
def test_any_params_file_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"p{suffix}"
    path.write_bytes(data)
    try:
        params = load_params_file(path)
    except CriteriaError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 500
    else:
        assert isinstance(params, dict)
        check({str(k): v for k, v in params.items()})


def test_the_strategies_reach_the_parsers() -> None:
    """The fields the property feeds include every parser type."""
    assert {f.type for f in FIELDS} == set(FieldType)
