"""Headless widget tests: drive the form and buttons from Python, seeded database."""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from browser_helpers import N_TASKS, NOW, run_count, seed, syncdata_rows

import forcedsync_kit as fsk
from forcedsync_kit import lookup
from forcedsync_kit.fields import BY_NAME, FIELDS
from forcedsync_kit.ui import App, CriteriaForm
from forcedsync_kit.ui.confirm import ConfirmBox
from forcedsync_kit.ui.form import FORM_FIELDS, LAYOUT


@pytest.fixture
def seeded(backend: str) -> sa.Engine:
    """An engine on a database holding the named rows of ``browser_helpers.seed``."""
    engine = fsk.connect(backend)
    seed(engine)
    return engine


def _tasks(app: App) -> None:
    app.form.fields["SELTSK"].value = True


def test_form_has_every_parameter_labelled_in_words() -> None:
    form = CriteriaForm()
    team = {f.name for f in FIELDS if f.team}  # team runs: the picker (ui.team)
    assert set(form.fields) == {p.upper() for p in fsk.PARAMETERS} - team
    assert [title for title, _ in LAYOUT] == [
        "General",
        "Contacts",
        "Tasks",
        "Calls",
        "Appointments",
    ]
    for code, widget in form.fields.items():
        assert widget.tooltip == code
        label = BY_NAME[code].label
        assert label != code and " " in label or label.istitle()
        if code != "CORFCTTXT":  # a TagsInput has no description: an HTML label
            assert widget.description == label
    form.close()


def test_form_layout_is_the_field_table() -> None:
    shown = [f.name for _, fields in LAYOUT for f in fields]
    assert sorted(shown) == sorted(f.name for f in FIELDS if not f.team)
    assert [f.name for f in dict(LAYOUT)["General"]] == [
        "USER",
        "CPY",
        "FLGTRCDET",
        "ONLYOOP",
        "STALEDAYS",
    ]
    form = CriteriaForm()
    for field in FORM_FIELDS:  # greyed exactly while its block flag (chain) is off
        flags = []
        block = field.block
        while block is not None:
            flags.append(block)
            block = BY_NAME[block].block
        for flag in flags:
            form.fields[flag].value = True
        assert not form.fields[field.name].disabled, field.name
        if flags:
            form.fields[flags[-1]].value = False
            assert form.fields[field.name].disabled, field.name
        for flag in flags:
            form.fields[flag].value = False
    form.close()


def test_confirm_box_asks_then_hides() -> None:
    box = ConfirmBox("fsk-confirm-test", "Confirm it")
    box.refresh_buttons()
    assert not box.asking and box.button.disabled and box.cancel_button.disabled
    box.ask("<b>Sure?</b>", "Confirm: do 3 things")
    box.refresh_buttons(can_confirm=False)
    assert box.asking and box.button.disabled and not box.cancel_button.disabled
    box.refresh_buttons()
    assert not box.button.disabled and box.text.value == "<b>Sure?</b>"
    assert box.button.description == "Confirm: do 3 things"
    assert "fsk-confirm-test" in box.button._dom_classes
    box.hide()
    box.refresh_buttons()
    assert not box.asking and box.button.disabled


def test_block_fields_enabled_only_while_their_flag_is_on() -> None:
    form = CriteriaForm()
    f = form.fields
    assert f["TSKDATDEB"].disabled and f["BPCDEB"].disabled
    f["SELTSK"].value = True
    assert not f["TSKDATDEB"].disabled and not f["TSKFORCOR"].disabled
    f["SELCOR"].value = True
    assert not f["CORSYNCNT"].disabled and f["BPCDEB"].disabled
    f["CORSYNCNT"].value = True
    assert not f["BPCDEB"].disabled and not f["CORFCTTXT"].disabled
    f["TSKDATDEB"].value = dt.date(2026, 1, 1)
    f["SELTSK"].value = False  # a greyed field is not a criterion
    assert "TSKDATDEB" not in form.params()
    assert form.criteria().seltsk is False
    form.close()


def test_form_round_trips_criteria() -> None:
    form = CriteriaForm()
    crit = fsk.Criteria(
        user="ADMIN",
        selcor=True,
        corsyncnt=True,
        corfcttxt=(1, 9),
        seltsk=True,
        tskdatdeb=dt.date(2026, 1, 1),
        tskforcor=True,
        staledays=3,
    )
    form.set_criteria(crit)
    assert form.fields["CORFCTTXT"].value == ["Managing Director", "Accountant"]
    assert form.criteria() == crit
    form.close()


