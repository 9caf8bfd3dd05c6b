"""What the parts of the job share: file names, parameter names and ``JobError``."""

from __future__ import annotations

from pathlib import Path

from .. import marking, resources
from ..criteria import PARAMETERS
from ..errors import ForcedSyncError

#: The job notebook shipped in the package (``forcedsync_kit/resources``).
JOB_NOTEBOOK = resources.resource(resources.JOB_NOTEBOOK_NAME)
#: The Jupyter kernel the job runs on (``forcedsync kernel install``).
JOB_KERNEL = "forcedsync"
#: The job's own parameters besides the criteria (papermill names).
JOB_PARAMETERS: tuple[str, ...] = (
    "DB_URL", "OPERATOR", "COMMIT", "OUTPUT_DIR", "NOW", "EXPORT", "EXPECT",
)  # fmt: skip
#: File names written into the output directory.
SUMMARY_FILE = "summary.json"
NOTEBOOK_FILE = "job.ipynb"
PREVIEW_LOG_FILE = "preview.log"
#: Records a preview log lists at most (one preview page); a commit logs them all.
PREVIEW_LOG_LIMIT = marking.MAX_PAGE_SIZE
#: Records kept on a ``JobResult`` for display.
SHOWN_RECORDS = 50
#: The criteria's parameter names, upper case.
CRITERIA_NAMES = frozenset(p.upper() for p in PARAMETERS)


class JobError(ForcedSyncError):
    """A job failed: its criteria were refused or its notebook raised.

    Attributes:
        notebook: the executed notebook (the error is visible in it), when written.
        error_type: the name of the exception raised inside the notebook.
    """

    def __init__(
        self, message: str, notebook: Path | None = None, error_type: str = ""
    ) -> None:
        super().__init__(message)
        self.notebook = notebook
        self.error_type = error_type


def text_or_none(value: object) -> str | None:
    """The value as stripped text; None for None or blank text."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None
