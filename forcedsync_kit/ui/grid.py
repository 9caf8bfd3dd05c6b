"""The preview: counts per object type and outcome, a bar chart, and a paged table.

A page of records is one HTML table (``RecordTable``): a page turn is one widget
message, rendered by the browser in a few milliseconds (docs/decisions.md: ipydatagrid's
canvas took 1-2 s to repaint a 200-row page in Chromium).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

import ipywidgets as w
import pandas as pd

from .. import PreviewResult, RecordRow
from ..criteria import OBJECT_TYPES, OUTCOMES
from ..present import number
from .base import Part, counts_rows, esc, table_html
from .charts import stacked_bars

logger = logging.getLogger(__name__)

#: ``(page, object_type, outcome, only_oop) -> PreviewResult``: one page, from the API.
PageSource = Callable[[int, str | None, str | None, bool], PreviewResult]

#: The columns of a page of records: header and cell text. A new column is one line.
RECORD_COLUMNS: tuple[tuple[str, Callable[[RecordRow], str]], ...] = (
    ("type", lambda r: r.object_type),
    ("key", lambda r: r.record_key),
    ("description", lambda r: r.description or ""),
    ("date", lambda r: r.date.isoformat() if r.date else ""),
    ("rep", lambda r: r.rep or ""),
    ("outcome", lambda r: r.outcome),
    ("out of phase", lambda r: "yes" if r.out_of_phase else ""),
    ("reasons", lambda r: "; ".join(r.reasons)),
)
COLUMNS: tuple[str, ...] = tuple(name for name, _ in RECORD_COLUMNS)
#: Columns whose text wraps (the others stay on one line), with their width.
_WIDE = {"description": "260px", "reasons": "320px"}
_ALL = "(all)"
_OUTCOME_NAMES = [str(o) for o in OUTCOMES]
_TYPE_NAMES = {"COR": "contacts", "TSK": "tasks", "CLL": "calls", "BAP": "appointments"}


def records_frame(records: Sequence[RecordRow], first: int = 1) -> pd.DataFrame:
    """Records as a DataFrame with the table's columns, numbered from ``first``."""
    rows = [tuple(cell(r) for _, cell in RECORD_COLUMNS) for r in records]
    index = pd.RangeIndex(first, first + len(rows), name="#")
    return pd.DataFrame(rows, columns=list(COLUMNS), index=index)


def _records_css(columns: Sequence[str]) -> str:
    """The records table's style: one rule per column, not a style per cell."""
    rules = [
        ".fsk-records{border-collapse:collapse;font-size:12px;width:100%}",
        ".fsk-records th{position:sticky;top:0;background:#f3f3f3;text-align:left}",
        ".fsk-records th,.fsk-records td{padding:2px 6px;white-space:nowrap;"
        "border-bottom:1px solid #eee;vertical-align:top}",
        ".fsk-records td:first-child{text-align:right;color:#666}",
    ]
    for i, name in enumerate(columns, start=2):  # the "#" column is the first
        if name in _WIDE:
            width = _WIDE[name]
            rules.append(
                f".fsk-records td:nth-child({i}){{white-space:normal;"
                f"min-width:{width};max-width:{width}}}"
            )
    return "<style>" + "".join(rules) + "</style>"