def test_defaults_are_the_connected_user_and_company(app: App) -> None:
    assert app.form.fields["USER"].value == "ADMIN"
    assert app.form.fields["CPY"].value == "FR10"
    app.form.fields["USER"].value = "SALES1"  # CPY follows USER until typed over
    assert app.form.fields["CPY"].value == "US20"
    app.form.fields["CPY"].value = "FR10"
    app.form.fields["USER"].value = "ADMIN"
    assert app.form.fields["CPY"].value == "FR10"


def test_code_fields_offer_existing_codes(app: App) -> None:
    f = app.form.fields
    assert set(f["USER"].options) == {"ADMIN", "SALES1"}
    assert set(f["CPY"].options) == {"FR10", "US20"}
    f["SELCOR"].value = f["CORSYNCNT"].value = True
    f["BPCDEB"].value = "c000"
    assert f["BPCDEB"].options == tuple(f"C{i:04d}" for i in range(1, 6))
    f["BPCDEB"].value = "C0002"
    assert "Customer 2" in app.form.hints["BPCDEB"].value
    assert f["REPDEB"].options == ("REP01", "REP02")


def test_invalid_criteria_show_the_library_message_and_write_nothing(app: App) -> None:
    before = syncdata_rows(app.api.engine)
    _tasks(app)
    app.form.fields["TSKDATDEB"].value = dt.date(2026, 2, 1)
    app.form.fields["TSKDATFIN"].value = dt.date(2026, 1, 1)
    app.preview_button.click()
    assert "TSKDATDEB=2026-02-01 is after TSKDATFIN=2026-01-01" in app.form.error.value
    assert app.grid.result is None
    assert app.commit.force_button.disabled
    assert syncdata_rows(app.api.engine) == before
    assert run_count(app.api.engine) == 0


def test_refusal_of_the_library_is_shown_next_to_the_form(seeded: sa.Engine) -> None:
    application = App(seeded, operator="SALES1", now=NOW)  # no FUNSYD6 right
    application.form.fields["SELTSK"].value = True
    application.preview_button.click()
    assert "FUNSYD6" in application.form.error.value
    application.close()


def test_preview_counts_pages_and_filters(app: App) -> None:
    _tasks(app)
    app.preview_button.click()
    r = app.grid.result
    assert r is not None
    assert dict(r.counts["TSK"]) == {
        "insert": N_TASKS - 4,
        "supersede": 2,
        "already": 1,
        "skip": 1,
    }
    assert r.total == N_TASKS and r.pages == 3 and len(r.records) == 200
    assert (
        "<td style='padding:2px 8px;text-align:right'>446</td>" in app.grid.counts.value
    )
    assert 'data-value="446"' in app.grid.chart.value
    assert app.commit.force_button.description == f"Force {N_TASKS - 2} records"
    assert not app.commit.force_button.disabled
    app.grid.next_button.click()
    assert app.grid.result.page == 2
    assert app.grid.grid.data.index[0] == 201
    app.grid.page_box.value = 3
    app.grid.go_button.click()
    assert len(app.grid.result.records) == N_TASKS - 400
    app.grid.oop_filter.value = True
    keys = {r.record_key for r in app.grid.result.records}
    assert keys == {"T0004", "T0005"}  # stale rows and a SYNCLINK anomaly
    app.grid.outcome_filter.value = "supersede"
    assert [r.record_key for r in app.grid.result.records] == ["T0004"]
    row = app.grid.grid.data.iloc[0]
    assert row["reasons"] == "pending since 2026-01-01" and row["rep"] == "REP01"


def test_force_button_follows_the_form(app: App) -> None:
    _tasks(app)
    app.preview_button.click()
    assert not app.commit.force_button.disabled
    app.form.fields["TSKDATDEB"].value = dt.date(2026, 1, 10)
    assert app.commit.force_button.disabled
    app.form.fields["TSKDATDEB"].value = None
    assert not app.commit.force_button.disabled


