"""The preview: counts per object type and outcome, a bar chart, and a paged grid."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import ipywidgets as w
import pandas as pd
from ipydatagrid import DataGrid

from .. import PreviewResult
from ..criteria import OBJECT_TYPES, OUTCOMES
from ..present import number
from .base import Part, counts_rows, esc, table_html
from .charts import stacked_bars

logger = logging.getLogger(__name__)

#: ``(page, object_type, outcome, only_oop) -> PreviewResult``: one page, from the API.
PageSource = Callable[[int, str | None, str | None, bool], PreviewResult]

COLUMNS: tuple[str, ...] = (
    "type",
    "key",
    "description",
    "date",
    "rep",
    "outcome",
    "out of phase",
    "reasons",
)
_ALL = "(all)"
_OUTCOME_NAMES = [str(o) for o in OUTCOMES]
_TYPE_NAMES = {"COR": "contacts", "TSK": "tasks", "CLL": "calls", "BAP": "appointments"}


def records_frame(result: PreviewResult) -> pd.DataFrame:
    """The page of records of a preview as a DataFrame with the grid's columns."""
    rows = [
        (
            r.object_type,
            r.record_key,
            r.description or "",
            r.date.isoformat() if r.date else "",
            r.rep or "",
            r.outcome,
            "yes" if r.out_of_phase else "",
            "; ".join(r.reasons),
        )
        for r in result.records
    ]
    first = (result.page - 1) * result.page_size + 1
    index = pd.RangeIndex(first, first + len(rows), name="#")
    return pd.DataFrame(rows, columns=list(COLUMNS), index=index)


def counts_html(
    counts: Mapping[str, Mapping[str, int]], oop: Mapping[str, int] | None = None
) -> str:
    """The counts table: one row per type, one column per outcome (and out of phase)."""
    rows = counts_rows(counts, _OUTCOME_NAMES)
    for row in rows[:-1]:
        if oop is not None:
            row.append(int(oop.get(str(row[0]), 0)))
        row[0] = f"{row[0]} ({_TYPE_NAMES.get(str(row[0]), '')})"
    header = ["object type", *_OUTCOME_NAMES, "total"]
    if oop is not None:
        rows[-1].append(sum(int(v) for v in oop.values()))
        header.append("out of phase")
    return table_html(header, rows, css_class="fsk-counts")


