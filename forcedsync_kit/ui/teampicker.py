"""The users picker of a team run: users with a setup, their site, company, rep range.

The selectors are the team fields of ``fields.FIELDS`` (USERS, USRFCY, USRCPY,
USRREPDEB/USRREPFIN); the picker never validates them: ``params()`` hands them to
``Criteria`` with the form's, and the library's message (a range whose start is after
its end names the field) is shown next to the form.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as w

from ..fields import BY_NAME
from .base import Part, classed, code_box, esc
from .form import CodeSource

logger = logging.getLogger(__name__)

#: The rep range of the users (AUSCRMF), in screen order: (field, CSS class).
REP_RANGE = (("USRREPDEB", "fsk-team-rep-from"), ("USRREPFIN", "fsk-team-rep-to"))
LABEL_WIDTH = "110px"


class TeamPicker(Part):
    """The team selectors: users with a setup (SYNCPAR), a site, a company, a rep range.

    Args:
        users: ``(code, name)`` of the users that can be picked.
        companies: the company codes offered for USRCPY.
        codes: the code lists offered for the rep range, ``(kind, prefix) -> [(code,
            name)]`` (as the criteria form's); ``None`` offers none.
    """

    def __init__(
        self,
        users: Sequence[tuple[str, str]],
        companies: list[str],
        codes: CodeSource | None = None,
    ) -> None:
        super().__init__()
        self._codes = codes
        self.users = classed(
            w.SelectMultiple(
                options=[(f"{code}  {name}".strip(), code) for code, name in users],
                value=(),
                rows=min(6, max(2, len(users))),
                description="Users",
                tooltip="USERS",
                layout=w.Layout(width="340px"),
            ),
            "fsk-team-users",
        )
        self.site = classed(
            code_box(placeholder="site", description="Users' site", tooltip="USRFCY"),
            "fsk-team-site",
        )
        self.company = classed(
            code_box(
                placeholder="company", description="Users' company", tooltip="USRCPY"
            ),
            "fsk-team-company",
        )
        self.company.options = companies
        for box in (self.site, self.company):  # aligned with the rep range
            box.style.description_width = LABEL_WIDTH
        self.rep_hint = classed(w.HTML(""), "fsk-team-rep-hint")
        self._rep_names: dict[str, str] = {}  # the names of the reps offered so far
        #: USRREPDEB, USRREPFIN: the users' reps from/to, completed from SALESREP.
        self.reps: dict[str, w.Combobox] = {}
        for name, css in REP_RANGE:
            self.reps[name] = self._rep_box(name, css)
        hint = w.HTML(
            "<span style='color:#555'>Pick users (or a site, a company or a range of "
            "reps of users) for a team run: Preview then previews each user's part, "
            "with the criteria above but USER and CPY (each user's own company)."
            "</span>"
        )
        boxes = w.VBox([self.site, self.company, *self.reps.values(), self.rep_hint])
        self.root = classed(
            w.VBox(
                [w.HTML("<b>Team run</b>"), w.HBox([self.users, boxes]), hint],
                layout=w.Layout(border="1px solid #ddd", padding="4px", margin="2px"),
            ),
            "fsk-team-picker",
        )

    def _rep_box(self, name: str, css_class: str) -> w.Combobox:
        """A rep bound (USRREPDEB/USRREPFIN) that completes from the folder's reps."""
        box = classed(
            code_box(placeholder="rep", description=BY_NAME[name].label, tooltip=name),
            css_class,
        )
        box.style.description_width = LABEL_WIDTH
        self._load_reps(box, "")
        box.observe(self.guard(self._on_rep), names="value")
        return box

    def _on_rep(self, change: Mapping[str, Any]) -> None:
        self._load_reps(change["owner"], str(change["new"] or ""))

    def _load_reps(self, box: w.Combobox, prefix: str) -> None:
        """Offer the reps starting with what is typed; name the reps typed in full."""
        if self._codes is None:
            return
        key = prefix.strip().upper()
        found = self._codes("rep", key)
        if key and [c for c, _ in found] == [key]:
            # A complete code: offer the whole list again so another one can be picked.
            found = found + [p for p in self._codes("rep", "") if p[0] != key]
        box.options = [c for c, _ in found]
        self._rep_names.update(found)
        named = [
            f"{esc(BY_NAME[name].label)}: {esc(self._rep_names[value])}"
            for name, b in self.reps.items()
            if (value := str(b.value).strip().upper()) in self._rep_names
        ]
        self.rep_hint.value = (
            f"<span style='color:#555'>{'; '.join(named)}</span>" if named else ""
        )

    def params(self) -> dict[str, Any]:
        """The team selectors set (USERS, USRFCY, USRCPY, USRREPDEB, USRREPFIN);
        empty: a single-user run."""
        out: dict[str, Any] = {}
        if self.users.value:
            out["USERS"] = ",".join(self.users.value)
        boxes = {"USRFCY": self.site, "USRCPY": self.company, **self.reps}
        for name, box in boxes.items():
            if str(box.value).strip():
                out[name] = str(box.value).strip()
        return out

    def active(self) -> bool:
        """True when a team selector is set: Preview then runs a team preview."""
        return bool(self.params())

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after any selector changes."""
        for widget in (self.users, self.site, self.company, *self.reps.values()):
            widget.observe(self.guard(lambda _: callback()), names="value")
