"""The run history: who ran what for whom, a run's detail, undo with confirmation."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as w

from .. import RunInfo, UndoResult
from ..states import BatchStatus, RunKind, RunStatus
from ..teamresults import BatchUndo
from .backend import Api
from .base import classed, esc, message_html, table_html
from .commit import LogLink
from .confirm import ReportingPart
from .grid import RecordTable, counts_html
from .teamundo import IN_HISTORY, TeamUndo

logger = logging.getLogger(__name__)


def _when(info: RunInfo) -> str:
    return info.started.strftime("%Y-%m-%d %H:%M:%S") if info.started else ""


def _is_force(info: RunInfo) -> bool:
    # An UNDO run's counts are {"restored": n, "kept": n}, not {type: {outcome: n}}.
    return info.kind == RunKind.FORCE and all(
        isinstance(v, Mapping) for v in info.counts.values()
    )


def _figures(info: RunInfo) -> tuple[int, int]:
    """(selected, written) of a force run; (kept + restored, restored) of an undo."""
    if _is_force(info):
        return sum(sum(v.values()) for v in info.counts.values()), info.written
    raw: Mapping[str, Any] = info.counts
    restored, kept = int(raw.get("restored", 0)), int(raw.get("kept", 0))
    return restored + kept, restored


def history_html(runs: Sequence[RunInfo]) -> str:
    """The run history as a table, newest first."""
    rows = [
        [
            r.run_id,
            r.kind,
            r.operator or "",
            _when(r),
            r.user or "",
            r.company or "",
            *_figures(r),
            r.status or "",
        ]
        for r in runs
    ]
    if not rows:
        return "<i>No run recorded yet.</i>"
    return table_html(
        [
            "run",
            "kind",
            "who",
            "when (UTC)",
            "user",
            "company",
            "selected",
            "written",
            "status",
        ],
        rows,
        css_class="fsk-history",
    )


class RunsPanel(ReportingPart):
    """Run history, the detail of the selected run, and its undo.

    A run of a team run also offers the undo of the whole team run beside its own
    (``ui.teamundo``).

    Args:
        api: the bound library calls (``runs``, ``run``, ``run_records``, ``undo``,
            ``undo_batch``, ``team_run``, ``log_text``); see
            ``forcedsync_kit.ui.backend.Api``.
        on_undone: called with the undo result after a successful undo (of a run, or
            of a team run).
        log: the shared log Output widget.
    """

    def __init__(
        self,
        api: Api,
        *,
        on_undone: Callable[[UndoResult | BatchUndo], None] | None = None,
        log: w.Output | None = None,
    ) -> None:
        super().__init__(
            log, "fsk-confirm-undo", "Confirm undo", report_class="fsk-undo-report"
        )
        self.api = api
        self._on_undone = on_undone
        self.runs: list[RunInfo] = []
        self.info: RunInfo | None = None
        self.history = classed(w.HTML(""), "fsk-history-table")
        self.picker = w.Dropdown(
            options=[],
            description="Run",
            layout=w.Layout(width="520px"),
            style={"description_width": "40px"},
        )
        self.detail = classed(w.HTML(""), "fsk-run-detail")
        self.grid = RecordTable("260px")
        self.loglink = LogLink(lambda rid: self.api.log_text(rid), log=self.log)
        self.undo_button = classed(
            w.Button(description="Undo this run", button_style="warning"), "fsk-undo"
        )
        self.asked_by(self.undo_button, self.refresh_button)
        self.team_undo = TeamUndo(
            api, label=IN_HISTORY, beside=[self.undo_button], on_ask=self.cancel,
            on_undone=self._team_undone, log=self.log,
        )  # fmt: skip
        self.picker.observe(self.guard(self._on_pick), names="value")
        self.root = w.VBox(
            [
                self.header,
                self.history,
                self.picker,
                self.detail,
                self.grid.widget,
                self.loglink.root,
                self.team_undo.root,
                self.confirmation.root,
                self.report_html,
            ]
        )
        self.refresh_buttons()

    def refresh(self) -> None:
        """Reload the history (and the detail of the selected run)."""
        with self.busy():
            self.runs = self.api.runs()
            self.history.value = history_html(self.runs)
            keep = self.picker.value
            options = [
                (
                    f"{_when(r)}  {r.kind}  {r.user or ''}  {r.run_id}"
                    + (f"  (team run {r.batch_id})" if r.batch_id else ""),
                    r.run_id,
                )
                for r in self.runs
            ]
            self.picker.options = options
            ids = [rid for _, rid in options]
            self.picker.value = keep if keep in ids else (ids[0] if ids else None)
            if self.picker.value is not None and self.picker.value == keep:
                self.select(keep)
            self.status.value = ""

    def _on_pick(self, change: dict[str, Any]) -> None:
        self.select(change["new"])

    def select(self, run_id: str | None) -> None:
        """Show one run's detail, first page of records, and its log link."""
        self.cancel()
        if run_id is None:
            self.info = None
            self.team_undo.set_batch(None)
            self.detail.value = ""
            self.grid.show([])
            self.loglink.set_run(None)
            self.refresh_buttons()
            return
        info = self.api.run(run_id)
        self.info = info
        records, total = (
            self.api.run_records(run_id) if info.kind == RunKind.FORCE else ([], 0)
        )
        self.grid.show(records)
        params = " ".join(
            f"{k}={v}"
            for k, v in sorted(info.params.items())
            if v not in (None, "", False)
        )
        link = ""
        if info.undo_run_id:
            link = f" Undone by run {esc(info.undo_run_id)}."
        if info.target_run_id:
            link = f" Undoes run {esc(info.target_run_id)}."
        # get_run has no batch id: the history row of the run has it
        batch = next((r.batch_id for r in self.runs if r.run_id == run_id), None)
        if batch:
            link += (
                f" Part of team run <span class='fsk-detail-batch'>{esc(batch)}</span>."
            )
        self.offer_team_undo(batch)
        self.detail.value = (
            f"<div><b>{esc(info.kind)} run <span class='fsk-detail-id'>"
            f"{esc(info.run_id)}</span></b> by {esc(info.operator)} for user "
            f"{esc(info.user)} (company {esc(info.company)}), {esc(_when(info))} UTC, "
            f"status {esc(info.status)}.{link}</div>"
            f"<div style='color:#555'>{esc(params)}</div>"
            f"{counts_html(info.counts) if _is_force(info) else ''}"
            + "".join(
                f"<div style='color:#8a6d00'>&#9888; {esc(x)}</div>"
                for x in info.warnings
            )
            + (
                f"<div>{total} records; the first {len(records)} below.</div>"
                if info.kind == RunKind.FORCE
                else ""
            )
        )
        self.loglink.set_run(run_id)
        self.refresh_buttons()

    def offer_team_undo(self, batch_id: str | None) -> None:
        """Offer the undo of the whole team run ``batch_id`` (None: no team run)."""
        if batch_id is None:
            self.team_undo.set_batch(None)
            return
        header, parts = self.api.team_run(batch_id)
        users = [p.user for p in parts if p.run_id]
        undoable = header.status != BatchStatus.UNDONE
        self.team_undo.set_batch(batch_id, users, undoable=undoable)

    def _team_undone(self, result: BatchUndo) -> None:
        self.refresh()
        if self._on_undone is not None:
            self._on_undone(result)

    def _undoable(self) -> bool:
        i = self.info
        if i is None or not _is_force(i):
            return False
        return not i.undo_run_id and i.status != RunStatus.UNDONE

    def refresh_buttons(self) -> None:
        """Undo only a force run not undone yet; confirm only while asking."""
        self.undo_button.disabled = not self._undoable() or self.confirmation.asking
        super().refresh_buttons()

    def ask(self) -> None:
        """Show the undo confirmation."""
        i = self.info
        if i is None or not self._undoable():
            return
        self.team_undo.cancel()
        self.confirmation.ask(
            f"<b>Undo run {esc(i.run_id)}</b> ({_figures(i)[1]} R rows written for "
            f"{esc(i.user)} on {esc(_when(i))})? SYNCDATA is put back as it was for "
            f"every record of the run still pending; the others are reported."
        )
        self.refresh_buttons()

    def confirm(self) -> None:
        """Undo the selected run and show its report."""
        i = self.info
        if i is None or not self._undoable():
            return
        self.report_html.value = ""
        with self.writing():
            result = self.api.undo(i.run_id)
        self.report_html.value = undo_html(result)
        self.refresh()
        if self._on_undone is not None:
            self._on_undone(result)


def undo_html(result: UndoResult) -> str:
    """The report of an undo: restored and kept records, with the reasons."""
    kept = (
        table_html(["type", "key", "why it was kept"], list(result.kept_records)[:200])
        if result.kept_records
        else ""
    )
    warnings = "".join(
        f"<div style='color:#8a6d00'>&#9888; {esc(x)}</div>" for x in result.warnings
    )
    return (
        message_html(
            f"Undo run {result.run_id} of run {result.target_run_id}: "
            f"{result.restored} records restored, {result.kept} kept."
        )
        + warnings
        + kept
    )
