"""Team runs in the dashboard: a users picker, the batch preview and its force.

With users picked (or a site, company or rep range of users), Preview runs a team
preview with the form's criteria (USER and CPY left out: each user's part is a run for
that user alone, in the user's own company): the counts per user × type × outcome, the
users refused and why, and a grid of one user's records at a time (a user column and a
user filter). Force asks for confirmation, then forces the batch, each user's part in
its own transaction, and shows every user's result and the batch id, with "Undo this
team run" (``ui.teamundo``); a queue changed since the preview writes nothing and
shows the differences (``ui.teamchange``). The users picker is ``ui.teampicker``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as w
import pandas as pd

from .. import Criteria, PreviewResult
from ..criteria import OUTCOMES
from ..errors import BatchPartError, ForcedSyncError
from ..present import number
from ..teamresults import (
    BatchPreview,
    BatchResult,
    BatchUndo,
    CountsRow,
    count_cells,
    shown_types,
)
from .backend import Api
from .base import classed, esc, message_html, table_html
from .grid import PreviewGrid
from .teamchange import CheckingPart
from .teampicker import TeamPicker
from .teamundo import TeamUndo

logger = logging.getLogger(__name__)

#: The form's fields a team run does not take from the form.
SINGLE_USER_FIELDS = ("USER", "CPY")
_OUTCOME_NAMES = [str(o) for o in OUTCOMES]


def team_counts_html(rows: Sequence[CountsRow], types: list[str]) -> str:
    """The counts table with a user column: a row per user × type, then TOTAL."""
    with_oop, cells = count_cells(rows, types)
    header = ["user", "type", *_OUTCOME_NAMES] + (["out of phase"] if with_oop else [])
    return table_html(header, cells, css_class="fsk-team-counts")


def refused_html(refused: Sequence[tuple[str, str]]) -> str:
    """The users a team run leaves out, each with the reason."""
    return "".join(
        f"<div class='fsk-team-refused' style='color:#8a6d00'>&#9888; Refused "
        f"<b>{esc(user)}</b>: {esc(why)}</div>"
        for user, why in refused
    )


def batch_html(res: BatchResult, error: str | None = None) -> str:
    """Every user's part after a force: state, run, R rows written; then the total."""
    rows = [
        [p.user, f"{p.status}{' (earlier)' if p.earlier else ''}", p.run_id or "-",
         p.written, p.message or ""]
        for p in res.parts
    ]  # fmt: skip
    table = table_html(
        ["user", "status", "run", "written", "reason"], rows, css_class="fsk-team-parts"
    )
    done = [p for p in res.parts if p.run_id and not p.earlier]
    head = (
        f"<div><b>Team run <span class='fsk-batch-id'>{esc(res.batch_id)}</span></b>: "
        f"<span class='fsk-team-written'>{number(res.written)}</span> R rows written "
        f"for {len(done)} user(s).</div>"
    )
    warn = "".join(
        f"<div style='color:#8a6d00'>&#9888; {esc(p.user)}: {esc(x)}</div>"
        for p in res.parts
        for x in p.warnings
    )
    return head + table + warn + (message_html(error, error=True) if error else "")


class TeamGrid(PreviewGrid):
    """The preview grid of one user of a team run, with a user column."""

    def frame(self, result: PreviewResult) -> pd.DataFrame:
        """The page's records, the user first."""
        frame = super().frame(result)
        frame.insert(0, "user", result.context.user)
        return frame


def team_criteria(form_params: Mapping[str, Any], team: Mapping[str, Any]) -> Criteria:
    """The criteria of a team run: the form's, less USER and CPY, with the team's.

    Raises:
        CriteriaError: the values are not valid criteria.
    """
    base = {k: v for k, v in form_params.items() if k not in SINGLE_USER_FIELDS}
    return Criteria.from_params({**base, **team})


