"""Commit a previewed selection: confirmation repeating the counts, progress, result."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable

import ipywidgets as w

from .. import Criteria, ForceResult, PreviewResult
from ..criteria import OBJECT_TYPES, OUTCOMES
from ..errors import PreviewChangedError
from ..present import number
from .base import Part, esc, message_html, table_html
from .confirm import ConfirmBox
from .grid import counts_html

logger = logging.getLogger(__name__)

#: Shown when a force is refused because the queue changed since the preview.
CHANGED_TEXT = (
    "The queue changed since the preview: nothing was written. The preview below is "
    "fresh: check it and force again."
)
#: Logs larger than this are not offered as an in-page download (a data URI).
MAX_DOWNLOAD_BYTES = 20_000_000


def download_html(text: str, filename: str, label: str) -> str:
    """An ``<a download>`` link carrying ``text`` as a data URI.

    Voila serves no file the kernel writes, so the log travels inside the page.
    """
    data = text.encode("utf-8")
    if len(data) > MAX_DOWNLOAD_BYTES:
        return message_html(
            f"The log is {len(data) // 1_000_000} MB, too large to download here: use "
            f"'forcedsync log {filename.removesuffix('.log')}' instead.",
            error=True,
        )
    b64 = base64.b64encode(data).decode("ascii")
    return (
        f'<a class="fsk-download" download="{esc(filename)}" '
        f'href="data:text/plain;charset=utf-8;base64,{b64}">{esc(label)}</a>'
    )


class LogLink(Part):
    """A button that prepares a run's log, then a link that downloads it.

    Args:
        load: ``run_id -> log text``.
        log: the shared log Output widget.
    """

    def __init__(self, load: Callable[[str], str], *, log: w.Output | None = None):
        super().__init__(log)
        self._load = load
        self.run_id: str | None = None
        self.button = w.Button(description="Prepare the log", icon="file-text")
        self.link = w.HTML("")
        self._buttons = [self.button]
        self.button.on_click(self.guard(lambda _: self.prepare()))
        self.root = w.HBox([self.button, self.link, self.status])
        self.set_run(None)

    def set_run(self, run_id: str | None) -> None:
        """Offer the log of ``run_id`` (``None`` hides the button)."""
        self.run_id = run_id
        self.link.value = ""
        self.status.value = ""
        self.button.layout.display = None if run_id else "none"
        self.refresh_buttons()

    def prepare(self) -> None:
        """Read the log and show the download link."""
        if self.run_id is None:
            return
        with self.busy():
            text = self._load(self.run_id)
            lines = text.count("\n")
            self.link.value = download_html(
                text, f"{self.run_id}.log", f"Download the log ({lines} lines)"
            )

    def refresh_buttons(self) -> None:
        """The button works once a run is set."""
        self.button.disabled = self.run_id is None


class CommitPanel(Part):
    """ "Force N records", its confirmation, the progress and the run's summary.

    Args:
        force: ``(criteria, progress) -> ForceResult``, the library call.
        load_log: ``run_id -> log text`` for the download.
        on_done: called with the result after a successful commit.
        on_changed: called after a force refused because the queue changed since
            the preview (nothing written), e.g. to show a fresh preview.
        log: the shared log Output widget.
    """

    def __init__(
        self,
        force: Callable[[Criteria, Callable[[str, float], None]], ForceResult],
        load_log: Callable[[str], str],
        *,
        on_done: Callable[[ForceResult], None] | None = None,
        on_changed: Callable[[PreviewChangedError], None] | None = None,
        log: w.Output | None = None,
    ) -> None:
        super().__init__(log)
        self._force = force
        self._on_done = on_done
        self._on_changed = on_changed
        self.preview: PreviewResult | None = None
        self.current = False  # the preview shown is the one of the form's criteria
        self.force_button = w.Button(
            description="Preview first",
            button_style="danger",
            icon="check",
            layout=w.Layout(width="auto"),
        )
        self.force_button.add_class("fsk-force")
        self.confirmation = ConfirmBox("fsk-confirm-force")
        self.progress = w.FloatProgress(
            value=0.0, min=0.0, max=1.0, description="", layout=w.Layout(display="none")
        )
        self.step = w.HTML("")
        self.result_html = w.HTML("")
        self.result_html.add_class("fsk-force-result")
        self.loglink = LogLink(load_log, log=self.log)
        self.result: ForceResult | None = None
        self._buttons = [self.force_button, *self.confirmation.buttons]
        self.force_button.on_click(self.guard(lambda _: self.ask()))
        self.confirmation.button.on_click(self.guard(lambda _: self.commit()))
        self.confirmation.cancel_button.on_click(self.guard(lambda _: self.cancel()))
        self.root = w.VBox(
            [
                self.force_button,
                self.confirmation.root,
                w.HBox([self.progress, self.step]),
                self.result_html,
                self.loglink.root,
                self.status,
            ]
        )
        self.refresh_buttons()

    def set_preview(self, preview: PreviewResult | None, current: bool) -> None:
        """Record the preview on show and whether it matches the form's criteria."""
        self.preview = preview
        self.current = current and preview is not None
        if not self.current:
            self.cancel()
        self.refresh_buttons()

    def refresh_buttons(self) -> None:
        """Enable "Force N records" only for the current preview with rows to write."""
        p = self.preview
        asking = self.confirmation.asking
        if p is None or not self.current:
            self.force_button.description = "Preview the current criteria first"
            self.force_button.disabled = True
        elif p.to_write == 0:
            self.force_button.description = "Nothing to write"
            self.force_button.disabled = True
        else:
            self.force_button.description = f"Force {number(p.to_write)} records"
            self.force_button.disabled = asking
        self.confirmation.refresh_buttons(self.current)

    def ask(self) -> None:
        """Show the confirmation step, repeating the counts of the preview."""
        p = self.preview
        if p is None or not self.current:
            return
        ctx = p.context
        self.confirmation.ask(
            f"<b>Write action R in SYNCDATA for {number(p.to_write)} records of user "
            f"{esc(ctx.user)}</b> (company {esc(ctx.company)}, operator "
            f"{esc(ctx.operator)})? The next synchronization re-sends them to Outlook."
            f"<br>{counts_html(p.counts, p.out_of_phase)}",
            f"Confirm: force {number(p.to_write)} records",
        )
        self.refresh_buttons()

    def cancel(self) -> None:
        """Hide the confirmation step."""
        self.confirmation.hide()
        self.refresh_buttons()

    def commit(self) -> None:
        """Run the force with a progress bar, then show its summary and log."""
        p = self.preview
        if p is None or not self.current:
            return
        self.status.value = ""
        self.result_html.value = ""
        self.loglink.set_run(None)
        self.progress.value = 0.0
        self.progress.layout.display = None
        try:
            with self.busy():
                result = self._force(p.criteria, self._progress)
        except PreviewChangedError as exc:
            self.result_html.value = changed_html(exc)
            self.set_preview(None, False)
            if self._on_changed is not None:
                self._on_changed(exc)
            return
        finally:
            self.progress.layout.display = "none"
            self.step.value = ""
            self.confirmation.hide()
        self.result = result
        self.result_html.value = summary_html(result)
        self.loglink.set_run(result.run_id)
        if sum(sum(c.values()) for c in result.counts.values()) <= 50_000:
            self.loglink.prepare()
        # The preview is now history: a new force needs a new preview.
        self.set_preview(None, False)
        if self._on_done is not None:
            self._on_done(result)

    def _progress(self, step: str, fraction: float) -> None:
        self.progress.value = max(0.0, min(1.0, float(fraction)))
        self.step.value = f"{esc(step)} ({fraction:.0%})"


