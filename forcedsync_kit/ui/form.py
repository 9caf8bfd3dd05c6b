"""The criteria form: every field of the FUNSYD6 screen, grouped as X3 groups them."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as w

from .. import Criteria, ForcedSyncError
from ..fields import (
    BY_NAME,
    FIELDS,
    FUNCTIONS,
    MAX_DAYS,
    Field,
    FieldType,
    group_titles,
)
from .base import Part, code_box, esc, message_html

logger = logging.getLogger(__name__)

#: ``(kind, prefix) -> [(code, name)]``: the existing codes offered for completion.
CodeSource = Callable[[str, str], list[tuple[str, str]]]
#: ``user -> company`` default (``None`` when the user is unknown).
CompanySource = Callable[[str], str | None]


#: The screen, in X3 order: (block title, fields), from ``fields.FIELDS``. A field is
#: enabled while its block flag (and that flag's own block flag) is on, as in X3.
#: The team selectors (USERS, USRFCY, USRCPY, USRREPDEB/FIN) are the users picker's
#: (``ui.teampicker``).
FORM_FIELDS: tuple[Field, ...] = tuple(f for f in FIELDS if not f.team)
LAYOUT: tuple[tuple[str, tuple[Field, ...]], ...] = tuple(
    (title, fields)
    for title in group_titles()
    if (fields := tuple(f for f in FORM_FIELDS if f.group == title))
)
_FUNCTION_LABELS = tuple(FUNCTIONS.values())
_STYLE = {"description_width": "170px"}
_WIDTH = "340px"
#: The types shown as they are; the others (codes) get completion and a name hint.
_PLAIN = (FieldType.BOOL, FieldType.DATE, FieldType.INT)


def _widget(field: Field) -> w.Widget:
    common: dict[str, Any] = {
        "description": field.label,
        "tooltip": field.name,
        "style": _STYLE,
        "layout": w.Layout(width=_WIDTH),
    }
    widget: w.Widget
    if field.type is FieldType.BOOL:
        common["layout"] = w.Layout(width="auto")
        widget = w.Checkbox(value=field.default, indent=True, **common)
    elif field.type is FieldType.DATE:
        widget = w.DatePicker(value=None, **common)
    elif field.type is FieldType.INT:
        widget = w.BoundedIntText(value=field.default, min=0, max=MAX_DAYS, **common)
    elif field.type is FieldType.FUNCTIONS:
        widget = w.TagsInput(
            value=[],
            allowed_tags=list(_FUNCTION_LABELS),
            allow_duplicates=False,
            tooltip=field.name,
            layout=w.Layout(width=_WIDTH),
        )
    else:
        widget = code_box(**common)
    widget.add_class(f"fsk-{field.name}")
    return widget


class CriteriaForm(Part):
    """Every SPEC §3 parameter as a widget; produces and accepts ``Criteria``.

    The form never validates: ``criteria()`` hands the values to ``Criteria`` and
    ``show_error`` displays the library's message next to the form.

    Args:
        codes: the code lists for completion, ``(kind, prefix) -> [(code, name)]``;
            ``None`` offers none.
        company_of: a user's default company, used to follow USER with CPY.
        user: the default USER (the connected user).
        company: the default CPY (the user's company).
        log: the log Output widget shared with the other parts.
    """

    def __init__(
        self,
        codes: CodeSource | None = None,
        company_of: CompanySource | None = None,
        *,
        user: str | None = None,
        company: str | None = None,
        log: w.Output | None = None,
    ) -> None:
        super().__init__(log)
        self._codes = codes
        self._company_of = company_of
        self._auto_company: str | None = company
        self.fields: dict[str, w.Widget] = {f.name: _widget(f) for f in FORM_FIELDS}
        self.hints: dict[str, w.HTML] = {}
        self.error = self.status  # the library's message, shown next to the form
        self.error.add_class("fsk-form-error")
        self._listeners: list[Callable[[], None]] = []
        blocks = [self._block(title, fields) for title, fields in LAYOUT]
        self.fields["USER"].observe(self.guard(self._on_user), names="value")
        self.root = w.VBox(
            [w.HBox([blocks[0], self.error]), w.HBox(blocks[1:3]), w.HBox(blocks[3:])]
        )
        self.root.add_class("fsk-criteria-form")
        for field in FORM_FIELDS:
            if field.type is FieldType.CODE:
                self._load_options(field.name, "")
        if user:
            self.fields["USER"].value = user
        if company:
            self.fields["CPY"].value = company
            self._auto_company = company
        self._update_enabled()

    def _block(self, title: str, fields: tuple[Field, ...]) -> w.VBox:
        """One screen block: its title and a row per field."""
        rows = [self._row(field) for field in fields]
        return w.VBox(
            [w.HTML(f"<b>{esc(title)}</b>"), *rows],
            layout=w.Layout(border="1px solid #ddd", padding="4px", margin="2px"),
        )

    def _row(self, field: Field) -> w.Widget:
        """A field's widget, with its label (functions) or its name hint (codes)."""
        widget = self.fields[field.name]
        if field.type is FieldType.FUNCTIONS:
            # TagsInput has no description, so its label is an HTML beside it.
            label = w.HTML(
                f"<span title='{field.name}'>{esc(field.label)}</span>",
                layout=w.Layout(width="170px"),
            )
            widget.observe(self.guard(self._on_change), names="value")
            return w.HBox([label, widget])
        row = widget
        if field.type not in _PLAIN:
            hint = w.HTML("", layout=w.Layout(margin="0 0 0 8px"))
            self.hints[field.name] = hint
            widget.observe(self.guard(self._on_code), names="value")
            row = w.HBox([widget, hint])
        widget.observe(self.guard(self._on_change), names="value")
        return row

    # -- values ------------------------------------------------------------------------

    def enabled(self, code: str) -> bool:
        """True when every block flag above the field is on."""
        block = BY_NAME[code].block
        while block is not None:
            if not self.fields[block].value:
                return False
            block = BY_NAME[block].block
        return True

    def params(self) -> dict[str, Any]:
        """The SPEC parameters in the form; disabled and empty fields are left out."""
        out: dict[str, Any] = {}
        for field in FORM_FIELDS:
            code = field.name
            if not self.enabled(code):
                continue
            value = self.fields[code].value
            if field.type is FieldType.BOOL:
                if value:
                    out[code] = True
            elif field.type is FieldType.FUNCTIONS:
                if value:
                    out[code] = ",".join(value)
            elif field.type is FieldType.INT:
                out[code] = value
            elif field.type is FieldType.DATE:
                if value is not None:
                    out[code] = value
            elif str(value).strip():
                out[code] = str(value).strip()
        return out

    def criteria(self) -> Criteria:
        """Build the criteria from the form (the library validates them).

        Raises:
            CriteriaError: the values are not valid criteria.
        """
        return Criteria.from_params(self.params())

    def set_criteria(self, criteria: Criteria) -> None:
        """Show ``criteria`` in the form (USER and CPY left as they are when unset)."""
        values = criteria.to_params()
        for field in FORM_FIELDS:
            code = field.name
            value = values[code]
            widget = self.fields[code]
            if field.type is FieldType.BOOL:
                widget.value = bool(value)
            elif field.type is FieldType.DATE:
                widget.value = dt.date.fromisoformat(value) if value else None
            elif field.type is FieldType.INT:
                widget.value = int(value)
            elif field.type is FieldType.FUNCTIONS:
                widget.value = [FUNCTIONS[n] for n in criteria.corfcttxt]
            elif value or code not in ("USER", "CPY"):
                widget.value = value or ""
        self._update_enabled()

    def show_error(self, exc: BaseException | None) -> None:
        """Show an error message next to the form, or clear it with ``None``."""
        if exc is None:
            self.error.value = ""
        elif isinstance(exc, ForcedSyncError):
            self.error.value = message_html(str(exc), error=True)
        else:
            self.report(exc)

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after any field changes."""
        self._listeners.append(callback)

    # -- callbacks ---------------------------------------------------------------------

    def _on_change(self, change: Mapping[str, Any]) -> None:
        self._update_enabled()
        for callback in self._listeners:
            callback()

    def _update_enabled(self) -> None:
        for code in self.fields:
            self.fields[code].disabled = not self.enabled(code)

    def _on_code(self, change: Mapping[str, Any]) -> None:
        owner = change["owner"]
        code = next(c for c, wd in self.fields.items() if wd is owner)
        self._load_options(code, str(change["new"] or ""))

    def _on_user(self, change: Mapping[str, Any]) -> None:
        # CPY follows USER (X3 defaults it to the user's company) until someone types
        # another company in it.
        if self._company_of is None:
            return
        user = str(change["new"] or "").strip().upper()
        if not user:
            return
        company = self._company_of(user)
        cpy = self.fields["CPY"]
        if company and (not cpy.value or cpy.value == self._auto_company):
            cpy.value = company
            self._auto_company = company

    def _load_options(self, code: str, prefix: str) -> None:
        if self._codes is None:
            return
        kind = str(BY_NAME[code].lookup)
        key = prefix.strip().upper()
        found = self._codes(kind, key)
        if key and [c for c, _ in found] == [key]:
            # A complete code: offer the whole list again so another one can be picked.
            found = [(key, dict(found)[key])] + [
                pair for pair in self._codes(kind, "") if pair[0] != key
            ]
        widget = self.fields[code]
        widget.options = [c for c, _ in found]
        names = dict(found)
        self.hints[code].value = (
            f"<span style='color:#555'>{esc(names[key])}</span>" if key in names else ""
        )
