"""Deterministic demo data at any scale: an X3 CRM folder with a synchronization queue.

``build`` loads the folder (see ``builder``); the named users of ``USERS`` and the
demo clock are what tests and docs rely on. The modules of the package:

- ``base``: the folder's definition (users, companies, shares) and numpy helpers;
- ``loader``: bulk loading of generated frames (DuckDB ``INSERT … SELECT``, ``COPY``);
- ``reference``: the fixed tables, the reps, customers and leads;
- ``tables``: the contacts and activities, a chunk at a time;
- ``syncqueue``: the SYNCDATA queue and SYNCLINK anomalies of generated records;
- ``builder``: ``build``, one transaction over all of the above.
"""

from .base import DEMO_CLOCK, LARGE_SCALE, PER_SCALE, PERIOD, USERS, DemoUser
from .builder import DemoSummary, build

__all__ = [
    "DEMO_CLOCK",
    "LARGE_SCALE",
    "PERIOD",
    "PER_SCALE",
    "USERS",
    "DemoSummary",
    "DemoUser",
    "build",
]