def test_force_button_follows_the_functions_field(app: App) -> None:
    """CORFCTTXT (a tags field) changed after a preview: the preview no longer holds."""
    app.form.fields["SELCOR"].value = True
    app.form.fields["CORSYNCNT"].value = True  # CORFCTTXT's block
    app.preview_button.click()
    assert not app.commit.force_button.disabled
    app.form.fields["CORFCTTXT"].value = ["Accountant"]
    assert app.commit.force_button.disabled
    app.form.fields["CORFCTTXT"].value = []
    assert not app.commit.force_button.disabled


def test_commit_confirms_writes_and_undo_restores(app: App) -> None:
    engine = app.api.engine
    before = syncdata_rows(engine)
    _tasks(app)
    app.form.fields["FLGTRCDET"].value = True
    app.preview_button.click()
    app.commit.force_button.click()
    assert syncdata_rows(engine) == before  # asking writes nothing
    assert "446" in app.commit.confirmation.text.value
    steps: list[str] = []
    app.commit.progress.observe(lambda c: steps.append(c["new"]), names="value")
    app.commit.confirmation.button.click()
    result = app.commit.result
    assert result is not None and result.written == N_TASKS - 2
    assert steps and max(steps) > 0
    assert result.run_id in app.commit.result_html.value
    forced = [r for r in syncdata_rows(engine) if r[3] == "R"]
    assert len(forced) == N_TASKS - 1  # T0002 already R; T0003 skipped (A)
    link = re.search(r"base64,([A-Za-z0-9+/=]+)", app.commit.loglink.link.value)
    assert link is not None
    text = base64.b64decode(link.group(1)).decode()
    assert "T0450" in text
    assert app.commit.force_button.disabled  # the preview is history now
    app.tabs.selected_index = 1
    assert result.run_id in app.runs.history.value
    assert app.runs.picker.value == result.run_id
    assert not app.runs.undo_button.disabled
    app.runs.undo_button.click()
    app.runs.confirmation.button.click()
    assert f"{N_TASKS - 2} records restored" in app.runs.report_html.value
    assert syncdata_rows(engine) == before
    assert app.runs.undo_button.disabled  # undone: no second undo
    assert app.log.outputs == ()


def test_callback_errors_reach_the_log(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(app.api, "snapshot", boom)  # what Preview calls
    _tasks(app)
    app.preview_button.click()
    assert "database on fire" in app.status.value
    assert "RuntimeError" in app.log.outputs[-1]["text"]
    assert not app.preview_button.disabled


def test_overview_agrees_with_preview(app: App) -> None:
    app.overview.show_button.click()
    ov = app.overview.result
    assert ov is not None
    by_type = ov.by("object_type")
    p = fsk.preview(
        app.api.engine,
        fsk.Criteria(seltsk=True, selcll=True),
        operator="ADMIN",
        now=NOW,
    )
    assert by_type["TSK"] == p.out_of_phase["TSK"] == 2
    assert by_type["CLL"] == p.out_of_phase.get("CLL", 0)
    assert ov.by("rep") == {"REP01": 2}
    assert ov.by("age")["> 90 d"] == 0 and ov.by("age")["31-90 d"] == 1
    assert "Out of phase by sales rep" in app.overview.charts.value


def test_codes_prefix_is_a_literal(seeded: sa.Engine) -> None:
    assert lookup.codes(seeded, "customer", "C%") == []
    assert lookup.codes(seeded, "rep", "", limit=1) == [("REP01", "Anne Martin")]
    assert lookup.codes(seeded, "contact", "cn0001") == [("CN0001", "First1 Last1")]
    with pytest.raises(fsk.CriteriaError, match="Unknown code list"):
        lookup.codes(seeded, "planet")


def test_sync_tab_shows_the_queue_and_runs_a_confirmed_sync(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCEDSYNC_SYNC_DIR", str(tmp_path))
    app.tabs.selected_index = 3
    assert (
        "<td style='padding:2px 8px;text-align:left'>ADMIN</td>" in app.sync.queue.value
    )
    assert app.sync.per_user == {"ADMIN": 6}
    assert app.sync.sync_button.description.endswith("ADMIN (6 rows)")
    app.sync.sync_button.click()
    assert len(syncdata_rows(app.api.engine)) == 6  # asking writes nothing
    app.sync.confirmation.button.click()
    assert syncdata_rows(app.api.engine) == []
    assert "6 rows sent and removed" in app.sync.report_html.value
    assert 'download="tasks.ics"' in app.sync.report_html.value
    assert app.sync.per_user == {} and app.sync.sync_button.disabled
    assert app.log.outputs == ()
