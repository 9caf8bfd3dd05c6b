"""Headless scheduled runs: the logic behind the job notebook and ``forcedsync job``.

The job notebook (``forcedsync_kit/resources/forced_sync_job.ipynb``, shipped in the
package; ``notebooks/`` links to it) holds every SPEC §3 parameter
in its papermill ``parameters`` cell and calls two functions of this package:
``notebook_params`` collects the criteria from the notebook's namespace (refusing
unknown upper-case names, as papermill only warns about them) and ``run_job`` previews
or forces, then writes ``summary.json`` and, with FLGTRCDET, the detailed log into the
output directory; criteria with a team selector (USERS...) run as a team run
(``job.team``: one part per user through ``batch``, ``summary.json`` per user and in
total). ``execute_job`` runs that notebook with papermill for the CLI.

Nothing here prints; failures are ``ForcedSyncError``s carrying one-line messages.
"""

from __future__ import annotations

from .common import (
    JOB_NOTEBOOK,
    JOB_PARAMETERS,
    NOTEBOOK_FILE,
    PREVIEW_LOG_FILE,
    SHOWN_RECORDS,
    SUMMARY_FILE,
    JobError,
)
from .execute import JobOutput, execute_job
from .parameters import job_parameters, notebook_params
from .result import JobResult
from .run import run_job
from .team import team_headline

__all__ = [
    "JOB_NOTEBOOK",
    "JOB_PARAMETERS",
    "NOTEBOOK_FILE",
    "PREVIEW_LOG_FILE",
    "SHOWN_RECORDS",
    "SUMMARY_FILE",
    "JobError",
    "JobOutput",
    "JobResult",
    "execute_job",
    "job_parameters",
    "notebook_params",
    "run_job",
    "team_headline",
]
