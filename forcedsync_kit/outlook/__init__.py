"""The next synchronization (SPEC §6): a stand-in for one user's Outlook add-in.

``synchronize`` (see ``sync``) sends a user's pending SYNCDATA rows to files Outlook and
Thunderbird import, then acknowledges them. The modules of the package:

- ``staging``: the read set (the user's queue and anomalies in temporary tables) and
  its acknowledgement;
- ``formats``: one Outlook item per record (vCard 4.0, VTODO, VEVENT, deletion entry);
- ``writer``: the staged records streamed into the files, and their publication;
- ``sync``: ``synchronize`` and ``pending_summary``, one transaction each.
"""

from .formats import APPOINTMENT_MINUTES, PRODID, VCARD_VERSION
from .sync import PendingCount, SyncResult, pending_summary, synchronize
from .writer import (
    CHUNK_SIZE,
    CONTACTS_FILE,
    DELETIONS_FILE,
    EVENTS_FILE,
    OUTPUT_FILES,
    TASKS_FILE,
    record_uid,
)

__all__ = [
    "APPOINTMENT_MINUTES",
    "CHUNK_SIZE",
    "CONTACTS_FILE",
    "DELETIONS_FILE",
    "EVENTS_FILE",
    "OUTPUT_FILES",
    "PRODID",
    "TASKS_FILE",
    "VCARD_VERSION",
    "PendingCount",
    "SyncResult",
    "pending_summary",
    "record_uid",
    "synchronize",
]
