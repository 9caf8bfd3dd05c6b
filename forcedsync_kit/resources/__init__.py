"""Files shipped inside the package: the job notebook and the Voila dashboard.

``forced_sync_job.ipynb`` is the papermill job (``forcedsync job``);
``dashboards/`` holds the dashboard notebook, ``voila.json`` and the ``forcedsync``
Voila template (``dashboards/jupyter/voila/templates/forcedsync``). They are package
data, found with ``importlib.resources``, so a wheel installed without ``-e`` carries
them; the repository's ``notebooks/`` and ``dashboards/`` hold symbolic links to them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from ..errors import BackendError

#: The job notebook's file name.
JOB_NOTEBOOK_NAME = "forced_sync_job.ipynb"
#: The folder of the dashboard notebook, voila.json and the Voila template.
DASHBOARDS_NAME = "dashboards"


def resource(name: str) -> Traversable:
    """The packaged file or folder ``name`` (it may not exist)."""
    return resources.files(__name__).joinpath(name)


@contextlib.contextmanager
def job_notebook() -> Iterator[Path]:
    """The packaged job notebook as a file on disk, for as long as the block runs.

    Raises:
        BackendError: the package was installed without its notebook.
    """
    source = resource(JOB_NOTEBOOK_NAME)
    if not source.is_file():
        raise BackendError(
            f"The job notebook {JOB_NOTEBOOK_NAME} is missing from the installed "
            f"package: reinstall forcedsync."
        )
    with resources.as_file(source) as path:
        yield path


def dashboards_dir() -> Path:
    """The packaged dashboard folder (dashboard.ipynb, voila.json, template).

    Voila runs in a writable copy of the notebook and ``voila.json``
    (``dashboard.runtime_folder``); the template is read from here.

    Voila needs a real folder that outlives this call, so a package imported from a
    zip file is refused rather than copied out.

    Raises:
        BackendError: the folder is missing or not on the file system.
    """
    folder = resource(DASHBOARDS_NAME)
    if not isinstance(folder, Path) or not (folder / "dashboard.ipynb").is_file():
        raise BackendError(
            f"The dashboard folder {DASHBOARDS_NAME}/ is missing from the installed "
            f"package (or it is imported from a zip file): reinstall forcedsync."
        )
    return folder
