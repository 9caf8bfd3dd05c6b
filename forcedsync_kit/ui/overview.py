"""Overview: out-of-phase records by object type, sales rep and age, as charts."""

from __future__ import annotations

import logging
from typing import Any

import ipywidgets as w

from ..lookup import Overview
from .backend import Api
from .base import Part, classed, code_box, esc, table_html
from .charts import simple_bars

logger = logging.getLogger(__name__)

#: Reps shown in the chart; the others are summed in one bar.
TOP_REPS = 15


def overview_html(ov: Overview) -> str:
    """Three charts (type, age, rep) and the totals of an overview."""
    who = f"user {esc(ov.user)}" if ov.user else "every user"
    head = (
        f"<div class='fsk-overview-total'><b>{ov.out_of_phase}</b> of {ov.records} "
        f"queued or anomalous records are out of phase for {who} "
        f"(stale after {ov.staledays} days, at {ov.now:%Y-%m-%d %H:%M} UTC).</div>"
    )
    reps = ov.by("rep")
    top = dict(list(reps.items())[:TOP_REPS])
    rest = sum(list(reps.values())[TOP_REPS:])
    if rest:
        top[f"{len(reps) - TOP_REPS} other reps"] = rest
    charts = [
        simple_bars(ov.by("object_type"), title="Out of phase by object type"),
        simple_bars(ov.by("age"), title="Out of phase by age of the oldest queued row"),
        simple_bars(top, title="Out of phase by sales rep"),
    ]
    return head + "".join(f"<div style='margin:6px 0'>{c}</div>" for c in charts)


class OverviewPanel(Part):
    """Asks for a user (blank: every user) and STALEDAYS, then charts the overview.

    Args:
        api: the bound library calls (``overview``, ``codes``).
        log: the shared log Output widget.
    """

    def __init__(self, api: Api, *, log: w.Output | None = None) -> None:
        super().__init__(log)
        self.api = api
        self.result: Overview | None = None
        self.user = code_box(
            placeholder="every user", description="User", tooltip="USER"
        )
        self.staledays = w.BoundedIntText(
            value=7,
            min=0,
            max=36500,
            description="Stale after (days)",
            tooltip="STALEDAYS",
            style={"description_width": "130px"},
        )
        self.show_button = classed(
            w.Button(description="Show the overview", icon="bar-chart"),
            "fsk-overview-show",
        )
        self.charts = classed(w.HTML(""), "fsk-overview")
        self.table = w.HTML("")
        self._buttons = [self.show_button]
        self.show_button.on_click(self.guard(lambda _: self.show()))
        self.user.observe(self.guard(self._complete), names="value")
        self.root = w.VBox(
            [
                w.HBox([self.user, self.staledays, self.show_button]),
                self.status,
                self.charts,
                self.table,
            ]
        )

    def _complete(self, change: dict[str, Any]) -> None:
        self.user.options = [c for c, _ in self.api.codes("user", str(change["new"]))]

    def show(self) -> None:
        """Query the overview and draw it."""
        with self.busy():
            ov = self.api.overview(
                self.user.value.strip() or None, self.staledays.value
            )
        self.result = ov
        self.status.value = ""
        self.charts.value = overview_html(ov)
        rows = [
            [r.object_type, r.rep, r.age, r.records, r.out_of_phase]
            for r in ov.rows
            if r.out_of_phase
        ][:300]
        self.table.value = (
            "<details><summary>Detail by type, rep and age</summary>"
            + table_html(["type", "rep", "age", "records", "out of phase"], rows)
            + "</details>"
        )
