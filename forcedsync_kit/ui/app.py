"""The analyst application: criteria, preview, commit, run history, overview."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import ipywidgets as w
from sqlalchemy.engine import Engine

import forcedsync_kit as fsk

from .. import token as preview_token
from ..export import write_export
from ..snapshot import Page, Snapshot
from .backend import Api
from .base import Part, esc, message_html
from .commit import CommitPanel
from .download import DownloadPanel, SessionFiles
from .form import CriteriaForm
from .grid import PreviewGrid
from .overview import OverviewPanel
from .runs import RunsPanel
from .sync import SyncPanel
from .team import TeamPanel

logger = logging.getLogger(__name__)

TAB_TITLES = ("Force synchronization", "Runs", "Overview", "Outlook sync")


class App(Part):
    """Wires the form and the Preview / Force / Undo buttons to the library.

    Args:
        db: an engine, a database URL, or ``None`` for ``FORCEDSYNC_DB_URL`` (then
            ``./forcedsync.duckdb``).
        operator: the connected person's login or X3 code; ``None`` resolves it
            (``JUPYTERHUB_USER``, then ``FORCEDSYNC_USER``; never the OS login).
        note: shown after the X3 user in "Connected as" (e.g. ``demo operator``).
        now: a fixed clock for every call (reproducible demos and tests).
        page_size: records per grid page (paged in SQL).

    Raises:
        ForcedSyncError: the database cannot be opened.
    """

    def __init__(
        self,
        db: Engine | str | None = None,
        *,
        operator: str | None = None,
        now: dt.datetime | None = None,
        page_size: int = 200,
        note: str = "",
    ) -> None:
        super().__init__()
        engine = db if isinstance(db, Engine) else fsk.connect(db)
        self.api = Api(engine, operator=operator, now=now, page_size=page_size)
        self.log.layout = w.Layout(max_height="200px", overflow="auto")
        company = None
        try:
            company = self.api.defaults(self.api.operator).company or None
        except fsk.ForcedSyncError as exc:
            self.status.value = message_html(str(exc), error=True)
        self.form = CriteriaForm(
            self.api.codes,
            self.api.company_of,
            user=self.api.operator,
            company=company,
            log=self.log,
        )
        self.preview_button = w.Button(
            description="Preview", button_style="primary", icon="search"
        )
        self.preview_button.add_class("fsk-preview")
        self.grid = PreviewGrid(self._page, log=self.log, cheap=self._snapshot_open)
        self._snapshot_state(engine)
        self.commit = CommitPanel(
            self._force,
            lambda rid: self.api.log_text(rid, details=True),
            on_done=self._forced,
            on_changed=lambda _: self.run_preview(),
            log=self.log,
        )
        self.runs = RunsPanel(self.api, on_undone=lambda _: self._stale(), log=self.log)
        self.overview = OverviewPanel(self.api, log=self.log)
        self.sync = SyncPanel(
            self.api,
            user=self.api.operator,
            on_done=lambda _: self._stale(),
            log=self.log,
        )
        self.team = self._team_panel()
        self.previewed: fsk.Criteria | None = None
        self._buttons = [self.preview_button]
        self.preview_button.on_click(self.guard(lambda _: self.run_preview()))
        self.form.on_change(self.guard(self._form_changed))
        self.tabs = self._tabs()
        who = w.HTML(
            f"<span style='color:#555'>Connected as {connected_as(self.api, note)} "
            f"on {esc(fsk.masked(engine.url))}</span>"
        )
        self.root = w.VBox([who, self.tabs, w.HTML("<small>Log</small>"), self.log])
        self.root.add_class("fsk-app")

    def _snapshot_state(self, engine: Engine) -> None:
        #: The open snapshot of the preview shown (None: none, or closed).
        self.snapshot: Snapshot | None = None
        self._lock = threading.RLock()
        self._timer: threading.Timer | None = None
        self.snapshot_idle = snapshot_idle(engine)
        self._last_page: tuple[tuple[str | None, str | None, bool], Page] | None = None
        self.download = DownloadPanel(self._export, SessionFiles(), log=self.log)

    def _team_panel(self) -> TeamPanel:
        """Team runs: the users picker; with users picked, the batch preview/force."""
        team = TeamPanel(
            self.api, self.form.params, self.form.show_error, on_clear=self._no_preview,
            single_user=[self.grid.root, self.download.root, self.commit.root],
            on_done=lambda _: self._stale(), log=self.log,
        )  # fmt: skip
        team.picker.on_change(self.guard(self._form_changed))
        return team

    def _tabs(self) -> w.Tab:
        """The four tabs: force (form, preview, commit), runs, overview, sync."""
        force_tab = w.VBox(
            [
                self.form.root,
                self.team.picker.root,
                w.HBox([self.preview_button, self.status]),
                self.grid.root,
                self.download.root,
                self.commit.root,
                self.team.root,
            ]
        )
        tabs = w.Tab(
            children=[force_tab, self.runs.root, self.overview.root, self.sync.root]
        )
        for i, title in enumerate(TAB_TITLES):
            tabs.set_title(i, title)
        tabs.observe(self.guard(self._tab_changed), names="selected_index")
        return tabs

    # -- preview -----------------------------------------------------------------------

    def run_preview(self) -> None:
        """Preview the form's criteria: counts, chart, first page of records."""
        self.status.value = ""
        if self.team.run_preview(self.preview_button):  # users picked: a team run
            return
        try:
            criteria = self.form.criteria()
        except fsk.CriteriaError as exc:
            self.form.show_error(exc)
            self._show(None, None)
            return
        self.form.show_error(None)
        self.close_snapshot()
        with self.busy(*self.commit.buttons):
            try:
                self.snapshot = self.api.snapshot(criteria)
                first = self.snapshot.page(1, self.api.page_size)
            except fsk.ForcedSyncError as exc:
                self.close_snapshot()
                self.form.show_error(exc)
                self._show(None, None)
                return
        self._last_page = ((None, None, False), first)
        self._show(self.snapshot.result(first), criteria)
        self._touch()

    def _show(
        self, result: fsk.PreviewResult | None, criteria: fsk.Criteria | None
    ) -> None:
        self.previewed = criteria if result is not None else None
        self.grid.show(result)
        self.commit.set_preview(result, result is not None)
        self.download.set_ready(result is not None)

    def _page(
        self, page: int, object_type: str | None, outcome: str | None, only_oop: bool
    ) -> fsk.PreviewResult:
        shown = self.grid.result
        if shown is None:
            raise fsk.ForcedSyncError("No preview is shown: click Preview first.")
        with self._lock:
            got = self._snapshot_page(page, object_type, outcome, only_oop)
        if got is not None:
            self._touch()
            return got
        # No snapshot (criteria changed, or released while idle): page the preview in
        # SQL, with its clock, so outcomes and reasons stay put.
        return self.api.preview(
            shown.criteria, page=page, now=shown.now, object_type=object_type,
            outcome=outcome, only_oop=only_oop,
        )  # fmt: skip

    def _snapshot_open(self) -> bool:
        return self.snapshot is not None and not self.snapshot.closed

    def _snapshot_page(
        self, page: int, object_type: str | None, outcome: str | None, only_oop: bool
    ) -> fsk.PreviewResult | None:
        """A page read from the open snapshot (None: no snapshot is open)."""
        snap = self.snapshot
        if snap is None or snap.closed:
            return None
        filters = (object_type, outcome, only_oop)
        after = None
        if self._last_page is not None and self._last_page[0] == filters:
            last = self._last_page[1]
            after = last.after if page == last.number + 1 else None
        got = snap.page(
            page, self.api.page_size, after=after, object_type=object_type,
            outcome=outcome, only_oop=only_oop,
        )  # fmt: skip
        self._last_page = (filters, got)
        return snap.result(got)

    def _force(
        self, criteria: fsk.Criteria, progress: Callable[[str, float], None]
    ) -> fsk.ForceResult:
        """Force what the preview showed: its token refuses a changed queue."""
        shown = self.commit.preview
        expect = preview_token.for_preview(shown) if shown is not None else None
        return self.api.force(criteria, progress, expect=expect)

    def _export(self, path: Path) -> int:
        """Write every record of the preview shown to ``path``."""
        shown = self.grid.result
        if shown is None:
            raise fsk.ForcedSyncError("No preview is shown: click Preview first.")
        with self._lock:
            snap = self.snapshot
            if snap is not None and not snap.closed:
                rows = write_export(snap, path).rows
                self._touch()
                return rows
        # released while idle: classify again, with the preview's clock
        return write_export(
            self.api.engine, path, shown.criteria, operator=self.api.login or None,
            now=shown.now,
        ).rows  # fmt: skip

    def _touch(self) -> None:
        """Restart the idle countdown after which the snapshot is released."""
        if self._timer is not None:
            self._timer.cancel()
        if self.snapshot_idle and self.snapshot is not None:
            self._timer = threading.Timer(self.snapshot_idle, self._release)
            self._timer.daemon = True
            self._timer.start()

    def _release(self) -> None:
        """Idle: drop the snapshot (on DuckDB it holds the file for other sessions)."""
        if not self._lock.acquire(blocking=False):
            self._touch()  # in use: try again later
            return
        try:
            snap, self.snapshot, self._last_page = self.snapshot, None, None
            if snap is not None:
                snap.close()
        finally:
            self._lock.release()

    def close_snapshot(self) -> None:
        """Drop the snapshot of the preview shown (paging then reads the queue)."""
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            snap, self.snapshot, self._last_page = self.snapshot, None, None
            if snap is not None:
                snap.close()
        self.download.set_ready(False)

    def _form_changed(self) -> None:
        # "Force" stays enabled only while the preview shown is the form's criteria.
        try:
            current = self.form.criteria()
        except fsk.ForcedSyncError:
            current = None
        same = self.previewed is not None and current == self.previewed
        if not same:
            self.close_snapshot()
        self.commit.set_preview(self.commit.preview or self.grid.result, same)
        self.team.form_changed()

    def _no_preview(self) -> None:
        self.close_snapshot()
        self._show(None, None)

    # -- after a commit or an undo -----------------------------------------------------

    def _forced(self, result: fsk.ForceResult) -> None:
        self.close_snapshot()
        self._stale()

    def _stale(self) -> None:
        self.previewed = None
        self.commit.set_preview(self.grid.result, False)
        if self.tabs.selected_index == 1:
            self.runs.refresh()
        elif self.tabs.selected_index == 3:
            self.sync.refresh()

    def _tab_changed(self, change: dict[str, object]) -> None:
        if change["new"] == 1:
            self.runs.refresh()
        elif change["new"] == 3:
            self.sync.refresh()

    def close(self) -> None:
        """Drop the snapshot and the session's files; close every widget."""
        self.close_snapshot()
        self.download.files.remove()
        parts = (self.form, self.grid, self.commit, self.runs, self.overview, self.sync)
        self.team.close()
        for part in parts:
            part.close()
        super().close()


