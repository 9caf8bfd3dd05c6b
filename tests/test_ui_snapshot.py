"""The dashboard's preview snapshot: pages equal ``preview``'s, Force refuses a changed
queue (nothing written, the differences shown, a fresh preview), the whole preview
downloads as a served file, and numbers are grouped. Both backends."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from browser_helpers import N_TASKS, NOW, run_count, seed, syncdata_rows

import forcedsync_kit as fsk
from forcedsync_kit import schema as s
from forcedsync_kit.ui import App


@pytest.fixture
def app(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    monkeypatch.setenv("FORCEDSYNC_EXPORT_ROOT", str(tmp_path / "voila-root"))
    monkeypatch.setenv("FORCEDSYNC_SNAPSHOT_IDLE", "0")  # kept (idle: its own test)
    engine = fsk.connect(backend)
    seed(engine)
    application = App(engine, operator="ADMIN", now=NOW)
    application.form.fields["SELTSK"].value = True
    yield application
    application.close()


def _preview(app: App, page: int, **filters: object) -> fsk.PreviewResult:
    return fsk.preview(
        app.api.engine, app.form.criteria(), operator="ADMIN", now=NOW, page=page,
        page_size=app.api.page_size, **filters,  # type: ignore[arg-type]
    )  # fmt: skip


def test_snapshot_pages_equal_the_preview_pages(app: App) -> None:
    app.preview_button.click()
    assert app.snapshot is not None and not app.snapshot.closed
    assert app.grid.result == _preview(app, 1)
    app.grid.next_button.click()  # keyset
    assert app.grid.result.records == _preview(app, 2).records
    app.grid.next_button.click()
    assert app.grid.result.records == _preview(app, 3).records
    app.grid.prev_button.click()
    assert app.grid.result.records == _preview(app, 2).records
    app.grid.oop_filter.value = True
    assert app.grid.result.records == _preview(app, 1, only_oop=True).records
    app.grid.outcome_filter.value = "insert"
    app.grid.oop_filter.value = False
    want = _preview(app, 2, outcome="insert")
    app.grid.next_button.click()
    assert app.grid.result.records == want.records and want.records
    assert app.grid.result.total == want.total


def test_snapshot_is_closed_when_criteria_change_and_after_a_commit(app: App) -> None:
    app.preview_button.click()
    first = app.snapshot
    assert first is not None
    app.preview_button.click()  # a new preview replaces the old snapshot
    assert first.closed and app.snapshot is not None
    second = app.snapshot
    app.form.fields["FLGTRCDET"].value = True  # criteria changed
    assert second.closed and app.snapshot is None
    app.grid.next_button.click()  # paging the stale preview still works, in SQL
    assert app.grid.result.records == _preview(app, 2).records
    app.preview_button.click()
    third = app.snapshot
    app.commit.force_button.click()
    app.commit.confirmation.button.click()
    assert app.commit.result is not None and app.commit.result.written == N_TASKS - 2
    assert third is not None and third.closed and app.snapshot is None


def _change_queue(engine: sa.Engine) -> None:
    """Between Preview and Force a sync sends T0004's pending row (now an insert)."""
    with engine.begin() as conn:
        conn.execute(sa.delete(s.syncdata).where(s.syncdata.c.sydkey == "T0004"))


def test_force_after_the_queue_changed_writes_nothing_and_shows_why(
    app: App,
) -> None:
    engine = app.api.engine
    app.preview_button.click()
    before_counts = dict(app.grid.result.counts["TSK"])
    _change_queue(engine)
    before = syncdata_rows(engine)
    app.commit.force_button.click()
    app.commit.confirmation.button.click()
    assert syncdata_rows(engine) == before and run_count(engine) == 0
    assert app.commit.result is None
    shown = app.commit.result_html.value
    assert "The queue changed since the preview: nothing was written" in shown
    assert "fsk-differences" in shown
    supersede = before_counts["supersede"]
    insert = before_counts["insert"]
    assert "<td style='padding:2px 8px;text-align:left'>supersede</td>" in shown
    assert f">{supersede}</td>" in shown and f">{supersede - 1}</td>" in shown
    assert f">{insert}</td>" in shown and f">{insert + 1}</td>" in shown
    # a fresh preview is shown, and Force confirms it
    fresh = app.grid.result
    assert fresh.counts["TSK"]["supersede"] == supersede - 1
    assert not app.commit.force_button.disabled
    app.commit.force_button.click()
    app.commit.confirmation.button.click()
    assert app.commit.result is not None and run_count(engine) == 1


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_download_writes_every_record_to_a_served_file(app: App, fmt: str) -> None:
    app.preview_button.click()
    button = app.download.csv_button if fmt == "csv" else app.download.parquet_button
    assert not button.disabled
    button.click()
    link = app.download.link.value
    assert 'href="voila/files/fsk-exports/' in link and f"({N_TASKS} records)" in link
    folder = app.download.files.folder
    (path,) = folder.iterdir()
    assert path.suffix == f".{fmt}"
    assert f"voila/files/fsk-exports/{folder.name}/{path.name}" in link
    if fmt == "csv":
        with path.open(newline="") as f:
            rows = list(csv.reader(f))[1:]
        assert [r[1] for r in rows] == [r.record_key for r in _all(app)]
    else:
        import duckdb

        got = duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()
        assert got == [(N_TASKS,)]
    app.close()
    assert not folder.exists()  # the session's files go with the session


