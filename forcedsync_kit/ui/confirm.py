"""The confirmation step before a write: a question, a red Confirm and Cancel."""

from __future__ import annotations

import ipywidgets as w


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
