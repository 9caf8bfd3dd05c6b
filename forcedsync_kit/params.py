"""Parameters from a file and NAME=VALUE pairs, merged the same way for every caller.

``forcedsync preview/force`` and ``forcedsync job`` both take ``--params FILE`` and
``-p NAME=VALUE``; this module is the one place that reads and merges them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .criteria import read_params_file
from .errors import CriteriaError


def split_pair(pair: str) -> tuple[str, str]:
    """``"seltsk=1"`` -> ``("SELTSK", "1")``: name upper-cased, value as written.

    Raises:
        CriteriaError: the pair has no ``=`` or no name; the message quotes the pair.
    """
    name, sep, value = pair.partition("=")
    if not sep or not name.strip():
        raise CriteriaError(
            "-p", pair, f"-p {pair!r} is not NAME=VALUE (e.g. -p SELTSK=1)."
        )
    return name.strip().upper(), value


def merge_params(
    params_file: str | Path | None, pairs: Sequence[str] = ()
) -> dict[str, Any]:
    """The parameters of a file (YAML or JSON), then the pairs, which win.

    Names are upper-cased; values are kept as given (YAML types from the file, text
    from the pairs). Nothing is validated beyond the shape: callers build Criteria.

    Raises:
        CriteriaError: the file cannot be read or parsed, or a pair is not NAME=VALUE.
    """
    values: dict[str, Any] = {}
    if params_file:
        for key, value in read_params_file(params_file).items():
            values[str(key).strip().upper()] = value
    for pair in pairs:
        name, value = split_pair(pair)
        values[name] = value
    return values


__all__ = ["merge_params", "split_pair"]