#: Seconds a DuckDB preview snapshot stays open without use ($FORCEDSYNC_SNAPSHOT_IDLE).
DUCKDB_SNAPSHOT_IDLE = 10.0


def snapshot_idle(engine: Engine) -> float | None:
    """Seconds after which an unused snapshot is released; None keeps it.

    None unless $FORCEDSYNC_SNAPSHOT_IDLE says otherwise: a DuckDB snapshot releases
    the database file itself once its first page is out (``Snapshot.released``), so
    other processes no longer wait for an idle dashboard; it stays until replaced.
    """
    text = os.environ.get("FORCEDSYNC_SNAPSHOT_IDLE", "").strip()
    if text:
        try:
            value = float(text)
        except ValueError:
            value = DUCKDB_SNAPSHOT_IDLE
        return value if value > 0 else None
    return None


def connected_as(api: Api, note: str = "") -> str:
    """``<b>a.martin</b> (ADMIN, demo operator)``: the login and its X3 user (HTML)."""
    extra = [api.operator] + ([note] if note else [])
    return f"<b>{esc(api.login or '?')}</b> ({esc(', '.join(extra))})"


class Refusal(Part):
    """The whole page for a person who cannot act: one line, who, why, how to fix."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.root = w.VBox([w.HTML(message_html(text, error=True))])
        self.root.add_class("fsk-refusal")


def open_dashboard(
    db: Engine | str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> App | Refusal:
    """The dashboard of one browser session: the application, or one refusal line.

    The login comes from the source ``forcedsync dashboard`` was given (a request
    header, a fixed operator, the demo operator, else JUPYTERHUB_USER or
    FORCEDSYNC_USER). A person who is not an X3 user of the folder, or who may not
    force, sees why and how to fix it instead of a form whose every action fails.
    """
    environ = os.environ if env is None else env
    try:
        if environ.get("VOILA_PREHEAT") == "True":
            # A preheated kernel learns the request (and its headers) only now.
            from voila.utils import wait_for_request

            wait_for_request()
            environ = os.environ if env is None else env
        login = fsk.session_login(environ)
        engine = db if isinstance(db, Engine) else fsk.connect(db)
        refusal = Api(engine, operator=login.login).refusal()
        if refusal is not None:
            return Refusal(refusal)
        note = _NOTES.get(login.source, "")
        return App(engine, operator=login.login, now=now, note=note)
    except fsk.ForcedSyncError as exc:
        return Refusal(str(exc))


_NOTES = {"demo": "demo operator"}
