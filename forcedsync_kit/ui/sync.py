"""The next synchronization: each user's pending queue, and a confirmed sync run."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as w

from ..criteria import Action
from ..outlook import PendingCount, SyncResult
from .backend import Api
from .base import classed, code_box, esc, message_html, table_html
from .charts import stacked_bars
from .commit import MAX_DOWNLOAD_BYTES
from .confirm import ReportingPart

logger = logging.getLogger(__name__)

ACTIONS: tuple[str, ...] = tuple(str(a) for a in Action)
_MIME = {".vcf": "text/vcard", ".ics": "text/calendar", ".json": "application/json"}


def pending_table(
    pending: Sequence[PendingCount],
) -> tuple[list[list[object]], dict[str, int]]:
    """Rows ``user, type, C, M, A, P, R, total`` and the pending rows per user."""
    cells: dict[tuple[str, str], dict[str, int]] = {}
    per_user: dict[str, int] = {}
    for p in pending:
        cells.setdefault((p.user, p.object_type), {})[p.action] = p.rows
        per_user[p.user] = per_user.get(p.user, 0) + p.rows
    rows: list[list[object]] = []
    for (user, typ), by_action in sorted(cells.items()):
        values = [int(by_action.get(a, 0)) for a in ACTIONS]
        rows.append([user, typ, *values, sum(values)])
    return rows, per_user


def file_links(files: Sequence[Path]) -> str:
    """Download links (data URIs) for the files a synchronization wrote."""
    links = []
    for path in files:
        data = path.read_bytes()
        if len(data) > MAX_DOWNLOAD_BYTES:
            links.append(f"<span>{esc(path)} ({len(data) // 1_000_000} MB)</span>")
            continue
        mime = _MIME.get(path.suffix, "application/octet-stream")
        b64 = base64.b64encode(data).decode("ascii")
        links.append(
            f'<a class="fsk-sync-file" download="{esc(path.name)}" '
            f'href="data:{mime};base64,{b64}">{esc(path.name)}</a>'
        )
    return " &middot; ".join(links)


class SyncPanel(ReportingPart):
    """Pending queue per user, type and action; "Run next synchronization" for a user.

    Args:
        api: the bound library calls (``pending``, ``synchronize``, ``codes``).
        user: the user proposed by default (the connected user).
        on_done: called after a synchronization (the queue changed).
        log: the shared log Output widget.
    """

    def __init__(
        self,
        api: Api,
        *,
        user: str | None = None,
        on_done: Callable[[SyncResult], None] | None = None,
        log: w.Output | None = None,
    ) -> None:
        super().__init__(log, "fsk-confirm-sync", report_class="fsk-sync-report")
        self.api = api
        self._on_done = on_done
        self.per_user: dict[str, int] = {}
        self.rows: list[list[object]] = []
        self.result: SyncResult | None = None
        self.queue = classed(w.HTML(""), "fsk-pending")
        self.chart = w.HTML("")
        self.user = code_box(user or "", "user", description="User", tooltip="SYDUSR")
        self.sync_button = classed(
            w.Button(
                description="Run next synchronization",
                button_style="warning",
                layout=w.Layout(width="auto"),
            ),
            "fsk-sync",
        )
        self.asked_by(self.sync_button, self.refresh_button)
        self.user.observe(self.guard(self._on_user), names="value")
        self.root = w.VBox(
            [
                self.header,
                w.HBox([self.queue, self.chart]),
                w.HBox([self.user, self.sync_button]),
                self.confirmation.root,
                self.report_html,
            ]
        )
        self.refresh_buttons()

    def _code(self) -> str:
        return str(self.user.value or "").strip().upper()

    def _on_user(self, change: dict[str, Any]) -> None:
        self.cancel()
        self.user.options = [c for c, _ in self.api.codes("user", str(change["new"]))]

    def refresh(self) -> None:
        """Reload the pending queue of every user."""
        with self.busy():
            pending = self.api.pending()
        self.rows, self.per_user = pending_table(pending)
        rows = self.rows
        self.queue.value = (
            table_html(["user", "type", *ACTIONS, "total"], rows, css_class="fsk-queue")
            if rows
            else "<i>Nothing is pending: every Outlook is in step.</i>"
        )
        by_user: dict[str, dict[str, int]] = {}
        for p in pending:
            per = by_user.setdefault(p.user, {})
            per[p.action] = per.get(p.action, 0) + p.rows
        self.chart.value = (
            stacked_bars(by_user, ACTIONS, title="Pending rows per user and action")
            if by_user
            else ""
        )
        self.status.value = ""
        self.refresh_buttons()

    def refresh_buttons(self) -> None:
        """Sync only a user with pending rows; confirm only while asking."""
        code = self._code()
        n = self.per_user.get(code, 0)
        self.sync_button.description = (
            f"Run next synchronization of {code} ({n} rows)"
            if code
            else "Run next synchronization"
        )
        self.sync_button.disabled = self.confirmation.asking or n == 0
        super().refresh_buttons()

    def ask(self) -> None:
        """Show the confirmation, repeating the user's pending rows."""
        code = self._code()
        rows = [r for r in self.rows if r[0] == code]
        self.confirmation.ask(
            f"<b>Send the {self.per_user.get(code, 0)} pending rows of {esc(code)} to "
            f"Outlook files and remove them from SYNCDATA?</b> This is what the "
            f"add-in does at its next synchronization; it cannot be undone."
            + table_html(["user", "type", *ACTIONS, "total"], rows),
            f"Confirm: synchronize {code}",
        )
        self.refresh_buttons()

    def confirm(self) -> None:
        """Run the synchronization and show its report and files."""
        code = self._code()
        self.report_html.value = ""
        with self.writing():
            result = self.api.synchronize(code)
        self.result = result
        lines = "<br>".join(esc(x) for x in result.summary_lines())
        self.report_html.value = (
            message_html(f"{code}: {result.rows_removed} rows sent and removed.")
            + f"<div style='font-family:monospace'>{lines}</div>"
            + f"<div>{file_links(result.files)}</div>"
        )
        self.refresh()
        if self._on_done is not None:
            self._on_done(result)
