"""ipywidgets UI: the analyst notebook and the Voila dashboard both show ``App``.

Each part owns its widgets, exposes one ``root`` widget and has ``close()``; none runs
SQL: they call the library through ``backend.Api``.
"""

from .app import App, Refusal, open_dashboard
from .backend import Api
from .commit import CommitPanel
from .form import CriteriaForm
from .grid import PreviewGrid
from .overview import OverviewPanel
from .runs import RunsPanel
from .sync import SyncPanel

__all__ = [
    "Api",
    "App",
    "CommitPanel",
    "CriteriaForm",
    "OverviewPanel",
    "PreviewGrid",
    "Refusal",
    "RunsPanel",
    "SyncPanel",
    "open_dashboard",
]
