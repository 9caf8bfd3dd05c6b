"""Preview, force and undo (SPEC §4): the sole owner of the write transactions.

One module per job: ``plan`` (the plan shared by preview and force, page checks,
progress), ``previewing``, ``forcing``, ``undoing``, and ``transaction`` (the write
transaction, its COMMIT and the truth read back after an interrupted COMMIT).
"""

from __future__ import annotations

from .forcing import force
from .plan import MAX_PAGE_SIZE, Plan, Progress, make_plan
from .previewing import preview
from .undoing import KEPT_SAMPLE, undo

__all__ = [
    "KEPT_SAMPLE",
    "MAX_PAGE_SIZE",
    "Plan",
    "Progress",
    "force",
    "make_plan",
    "preview",
    "undo",
]
