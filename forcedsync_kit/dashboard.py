"""Serve the Voila dashboard (``forcedsync dashboard``, ``make dashboard``).

Voila reads ``voila.json`` from its working directory, so it is started in the
repository's ``dashboards/`` folder. The database URL and the operator reach the kernel
through the environment (``FORCEDSYNC_DB_URL``, ``FORCEDSYNC_USER``). The page uses the
``forcedsync`` template found under ``dashboards/jupyter`` (put on ``JUPYTER_PATH``):
Voila's lab template with its two Font Awesome links to a CDN removed, since the icons
are bundled already and a dashboard on an intranet must not wait for the internet.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from .db import resolve_url
from .errors import BackendError

logger = logging.getLogger(__name__)

#: The folder of the dashboard notebook and voila.json (the repository's dashboards/).
DASHBOARDS = Path(__file__).resolve().parent.parent / "dashboards"
#: The dashboard notebook, relative to ``DASHBOARDS``.
NOTEBOOK = "dashboard.ipynb"
#: The Voila template served (dashboards/jupyter/voila/templates/forcedsync).
TEMPLATE = "forcedsync"
DEFAULT_PORT = 8866


def command(port: int = DEFAULT_PORT, *, open_browser: bool = False) -> list[str]:
    """The Voila command line serving the dashboard on 127.0.0.1:``port``."""
    cmd = [
        sys.executable,
        "-m",
        "voila",
        NOTEBOOK,
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={int(port)}",
        "--Voila.port_retries=0",
        f"--template={TEMPLATE}",
    ]
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def environment(
    db_url: str | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of the Voila process: database URL, template path.

    A relative DuckDB path is resolved here, as Voila runs in another directory.
    """
    env = dict(os.environ if base is None else base)
    url = resolve_url(db_url or env.get("FORCEDSYNC_DB_URL") or None)
    env["FORCEDSYNC_DB_URL"] = url.render_as_string(hide_password=False)
    extra = str(DASHBOARDS / "jupyter")
    old = env.get("JUPYTER_PATH")
    env["JUPYTER_PATH"] = extra + (os.pathsep + old if old else "")
    return env


def launch(
    db_url: str | None = None,
    port: int = DEFAULT_PORT,
    *,
    open_browser: bool = False,
    env: Mapping[str, str] | None = None,
    stdout: IO[Any] | int | None = None,
) -> subprocess.Popen[bytes]:
    """Start Voila on the dashboard and return the process (the caller stops it).

    Args:
        db_url: database URL or DuckDB path; default ``FORCEDSYNC_DB_URL``, then
            ``./forcedsync.duckdb``.
        port: TCP port on 127.0.0.1 (no retry on another port).
        open_browser: let Voila open a web browser.
        env: base environment (default ``os.environ``), e.g. with ``FORCEDSYNC_USER``.
        stdout: where Voila's output goes (default: inherited); stderr follows it.

    Raises:
        BackendError: the dashboards folder is missing (not a source checkout).
    """
    if not (DASHBOARDS / NOTEBOOK).is_file():
        raise BackendError(
            f"The dashboard notebook {DASHBOARDS / NOTEBOOK} is missing: serve the "
            f"dashboard from a source checkout installed with 'pip install -e .'."
        )
    return subprocess.Popen(
        command(port, open_browser=open_browser),
        cwd=DASHBOARDS,
        env=environment(db_url, env),
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout is not None else None,
    )


def serve(
    db_url: str | None = None, port: int = DEFAULT_PORT, open_browser: bool = False
) -> int:
    """Serve the dashboard until Voila stops or Ctrl-C; print its address first.

    Args:
        db_url: database URL or DuckDB path; default ``FORCEDSYNC_DB_URL``, then
            ``./forcedsync.duckdb``.
        port: TCP port on 127.0.0.1.
        open_browser: let Voila open a web browser.

    Returns:
        Voila's exit code (0 after Ctrl-C).

    Raises:
        BackendError: the dashboards folder is missing.
    """
    proc = launch(db_url, port, open_browser=open_browser)
    print(f"forcedsync dashboard: http://127.0.0.1:{port}/", flush=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 0
