"""Plumbing shared by the UI parts: guarded callbacks, busy buttons, HTML helpers."""

from __future__ import annotations

import contextlib
import functools
import html
import logging
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import ipywidgets as w

from ..errors import ForcedSyncError
from ..present import number

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
W = TypeVar("W", bound=w.DOMWidget)

ERROR_CSS = "color:#b00020;font-weight:600"
OK_CSS = "color:#1b5e20"


def esc(value: object) -> str:
    """HTML-escape any value (``None`` shows as an empty string)."""
    return html.escape("" if value is None else str(value))


def message_html(text: str, *, error: bool = False) -> str:
    """A one-line status message, red for errors."""
    css = ERROR_CSS if error else OK_CSS
    return f'<span style="{css}">{esc(text)}</span>' if text else ""


def table_html(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, css_class: str = ""
) -> str:
    """A small HTML table; numbers are right-aligned."""
    head = "".join(f"<th style='padding:2px 8px'>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for cell in row:
            align = "right" if isinstance(cell, int) else "left"
            text = esc(number(cell))  # 1,028,571
            cells.append(f"<td style='padding:2px 8px;text-align:{align}'>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table class='{esc(css_class)}' style='border-collapse:collapse'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def counts_rows(
    counts: Mapping[str, Mapping[str, int]], outcomes: Sequence[str]
) -> list[list[object]]:
    """Rows ``type, n per outcome..., total`` plus a final ``total`` row."""
    rows: list[list[object]] = []
    totals = [0] * (len(outcomes) + 1)
    for typ, per in counts.items():
        values = [int(per.get(o, 0)) for o in outcomes]
        values.append(sum(values))
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        rows.append([typ, *values])
    rows.append(["total", *totals])
    return rows


def classed(widget: W, css_class: str) -> W:
    """``widget`` with a CSS class (the style sheet and the browser tests use it)."""
    widget.add_class(css_class)
    return widget


def code_box(value: str = "", placeholder: str = "code", **kwargs: Any) -> w.Combobox:
    """A box for a code: any text is accepted, its options complete what is typed."""
    return w.Combobox(
        value=value,
        options=[],
        placeholder=placeholder,
        ensure_option=False,
        **kwargs,
    )


class Part:
    """Base of a UI part: owns widgets, one root widget, a log and a status line.

    Subclasses build ``self.root``; ``guard`` wraps their callbacks so that an
    exception never vanishes: its message goes to ``status`` and its traceback to the
    ``log`` Output widget (ipywidgets drops callback output otherwise).
    """

    def __init__(self, log: w.Output | None = None) -> None:
        self.log = log if log is not None else w.Output()
        self.status = w.HTML("")
        self.root: w.Widget = w.VBox()
        self._buttons: list[w.Button] = []

    @property
    def buttons(self) -> list[w.Button]:
        """The buttons this part disables while one of its calls runs."""
        return list(self._buttons)

    def guard(self, func: F) -> F:
        """Wrap a callback: errors reach the status line and the log widget."""

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                self.report(exc)
                return None

        return wrapper  # type: ignore[return-value]

    def report(self, exc: BaseException) -> None:
        """Show an error: the message in the status line, the traceback in the log."""
        text = (
            str(exc)
            if isinstance(exc, ForcedSyncError)
            else f"{type(exc).__name__}: {exc}"
        )
        self.status.value = message_html(text, error=True)
        self.log.append_stderr("".join(traceback.format_exception(exc)))
        logger.debug("UI callback failed", exc_info=exc)

    @contextlib.contextmanager
    def busy(self, *extra: w.Button) -> Iterator[None]:
        """Disable this part's buttons (and ``extra``) while a call runs."""
        buttons = [*self._buttons, *extra]
        before = [b.disabled for b in buttons]
        for b in buttons:
            b.disabled = True
        try:
            yield
        finally:
            for b, was in zip(buttons, before, strict=True):
                b.disabled = was
            self.refresh_buttons()

    def refresh_buttons(self) -> None:
        """Recompute which buttons are enabled (subclasses override)."""

    def close(self) -> None:
        """Close every widget this part owns."""
        for child in _walk(self.root):
            child.close()


def _walk(widget: w.Widget) -> list[w.Widget]:
    out = [widget]
    for child in getattr(widget, "children", ()) or ():
        if isinstance(child, w.Widget):
            out.extend(_walk(child))
    return out