class PreviewGrid(Part):
    """Shows a ``PreviewResult``: counts, a chart and one page of records at a time.

    It never touches the database: turning a page or changing a filter calls
    ``fetch``, which the App binds to ``preview(..., page=...)`` (paged in SQL).

    Args:
        fetch: returns the requested page of the preview being shown.
        log: the log Output widget shared with the other parts.
    """

    def __init__(self, fetch: PageSource | None = None, *, log: w.Output | None = None):
        super().__init__(log)
        self.fetch = fetch
        self.result: PreviewResult | None = None
        self._quiet = False
        self.summary = w.HTML("")
        self.summary.add_class("fsk-preview-summary")
        self.counts = w.HTML("")
        self.counts.add_class("fsk-counts-table")
        self.chart = w.HTML("")
        self.chart.add_class("fsk-counts-chart")
        self.warnings = w.HTML("")
        self._build_pager()
        self.grid = DataGrid(
            pd.DataFrame(columns=list(COLUMNS)),
            selection_mode="row",
            base_column_size=110,
            column_widths={"description": 260, "reasons": 320, "key": 100},
            layout=w.Layout(height="420px", width="100%"),
        )
        self.root = w.VBox(
            [
                self.summary,
                w.HBox([self.counts, self.chart]),
                self.warnings,
                self.pager,
                self.grid,
                self.status,
            ]
        )
        self.refresh_buttons()

    def _build_pager(self) -> None:
        """The filters and the paging buttons, wired to ``go`` and ``turn``."""
        self.type_filter = w.Dropdown(
            options=[_ALL, *(str(t) for t in OBJECT_TYPES)],
            value=_ALL,
            description="Type",
            layout=w.Layout(width="170px"),
            style={"description_width": "40px"},
        )
        self.outcome_filter = w.Dropdown(
            options=[_ALL, *_OUTCOME_NAMES],
            value=_ALL,
            description="Outcome",
            layout=w.Layout(width="200px"),
            style={"description_width": "60px"},
        )
        self.oop_filter = w.Checkbox(value=False, description="Out of phase only")
        self.prev_button = w.Button(description="Previous", icon="arrow-left")
        self.next_button = w.Button(description="Next", icon="arrow-right")
        self.page_box = w.BoundedIntText(
            value=1,
            min=1,
            max=1,
            description="Page",
            layout=w.Layout(width="150px"),
            style={"description_width": "40px"},
        )
        self.go_button = w.Button(description="Go to page")
        self.page_label = w.HTML("")
        self.page_label.add_class("fsk-page-label")
        self._buttons = [self.prev_button, self.next_button, self.go_button]
        self.prev_button.on_click(self.guard(lambda _: self.turn(-1)))
        self.next_button.on_click(self.guard(lambda _: self.turn(+1)))
        self.go_button.on_click(self.guard(lambda _: self.go(self.page_box.value)))
        for widget in (self.type_filter, self.outcome_filter, self.oop_filter):
            widget.observe(self.guard(lambda _: self.go(1)), names="value")
        self.pager = w.HBox(
            [
                self.type_filter,
                self.outcome_filter,
                self.oop_filter,
                self.prev_button,
                self.next_button,
                self.page_box,
                self.go_button,
                self.page_label,
            ]
        )

    # -- rendering ---------------------------------------------------------------------

    def show(self, result: PreviewResult | None) -> None:
        """Render a preview (``None`` clears the panel) and reset the page filters."""
        self.result = result
        self._reset_filters()
        if result is None:
            self.summary.value = self.counts.value = self.chart.value = ""
            self.warnings.value = self.page_label.value = ""
            self.grid.data = pd.DataFrame(columns=list(COLUMNS))
            self.refresh_buttons()
            return
        self._render_counts(result)
        self._render_page(result)

    def _render_counts(self, result: PreviewResult) -> None:
        ctx = result.context
        self.summary.value = (
            f"<b>Preview for {esc(ctx.user)}</b> (company {esc(ctx.company)}, rep "
            f"{esc(ctx.rep or '-')}) at {esc(result.now.strftime('%Y-%m-%d %H:%M:%S'))}"
            f" UTC: <span class='fsk-selected'>{number(result.selected)}</span> records"
            f" selected, <span class='fsk-to-write'>{number(result.to_write)}</span> "
            f"to write."
        )
        self.counts.value = counts_html(result.counts, result.out_of_phase)
        self.chart.value = stacked_bars(
            result.counts, _OUTCOME_NAMES, title="Records per object type and outcome"
        )
        notes = list(result.warnings)
        self.warnings.value = "".join(
            f"<div style='color:#8a6d00'>&#9888; {esc(n)}</div>" for n in notes
        )

    def frame(self, result: PreviewResult) -> pd.DataFrame:
        """The page's records as the grid shows them (a team grid adds a user)."""
        return records_frame(result)

    def _render_page(self, result: PreviewResult) -> None:
        self.grid.data = self.frame(result)
        self.page_box.max = result.pages
        self.page_box.value = result.page
        first = (result.page - 1) * result.page_size + 1 if result.total else 0
        last = min(result.total, result.page * result.page_size)
        n = number
        self.page_label.value = (
            f"Page <b class='fsk-page'>{n(result.page)}</b> of "
            f"<b class='fsk-pages'>{n(result.pages)}</b>: records {n(first)}-{n(last)} "
            f"of <b class='fsk-total'>{n(result.total)}</b>"
        )
        self.refresh_buttons()

    # -- paging ------------------------------------------------------------------------

    def filters(self) -> tuple[str | None, str | None, bool]:
        """The page filters: object type, outcome (``None``: all), out of phase only."""
        typ = None if self.type_filter.value == _ALL else str(self.type_filter.value)
        out = (
            None
            if self.outcome_filter.value == _ALL
            else str(self.outcome_filter.value)
        )
        return typ, out, bool(self.oop_filter.value)

    def turn(self, step: int) -> None:
        """Show the next (``+1``) or previous (``-1``) page."""
        if self.result is not None:
            self.go(self.result.page + step)

    def go(self, page: int) -> None:
        """Fetch and show page ``page`` under the current filters."""
        if self.result is None or self.fetch is None or self._quiet:
            return
        typ, out, oop = self.filters()
        with self.busy():
            result = self.fetch(max(1, int(page)), typ, out, oop)
            if result.total and result.page > result.pages:
                result = self.fetch(result.pages, typ, out, oop)
            self.result = result
            self.status.value = ""
            self._render_page(result)

    def _reset_filters(self) -> None:
        self._quiet = True
        try:
            self.type_filter.value = _ALL
            self.outcome_filter.value = _ALL
            self.oop_filter.value = False
        finally:
            self._quiet = False

    def refresh_buttons(self) -> None:
        """Enable the paging buttons that lead somewhere."""
        r = self.result
        self.prev_button.disabled = r is None or r.page <= 1
        self.next_button.disabled = r is None or r.page >= r.pages
        self.go_button.disabled = r is None or r.pages <= 1
