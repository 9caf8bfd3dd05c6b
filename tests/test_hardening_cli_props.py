"""Property: any Unicode text or bytes given to any parameter, option or parameters
file of ``preview``, ``force``, ``undo``, ``runs`` and ``log`` ends with exit 0, 1 or 2,
at most one ``Error:`` line and no traceback, and a command that did not succeed leaves
SYNCDATA and the run history as they were (issue 14, acceptance)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from builders import NOW, World, count, syncdata_rows
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forcedsync_kit import db, marking
from forcedsync_kit import schema as s
from forcedsync_kit.cli import cli as command
from forcedsync_kit.criteria import Criteria
from forcedsync_kit.fields import FIELDS

NAMES = [f.name for f in FIELDS]
DIGITS = "0123456789３٣۳³¹²_+-. WTZ:/\\\x00"
TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=DIGITS, max_size=25),
    st.text(min_size=300, max_size=3000),
)
#: Each fuzzed option and the commands that take it.
OPTIONS = {
    "--page": ("preview", "force"),
    "--page-size": ("preview", "force"),
    "--now": ("preview", "force"),
    "--operator": ("preview", "force", "undo"),
    "--log": ("force",),
    "--run": ("undo", "log"),
    "--out": ("log",),
    "--limit": ("runs",),
}
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


class Folder:
    """A database with a folder and one force run; its state before each command."""

    def __init__(self, engine: sa.Engine, url: str, tmp: Path) -> None:
        w = World(engine).base()
        for key in ("T1", "T2", "T3"):
            w.task(key)
        w.queue("TSK", "T2", "C")
        w.commit()
        self.engine, self.url, self.tmp = engine, url, tmp
        crit = Criteria(seltsk=True)
        self.run_id = marking.force(engine, crit, operator="ADMIN", now=NOW).run_id

    def state(self) -> tuple[object, ...]:
        e = self.engine
        return syncdata_rows(e), count(e, s.fsyrun)

    def base(self, cmd: str) -> list[str]:
        url = ["--db", self.url]
        return {
            "preview": ["preview", *url, "--operator", "ADMIN", "-p", "SELTSK=1",
                        "--now", NOW.isoformat()],
            "force": ["force", *url, "--operator", "ADMIN", "-p", "SELTSK=1",
                      "--now", NOW.isoformat(), "--yes"],
            "undo": ["undo", *url, "--operator", "ADMIN", "--run", self.run_id,
                     "--yes"],
            "runs": ["runs", *url],
            "log": ["log", *url, "--run", self.run_id],
        }[cmd]  # fmt: skip

    def path(self, text: str) -> str:
        """A path under the test's folder (never outside it: no '..', no root)."""
        return str(self.tmp / "out" / text.replace("..", "__").lstrip("/\\"))

    def invoke(self, args: list[str]) -> None:
        before = self.state()
        res = CliRunner().invoke(command, args)
        where = f"{args!r}: {res.exit_code} {res.output[-600:]!r}"
        assert res.exit_code in (0, 1, 2), where
        assert res.exception is None or isinstance(res.exception, SystemExit), where
        errors = [ln for ln in res.stderr.splitlines() if ln.startswith("Error:")]
        assert len(errors) <= 1 and "Traceback" not in res.output, where
        if res.exit_code != 0 or args[0] in ("preview", "runs", "log"):
            assert self.state() == before, where


@pytest.fixture
def fx(
    engine: sa.Engine, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Folder]:
    monkeypatch.chdir(tmp_path)  # a FLGTRCDET log lands here
    # One engine per URL for every command (opening DuckDB is most of a call's time).
    monkeypatch.setattr(db, "connect", functools.lru_cache(maxsize=None)(db.connect))
    (tmp_path / "out").mkdir()
    yield Folder(engine, backend, tmp_path)


@FUZZ
@given(data=st.data())
def test_any_text_in_any_criteria_parameter(fx: Folder, data: st.DataObject) -> None:
    cmd = data.draw(st.sampled_from(["preview", "force"]))
    name = data.draw(st.one_of(st.sampled_from(NAMES), st.text(max_size=12)))
    value = data.draw(TEXT)
    fx.invoke([*fx.base(cmd), "-p", f"{name}={value}"])


@FUZZ
@given(data=st.data())
def test_any_text_in_any_option(fx: Folder, data: st.DataObject) -> None:
    option = data.draw(st.sampled_from(sorted(OPTIONS)))
    cmd = data.draw(st.sampled_from(OPTIONS[option]))
    value = data.draw(TEXT)
    if option in ("--log", "--out"):
        value = fx.path(value)
    fx.invoke([*fx.base(cmd), option, value])


@FUZZ
@given(
    cmd=st.sampled_from(["preview", "force"]),
    content=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        st.lists(
            st.tuples(st.sampled_from(NAMES), st.text(alphabet=DIGITS, max_size=12)),
            max_size=4,
        ).map(lambda kv: "".join(f"{k}: '{v}'\n" for k, v in kv).encode()),
    ),
)
def test_any_bytes_as_a_params_file(fx: Folder, cmd: str, content: bytes) -> None:
    params = fx.tmp / "params.yaml"
    params.write_bytes(content)
    fx.invoke([*fx.base(cmd), "--params", str(params)])