def summary_html(result: ForceResult) -> str:
    """The summary of a committed run."""
    warnings = "".join(
        f"<div style='color:#8a6d00'>&#9888; {esc(x)}</div>" for x in result.warnings
    )
    secs = (result.ended - result.started).total_seconds()
    return (
        f"<div><b>Run <span class='fsk-run-id'>{esc(result.run_id)}</span></b> "
        f"committed in {secs:.1f} s: <span class='fsk-written'>"
        f"{number(result.written)}</span> "
        f"R rows written for user {esc(result.context.user)}.</div>"
        f"{counts_html(result.counts)}{warnings}"
    )


def changed_html(exc: PreviewChangedError) -> str:
    """A force refused on a changed queue: nothing written, the differences table."""
    rank = {(str(t), str(o)): i for i, (t, o) in enumerate(
        (t, o) for t in OBJECT_TYPES for o in OUTCOMES
    )}  # fmt: skip
    rows = [
        [typ, out, before, after, f"{after - before:+,}"]
        for (typ, out), (before, after) in sorted(
            exc.differences.items(), key=lambda kv: rank.get(kv[0], 99)
        )
    ]
    table = table_html(
        ["type", "outcome", "previewed", "now", "change"], rows,
        css_class="fsk-differences",
    )  # fmt: skip
    text = message_html(CHANGED_TEXT, error=True)
    return f"<div class='fsk-changed'>{text}{table}</div>"
