"""The built wheel, installed as a user would: non-editable, in a fresh venv, elsewhere.

One test, in order (a second venv would double the install time): build the wheel
from a copy of this checkout, install it core-only with ``-c constraints.txt`` in a
virtual environment under a temporary folder, and run ``demo``, ``preview`` and
``force`` from another temporary folder with no Jupyter package importable; then
add ``[jobs]`` (what a scheduled worker needs) to the same venv, install the named
kernel and run ``forcedsync job`` (preview, then commit); then add ``[ui]`` and serve
``forcedsync dashboard``. pip uses the machine's configuration and cache, as ``make
install`` does.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
import pytest
from browser_helpers import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"
JUPYTER = ("ipywidgets", "voila", "papermill", "ipykernel", "jupyterlab")
CRITERIA = ["-p", "SELTSK=1"]
R_ROWS = (
    "select count(*) from syncdata "
    "where sydatttyp = 'R' and sydusr = 'ADMIN' and sydtyp = 'TSK'"
)
#: The environment of the installed tool: nothing of this checkout or session.
DROP = ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "JUPYTERHUB_USER", "PYTHONHOME")


def clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if k not in DROP and not k.startswith("FORCEDSYNC_")
    }


def run(
    cmd: list[str], cwd: Path, timeout: float = 300, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        cmd, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout
    )
    if check:
        assert proc.returncode == 0, (cmd, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


def build_wheel(tmp: Path) -> Path:
    """``pip wheel --no-deps`` of a copy of the checkout (the build writes build/)."""
    src = tmp / "src"
    ignore = shutil.ignore_patterns(
        ".venv",
        ".git",
        "*.duckdb",
        ".nbval",
        "build",
        "*.egg-info",
        "__pycache__",
        ".*_cache",
        "out",
    )
    shutil.copytree(ROOT, src, symlinks=True, ignore=ignore)
    dist = tmp / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(src)],
        cwd=tmp,
    )
    wheels = list(dist.glob("forcedsync-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def pip_install(venv: Path, requirement: str, cwd: Path) -> None:
    """Install with the constraints file and pip's configuration, as make does."""
    run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",  # the same files, without byte-compiling them all first
            "-c",
            str(CONSTRAINTS),
            requirement,
        ],
        cwd=cwd,
        timeout=900,
    )


