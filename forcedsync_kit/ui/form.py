"""The criteria form: every field of the FUNSYD6 screen, grouped as X3 groups them."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from .. import Criteria, ForcedSyncError
from ..criteria import FUNCTIONS
from ._base import Part, esc, message_html

logger = logging.getLogger(__name__)

#: ``(kind, prefix) -> [(code, name)]``: the existing codes offered for completion.
CodeSource = Callable[[str, str], list[tuple[str, str]]]
#: ``user -> company`` default (``None`` when the user is unknown).
CompanySource = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class Field:
    """One screen field: its SPEC code, words for people, widget kind, block flag."""

    code: str
    label: str
    kind: str  # bool, date, int, functions, or a code kind (user, company, ...)
    parent: str | None = None


#: The screen, in X3 order: (block title, fields). A field is enabled while its parent
#: flag (and that flag's own parent) is on, as on the X3 screen.
LAYOUT: tuple[tuple[str, tuple[Field, ...]], ...] = (
    (
        "General",
        (
            Field("USER", "User (Outlook owner)", "user"),
            Field("CPY", "Company", "company"),
            Field("FLGTRCDET", "Detailed log", "bool"),
            Field("ONLYOOP", "Only out-of-phase records", "bool"),
            Field("STALEDAYS", "Stale after (days)", "int"),
        ),
    ),
    (
        "Contacts",
        (
            Field("SELCOR", "Process Outlook contacts", "bool"),
            Field("CORDEB", "Contacts from", "contact", "SELCOR"),
            Field("CORFIN", "Contacts to", "contact", "SELCOR"),
            Field("CORSYNCNT", "Generate from my contacts", "bool", "SELCOR"),
            Field("BPCDEB", "Customers from", "customer", "CORSYNCNT"),
            Field("BPCFIN", "Customers to", "customer", "CORSYNCNT"),
            Field("CORFCTTXT", "Contact functions", "functions", "CORSYNCNT"),
            Field("CORSYNPST", "Generate from my leads", "bool", "SELCOR"),
            Field("PSTDEB", "Leads from", "lead", "CORSYNPST"),
            Field("PSTFIN", "Leads to", "lead", "CORSYNPST"),
            Field("CORSYNREP", "Generate from sales reps", "bool", "SELCOR"),
            Field("REPDEB", "Sales reps from", "rep", "CORSYNREP"),
            Field("REPFIN", "Sales reps to", "rep", "CORSYNREP"),
        ),
    ),
    (
        "Tasks",
        (
            Field("SELTSK", "Process tasks", "bool"),
            Field("TSKDATDEB", "Task start from", "date", "SELTSK"),
            Field("TSKDATFIN", "Task start to", "date", "SELTSK"),
            Field("TSKECHDEB", "Task due from", "date", "SELTSK"),
            Field("TSKECHFIN", "Task due to", "date", "SELTSK"),
            Field("TSKFORCOR", "Also force the task's contact", "bool", "SELTSK"),
        ),
    ),
    (
        "Calls",
        (
            Field("SELCLL", "Process calls", "bool"),
            Field("CLLDATDEB", "Call date from", "date", "SELCLL"),
            Field("CLLDATFIN", "Call date to", "date", "SELCLL"),
            Field("CLLFORCOR", "Also force the call's contact", "bool", "SELCLL"),
        ),
    ),
    (
        "Appointments",
        (
            Field("SELBAP", "Process appointments", "bool"),
            Field("BAPDATDEB", "Appointment from", "date", "SELBAP"),
            Field("BAPDATFIN", "Appointment to", "date", "SELBAP"),
            Field("BAPFORCOR", "Also force the persons met", "bool", "SELBAP"),
            Field("BAPFORREP", "Also force the intervening reps", "bool", "SELBAP"),
        ),
    ),
)
FIELDS: dict[str, Field] = {f.code: f for _, fs in LAYOUT for f in fs}
_FUNCTION_LABELS = tuple(FUNCTIONS.values())
_STYLE = {"description_width": "170px"}
_WIDTH = "340px"


def _widget(field: Field) -> w.Widget:
    common: dict[str, Any] = {
        "description": field.label,
        "tooltip": field.code,
        "style": _STYLE,
        "layout": w.Layout(width=_WIDTH),
    }
    widget: w.Widget
    if field.kind == "bool":
        common["layout"] = w.Layout(width="auto")
        widget = w.Checkbox(value=False, indent=True, **common)
    elif field.kind == "date":
        widget = w.DatePicker(value=None, **common)
    elif field.kind == "int":
        widget = w.BoundedIntText(value=7, min=0, max=36500, **common)
    elif field.kind == "functions":
        widget = w.TagsInput(
            value=[],
            allowed_tags=list(_FUNCTION_LABELS),
            allow_duplicates=False,
            tooltip=field.code,
            layout=w.Layout(width=_WIDTH),
        )
    else:
        widget = w.Combobox(
            value="", options=[], ensure_option=False, placeholder="code", **common
        )
    widget.add_class(f"fsk-{field.code}")
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
        self.fields: dict[str, w.Widget] = {f: _widget(FIELDS[f]) for f in FIELDS}
        self.hints: dict[str, w.HTML] = {}
        self.error = self.status  # the library's message, shown next to the form
        self.error.add_class("fsk-form-error")
        self._listeners: list[Callable[[], None]] = []
        blocks = []
        for title, fields in LAYOUT:
            rows = []
            for field in fields:
                widget = self.fields[field.code]
                if field.kind == "functions":
                    label = w.HTML(
                        f"<span title='{field.code}'>{esc(field.label)}</span>",
                        layout=w.Layout(width="170px"),
                    )
                    rows.append(w.HBox([label, widget]))
                    continue
                if field.kind not in ("bool", "date", "int"):
                    hint = w.HTML("", layout=w.Layout(margin="0 0 0 8px"))
                    self.hints[field.code] = hint
                    widget.observe(self.guard(self._on_code), names="value")
                    rows.append(w.HBox([widget, hint]))
                else:
                    rows.append(widget)
                widget.observe(self.guard(self._on_change), names="value")
            blocks.append(
                w.VBox(
                    [w.HTML(f"<b>{esc(title)}</b>"), *rows],
                    layout=w.Layout(
                        border="1px solid #ddd", padding="4px", margin="2px"
                    ),
                )
            )
        self.fields["USER"].observe(self.guard(self._on_user), names="value")
        self.root = w.VBox(
            [w.HBox([blocks[0], self.error]), w.HBox(blocks[1:3]), w.HBox(blocks[3:])]
        )
        self.root.add_class("fsk-criteria-form")
        for field in FIELDS.values():
            if field.kind not in ("bool", "date", "int", "functions"):
                self._load_options(field.code, "")
        if user:
            self.fields["USER"].value = user
        if company:
            self.fields["CPY"].value = company
            self._auto_company = company
        self._update_enabled()

    # -- values ------------------------------------------------------------------------

    def enabled(self, code: str) -> bool:
        """True when every block flag above the field is on."""
        parent = FIELDS[code].parent
        while parent is not None:
            if not self.fields[parent].value:
                return False
            parent = FIELDS[parent].parent
        return True

    def params(self) -> dict[str, Any]:
        """The SPEC parameters in the form; disabled and empty fields are left out."""
        out: dict[str, Any] = {}
        for code, field in FIELDS.items():
            if not self.enabled(code):
                continue
            value = self.fields[code].value
            if field.kind == "bool":
                if value:
                    out[code] = True
            elif field.kind == "functions":
                if value:
                    out[code] = ",".join(value)
            elif field.kind == "int":
                out[code] = value
            elif field.kind == "date":
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
        for code, field in FIELDS.items():
            value = values[code]
            widget = self.fields[code]
            if field.kind == "bool":
                widget.value = bool(value)
            elif field.kind == "date":
                widget.value = dt.date.fromisoformat(value) if value else None
            elif field.kind == "int":
                widget.value = int(value)
            elif field.kind == "functions":
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
        for code in FIELDS:
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
        kind = FIELDS[code].kind
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
