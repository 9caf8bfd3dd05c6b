"""A team force refused because the queue changed since the team preview.

The team panel forces with the token of the preview it shows (``BatchPreview.token``);
when ``force_batch`` refuses it (``TeamChangedError``: nothing was written, no batch
either), the panel shows what changed per user, type and outcome, and a fresh team
preview to confirm, as the single-user commit does (``ui.commit``).
"""

from __future__ import annotations

import ipywidgets as w

from ..errors import PreviewChangedError, TeamChangedError
from ..teamresults import CHANGE_COLUMNS, change_rows
from .base import esc, table_html
from .commit import changed_html
from .confirm import ConfirmingPart

#: Shown when a team force is refused because the queue changed since its preview.
TEAM_CHANGED_TEXT = (
    "The queue changed since the team preview: nothing was written. The team preview "
    "above is fresh: check it and force again."
)


def team_changed_html(exc: PreviewChangedError) -> str:
    """Nothing written: the differences per user, and the users who joined or left."""
    if not isinstance(exc, TeamChangedError):
        return changed_html(exc)
    header = ["user", *(name for name, _, _ in CHANGE_COLUMNS)]
    table = table_html(
        header, change_rows(exc.users), css_class="fsk-differences fsk-team-differences"
    )
    moved = [f"{u} joined the team" for u in exc.joined]
    moved += [f"{u} left the team" for u in exc.left]
    notes = "".join(f"<div class='fsk-team-moved'>{esc(m)}.</div>" for m in moved)
    text = f"<span style='color:#b00020'>{esc(TEAM_CHANGED_TEXT)}</span>"
    return f"<div class='fsk-changed'>{text}{table}{notes}</div>"


class CheckingPart(ConfirmingPart):
    """A confirming part whose write a changed queue refuses (``PreviewChangedError``).

    Such a refusal is not shown as an error: ``report`` previews again
    (``run_preview``) and shows the differences in ``result_html`` below the fresh
    preview. The subclass sets ``result_html`` and implements ``run_preview``.
    """

    #: Where the differences are shown (set by the subclass).
    result_html: w.HTML

    def run_preview(self, *busy: w.Button) -> bool:
        """Preview again (subclasses override); True when a preview was run."""
        return False

    def report(self, exc: BaseException) -> None:
        """A changed queue: a fresh preview and the differences; else as any part."""
        if not isinstance(exc, PreviewChangedError):
            super().report(exc)
            return
        self.run_preview()
        self.result_html.value = team_changed_html(exc)
