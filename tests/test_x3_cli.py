"""The command line on a live X3 folder: check, init and the folder options."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from x3_helpers import drop_folder, x3_folder  # noqa: F401  (the ``folder`` fixture)

from forcedsync_kit.cli import cli
from forcedsync_kit.layout import Layout

PREVIEW = ["-p", "USER=SALES1", "-p", "SELTSK=1", "-p", "SELCLL=1", "--json"]
NOW = ["--now", "2026-11-29T12:00:00", "--operator", "ADMIN"]


class Site(NamedTuple):
    url: str
    engine: sa.Engine
    folder: str
    own: str  # the toolkit schema


@pytest.fixture(name="site")
def site_fixture(folder: tuple[sa.Engine, Layout], backend: str) -> Iterator[Site]:
    engine, layout = folder
    duck = backend.startswith("duckdb")
    own = "FORCEDSYNC" if duck else f"FSY_{uuid.uuid4().hex[:8]}"
    try:
        yield Site(backend, engine, str(layout.folder), own)
    finally:
        if not duck:
            drop_folder(engine, own)


def run(site: Site, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    where = ["--db", site.url, "--toolkit-schema", site.own]
    res = CliRunner().invoke(cli, [args[0], *where, *args[1:]], env=env)
    return res.exit_code, res.output


def _alter(site: Site, sql: str) -> None:
    with site.engine.begin() as conn:
        conn.execute(sa.text(sql.format(folder=site.folder)))


def test_check_passes_on_the_folder(site: Site) -> None:
    code, out = run(site, "check", "--x3-folder", site.folder)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].endswith(f"schema {site.folder}: 0 error(s), 0 warning(s)")
    assert lines[1].split() == ["level", "table", "column", "finding"]
    assert lines[3].startswith("ok ")


@pytest.mark.parametrize(
    "sql, table, column",
    [
        ('ALTER TABLE "{folder}"."BTASK" DROP COLUMN "TSKREP_0"', "BTASK", "TSKREP_0"),
        (
            'ALTER TABLE "{folder}"."SYNCDATA" RENAME COLUMN "SYDKEY_0" TO "SYDKEY"',
            "SYNCDATA",
            "SYDKEY_0",
        ),
    ],
    ids=["dropped", "renamed"],
)
def test_a_changed_folder_fails_the_check_and_init_refuses(
    site: Site, sql: str, table: str, column: str
) -> None:
    _alter(site, sql)
    code, out = run(site, "check", "--x3-folder", site.folder)
    assert code == 1
    assert "1 error(s)" in out.splitlines()[0]
    assert [table, column, "column", "missing"] == out.splitlines()[3].split()[1:]
    code, out = run(site, "init", "--x3-folder", site.folder)
    assert code == 1
    assert f"Error: Database does not match mapping 'x3': {table}.{column}: " in out
    with site.engine.connect() as conn:
        names = sa.inspect(conn).get_table_names(schema=site.own)
    assert names == []  # nothing was created
    code, out = run(site, "preview", *PREVIEW, *NOW, "--x3-folder", site.folder)
    assert code == 1
    assert f"{table}.{column}: column missing" in out


def test_preview_with_the_folder_options_equals_the_toolkit_one(site: Site) -> None:
    code, out = run(site, "init", "--x3-folder", site.folder)
    assert code == 0, out
    assert "created 6 table(s)" in out
    code, out = run(site, "preview", *PREVIEW, *NOW, "--x3-folder", site.folder)
    assert code == 0, out
    on_folder = json.loads(out)
    env = {"FORCEDSYNC_X3_FOLDER": site.folder}
    code, out = run(site, "preview", *PREVIEW, *NOW, env=env)
    assert code == 0, out
    assert json.loads(out)["counts"] == on_folder["counts"]
    res = CliRunner().invoke(cli, ["preview", "--db", site.url, *PREVIEW, *NOW])
    assert res.exit_code == 0, res.output
    toolkit = json.loads(res.output)
    assert toolkit["counts"] == on_folder["counts"]
    assert sum(sum(c.values()) for c in toolkit["counts"].values()) > 0


def test_force_then_runs_on_the_folder(site: Site) -> None:
    assert run(site, "init", "--x3-folder", site.folder)[0] == 0
    code, out = run(site, "force", *PREVIEW, *NOW, "--yes", "--x3-folder", site.folder)
    assert code == 0, out
    run_id = json.loads(out)["run_id"]
    code, out = run(site, "runs", "--json", "--x3-folder", site.folder)
    assert code == 0, out
    assert [r["run_id"] for r in json.loads(out)] == [run_id]
    res = CliRunner().invoke(cli, ["runs", "--db", site.url, "--json"])
    assert json.loads(res.output) == []  # the toolkit layout's own history


def test_check_needs_a_folder_and_a_valid_mapping(site: Site, tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["check", "--db", site.url])
    assert res.exit_code == 2
    assert "give --x3-folder NAME" in res.output
    bad = tmp_path / "site.yaml"
    bad.write_text("tables:\n  autilis: {columns: {codusrx: USR_0}}\n")
    code, out = run(site, "check", "--x3-folder", site.folder, "--mapping", str(bad))
    assert code == 1
    assert out.startswith("Error: ") and "codusrx" in out
    assert len(out.strip().splitlines()) == 1


def test_demo_never_writes_into_a_live_folder(site: Site) -> None:
    code, out = run(site, "demo", "--x3-folder", site.folder)
    assert code == 1
    assert "never creates X3 tables in folder" in out
