"""Undo of a whole team run in the dashboard, with confirmation, and its report.

One part serves two places: the team panel's report after a team force ("Undo this
team run") and the run history, beside the undo of one run when that run belongs to a
team run ("Undo the whole team run (N users)"). It calls ``batch.undo_batch`` through
``Api.undo_batch`` as the session's person; the report gives, per user, the undo run
and the records restored and kept. A refusal (already undone, unknown team run, no
right) is one sentence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import ipywidgets as w

from ..errors import BatchPartError, ForcedSyncError, RunNotFoundError
from ..present import number
from ..teamresults import BatchUndo
from .backend import Api
from .base import classed, esc, message_html, table_html
from .confirm import ConfirmingPart

logger = logging.getLogger(__name__)

#: The button's words in the team panel; ``{n}``: the users of the team run.
AFTER_FORCE = "Undo this team run"
#: The button's words in the run history.
IN_HISTORY = "Undo the whole team run ({n} users)"


def team_undo_html(res: BatchUndo, error: str | None = None) -> str:
    """The report of a team undo: per user, the runs and the records restored/kept."""
    head = message_html(
        f"Team run {res.batch_id} undone for {len(res.parts)} user(s): "
        f"{number(res.restored)} records restored, {number(res.kept)} kept."
        if error is None
        else f"Team run {res.batch_id}: {len(res.parts)} user(s) undone before the "
        f"error below ({number(res.restored)} records restored, "
        f"{number(res.kept)} kept)."
    )
    rows = [
        [user, run_id, undo_id or "-", restored, kept]
        for user, run_id, undo_id, restored, kept in res.parts
    ]
    table = table_html(
        ["user", "run", "undo run", "restored", "kept"],
        rows,
        css_class="fsk-team-undo-parts",
    )
    return (
        f"<div>{head}</div>"
        + (table if rows else "")
        + (message_html(error, error=True) if error else "")
    )


class TeamUndo(ConfirmingPart):
    """The undo of one team run: its button, the confirmation, the report.

    Args:
        api: the bound library calls (``undo_batch``).
        label: the button's words; ``{n}`` is replaced by the number of users.
        beside: widgets shown before the button, on its line (the run history's
            "Undo this run"); they are disabled while the undo runs.
        on_ask: called when the confirmation is shown (another box may close).
        on_undone: called with the result after an undo (even a partial one).
        log: the shared log Output widget.
    """

    def __init__(
        self,
        api: Api,
        *,
        label: str = AFTER_FORCE,
        beside: Sequence[w.Button] = (),
        on_ask: Callable[[], None] | None = None,
        on_undone: Callable[[BatchUndo], None] | None = None,
        log: w.Output | None = None,
    ) -> None:
        super().__init__(log, "fsk-confirm-team-undo", "Confirm: undo the team run")
        self.api = api
        self.label = label
        self.on_ask, self.on_undone = on_ask, on_undone
        self.batch_id: str | None = None
        self.users: tuple[str, ...] = ()
        self.undoable = False
        self.result: BatchUndo | None = None
        self.button = classed(
            w.Button(button_style="warning", layout=w.Layout(width="auto")),
            "fsk-team-undo",
        )
        self.report_html = classed(w.HTML(""), "fsk-team-undo-report")
        self.asked_by(self.button, *beside)
        self.root = w.VBox(
            [
                w.HBox([*beside, self.button]),
                self.confirmation.root,
                self.status,
                self.report_html,
            ]
        )
        self.set_batch(None)

    def set_batch(
        self, batch_id: str | None, users: Sequence[str] = (), *, undoable: bool = True
    ) -> None:
        """Offer the undo of team run ``batch_id`` forced for ``users`` (None: none).

        ``undoable`` False shows the button disabled (the team run is undone). The
        last report stays while the same team run is offered.
        """
        self.confirmation.hide()
        if batch_id != self.batch_id:
            self.report_html.value = self.status.value = ""
        self.batch_id, self.users = batch_id, tuple(users)
        self.undoable = batch_id is not None and undoable and bool(self.users)
        self.button.description = self.label.format(n=len(self.users))
        self.button.layout.display = None if batch_id else "none"
        self.refresh_buttons()

    def refresh_buttons(self) -> None:
        """The button while the team run can be undone and no box is asking."""
        self.button.disabled = not self.undoable or self.confirmation.asking
        self.confirmation.refresh_buttons(self.undoable)

    def ask(self) -> None:
        """Show the confirmation, naming the team run and its users."""
        if self.batch_id is None or not self.undoable:
            return
        if self.on_ask is not None:
            self.on_ask()
        self.status.value = ""
        self.confirmation.ask(
            f"<b>Undo team run {esc(self.batch_id)}</b> for {len(self.users)} user(s) "
            f"({esc(', '.join(self.users))})? Each user's run is undone on its own: "
            f"SYNCDATA is put back as it was for every record still pending; the "
            f"others are reported."
        )
        self.refresh_buttons()

    def confirm(self) -> None:
        """Undo the team run; show every user's result, or the one-sentence refusal."""
        if self.batch_id is None or not self.undoable:
            return
        self.report_html.value = self.status.value = ""
        error: str | None = None
        try:
            with self.writing():
                res = self.api.undo_batch(self.batch_id)
        except BatchPartError as exc:  # the parts before it are undone
            if not isinstance(exc.result, BatchUndo):
                raise
            res, error = exc.result, str(exc)
        except ForcedSyncError as exc:  # already undone, unknown, no right, busy
            self.undoable = self.undoable and not isinstance(exc, RunNotFoundError)
            self.report_html.value = message_html(str(exc), error=True)
            self.refresh_buttons()
            return
        self.result = res
        self.report_html.value = team_undo_html(res, error)
        self.undoable = error is not None  # a partial undo: again completes it
        self.refresh_buttons()
        if self.on_undone is not None:
            self.on_undone(res)