def _all(app: App) -> tuple[fsk.RecordRow, ...]:
    return fsk.preview(
        app.api.engine, app.form.criteria(), operator="ADMIN", now=NOW, page_size=10_000
    ).records


def test_numbers_are_grouped(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    app.preview_button.click()
    shown = app.grid.result
    big = fsk.PreviewResult(
        **{**{f: getattr(shown, f) for f in shown.__dataclass_fields__},
           "counts": {"TSK": {"insert": 1_028_571}}, "total": 1_028_571},
    )  # fmt: skip
    app.grid.show(big)
    assert "1,028,571</span> records selected" in app.grid.summary.value
    assert ">1,028,571</td>" in app.grid.counts.value
    assert "of <b class='fsk-total'>1,028,571</b>" in app.grid.page_label.value
    json.dumps(big.to_json_dict())  # JSON stays plain integers
    assert big.to_json_dict()["counts"]["TSK"]["insert"] == 1_028_571


def test_an_idle_snapshot_is_released_and_paging_goes_on(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On DuckDB an open snapshot holds the file: released after idle seconds."""
    import time

    app.snapshot_idle = 0.3
    app.preview_button.click()
    snap = app.snapshot
    assert snap is not None
    deadline = time.monotonic() + 10
    while not snap.closed and time.monotonic() < deadline:
        time.sleep(0.1)
    assert snap.closed and app.snapshot is None
    app.grid.next_button.click()  # paged in SQL now, same records
    assert app.grid.result.records == _preview(app, 2).records
    app.download.csv_button.click()  # classifies again for the file
    assert f"({N_TASKS} records)" in app.download.link.value


def test_next_shows_the_page_read_ahead_while_the_snapshot_is_open(app: App) -> None:
    app.preview_button.click()  # shows page 1 and reads page 2 ahead
    calls: list[tuple[object, ...]] = []
    inner = app.grid.fetch
    assert inner is not None

    def fetch(*args: object) -> fsk.PreviewResult:
        calls.append(args)
        return inner(*args)  # type: ignore[arg-type]

    app.grid.fetch = fetch
    app.grid.next_button.click()
    assert app.grid.result is not None and app.grid.result.page == 2
    assert app.grid.result.records == _preview(app, 2).records
    assert app.grid.grid.data.index[0] == 201
    assert calls == [(3, None, None, False)]  # only the page after, read ahead
    app.grid.next_button.click()  # the last page: shown, nothing read ahead
    assert app.grid.result.records == _preview(app, 3).records
    assert calls == [(3, None, None, False)]
    app.grid.prev_button.click()
    app.form.fields["FLGTRCDET"].value = True  # criteria changed: snapshot closed
    calls.clear()
    app.grid.next_button.click()  # page 3 was read ahead, but from a closed snapshot
    assert calls == [(3, None, None, False)]
    assert app.grid.result.records == _preview(app, 3).records


def test_a_subclass_adds_a_column_to_the_records_table(app: App) -> None:
    from forcedsync_kit.ui.grid import PreviewGrid

    class WithUser(PreviewGrid):
        def frame(self, result: fsk.PreviewResult) -> object:  # type: ignore[override]
            frame = super().frame(result)
            frame.insert(0, "user", result.context.user)
            return frame

    app.preview_button.click()
    grid = WithUser()
    grid.show(app.grid.result)
    assert list(grid.grid.data.columns[:3]) == ["user", "type", "key"]
    assert grid.grid.data.iloc[0]["user"] == "ADMIN"
    assert "<th>#</th><th>user</th><th>type</th>" in grid.grid.widget.value
    grid.close()
