"""The job's criteria: from the notebook's namespace, or from a file and NAME=VALUE."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import CriteriaError
from ..params import merge_params
from .common import CRITERIA_NAMES, JOB_PARAMETERS

#: The command-line option of each job parameter that has one of another name.
_OPTIONS = {"DB_URL": "--db", "OUTPUT_DIR": "--output"}


def unknown_parameter(name: str) -> CriteriaError:
    """The refusal of a name that is neither a criterion nor a job parameter."""
    upper = name.upper()
    if upper in CRITERIA_NAMES or upper in JOB_PARAMETERS:
        hint = f"write it in upper case, {upper}."
    else:
        hint = "use one of the screen's field codes such as SELTSK or TSKDATDEB."
    return CriteriaError(
        name,
        None,
        f"Unknown parameter {name!r}: {hint}",
        allowed=", ".join(sorted(CRITERIA_NAMES | set(JOB_PARAMETERS))),
    )


def notebook_params(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The criteria of the job notebook, read from its global namespace.

    Upper-case names are the parameters (papermill injects every ``-p`` name as a
    variable, and only warns about names the notebook does not declare), so an
    upper-case name that is neither a criterion nor a job parameter is refused here,
    as is a criterion written in lower case.

    Args:
        namespace: the notebook's ``globals()``.

    Returns:
        SPEC parameter name -> value, for every criterion the namespace holds.

    Raises:
        CriteriaError: an unknown parameter name.
    """
    out: dict[str, Any] = {}
    for name, value in namespace.items():
        if name in CRITERIA_NAMES:
            out[name] = value
        elif name in JOB_PARAMETERS or name.startswith("_"):
            continue
        elif name.isupper() or name.upper() in CRITERIA_NAMES | set(JOB_PARAMETERS):
            raise unknown_parameter(name)
    return out


def job_parameters(
    params_file: str | Path | None, pairs: Sequence[str] = ()
) -> dict[str, Any]:
    """The criteria of ``forcedsync job``: a parameters file, then NAME=VALUE pairs.

    Names are upper-cased; values are kept as written (strings from pairs, YAML types
    from the file, dates as ISO text) and validated by the notebook, so that a bad
    value fails inside the executed notebook, where it stays visible.

    Raises:
        CriteriaError: the file cannot be read, a pair is not NAME=VALUE, a name is
            unknown or is one of the job's own options (DB_URL, COMMIT...).
    """
    values = merge_params(params_file, pairs)
    for name, value in list(values.items()):
        if name in JOB_PARAMETERS:
            option = _OPTIONS.get(name, f"--{name.lower()}")
            raise CriteriaError(
                name,
                value,
                f"{name} is an option of 'forcedsync job', not a criterion: use "
                f"{option}.",
            )
        if name not in CRITERIA_NAMES:
            raise unknown_parameter(name)
        if isinstance(value, dt.date):
            values[name] = value.isoformat()
    return values
