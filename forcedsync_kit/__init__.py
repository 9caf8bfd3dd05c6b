"""forcedsync_kit: Sage X3 CRM forced Outlook synchronization (FUNSYD6), re-created.

Select records with the screen's criteria, preview what would be forced and why they
are out of phase, mark them R in one set-based transaction, keep a run history, undo.
"""

from .context import resolve_operator, user_defaults
from .criteria import (
    FUNCTIONS,
    OBJECT_TYPES,
    OUTCOMES,
    PARAMETERS,
    Action,
    Criteria,
    ObjectType,
    Outcome,
)
from .db import connect, masked
from .db import init as init_db
from .errors import (
    BackendError,
    CriteriaError,
    ForcedSyncError,
    MarkingError,
    RunNotFoundError,
    UserResolutionError,
)
from .identity import Login, X3User, find_user, session_login
from .lookup import Overview, codes, overview
from .marking import force, preview, undo
from .outlook import PendingCount, SyncResult, pending_summary, synchronize
from .results import (
    ForceResult,
    PreviewResult,
    RecordRow,
    RunContext,
    RunInfo,
    UndoResult,
)
from .runlog import detailed_log, get_run, list_runs, run_records, write_log

__version__ = "0.1.0"

__all__ = [
    "FUNCTIONS",
    "OBJECT_TYPES",
    "OUTCOMES",
    "PARAMETERS",
    "Action",
    "BackendError",
    "Criteria",
    "CriteriaError",
    "ForceResult",
    "ForcedSyncError",
    "Login",
    "MarkingError",
    "ObjectType",
    "Overview",
    "PendingCount",
    "Outcome",
    "PreviewResult",
    "RecordRow",
    "RunContext",
    "RunInfo",
    "RunNotFoundError",
    "SyncResult",
    "UndoResult",
    "UserResolutionError",
    "X3User",
    "codes",
    "connect",
    "detailed_log",
    "find_user",
    "force",
    "get_run",
    "init_db",
    "list_runs",
    "masked",
    "overview",
    "pending_summary",
    "preview",
    "resolve_operator",
    "run_records",
    "session_login",
    "synchronize",
    "undo",
    "user_defaults",
    "write_log",
]
