"""The library calls the UI makes, bound to one engine, operator and optional clock.

The panels hold an ``Api`` and never a connection: every call opens and closes its own
(DuckDB allows one writer process; Voila, kernels and the CLI are separate processes).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

import forcedsync_kit as fsk

from .. import batch, batchlog, context, db, identity, lookup, outlook, teams
from ..marking.plan import Progress
from ..snapshot import Snapshot, open_snapshot
from ..teamresults import BatchPreview, BatchResult, BatchUndo

logger = logging.getLogger(__name__)


class Api:
    """The public API of ``forcedsync_kit`` bound to an engine and an operator.

    Args:
        engine: the database engine.
        operator: the connected person's login or X3 code; ``None`` resolves it
            (``JUPYTERHUB_USER``, then ``FORCEDSYNC_USER``; never the OS login).
        now: a fixed clock for every call (reproducible demos and tests); ``None``
            for the current UTC time.
        page_size: records per page of the preview and run detail grids.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        operator: str | None = None,
        now: dt.datetime | None = None,
        page_size: int = 200,
    ) -> None:
        self.engine = engine
        #: The person's login as given; the X3 user it maps to (AUTILIS.LOGIN, else
        #: CODUSR) is ``operator``, found once here and checked again at every call.
        self.login = fsk.resolve_operator(operator)
        self.x3user: identity.X3User | None = None
        if self.login:
            with db.reading(engine) as conn:
                self.x3user = identity.find_user(conn, self.login)
        self.operator = self.x3user.code if self.x3user else self.login.upper()
        self.now = now
        self.page_size = page_size
        self._first_codes: dict[str, list[tuple[str, str]]] = {}

    def refusal(self) -> str | None:
        """Why the connected person cannot act, in one line; None when they can."""
        if not self.login:
            return identity.HOW_TO_NAME
        with db.reading(self.engine) as conn:
            found = context.standing(conn, self.login)
        if found.why is None:
            return None
        who = self.login
        if found.user is not None and found.user.code != self.login.upper():
            who += f" (X3 user {found.user.code})"
        return (
            f"You are signed in as {who}, who {found.why}, so you cannot preview or "
            f"force: {found.fix}."
        )

    # -- look-ups ----------------------------------------------------------------------

    def codes(self, kind: str, prefix: str = "") -> list[tuple[str, str]]:
        """Existing codes of ``kind`` starting with ``prefix`` (for completion)."""
        if prefix:
            return lookup.codes(self.engine, kind, prefix, limit=50)
        # The unfiltered lists are asked for by several fields when the form opens.
        if kind not in self._first_codes:
            self._first_codes[kind] = lookup.codes(self.engine, kind, "", limit=50)
        return self._first_codes[kind]

    def defaults(self, user: str) -> fsk.RunContext:
        """The user's company, CRM function and rep."""
        # db.reading waits while another process holds a DuckDB file (two preheated
        # Voila kernels start together); a bare engine.connect() would fail at once.
        with db.reading(self.engine) as conn:
            return fsk.user_defaults(conn, user)

    def company_of(self, user: str) -> str | None:
        """The user's default company, or ``None`` when the user is unknown."""
        try:
            return self.defaults(user).company or None
        except fsk.ForcedSyncError:
            return None

    def overview(self, user: str | None, staledays: int) -> lookup.Overview:
        """Out-of-phase records by type, rep and age."""
        return lookup.overview(self.engine, user, now=self.now, staledays=staledays)

    # -- marking -----------------------------------------------------------------------

    def acting(self, now: dt.datetime | None = None) -> dict[str, Any]:
        """Who acts and when: the session's person; the given, fixed or real clock."""
        return {"operator": self.login or None, "now": now or self.now}

    def preview(
        self,
        criteria: fsk.Criteria,
        *,
        page: int = 1,
        now: dt.datetime | None = None,
        object_type: str | None = None,
        outcome: str | None = None,
        only_oop: bool = False,
    ) -> fsk.PreviewResult:
        """One page of a preview (counts over the whole selection)."""
        return fsk.preview(
            self.engine,
            criteria,
            **self.acting(now),
            page=page,
            page_size=self.page_size,
            object_type=object_type,
            outcome=outcome,
            only_oop=only_oop,
        )

    def snapshot(self, criteria: fsk.Criteria) -> Snapshot:
        """Classify the selection once into a session-held snapshot (close it)."""
        return open_snapshot(self.engine, criteria, **self.acting())

    def force(
        self,
        criteria: fsk.Criteria,
        progress: Progress | None,
        expect: str | None = None,
    ) -> fsk.ForceResult:
        """Commit a run; with ``expect`` (a preview token) only if nothing changed."""
        return fsk.force(
            self.engine, criteria, **self.acting(), progress=progress, expect=expect
        )

    # -- team runs (USERS...) ----------------------------------------------------------

    def setup_users(self) -> list[tuple[str, str]]:
        """``(code, name)`` of the users a team run can be for (a SYNCPAR setup)."""
        with db.reading(self.engine) as conn:
            return teams.setup_users(conn)

    def preview_batch(self, criteria: fsk.Criteria) -> BatchPreview:
        """A team preview: counts per user, type and outcome, and the refusals."""
        return batch.preview_batch(self.engine, criteria, **self.acting())

    def force_batch(
        self,
        criteria: fsk.Criteria,
        progress: Progress | None,
        expect: str | None = None,
        now: dt.datetime | None = None,
    ) -> BatchResult:
        """Force a team run, each user's part in its own transaction; with ``expect``
        (a team preview's token) only if the queue has not changed since."""
        return batch.force_batch(
            self.engine, criteria, **self.acting(now), progress=progress, expect=expect
        )

    def undo_batch(self, batch_id: str) -> BatchUndo:
        """Undo every part of a team run, as the session's person."""
        return batch.undo_batch(self.engine, batch_id, **self.acting())

    def team_run(self, batch_id: str) -> tuple[batchlog.Header, list[batchlog.Part]]:
        """A recorded team run: its header and its parts (users) in order."""
        return batch.describe_batch(self.engine, batch_id)

    def undo(self, run_id: str) -> fsk.UndoResult:
        """Undo a run."""
        return fsk.undo(self.engine, run_id, operator=self.operator, now=self.now)

    # -- run history -------------------------------------------------------------------

    def runs(self, limit: int = 100) -> list[fsk.RunInfo]:
        """The latest runs, newest first."""
        return fsk.list_runs(self.engine, limit=limit)

    def run(self, run_id: str) -> fsk.RunInfo:
        """One run."""
        return fsk.get_run(self.engine, run_id)

    def run_records(
        self, run_id: str, page: int = 1
    ) -> tuple[list[fsk.RecordRow], int]:
        """One page of a run's records and their total."""
        return fsk.run_records(self.engine, run_id, page=page, page_size=self.page_size)

    def log_text(self, run_id: str, *, details: bool = True) -> str:
        """The text of a run's log (with one line per record when ``details``)."""
        return fsk.detailed_log(self.engine, run_id, details=details)

    # -- the next synchronization (Outlook stand-in) -----------------------------------

    def pending(self) -> list[outlook.PendingCount]:
        """Pending SYNCDATA rows per user, object type and action."""
        return outlook.pending_summary(self.engine)

    def sync_dir(self, user: str) -> Path:
        """A new directory for one synchronization's files.

        Under ``FORCEDSYNC_SYNC_DIR`` when set, else the system's temporary directory.
        """
        base = Path(
            os.environ.get("FORCEDSYNC_SYNC_DIR")
            or Path(tempfile.gettempdir()) / "forcedsync-sync"
        )
        base.mkdir(parents=True, exist_ok=True)
        stamp = (self.now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S")
        return Path(tempfile.mkdtemp(prefix=f"{user.upper()}-{stamp}-", dir=base))

    def synchronize(self, user: str) -> outlook.SyncResult:
        """Run the next synchronization of ``user`` into a new directory."""
        return outlook.synchronize(self.engine, user, self.sync_dir(user), now=self.now)
