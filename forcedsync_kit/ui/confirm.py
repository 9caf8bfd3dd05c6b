"""The confirmation step before a write: a question, a red Confirm and Cancel."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import ipywidgets as w

from .base import Part, classed


class ConfirmBox:
    """A hidden box that asks before an action writes; the panel wires the buttons.

    Args:
        css_class: the class of the Confirm button (the browser tests find it by it).
        description: the Confirm button's words until ``ask`` sets others.
    """

    def __init__(self, css_class: str, description: str = "Confirm") -> None:
        self.text = w.HTML("")
        self.button = w.Button(description=description, button_style="danger")
        self.button.add_class(css_class)
        self.cancel_button = w.Button(description="Cancel")
        self.root = w.VBox(
            [self.text, w.HBox([self.button, self.cancel_button])],
            layout=w.Layout(display="none", border="2px solid #b00020", padding="6px"),
        )

    @property
    def buttons(self) -> list[w.Button]:
        """Confirm and Cancel, for the panel's busy state."""
        return [self.button, self.cancel_button]

    @property
    def asking(self) -> bool:
        """True while the box is shown."""
        return bool(self.root.layout.display != "none")

    def ask(self, question: str, description: str | None = None) -> None:
        """Show the box with ``question`` (HTML) and, if given, new Confirm words."""
        self.text.value = question
        if description is not None:
            self.button.description = description
        self.root.layout.display = None

    def hide(self) -> None:
        """Hide the box."""
        self.root.layout.display = "none"

    def refresh_buttons(self, can_confirm: bool = True) -> None:
        """Confirm only while asking (and ``can_confirm``); Cancel only while asking."""
        self.button.disabled = not (self.asking and can_confirm)
        self.cancel_button.disabled = not self.asking


class ConfirmingPart(Part):
    """A part whose write waits for its ``confirmation``: Confirm, then ``confirm``.

    The button given to ``asked_by`` calls ``ask``, which shows the box; Cancel calls
    ``cancel``; ``confirm`` runs the write inside ``writing``, which disables the
    buttons and hides the box afterwards, whatever happens.

    Args:
        log: the shared log Output widget.
        css_class: the class of the Confirm button.
        description: the Confirm button's words until ``ask`` sets others.
    """

    def __init__(
        self, log: w.Output | None, css_class: str, description: str = "Confirm"
    ) -> None:
        super().__init__(log)
        self.confirmation = ConfirmBox(css_class, description)
        self.confirmation.button.on_click(self.guard(lambda _: self.confirm()))
        self.confirmation.cancel_button.on_click(self.guard(lambda _: self.cancel()))

    def asked_by(self, button: w.Button, *others: w.Button) -> None:
        """``button`` calls ``ask``; the part disables it and ``others`` while it works.

        Confirm and Cancel are disabled with them.
        """
        button.on_click(self.guard(lambda _: self.ask()))
        self._buttons = [*others, button, *self.confirmation.buttons]

    def ask(self) -> None:
        """Show the confirmation (subclasses override)."""

    def confirm(self) -> None:
        """Do the write the box asked for (subclasses override)."""

    def cancel(self) -> None:
        """Hide the confirmation."""
        self.confirmation.hide()
        self.refresh_buttons()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Run the confirmed write with the buttons off; hide the box after it."""
        try:
            with self.busy():
                yield
        finally:
            self.confirmation.hide()


class ReportingPart(ConfirmingPart):
    """A confirming part that lists what it may write on, and reports the write.

    ``refresh_button`` calls ``refresh`` and stands in ``header`` beside the status
    line; ``report_html`` holds the report of the last write.

    Args:
        log: the shared log Output widget.
        css_class: the class of the Confirm button.
        description: the Confirm button's words until ``ask`` sets others.
        report_class: the class of ``report_html``.
    """

    def __init__(
        self,
        log: w.Output | None,
        css_class: str,
        description: str = "Confirm",
        *,
        report_class: str,
    ) -> None:
        super().__init__(log, css_class, description)
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(self.guard(lambda _: self.refresh()))
        self.header = w.HBox([self.refresh_button, self.status])
        self.report_html = classed(w.HTML(""), report_class)

    def refresh(self) -> None:
        """Reload what the part lists (subclasses override)."""

    def refresh_buttons(self) -> None:
        """Confirm and Cancel only while asking; Refresh always (subclasses extend)."""
        self.confirmation.refresh_buttons()
        self.refresh_button.disabled = False
