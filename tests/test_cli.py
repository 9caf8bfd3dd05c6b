"""The command line: SPEC §4.2 refusals (exit 1, nothing written), JSON, --yes, log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from builders import NOW, World, count, pending, syncdata_rows
from click.testing import CliRunner

from forcedsync_kit import schema as s
from forcedsync_kit.cli import cli

NOW_ISO = NOW.isoformat()


def folder(engine: sa.Engine) -> World:
    w = World(engine).base()
    w.user("SALES1", rep="R2", function=1, profile="SALES")
    w.user("GONE", rep="R3", active=False)
    w.user("NOREP", rep=None, function=5)
    w.user("OTHERFN", rep="R2", function=5)
    w.user("NOSYNC", rep="R3", syncpar=False)
    w.user("BADREP", rep="R9", function=1)
    w.user("NOCPY", rep="R2", company="")
    w.customer("C1", "R1")
    w.contact("K1", bpr="C1")
    w.task("T1", cor="K1")
    w.task("T2")
    w.queue("TSK", "T2", "C")
    return w.commit()


def run(backend: str, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    res = runner.invoke(cli, [*args[:1], "--db", backend, *args[1:]])
    return res.exit_code, res.stdout, res.stderr


# (case, operator, extra arguments, words the message must contain)
REFUSALS: list[tuple[str, str, list[str], list[str]]] = [
    ("operator_unknown", "NOBODY", ["-p", "SELTSK=1"], ["NOBODY", "AUTILIS"]),
    ("operator_inactive", "GONE", ["-p", "SELTSK=1"], ["GONE", "not active"]),
    ("operator_without_right", "SALES1", ["-p", "SELTSK=1"], ["SALES1", "FUNSYD6"]),
    (
        "user_unknown",
        "ADMIN",
        ["-p", "USER=NOBODY", "-p", "SELTSK=1"],
        ["USER", "NOBODY"],
    ),
    (
        "user_without_syncpar",
        "ADMIN",
        ["-p", "USER=NOSYNC", "-p", "SELTSK=1"],
        ["USER", "NOSYNC", "SYNCPAR"],
    ),
    ("company_unknown", "ADMIN", ["-p", "CPY=XX99", "-p", "SELTSK=1"], ["CPY", "XX99"]),
    (
        "user_without_company",
        "ADMIN",
        ["-p", "USER=NOCPY", "-p", "SELTSK=1"],
        ["CPY", "NOCPY"],
    ),
    (
        "sales_selection_without_rep",
        "ADMIN",
        ["-p", "USER=NOREP", "-p", "SELTSK=1"],
        ["NOREP", "AUSCRMF"],
    ),
    (
        "contacts_of_my_customers_without_rep",
        "ADMIN",
        ["-p", "USER=NOREP", "-p", "SELCOR=1", "-p", "CORSYNCNT=1"],
        ["NOREP", "AUSCRMF"],
    ),
    (
        "leads_without_rep",
        "ADMIN",
        ["-p", "USER=NOREP", "-p", "SELCOR=1", "-p", "CORSYNPST=1"],
        ["AUSCRMF"],
    ),
    (
        "calls_without_sales_function",
        "ADMIN",
        ["-p", "USER=OTHERFN", "-p", "SELCLL=1"],
        ["OTHERFN", "AUSCRMA"],
    ),
    (
        "appointments_unknown_rep",
        "ADMIN",
        ["-p", "USER=BADREP", "-p", "SELBAP=1"],
        ["AUSCRMF", "R9"],
    ),
    ("no_object_type", "ADMIN", ["-p", "FLGTRCDET=1"], ["SELCOR", "SELTSK"]),
    (
        "cor_range_inverted",
        "ADMIN",
        ["-p", "SELCOR=1", "-p", "CORDEB=K9", "-p", "CORFIN=K1"],
        ["CORDEB", "K9"],
    ),
    (
        "bpc_range_inverted",
        "ADMIN",
        ["-p", "SELCOR=1", "-p", "CORSYNCNT=1", "-p", "BPCDEB=C9", "-p", "BPCFIN=C1"],
        ["BPCDEB"],
    ),
    (
        "pst_range_inverted",
        "ADMIN",
        ["-p", "SELCOR=1", "-p", "CORSYNPST=1", "-p", "PSTDEB=L9", "-p", "PSTFIN=L1"],
        ["PSTDEB"],
    ),
    (
        "rep_range_inverted",
        "ADMIN",
        ["-p", "SELCOR=1", "-p", "CORSYNREP=1", "-p", "REPDEB=R9", "-p", "REPFIN=R1"],
        ["REPDEB"],
    ),
    (
        "task_dates_inverted",
        "ADMIN",
        ["-p", "SELTSK=1", "-p", "TSKDATDEB=2026-02-01", "-p", "TSKDATFIN=2026-01-01"],
        ["TSKDATDEB"],
    ),
    (
        "due_dates_inverted",
        "ADMIN",
        ["-p", "SELTSK=1", "-p", "TSKECHDEB=2026-02-01", "-p", "TSKECHFIN=2026-01-01"],
        ["TSKECHDEB"],
    ),
    (
        "call_dates_inverted",
        "ADMIN",
        ["-p", "SELCLL=1", "-p", "CLLDATDEB=2026-02-01", "-p", "CLLDATFIN=2026-01-01"],
        ["CLLDATDEB"],
    ),
    (
        "appointment_dates_inverted",
        "ADMIN",
        ["-p", "SELBAP=1", "-p", "BAPDATDEB=2026-02-01", "-p", "BAPDATFIN=2026-01-01"],
        ["BAPDATDEB"],
    ),
    (
        "date_does_not_parse",
        "ADMIN",
        ["-p", "SELTSK=1", "-p", "TSKDATDEB=2026-02-30"],
        ["TSKDATDEB", "2026-02-30"],
    ),
    (
        "date_wrong_format",
        "ADMIN",
        ["-p", "SELCLL=1", "-p", "CLLDATFIN=01/02/2026"],
        ["CLLDATFIN", "YYYY-MM-DD"],
    ),
    (
        "function_does_not_parse",
        "ADMIN",
        ["-p", "SELCOR=1", "-p", "CORSYNCNT=1", "-p", "CORFCTTXT=Astronaut"],
        ["CORFCTTXT", "Astronaut"],
    ),
    (
        "function_number_out_of_menu",
        "ADMIN",
        ["-p", "SELCOR=1", "-p", "CORSYNCNT=1", "-p", "CORFCTTXT=13"],
        ["CORFCTTXT", "13"],
    ),
    ("boolean_does_not_parse", "ADMIN", ["-p", "SELTSK=maybe"], ["SELTSK", "maybe"]),
    (
        "block_parameter_without_flag",
        "ADMIN",
        ["-p", "SELCLL=1", "-p", "TSKDATDEB=2026-01-01"],
        ["TSKDATDEB", "SELTSK"],
    ),
    (
        "customer_range_without_its_flag",
        "ADMIN",
        ["-p", "SELCOR=1", "-p", "BPCDEB=C1"],
        ["BPCDEB", "CORSYNCNT"],
    ),
    (
        "force_contact_without_tasks",
        "ADMIN",
        ["-p", "SELCOR=1", "-p", "TSKFORCOR=1"],
        ["TSKFORCOR", "SELTSK"],
    ),
    ("unknown_parameter", "ADMIN", ["-p", "SELTSK=1", "-p", "SELFOO=1"], ["SELFOO"]),
    ("pair_without_equals", "ADMIN", ["-p", "SELTSK"], ["SELTSK", "NAME=VALUE"]),
    (
        "staledays_negative",
        "ADMIN",
        ["-p", "SELTSK=1", "-p", "STALEDAYS=-1"],
        ["STALEDAYS", "-1"],
    ),
]


@pytest.mark.parametrize("command", ["preview", "force"])
@pytest.mark.parametrize(
    "operator, extra, words", [c[1:] for c in REFUSALS], ids=[c[0] for c in REFUSALS]
)
def test_refusal_exits_1_with_message_and_writes_nothing(
    engine: sa.Engine,
    backend: str,
    command: str,
    operator: str,
    extra: list[str],
    words: list[str],
) -> None:
    folder(engine)
    before = syncdata_rows(engine)
    args = [command, "--operator", operator, *extra, "--now", NOW_ISO]
    if command == "force":
        args.append("--yes")
    code, out, err = run(backend, *args)
    assert code == 1, (out, err)
    message = err.strip()
    assert message.startswith("Error: ") and "\n" not in message
    for word in words:
        assert word in message
    assert syncdata_rows(engine) == before
    assert count(engine, s.fsyrun) == 0


def test_crmsync_off_is_refused(engine: sa.Engine, backend: str) -> None:
    folder(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.update(s.adoval).where(s.adoval.c.param == "CRMSYNC").values(valeur="1")
        )
    before = syncdata_rows(engine)
    code, _, err = run(
        backend, "force", "--operator", "ADMIN", "-p", "SELTSK=1", "--yes"
    )
    assert code == 1 and "CRMSYNC" in err
    assert syncdata_rows(engine) == before


def test_preview_json_has_the_documented_shape(engine: sa.Engine, backend: str) -> None:
    folder(engine)
    code, out, _ = run(
        backend,
        "preview",
        "--operator",
        "ADMIN",
        "-p",
        "SELTSK=1",
        "-p",
        "TSKFORCOR=1",
        "--now",
        NOW_ISO,
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["run_id"] is None
    assert data["counts"]["TSK"] == {
        "insert": 1,
        "supersede": 1,
        "already": 0,
        "skip": 0,
    }
    assert data["counts"]["COR"]["insert"] == 1
    assert data["total"] == 3 and data["page"] == 1
    assert data["records"][0] == {
        "SYDTYP": "COR",
        "SYDKEY": "K1",
        "outcome": "insert",
        "out_of_phase": False,
        "reasons": [],
        "description": "First LastK1",
        "date": None,
        "rep": None,
    }
    assert data["warnings"] == []


def test_force_without_yes_writes_nothing(engine: sa.Engine, backend: str) -> None:
    folder(engine)
    before = syncdata_rows(engine)
    code, out, _ = run(backend, "force", "--operator", "ADMIN", "-p", "SELTSK=1")
    assert code == 0 and "Nothing written: add --yes to force 2 record(s)." in out
    assert syncdata_rows(engine) == before


def test_force_params_file_log_undo_and_runs(
    engine: sa.Engine, backend: str, tmp_path: Path
) -> None:
    folder(engine)
    before = syncdata_rows(engine)
    params = tmp_path / "params.yaml"
    params.write_text("SELTSK: yes\nFLGTRCDET: 1\nTSKDATDEB: 2026-01-01\n")
    logfile = tmp_path / "run.log"
    code, out, err = run(
        backend,
        "force",
        "--operator",
        "ADMIN",
        "--params",
        str(params),
        "--now",
        NOW_ISO,
        "--yes",
        "--json",
        "--log",
        str(logfile),
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["written"] == 2 and data["log"] == str(logfile)
    assert {r["SYDKEY"] for r in data["records"]} == {"T1", "T2"}
    lines = logfile.read_text().splitlines()
    assert any(ln.startswith("TSK\tT1\tinsert") for ln in lines)
    assert any(ln.startswith("TSK\tT2\tsupersede") for ln in lines)
    code, out, _ = run(backend, "runs", "--json")
    assert code == 0 and json.loads(out)[0]["run_id"] == data["run_id"]
    code, out, _ = run(backend, "undo", "--run", data["run_id"])
    assert code == 0 and "add --yes" in out
    code, out, _ = run(
        backend,
        "undo",
        "--run",
        data["run_id"],
        "--operator",
        "ADMIN",
        "--yes",
        "--json",
    )
    assert code == 0 and json.loads(out)["restored"] == 2
    assert syncdata_rows(engine) == before
    code, _, err = run(
        backend, "undo", "--run", data["run_id"], "--operator", "ADMIN", "--yes"
    )
    assert code == 1 and "already undone" in err


def test_param_overrides_params_file(
    engine: sa.Engine, backend: str, tmp_path: Path
) -> None:
    folder(engine)
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"SELTSK": True, "TSKDATDEB": "2030-01-01"}))
    code, out, _ = run(
        backend,
        "preview",
        "--operator",
        "ADMIN",
        "--params",
        str(params),
        "-p",
        "TSKDATDEB=",
        "--json",
    )
    assert code == 0 and json.loads(out)["total"] == 2


def test_usage_error_exits_2(backend: str) -> None:
    code, _, err = run(backend, "preview", "--no-such-option")
    assert code == 2 and "No such option" in err


def test_page_out_of_range_is_one_error_line(backend: str) -> None:
    """A page number is checked like a criterion: exit 1, one line naming --page."""
    code, _, err = run(backend, "preview", "-p", "SELTSK=1", "--page", "0")
    assert code == 1 and err.startswith("Error: ") and "--page" in err
    assert err.count("\n") == 1


def test_console_script_runs_init_and_preview(tmp_path: Path) -> None:
    """The installed entry point, in a separate process, on a plain DuckDB path."""
    dbfile = tmp_path / "plain.duckdb"
    env = {**os.environ, "FORCEDSYNC_DB": str(dbfile)}
    exe = [sys.executable, "-m", "forcedsync_kit"]
    res = subprocess.run(
        [*exe, "init"], env=env, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0 and "created 22 table(s)" in res.stdout
    res = subprocess.run(
        [*exe, "preview", "--operator", "ADMIN", "-p", "SELTSK=1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 1
    assert res.stderr.strip() == (
        "Error: Operator 'ADMIN' is not a user of this folder (AUTILIS)."
    )


def test_sync_command_exports_and_empties_the_queue(
    engine: sa.Engine, backend: str, tmp_path: Path
) -> None:
    folder(engine)
    code, _, err = run(
        backend,
        "force",
        "--operator",
        "ADMIN",
        "-p",
        "SELTSK=1",
        "--yes",
        "--now",
        NOW_ISO,
    )
    assert code == 0, err
    out = tmp_path / "outlook"
    code, text, err = run(
        backend,
        "sync",
        "--user",
        "ADMIN",
        "--out",
        str(out),
        "--now",
        NOW_ISO,
        "--json",
    )
    assert code == 0, err
    data = json.loads(text)
    assert data["rows_removed"] == 2
    assert (out / "tasks.ics").read_text().count("BEGIN:VTODO") == 2
    assert syncdata_rows(engine) == []
    code, text, _ = run(
        backend, "sync", "--user", "ADMIN", "--out", str(tmp_path / "again")
    )
    assert code == 0 and "Nothing pending for ADMIN" in text


def _fsyrun(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.select(s.fsyrun.c.runid))]


def test_unexpected_error_is_one_line_and_debug_shows_it(
    engine: sa.Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forcedsync_kit import marking

    folder(engine)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk\nexploded")

    monkeypatch.setattr(marking, "preview", boom)
    args = ["preview", "--db", backend, "--operator", "ADMIN", "-p", "SELTSK=1"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1 and res.stdout == ""
    assert res.stderr == (
        "Error: RuntimeError: disk exploded (-v shows the traceback).\n"
    )
    res = CliRunner().invoke(cli, ["-v", *args])
    assert res.exit_code == 1
    assert isinstance(res.exception, RuntimeError)


def test_a_log_failure_after_the_commit_exits_3_naming_the_run(
    engine: sa.Engine, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forcedsync_kit import runlog

    folder(engine)

    def full(*args: object, **kwargs: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runlog, "write_log", full)
    target = tmp_path / "run.log"
    code, out, err = run(
        backend, "force", "--operator", "ADMIN", "-p", "SELTSK=1", "--yes",
        "--log", str(target),
    )  # fmt: skip
    [run_id] = _fsyrun(engine)
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"Error: run {run_id} was committed")
    assert "No space left on device" in err and str(target) in err
    forced = sorted(k for (t, k), acts in pending(engine).items() if "R" in acts)
    assert forced == ["T1", "T2"]


def test_an_unexpected_error_after_the_commit_exits_3(
    engine: sa.Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forcedsync_kit import runlog

    folder(engine)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("connection reset")

    monkeypatch.setattr(runlog, "run_records", broken)
    code, out, err = run(
        backend, "force", "--operator", "ADMIN", "-p", "SELTSK=1", "--yes", "--json"
    )
    [run_id] = _fsyrun(engine)
    assert code == 3 and out == ""
    assert err == (
        f"Error: run {run_id} was committed (2 record(s) marked R), then this "
        "failed: RuntimeError: connection reset (-v shows the traceback).\n"
    )


@pytest.mark.parametrize("command", ["preview", "force"])
def test_a_bad_pair_is_refused_in_one_line(
    engine: sa.Engine, backend: str, command: str
) -> None:
    folder(engine)
    before = syncdata_rows(engine)
    yes = ["--yes"] if command == "force" else []
    code, out, err = run(backend, command, "--operator", "ADMIN", "-p", "SELTSK", *yes)
    assert code == 1 and out == ""
    assert err == "Error: -p 'SELTSK' is not NAME=VALUE (e.g. -p SELTSK=1).\n"
    assert syncdata_rows(engine) == before


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path) -> None:
    """``forcedsync preview ... | head -1``: exit 0 and nothing on stderr.

    Before: "Error: BrokenPipeError ..." plus Python's "Exception ignored" at exit.
    """
    dbfile = tmp_path / "demo.duckdb"
    exe = [sys.executable, "-m", "forcedsync_kit"]
    made = subprocess.run(
        [*exe, "demo", "--db", str(dbfile)], capture_output=True, timeout=300
    )
    assert made.returncode == 0, made.stderr
    args = ["--operator", "ADMIN", "-p", "SELTSK=1", "-p", "SELCOR=1"]
    proc = subprocess.Popen(
        [*exe, "preview", "--db", str(dbfile), *args, "--page-size", "10000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"Preview for user ADMIN")
    proc.stdout.close()  # the reader goes away with most of the page unread
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 0
    assert err == ""