def r_rows(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(R_ROWS).fetchone()
    assert row is not None
    return int(row[0])


def importable(venv: Path, work: Path, modules: tuple[str, ...]) -> list[str]:
    """The ``modules`` the venv's Python finds."""
    probe = (
        "import importlib.util as u, sys; "
        "print(','.join(m for m in sys.argv[1:] if u.find_spec(m)))"
    )
    python = str(venv / "bin" / "python")
    out = run([python, "-c", probe, *modules], cwd=work).stdout.strip()
    return out.split(",") if out else []


def check_core(venv: Path, work: Path) -> None:
    """demo, preview and force with only the core installed; extras refused."""
    fsync = str(venv / "bin" / "forcedsync")
    python = str(venv / "bin" / "python")
    where = run(
        [python, "-c", "import forcedsync_kit; print(forcedsync_kit.__file__)"],
        cwd=work,
    ).stdout.strip()
    assert where.startswith(str(venv)), where  # the installed copy, not the checkout
    assert importable(venv, work, (*JUPYTER, "psycopg")) == []
    db = work / "demo.duckdb"
    run([fsync, "demo", "--db", str(db)], cwd=work)
    preview = json.loads(
        run(
            [
                fsync,
                "preview",
                "--db",
                "demo.duckdb",
                "--operator",
                "ADMIN",
                *CRITERIA,
                "--json",
                "--page-size",
                "1",
            ],
            cwd=work,
        ).stdout
    )
    to_write = sum(c["insert"] + c["supersede"] for c in preview["counts"].values())
    assert to_write > 0
    before = r_rows(db)
    forced = run(
        [
            fsync,
            "force",
            "--db",
            "demo.duckdb",
            "--operator",
            "ADMIN",
            *CRITERIA,
            "--yes",
        ],
        cwd=work,
    )
    assert f"{to_write} record(s) marked R" in forced.stdout.replace(",", "")
    after = r_rows(db)
    assert after > before and after >= to_write
    for args, extra in (
        (["dashboard", "--db", "demo.duckdb", "--demo"], "ui"),
        (["job", "--db", "demo.duckdb", "--output", "o", *CRITERIA], "jobs"),
        (["kernel", "install"], "jobs"),
    ):
        proc = run([fsync, *args], cwd=work, check=False)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 1 and len(lines) == 1, (args, proc.stderr)
        assert f"install forcedsync[{extra}]" in lines[0]
    assert r_rows(db) == after and not (work / "o").exists()


def check_job(venv: Path, work: Path) -> None:
    """The named kernel, then ``forcedsync job`` preview and commit."""
    fsync = str(venv / "bin" / "forcedsync")
    run([fsync, "kernel", "install", "--sys-prefix"], cwd=work)
    spec = venv / "share" / "jupyter" / "kernels" / "forcedsync" / "kernel.json"
    assert json.loads(spec.read_text())["argv"][0] == str(venv / "bin" / "python")
    db = work / "job.duckdb"
    run([fsync, "demo", "--db", str(db)], cwd=work)
    before = r_rows(db)
    base = [
        fsync,
        "job",
        "--db",
        "job.duckdb",
        "--operator",
        "ADMIN",
        *CRITERIA,
        "--timeout",
        "300",
    ]
    run([*base, "--output", "preview"], cwd=work)
    seen = json.loads((work / "preview" / "summary.json").read_text())
    assert seen["commit"] is False and seen["to_write"] > 0
    assert r_rows(db) == before
    run([*base, "--commit", "--output", "commit"], cwd=work)
    done = json.loads((work / "commit" / "summary.json").read_text())
    assert done["commit"] is True and done["written"] == seen["to_write"]
    assert r_rows(db) > before and (work / "commit" / "job.ipynb").is_file()


def serves_dashboard(cmd: list[str], path: str, work: Path, **env: str) -> None:
    """Start ``cmd`` (a server on ``PORT``), GET ``path``: 200 with the notebook."""
    port = free_port()
    proc = subprocess.Popen(
        [a.replace("PORT", str(port)) for a in cmd],
        cwd=work,
        env={**clean_env(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the server, Voila and kernels: one group
    )
    try:
        deadline, body, status = time.monotonic() + 180, "", 0
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}{path}"
                with urllib.request.urlopen(url, timeout=120) as r:
                    status, body = r.status, r.read().decode("utf-8", "replace")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(1)
        assert status == 200, (cmd, proc.poll())
        assert "Forced synchronization (FUNSYD6)" in body  # the packaged notebook
        assert "error when executing" not in body  # Voila's line for a failed cell
        proc.terminate()  # as a service manager stops it: Voila and kernels follow
        proc.wait(timeout=60)
        assert group_ends(proc.pid, 60), "processes left after SIGTERM"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def group_ends(pgid: int, seconds: float) -> bool:
    """True once no process of the group ``pgid`` is left (within ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.5)
    return False


def check_dashboard(venv: Path, work: Path) -> None:
    """``forcedsync dashboard --demo``, then Voila as a Jupyter server extension."""
    fsync = str(venv / "bin" / "forcedsync")
    serves_dashboard(
        [fsync, "dashboard", "--db", "demo.duckdb", "--demo", "--port", "PORT"],
        "/",
        work,
    )
    # JupyterHub's way: the person's Jupyter server renders a copy of the notebook.
    python = str(venv / "bin" / "python")
    code = "from forcedsync_kit import resources; print(resources.dashboards_dir())"
    folder = Path(run([python, "-c", code], cwd=work).stdout.strip())
    shutil.copy(folder / "dashboard.ipynb", work / "forcedsync.ipynb")
    serves_dashboard(
        [str(venv / "bin" / "jupyter"), "server", "--no-browser", "--port", "PORT",
         "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--allow-root",
         f"--ServerApp.root_dir={work}"],
        "/voila/render/forcedsync.ipynb",
        work,
        FORCEDSYNC_DB_URL=str(work / "demo.duckdb"),
        JUPYTERHUB_USER="a.martin",
    )  # fmt: skip


def test_wheel_installs_core_then_ui_and_jobs(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tmp = tmp_path_factory.mktemp("wheel")
    assert not tmp.is_relative_to(ROOT)
    times = Timer()
    wheel = build_wheel(tmp)
    times.lap("build the wheel")
    venv, work = tmp / "venv", tmp / "work"
    work.mkdir()
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp)
    pip_install(venv, str(wheel), work)
    times.lap("venv + core install")
    check_core(venv, work)
    times.lap("core: demo, preview, force")
    pip_install(venv, f"{wheel}[jobs]", work)
    times.lap("[jobs] install")
    assert importable(venv, work, ("voila", "ipywidgets")) == []  # [jobs] alone
    check_job(venv, work)
    times.lap("kernel install, job preview + commit")
    pip_install(venv, f"{wheel}[ui,jobs]", work)
    times.lap("[ui,jobs] install")
    check_dashboard(venv, work)
    times.lap("dashboard served")
    print("\n" + "; ".join(times.laps))


class Timer:
    """Seconds per step, printed with ``-s`` (the figures in the report)."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.laps: list[str] = []

    def lap(self, what: str) -> None:
        now = time.monotonic()
        self.laps.append(f"{what} {now - self.start:.0f} s")
        self.start = now
