"""Parameters files (issue 14, class 4): small, flat, UTF-8, each name once."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from forcedsync_kit.criteria import Criteria
from forcedsync_kit.errors import CriteriaError
from forcedsync_kit.safeload import MAX_PARAMS_BYTES, load_params_file

# The "billion laughs": 9 levels of 9 aliases, a few hundred bytes that a YAML loader
# expands to 9**9 strings.
LAUGHS = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n"
    for i in range(8)
)


def refused(path: Path, match: str) -> str:
    with pytest.raises(CriteriaError, match=match) as exc:
        load_params_file(path)
    msg = str(exc.value)
    assert "\n" not in msg and msg.endswith(".")
    assert path.name in msg
    return msg


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def test_nested_aliases_are_refused_at_once(tmp_path: Path) -> None:
    p = write(tmp_path, "laughs.yaml", LAUGHS)
    assert len(LAUGHS) < 1000
    start = time.monotonic()
    refused(p, r"uses a YAML anchor \(&\) on line 1")
    assert time.monotonic() - start < 1.0


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("SELTSK: *x\n", r"alias \(\*\)"),
        ("SELTSK: !!int 1\n", r"tag \(!\)"),
        ("SELTSK: !custom 1\n", r"tag \(!\)"),
        ("<<: {SELTSK: '1'}\n", r"merge key \(<<\)"),
        ("- SELTSK: '1'\n", "must hold a mapping"),
        ("SELTSK: '1'\n<<: x\n", r"merge key \(<<\)"),
        ("SELTSK: {a: 1}\n", "not flat"),
        ("CORFCTTXT: [[1, 2]]\n", "not flat"),
        ("SELTSK: '1'\nSELTSK: '0'\n", "sets 'SELTSK' twice"),
        ("SELTSK: '1'\nseltsk: '0'\n", "sets 'SELTSK' twice"),
        ("SELTSK\n", "must hold a mapping"),
        ("SELTSK: [\n", "does not parse"),
    ],
)
def test_yaml_beyond_a_flat_mapping_is_refused(
    tmp_path: Path, text: str, match: str
) -> None:
    refused(write(tmp_path, "p.yaml", text), match)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"SELTSK": "1", "SELTSK": "0"}', "sets 'SELTSK' twice"),
        ('{"SELTSK": "1", " seltsk": "0"}', "sets 'SELTSK' twice"),
        ('{"SELTSK": {"a": 1}}', "not flat"),
        ('{"SELTSK": "1", "STALEDAYS": ' + "9" * 5000 + "}", "too long"),
        ("[" * 5000 + "]" * 5000, "too long or too deep"),
        ('{"SELTSK": ', "does not parse"),
        ('["SELTSK"]', "must hold a mapping"),
    ],
)
def test_json_beyond_a_flat_mapping_is_refused(
    tmp_path: Path, text: str, match: str
) -> None:
    refused(write(tmp_path, "p.json", text), match)


def test_a_large_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    p = write(tmp_path, "big.yaml", "SELTSK: '1'\n" + "#" * MAX_PARAMS_BYTES)
    refused(p, "larger than 64 KiB")


def test_non_utf8_is_refused(tmp_path: Path) -> None:
    refused(write(tmp_path, "latin.yaml", b"CORDEB: 'caf\xe9'\n"), "not UTF-8 text")


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "params.yaml"
    os.mkfifo(fifo)
    start = time.monotonic()
    refused(fifo, "is not a regular file")
    assert time.monotonic() - start < 1.0


def test_a_folder_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    refused(tmp_path / "dir.yaml", "is not a regular file")
    refused(tmp_path / "none.yaml", "Cannot read parameters file")


def test_a_long_path_is_cut_in_the_message(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 200) / ("e" * 200)
    deep.mkdir(parents=True)
    msg = refused(deep / "missing.yaml", "Cannot read")
    assert len(msg) < 300


def test_flat_files_still_read_as_written(tmp_path: Path) -> None:
    y = write(
        tmp_path,
        "ok.yaml",
        "\ufeffSELCOR: 1\nCORDEB: 0012\nCORFIN: ~\nCORSYNCNT: yes\n"
        "CORFCTTXT: [1, 9]\nSTALEDAYS: 3\n",
    )
    data = load_params_file(y)
    assert data == {
        "SELCOR": "1",
        "CORDEB": "0012",
        "CORFIN": None,
        "CORSYNCNT": "yes",
        "CORFCTTXT": ["1", "9"],
        "STALEDAYS": "3",
    }
    cr = Criteria.from_file(y)
    assert (cr.cordeb, cr.corfcttxt, cr.staledays) == ("0012", (1, 9), 3)
    j = write(tmp_path, "ok.json", '{"SELTSK": true, "CORFCTTXT": [1, 9]}')
    assert load_params_file(j) == {"SELTSK": True, "CORFCTTXT": [1, 9]}
    assert load_params_file(write(tmp_path, "empty.yaml", "")) == {}
