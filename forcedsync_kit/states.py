"""The toolkit's own state codes: kinds and states of runs, and of their detail lines.

They are stored as text in FSYRUN / FSYLOG and shown in the history, so they are string
enums: ``RunKind.FORCE == "FORCE"`` and the stored values stay what they were. Each
stored value is its member's name, so each enum is built from its table of
``(name, stored value)`` pairs.
"""

from __future__ import annotations

import enum

#: FSYRUN.RUNKIND: what a recorded run did.
RunKind = enum.StrEnum(
    "RunKind", [("FORCE", "FORCE"), ("UNDO", "UNDO")], module=__name__
)

#: FSYRUN.STATUS of a recorded run (a run that failed leaves no row at all).
RunStatus = enum.StrEnum(
    "RunStatus", [("DONE", "DONE"), ("UNDONE", "UNDONE")], module=__name__
)

#: FSYLOG.UNDONE: what an undo did to one forced record.
LineState = enum.StrEnum(
    "LineState", [("RESTORED", "RESTORED"), ("KEPT", "KEPT")], module=__name__
)

#: ``status`` of a headless job's summary.json.
JobStatus = enum.StrEnum(
    "JobStatus",
    [("DONE", "DONE"), ("PREVIEW", "PREVIEW"), ("FAILED", "FAILED")],
    module=__name__,
)

#: FSYBATCH.STATUS of a team run: OPEN until every user's part is settled.
BatchStatus = enum.StrEnum(
    "BatchStatus",
    [("OPEN", "OPEN"), ("DONE", "DONE"), ("UNDONE", "UNDONE")],
    module=__name__,
)

#: FSYBUSR.STATUS of one user's part of a team run.
PartStatus = enum.StrEnum(
    "PartStatus",
    [
        ("PENDING", "PENDING"),
        ("DONE", "DONE"),
        ("REFUSED", "REFUSED"),
        ("FAILED", "FAILED"),
    ],
    module=__name__,
)
