"""present.py: the text, JSON and CSV renderings of counts, records and runs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from forcedsync_kit import present
from forcedsync_kit.criteria import Criteria
from forcedsync_kit.results import PreviewResult, RecordRow, RunContext, RunInfo

BIG = {
    "TSK": {"insert": 1_028_571, "supersede": 3, "already": 0, "skip": 12_000},
    "COR": {"insert": 2},
}
SMALL = {"TSK": {"insert": 2, "supersede": 1, "already": 0, "skip": 4}}
T0 = dt.datetime(2026, 11, 29, 12, 0, 0)


def _preview(counts: dict[str, dict[str, int]]) -> PreviewResult:
    ctx = RunContext("ADMIN", "ADMIN", "FR10", 1, "R1")
    row = RecordRow("TSK", "T1", "insert", True, ("a", "b"), "Call back")
    return PreviewResult(
        ctx,
        Criteria.from_params({"SELTSK": 1}),
        T0,
        counts,
        {"TSK": 1_500},
        (),
        (row,),
        1,
        1,
        50,
    )


def test_small_counts_keep_the_historical_layout() -> None:
    assert present.counts_table(SMALL) == [
        "type    insert  supersede  already   skip",
        "COR          0          0        0      0",
        "TSK          2          1        0      4",
        "CLL          0          0        0      0",
        "BAP          0          0        0      0",
    ]


def test_text_groups_thousands_and_stays_aligned() -> None:
    lines = present.counts_table(BIG, {"TSK": 1_500})
    assert lines[0].split() == [
        "type",
        "insert",
        "supersede",
        "already",
        "skip",
        "out",
        "of",
        "phase",
    ]
    tsk = next(line for line in lines if line.startswith("TSK"))
    assert tsk.split() == ["TSK", "1,028,571", "3", "0", "12,000", "1,500"]
    assert "1028571" not in "\n".join(lines)
    # every right-aligned column ends where its header ends
    for name in ("insert", "supersede", "already", "skip", "out of phase"):
        end = lines[0].index(name) + len(name)
        for line in lines[1:]:
            assert line[end - 1] != " " and (len(line) == end or line[end] == " ")


def test_log_style_counts_block() -> None:
    lines = present.counts_table(BIG, style="log")
    assert lines[0] == "Counts:  type     insert  supersede  already    skip"
    assert lines[2] == "         TSK   1,028,571          3        0  12,000"
    assert all(line.startswith(" " * 9) for line in lines[1:])


def test_json_keeps_plain_integers() -> None:
    text = present.to_json(_preview(BIG))
    data = json.loads(text)
    assert data["counts"]["TSK"]["insert"] == 1_028_571
    assert data["out_of_phase"] == {"TSK": 1_500}
    assert "1,028,571" not in text
    assert json.loads(present.to_json([_preview(SMALL)]))[0]["counts"] == SMALL


def test_counts_csv_has_plain_integers_and_every_type() -> None:
    rows = list(csv.reader(io.StringIO(present.counts_csv(BIG, {"TSK": 1_500}))))
    assert rows[0] == ["type", "insert", "supersede", "already", "skip", "out_of_phase"]
    assert rows[2] == ["TSK", "1028571", "3", "0", "12000", "1500"]
    assert [r[0] for r in rows[1:]] == ["COR", "TSK", "CLL", "BAP"]


def test_records_text_line_and_csv() -> None:
    rows = [
        RecordRow("TSK", "T1", "insert", True, ("a", "b"), "x" * 40),
        RecordRow("COR", "K1", "already", False, ()),
    ]
    table = present.records_table(rows)
    assert table[0].split() == [
        "type",
        "key",
        "outcome",
        "oop",
        "description",
        "reasons",
    ]
    assert table[1].startswith(
        "TSK  T1              insert     yes  " + "x" * 30 + "  a | b"
    )
    assert "x" * 31 not in table[1]
    assert present.record_line(rows[0]) == "TSK\tT1\tinsert\ta | b"
    assert present.record_line(rows[1]) == "COR\tK1\talready\t-"
    parsed = list(csv.DictReader(io.StringIO(present.records_csv(rows))))
    assert parsed[0]["SYDKEY"] == "T1" and parsed[0]["out_of_phase"] == "1"
    assert parsed[1]["reasons"] == "" and parsed[1]["description"] == ""


def _runs() -> list[RunInfo]:
    force = RunInfo(
        "a" * 32,
        "FORCE",
        "ADMIN",
        "SALES1",
        "FR10",
        T0,
        T0,
        T0,
        "UNDONE",
        counts={"TSK": {"insert": 12_345, "supersede": 1}},
        undo_run_id="b" * 32,
    )
    undo = RunInfo(
        "b" * 32,
        "UNDO",
        "ADMIN",
        "SALES1",
        "FR10",
        T0,
        T0,
        T0,
        "DONE",
        target_run_id="a" * 32,
    )
    return [undo, force]


def test_runs_table_groups_written_and_names_the_undo() -> None:
    lines = present.runs_table(_runs())
    assert lines[0].startswith("run") and "written" in lines[0]
    assert lines[1].endswith(f"DONE   undo of {'a' * 32}")
    assert "12,346" in lines[2] and lines[2].endswith(f"undone by {'b' * 32}")
    assert lines[2].index("12,346") + len("12,346") == lines[0].index("written") + len(
        "written"
    )


def test_runs_csv() -> None:
    rows = list(csv.DictReader(io.StringIO(present.runs_csv(_runs()))))
    assert [r["kind"] for r in rows] == ["UNDO", "FORCE"]
    assert rows[0]["written"] == "" and rows[1]["written"] == "12346"
    assert rows[1]["started"] == T0.isoformat()


def test_action_table_of_sync() -> None:
    lines = present.action_table(
        {"TSK": {"C": 1_200, "R": 1}}, ["C", "M", "R"], {"TSK": ("T1",)}, {}
    )
    assert lines == [
        "type      C     M     R  items  deletions",
        "TSK   1,200     0     1      1          0",
    ]


def test_number() -> None:
    assert present.number(1_028_571) == "1,028,571"
    assert present.number(12) == "12"
    assert present.number(None) == ""
    assert present.number("T-1000") == "T-1000"