class TeamPanel(CheckingPart):
    """A team run's preview (per-user counts, refusals, one user's records) and force.

    Args:
        api: the bound library calls.
        form_params: the criteria form's parameters (``CriteriaForm.params``).
        show_error: shows a refusal next to the form (``CriteriaForm.show_error``).
        single_user: the single-user preview's widgets, hidden during a team run.
        on_clear: drops the single-user preview when a team preview replaces it.
        on_done: called with the result after a force or an undo (even a partial one).
        log: the shared log Output widget.
    """

    def __init__(
        self,
        api: Api,
        form_params: Callable[[], dict[str, Any]],
        show_error: Callable[[BaseException | None], None],
        *,
        single_user: Sequence[w.Widget] = (),
        on_clear: Callable[[], None] | None = None,
        on_done: Callable[[BatchResult | BatchUndo], None] | None = None,
        log: w.Output | None = None,
    ) -> None:
        super().__init__(log, "fsk-confirm-team")
        self.api = api
        self._form_params, self._show_error = form_params, show_error
        self._single, self._on_clear, self._on_done = single_user, on_clear, on_done
        companies = [code for code, _ in api.codes("company", "")]
        self.picker = TeamPicker(api.setup_users(), companies, api.codes)
        self.preview: BatchPreview | None = None
        self.current = False  # the preview shown is the one of the current criteria
        self.result: BatchResult | None = None
        self._quiet = False
        self.summary = classed(w.HTML(""), "fsk-team-summary")
        self.counts, self.refused = w.HTML(""), w.HTML("")
        self.user_filter = classed(
            w.Dropdown(options=[], description="User", tooltip="USERS"),
            "fsk-team-user",
        )
        self.grid = TeamGrid(self._page, log=self.log)
        button = w.Button(button_style="danger", icon="check")
        self.force_button = classed(button, "fsk-team-force")
        self.progress = w.FloatProgress(
            value=0.0, min=0.0, max=1.0, layout=w.Layout(display="none")
        )
        self.step = w.HTML("")
        self.result_html = classed(w.HTML(""), "fsk-team-result")
        self.undo = TeamUndo(api, on_undone=on_done, log=self.log)
        self.asked_by(self.force_button)
        self.user_filter.observe(self.guard(self._on_user), names="value")
        self.root = w.VBox(
            [
                self.summary, self.counts, self.refused, self.user_filter,
                self.grid.root, self.force_button, self.confirmation.root,
                w.HBox([self.progress, self.step]), self.result_html, self.status,
                self.undo.root,
            ],
            layout=w.Layout(display="none"),
        )  # fmt: skip
        self.refresh_buttons()

    # -- preview -----------------------------------------------------------------------

    def run_preview(self, *busy: w.Button) -> bool:
        """Preview the team run if users are picked (True); else leave it (False)."""
        self._mode(self.picker.active())
        if not self.picker.active():
            self.show(None)
            return False
        if self._on_clear is not None:
            self._on_clear()
        try:
            with self.busy(*busy):
                criteria = team_criteria(self._form_params(), self.picker.params())
                res = self.api.preview_batch(criteria)
        except ForcedSyncError as exc:
            self._show_error(exc)
            self.show(None)
            return True
        self._show_error(None)
        self.show(res)
        return True

    def _mode(self, team: bool) -> None:
        for widget in self._single:
            widget.layout.display = "none" if team else None
        self.root.layout.display = None if team else "none"

    def show(self, res: BatchPreview | None) -> None:
        """Render a team preview (``None`` clears it)."""
        self.preview, self.current = res, res is not None
        self.confirmation.hide()
        if res is None:
            self.summary.value = self.counts.value = self.refused.value = ""
            self.user_filter.options = []
            self.grid.show(None)
            self.refresh_buttons()
            return
        self.result_html.value = ""
        self.undo.set_batch(None)
        types = shown_types(res.criteria.object_types, [u.counts for u in res.users])
        selected = sum(sum(by.values()) for by in res.counts.values())
        self.summary.value = (
            f"<b>Team preview for {len(res.users)} user(s)</b> at "
            f"{esc(res.now.strftime('%Y-%m-%d %H:%M:%S'))} UTC: "
            f"<span class='fsk-team-selected'>{number(selected)}</span> records "
            f"selected, <span class='fsk-team-to-write'>{number(res.to_write)}</span> "
            f"to write."
        )
        self.counts.value = team_counts_html(res.count_rows(), types)
        self.refused.value = refused_html(res.refused)
        self._quiet = True  # the options change the value: show the records once
        try:
            self.user_filter.options = [u.user for u in res.users]
            self.user_filter.value = res.users[0].user
        finally:
            self._quiet = False
        self.show_user(res.users[0].user)
        self.refresh_buttons()

    def _on_user(self, change: Mapping[str, Any]) -> None:
        if not self._quiet:
            self.show_user(change["new"])

    def show_user(self, user: str | None) -> None:
        """Show the records of one user of the team preview (its first page)."""
        res = self.preview
        if res is None or not user:
            return
        with self.busy():
            self.grid.show(self.api.preview(res.criteria.for_user(user), now=res.now))

    def _page(
        self, page: int, object_type: str | None, outcome: str | None, only_oop: bool
    ) -> PreviewResult:
        res, user = self.preview, self.user_filter.value
        if res is None or not user:
            raise ForcedSyncError("No team preview is shown: click Preview first.")
        return self.api.preview(
            res.criteria.for_user(user), page=page, now=res.now,
            object_type=object_type, outcome=outcome, only_oop=only_oop,
        )  # fmt: skip

    def form_changed(self) -> None:
        """Force stays enabled only while the preview shown is the current criteria."""
        try:
            crit = team_criteria(self._form_params(), self.picker.params())
        except ForcedSyncError:
            crit = None
        self.current = self.preview is not None and crit == self.preview.criteria
        if not self.current:
            self.confirmation.hide()
        self.refresh_buttons()

    # -- force -------------------------------------------------------------------------

    def _what(self) -> str:
        p = self.preview
        assert p is not None
        return f"{number(p.to_write)} records for {len(p.users)} users"

    def refresh_buttons(self) -> None:
        """Enable Force only for the current team preview with rows to write."""
        p = self.preview
        text, off = (
            ("Preview the current team first", True)
            if p is None or not self.current
            else ("Nothing to write", True)
            if p.to_write == 0
            else (f"Force {self._what()}", self.confirmation.asking)
        )
        self.force_button.description, self.force_button.disabled = text, off
        self.confirmation.refresh_buttons(self.current)

    def ask(self) -> None:
        """Show the confirmation, repeating the counts per user."""
        p = self.preview
        if p is None or not self.current:
            return
        types = shown_types(p.criteria.object_types, [u.counts for u in p.users])
        self.confirmation.ask(
            f"<b>Write action R in SYNCDATA for {self._what()}</b> (operator "
            f"{esc(p.operator)})? Each user's part is committed on its own; the next "
            f"synchronization re-sends the records to Outlook."
            f"<br>{team_counts_html(p.count_rows(), types)}",
            f"Confirm: force {self._what()}",
        )
        self.refresh_buttons()

    def confirm(self) -> None:
        """Force the team run, then show every user's result and the batch id."""
        p = self.preview
        if p is None or not self.current:
            return
        self.result_html.value = self.status.value = ""
        self.progress.layout.display = None
        try:
            with self.writing():
                res, error = self._force_batch(p)
        finally:
            self.progress.layout.display = "none"
            self.step.value = ""
        self.result = res
        self.result_html.value = batch_html(res, error)
        self.undo.set_batch(res.batch_id, [p.user for p in res.parts if p.run_id])
        self.current = False  # history now: a new force needs a new preview
        self.refresh_buttons()
        if self._on_done is not None:
            self._on_done(res)

    def _force_batch(self, p: BatchPreview) -> tuple[BatchResult, str | None]:
        """The batch's result and, when a part failed, the error (others raise)."""
        try:
            return self.api.force_batch(p.criteria, self._progress, p.token), None
        except BatchPartError as exc:
            if not isinstance(exc.result, BatchResult):
                raise
            return exc.result, str(exc)

    def _progress(self, step: str, fraction: float) -> None:
        self.progress.value = max(0.0, min(1.0, float(fraction)))
        self.step.value = f"{esc(step)} ({fraction:.0%})"

    def close(self) -> None:
        """Close the picker's, the grid's and this part's widgets."""
        self.picker.close()
        self.grid.close()
        super().close()