def records_html(frame: pd.DataFrame, *, height: str = "420px") -> str:
    """A page of records (any columns) as one escaped HTML table, fixed header."""
    columns = [str(c) for c in frame.columns]
    head = "".join(f"<th>{esc(c)}</th>" for c in (frame.index.name or "#", *columns))
    body = "".join(
        f"<tr><td>{number(int(i))}</td>"
        + "".join(f"<td>{esc(v)}</td>" for v in row)
        + "</tr>"
        for i, row in zip(frame.index, frame.itertuples(index=False), strict=True)
    )
    return (
        f"{_records_css(columns)}<div class='fsk-records-scroll' style='height:"
        f"{height};overflow:auto;border:1px solid #e0e0e0'><table class='fsk-records'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


class RecordTable:
    """A page of records shown as one HTML widget (the preview's and a run's).

    ``data`` is the page as a DataFrame (the tests and the notebooks read it);
    ``show`` sets it and sends the table to the browser in one message.
    """

    def __init__(self, height: str = "420px") -> None:
        self.height = height
        self.data = records_frame([])
        self.widget = w.HTML(records_html(self.data, height=height))
        self.widget.add_class("fsk-records-table")
        self.widget.layout = w.Layout(width="100%")

    def show(self, records: Sequence[RecordRow], first: int = 1) -> None:
        """Show ``records``, numbered from ``first``."""
        self.show_frame(records_frame(records, first))

    def show_frame(self, frame: pd.DataFrame) -> None:
        """Show a frame of records (``records_frame``, maybe with more columns)."""
        self.data = frame
        self.widget.value = records_html(frame, height=self.height)


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
    ``fetch``, which the App binds to the preview snapshot's pages. Once a page is
    shown, the next one is read ahead (``_read_ahead``), so Next only renders it.

    Args:
        fetch: returns the requested page of the preview being shown.
        log: the log Output widget shared with the other parts.
        cheap: whether a page costs little now (the App: a snapshot is open); the
            next page is read ahead only then, never by a whole preview in SQL.
    """

    def __init__(
        self,
        fetch: PageSource | None = None,
        *,
        log: w.Output | None = None,
        cheap: Callable[[], bool] | None = None,
    ):
        super().__init__(log)
        self.fetch = fetch
        self.cheap = cheap
        self.result: PreviewResult | None = None
        self._quiet = False
        #: The page after the one shown, read ahead: ``((page, *filters), result)``.
        self._ahead: tuple[tuple[object, ...], PreviewResult] | None = None
        self.summary = w.HTML("")
        self.summary.add_class("fsk-preview-summary")
        self.counts = w.HTML("")
        self.counts.add_class("fsk-counts-table")
        self.chart = w.HTML("")
        self.chart.add_class("fsk-counts-chart")
        self.warnings = w.HTML("")
        self._build_pager()
        self.grid = RecordTable("420px")
        self.root = w.VBox(
            [
                self.summary,
                w.HBox([self.counts, self.chart]),
                self.warnings,
                self.pager,
                self.grid.widget,
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
        self._ahead = None
        self._reset_filters()
        if result is None:
            self.summary.value = self.counts.value = self.chart.value = ""
            self.warnings.value = self.page_label.value = ""
            self.grid.show([])
            self.refresh_buttons()
            return
        self._render_counts(result)
        self._render_page(result)
        self._read_ahead()

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
        """The page's records as the table shows them (a subclass may add columns)."""
        return records_frame(result.records, (result.page - 1) * result.page_size + 1)

    def _render_page(self, result: PreviewResult) -> None:
        self.grid.show_frame(self.frame(result))
        with self.page_box.hold_sync():  # one message
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
        key = (max(1, int(page)), typ, out, oop)
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == key and self._cheap():
            # read from the snapshot, which is still open: no wait, so the buttons
            # are not disabled around it (six fewer widget messages per turn)
            self._show_page(ahead[1])
        else:
            with self.busy():
                result = self.fetch(*key)
                if result.total and result.page > result.pages:
                    result = self.fetch(result.pages, typ, out, oop)
                self._show_page(result)
        self._read_ahead()

    def _show_page(self, result: PreviewResult) -> None:
        self.result = result
        self.status.value = ""
        self._render_page(result)

    def _cheap(self) -> bool:
        return self.cheap is not None and self.cheap()

    def _read_ahead(self) -> None:
        """Read the page after the one shown while the browser renders this one.

        The analyst mostly turns pages forward: Next then shows the page read here
        without waiting for the database. A failure is left for Next to report.
        """
        shown = self.result
        self._ahead = None
        if shown is None or self.fetch is None or shown.page >= shown.pages:
            return
        if not self._cheap():
            return
        typ, out, oop = self.filters()
        try:
            got = self.fetch(shown.page + 1, typ, out, oop)
        except Exception:
            logger.debug("reading the next page ahead failed", exc_info=True)
            return
        self._ahead = ((shown.page + 1, typ, out, oop), got)

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
