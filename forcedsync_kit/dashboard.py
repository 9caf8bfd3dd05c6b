"""Serve the Voila dashboard (``forcedsync dashboard``, ``make dashboard``).

Voila reads ``voila.json`` from its working directory and serves the files under it,
so it is started in a writable runtime folder that ``launch`` prepares: a copy of the
package's ``resources/dashboards/`` notebook and ``voila.json`` (package data, found
with ``importlib.resources``; the repository's ``dashboards/`` links to it). The
kernels run there too, and the dashboard's Download writes its files under it
(``fsk-exports/``), which an installed wheel's read-only package folder would refuse.
The
database URL reaches the kernel through the environment (``FORCEDSYNC_DB_URL``),
and so does where each browser session takes its login (``FORCEDSYNC_IDENTITY``,
SPEC §7): a request header set by an authenticating proxy, the JupyterHub user of a
single-user server, or, on a loopback address only, one fixed operator. The page
uses the ``forcedsync`` template found under ``dashboards/jupyter`` (put on
``JUPYTER_PATH``): Voila's lab template with its two Font Awesome links to a CDN
removed, since the icons are bundled already and a dashboard on an intranet must
not wait for the internet. Serving needs the [ui] extra (Voila, the widgets).
"""

from __future__ import annotations

import atexit
import ipaddress
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from . import kernel, resources
from .db import resolve_url
from .errors import ServeError, UserResolutionError
from .folderdb import folder_environment
from .identity import IDENTITY_VARIABLE, check_login

logger = logging.getLogger(__name__)

#: The dashboard notebook, relative to ``resources.dashboards_dir()``.
NOTEBOOK = "dashboard.ipynb"
#: The Voila template served (dashboards/jupyter/voila/templates/forcedsync).
TEMPLATE = "forcedsync"
#: The packaged files copied into the runtime folder Voila runs in.
RUNTIME_FILES = (NOTEBOOK, "voila.json")
DEFAULT_PORT = 8866


#: The demo's authorised operator (AUTILIS.LOGIN of ADMIN in the demo folder).
DEMO_LOGIN = "a.martin"
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")


