"""Start-up helpers of the dashboard benchmark, shared with the browser tests.

A free port, waiting for Voila, and Chromium's path and flags live in one place,
``tests/browser_helpers.py``: the benchmarks run from a source checkout, which has
the tests, so this module puts that folder on the path and re-exports them (the
toolkit itself never imports either).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from browser_helpers import CHROMIUM, CHROMIUM_ARGS, free_port, wait_http  # noqa: E402

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "free_port", "wait_http"]
