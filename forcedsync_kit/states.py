"""The toolkit's own state codes: kinds and states of runs, and of their detail lines.

They are stored as text in FSYRUN / FSYLOG and shown in the history, so they are string
enums: ``RunKind.FORCE == "FORCE"`` and the stored values stay what they were.
"""

from __future__ import annotations

import enum


class RunKind(enum.StrEnum):
    """FSYRUN.RUNKIND: what a recorded run did."""

    FORCE = "FORCE"
    UNDO = "UNDO"


class RunStatus(enum.StrEnum):
    """FSYRUN.STATUS of a recorded run (a run that failed leaves no row at all)."""

    DONE = "DONE"
    UNDONE = "UNDONE"


class LineState(enum.StrEnum):
    """FSYLOG.UNDONE: what an undo did to one forced record."""

    RESTORED = "RESTORED"
    KEPT = "KEPT"


class JobStatus(enum.StrEnum):
    """``status`` of a headless job's summary.json."""

    DONE = "DONE"
    PREVIEW = "PREVIEW"
    FAILED = "FAILED"