def is_loopback(host: str) -> bool:
    """True when ``host`` is reachable from this machine only (127.0.0.1, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def identity_setting(
    host: str = "127.0.0.1",
    *,
    header: str | None = None,
    operator: str | None = None,
    demo: bool = False,
    env: Mapping[str, str] | None = None,
) -> str | None:
    """Where each browser session takes its login (``FORCEDSYNC_IDENTITY``).

    ``header:NAME`` (a request header set by an authenticating proxy),
    ``operator:LOGIN`` or ``demo:a.martin`` (one person on a loopback address), or
    ``None``: the kernel
    reads JUPYTERHUB_USER (a JupyterHub single-user server), else FORCEDSYNC_USER.

    Raises:
        ServeError: several sources, a bad header name or login, a fixed operator on a
            non-loopback address, or a non-loopback address without any source.
    """
    environ = os.environ if env is None else env
    given = [
        n
        for n, v in (
            ("--identity-header", header),
            ("--operator", operator),
            ("--demo", demo),
        )
        if v
    ]
    if len(given) > 1:
        raise ServeError(f"Give one identity source, not {' and '.join(given)}.")
    if header:
        if not _HEADER_NAME.match(header):
            raise ServeError(
                f"--identity-header {header!r} is not an HTTP header name."
            )
        return f"header:{header}"
    if operator or demo:
        if not is_loopback(host):
            raise ServeError(
                f"{given[0]} makes every browser act as one person, so it is allowed "
                f"only on a loopback --host (127.0.0.1), not {host!r}."
            )
        login = DEMO_LOGIN if demo else str(operator)
        try:
            check_login(login, "--operator")
        except UserResolutionError as exc:
            raise ServeError(str(exc)) from exc
        return f"{'demo' if demo else 'operator'}:{login}"
    if not is_loopback(host) and not (environ.get("JUPYTERHUB_USER") or "").strip():
        raise ServeError(
            f"--host {host} is reachable from other machines but no identity source is "
            f"given: add --identity-header NAME behind an authenticating proxy, or "
            f"serve from a JupyterHub single-user server."
        )
    return None


def command(
    port: int = DEFAULT_PORT,
    *,
    open_browser: bool = False,
    host: str = "127.0.0.1",
    base_url: str | None = None,
    header: str | None = None,
) -> list[str]:
    """The Voila command line serving the dashboard on ``host``:``port``."""
    cmd = [
        sys.executable,
        "-m",
        "voila",
        NOTEBOOK,
        f"--Voila.ip={host}",
        f"--Voila.port={int(port)}",
        "--Voila.port_retries=0",
        f"--template={TEMPLATE}",
    ]
    if base_url:
        cmd.append(f"--Voila.base_url=/{base_url.strip('/')}/".replace("//", "/"))
    if header:
        cmd.append(f"--VoilaConfiguration.http_header_envs={[header]!r}")
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def environment(
    db_url: str | None = None,
    base: Mapping[str, str] | None = None,
    *,
    identity: str | None = None,
    host: str = "127.0.0.1",
) -> dict[str, str]:
    """The environment of the Voila process: database URL, template path, identity.

    A relative DuckDB path is resolved here, as Voila runs in another directory. The
    server's environment never names the person at a browser: with an identity source
    given, FORCEDSYNC_USER and JUPYTERHUB_USER are dropped, and no ``HTTP_*`` variable
    is passed on (Voila adds the request's header to each kernel).
    """
    env = dict(os.environ if base is None else base)
    url = resolve_url(db_url or env.get("FORCEDSYNC_DB_URL") or None)
    env["FORCEDSYNC_DB_URL"] = url.render_as_string(hide_password=False)
    extra = str(resources.dashboards_dir() / "jupyter")
    old = env.get("JUPYTER_PATH")
    env["JUPYTER_PATH"] = extra + (os.pathsep + old if old else "")
    for name in [n for n in env if n.startswith("HTTP_")]:
        del env[name]
    env.pop(IDENTITY_VARIABLE, None)
    if identity is not None:
        env[IDENTITY_VARIABLE] = identity
        env.pop("FORCEDSYNC_USER", None)
        env.pop("JUPYTERHUB_USER", None)
    # A preheated kernel asks Voila for its request at this address.
    wildcard = host.strip("[]") in ("", "0.0.0.0", "::")
    env["VOILA_APP_IP"] = "127.0.0.1" if wildcard else host
    env.update(folder_environment())  # --x3-folder, --mapping, --toolkit-schema
    return env


def runtime_folder(parent: Path | None = None) -> Path:
    """A new writable folder for Voila: the dashboard notebook and ``voila.json``.

    It is created under ``parent`` (default: the system's temporary folder), private
    to this user, and removed when this process exits; the exports of the sessions
    it serves are written under it.

    Raises:
        BackendError: the packaged dashboards folder is missing.
    """
    source = resources.dashboards_dir()
    folder = Path(tempfile.mkdtemp(prefix="forcedsync-dashboard-", dir=parent))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for name in RUNTIME_FILES:
        shutil.copyfile(source / name, folder / name)
    return folder


def launch(
    db_url: str | None = None,
    port: int = DEFAULT_PORT,
    *,
    open_browser: bool = False,
    env: Mapping[str, str] | None = None,
    stdout: IO[Any] | int | None = None,
    host: str = "127.0.0.1",
    base_url: str | None = None,
    identity: str | None = None,
    workdir: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start Voila on the dashboard and return the process (the caller stops it).

    Args:
        db_url: database URL or DuckDB path; default ``FORCEDSYNC_DB_URL``, then
            ``./forcedsync.duckdb``.
        port: TCP port (no retry on another port).
        open_browser: let Voila open a web browser.
        env: base environment (default ``os.environ``), e.g. with ``FORCEDSYNC_USER``.
        stdout: where Voila's output goes (default: inherited); stderr follows it.
        host: the address Voila listens on.
        base_url: the path prefix Voila serves under (behind a proxy).
        identity: from ``identity_setting`` (checked there, not here).
        workdir: the folder Voila runs and writes exports in (default: a new
            ``runtime_folder()``, removed when this process exits).

    Raises:
        BackendError: the [ui] extra or the packaged dashboards folder is missing.
    """
    kernel.require("ui", "forcedsync dashboard")
    folder = workdir if workdir is not None else runtime_folder()
    kind, _, value = (identity or "").partition(":")
    header = value if kind == "header" else None
    return subprocess.Popen(
        command(
            port, open_browser=open_browser, host=host, base_url=base_url, header=header
        ),
        cwd=folder,
        env=environment(db_url, env, identity=identity, host=host),
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout is not None else None,
    )


def serve(
    db_url: str | None = None,
    port: int = DEFAULT_PORT,
    open_browser: bool = False,
    *,
    host: str = "127.0.0.1",
    base_url: str | None = None,
    header: str | None = None,
    operator: str | None = None,
    demo: bool = False,
) -> int:
    """Serve the dashboard until Voila stops or Ctrl-C; print its address first.

    Args:
        db_url: database URL or DuckDB path; default ``FORCEDSYNC_DB_URL``, then
            ``./forcedsync.duckdb``.
        port: TCP port.
        open_browser: let Voila open a web browser.
        host: the address to listen on (default loopback only).
        base_url: the path prefix, e.g. ``/forcedsync/`` behind a proxy.
        header: the request header an authenticating proxy sets to the login.
        operator: the one person served (loopback only).
        demo: serve the demo's authorised operator (loopback only).

    Returns:
        Voila's exit code (0 after Ctrl-C).

    Raises:
        ServeError: the address and identity sources do not fit (before starting).
        BackendError: the [ui] extra or the packaged dashboards folder is missing.
    """
    kernel.require("ui", "forcedsync dashboard")
    identity = identity_setting(host, header=header, operator=operator, demo=demo)
    proc = launch(
        db_url,
        port,
        open_browser=open_browser,
        host=host,
        base_url=base_url,
        identity=identity,
    )
    prefix = f"/{base_url.strip('/')}/" if base_url and base_url.strip("/") else "/"
    print(f"forcedsync dashboard: http://{host}:{port}{prefix}", flush=True)
    try:
        # A service manager stops with SIGTERM: stop Voila too, as on Ctrl-C.
        signal.signal(signal.SIGTERM, _interrupt)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 0


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM handler of ``serve``: leave through its Ctrl-C path."""
    raise KeyboardInterrupt
