"""``execute_job``: run the job notebook with papermill (``forcedsync job``)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import URL, make_url

from .. import db, errors, kernel, outputs, resources
from ..criteria import PARAMETERS
from ..errors import ForcedSyncError
from ..folderdb import folder_environment
from .common import (
    JOB_KERNEL,
    NOTEBOOK_FILE,
    PREVIEW_LOG_FILE,
    SUMMARY_FILE,
    JobError,
    text_or_none,
)


@dataclass(frozen=True, slots=True)
class JobOutput:
    """The files ``execute_job`` left in its output directory, and the summary."""

    notebook: Path
    summary_file: Path
    summary: Mapping[str, Any]
    log: Path | None


def error_class(ename: str) -> type[ForcedSyncError] | None:
    """The toolkit's exception class of that name, if it is one."""
    cls = getattr(errors, ename, None) or (JobError if ename == "JobError" else None)
    if isinstance(cls, type) and issubclass(cls, ForcedSyncError):
        return cls
    return None


def error_message(ename: str, evalue: str) -> str:
    """One line for an error raised in the notebook: the toolkit's own message as is,
    any other exception prefixed with its type."""
    text = (evalue or "").strip()
    if error_class(ename) is not None:
        return text.splitlines()[0] if text else ename
    first = text.splitlines()[0] if text else ""
    return f"{ename}: {first}" if first else ename


def has_password(url: str) -> bool:
    """True when ``url`` is a database URL with a password."""
    try:
        return bool(make_url(url).password)
    except Exception:  # not a URL: the kernel will say so
        return False


@contextlib.contextmanager
def kernel_env(name: str, value: str | None) -> Iterator[None]:
    """Set an environment variable for the kernel papermill starts, then restore it.

    A URL with a password goes to the kernel this way, never as a parameter: the
    parameters are written into the executed notebook, which is kept as an artifact.
    """
    if value is None:
        yield
        return
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _kernel_url(db_url: str | None) -> tuple[str | None, str | None]:
    """(the DB_URL parameter, the URL passed through the environment instead)."""
    url = text_or_none(db_url)
    if url is not None and "://" not in url:
        url = str(Path(url).expanduser().resolve())
    if url is not None and has_password(url):
        return None, url  # the kernel reads it from FORCEDSYNC_DB_URL
    return url, None


def _quiet_kernels(stderr: IO[bytes]) -> type[Any]:
    """A kernel manager whose kernels write their stderr to ``stderr``.

    The kernel's own process inherits this process's stderr otherwise, which then
    carries, besides the one-line error, whatever the kernel's C libraries print as it
    exits (libzmq's ``Assertion failed: pfd.revents & POLLIN`` on a shutdown race).
    """
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            kw["stderr"] = stderr
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return QuietKernelManager


def _first_line(stream: IO[bytes]) -> str:
    """The first line the kernel wrote to its stderr (a fatal error's), or ""."""
    stream.seek(0)
    lines = stream.read(4096).decode("utf-8", "replace").strip().splitlines()
    return lines[0].strip() if lines else ""


def run_notebook(
    source: Path,
    target: Path,
    parameters: dict[str, Any],
    timeout: float | None = None,
    **kwargs: Any,
) -> None:
    with tempfile.TemporaryFile() as stderr:
        _run_papermill(source, target, parameters, stderr, timeout, **kwargs)


def _run_papermill(
    source: Path,
    target: Path,
    parameters: dict[str, Any],
    stderr: IO[bytes],
    timeout: float | None = None,
    **kwargs: Any,
) -> None:
    import papermill as pm  # local: the kernel side never needs papermill

    try:
        pm.execute_notebook(
            str(source),
            str(target),
            parameters=parameters,
            progress_bar=False,
            log_output=False,
            # The kernel's stderr goes to ``stderr``, whose first line an error quotes:
            # the kernel's own log (ipykernel's warning about unencrypted TCP, the
            # "KeyboardInterrupt caught" of the shutdown after a failed cell) would
            # come before a fatal error's line there.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            execution_timeout=timeout,
            kernel_manager_class=_quiet_kernels(stderr),
            **kwargs,
        )
    except pm.PapermillExecutionError as exc:
        raise JobError(
            error_message(exc.ename, exc.evalue), target, exc.ename
        ) from None
    except TimeoutError as exc:  # nbclient's CellTimeoutError: the kernel is stopped
        raise JobError(
            f"A cell of the job notebook ran longer than --timeout {timeout:g} s and "
            f"was stopped; what it did not commit was rolled back.",
            target if target.exists() else None,
            type(exc).__name__,
        ) from None
    except Exception as exc:  # kernel missing or dead, unreadable notebook...
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        said = _first_line(stderr)
        raise JobError(
            f"The job notebook could not be run: {first}"
            + (f" (the kernel said: {said})" if said else ""),
            target if target.exists() else None,
            type(exc).__name__,
        ) from None


def _read_summary(summary_file: Path, target: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(summary_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise JobError(
            f"The job notebook ran but wrote no readable {SUMMARY_FILE}: {exc}.",
            target,
        ) from None
    return data


def check_outputs(output_dir: str | Path, db_url: str | None) -> None:
    """Refuse, before the kernel starts, an output folder whose files could not be
    written (the database itself, a FIFO, a folder, read-only).

    Raises:
        OutputPathError: naming the folder or the file.
    """
    try:
        database: URL | None = db.resolve_url(db_url)
    except Exception:  # a bad URL: the kernel says so in its own words
        database = None
    names = (NOTEBOOK_FILE, SUMMARY_FILE, PREVIEW_LOG_FILE)
    outputs.check_output_dir(output_dir, names, database, option="--output")


def execute_job(
    params: Mapping[str, Any],
    *,
    output_dir: str | Path,
    db_url: str | None = None,
    operator: str | None = None,
    commit: bool = False,
    now: str | None = None,
    notebook: str | Path | None = None,
    kernel_name: str | None = None,
    timeout: float | None = None,
    export: str | None = None,
    expect: str | None = None,
) -> JobOutput:
    """Run the job notebook with papermill, keeping the executed one as ``job.ipynb``.

    The notebook runs in a kernel of this Python environment; this process never opens
    the database, so it holds no DuckDB lock. Every criterion is passed, None when not
    in ``params``: the job means exactly what 'forcedsync force' means with the same
    criteria, not the notebook's defaults. A URL with a password reaches the kernel
    through FORCEDSYNC_DB_URL, so that the executed notebook never shows it; a
    relative DuckDB path is taken from the current directory. The notebook is the
    one shipped in the package unless ``notebook`` names another; it runs on the
    Jupyter kernel ``kernel_name`` (default ``forcedsync``), and ``timeout`` stops
    any cell running longer (seconds; None: no limit). ``export`` (csv, parquet) and
    ``expect`` (a preview's token) become the notebook's EXPORT and EXPECT.

    Raises:
        JobError: the notebook raised (the message is the library's, e.g. a
            refusal), a cell ran past ``timeout``, or it could not be run;
            ``notebook`` is set when it was written.
        BackendError: the [jobs] extra is missing.
    """
    kernel.require("jobs", "forcedsync job")
    name = text_or_none(kernel_name) or JOB_KERNEL
    if not kernel.kernel_exists(name):
        hint = (
            "run 'forcedsync kernel install' first, or pass --kernel NAME"
            if name == JOB_KERNEL
            else "'jupyter kernelspec list' shows those that are"
        )
        raise JobError(f"The Jupyter kernel {name!r} is not installed: {hint}.")
    if notebook is not None and not Path(notebook).is_file():
        raise JobError(f"The job notebook {str(notebook)!r} is missing.")
    check_outputs(output_dir, db_url)
    own = {"EXPORT": text_or_none(export), "EXPECT": text_or_none(expect)}
    params = {**params, **{k: v for k, v in own.items() if v is not None}}
    with contextlib.ExitStack() as stack:
        source = (
            Path(notebook)
            if notebook is not None
            else stack.enter_context(resources.job_notebook())
        )
        return _execute(
            source, params, output_dir, db_url, operator, commit, now, name, timeout
        )


def _execute(
    source: Path,
    params: Mapping[str, Any],
    output_dir: str | Path,
    db_url: str | None,
    operator: str | None,
    commit: bool,
    now: str | None,
    kernel_name: str,
    timeout: float | None,
) -> JobOutput:
    """``execute_job`` once the kernel and the notebook file are known."""
    out = Path(output_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    summary_file = out / SUMMARY_FILE
    summary_file.unlink(missing_ok=True)
    target = out / NOTEBOOK_FILE
    url, secret_url = _kernel_url(db_url)
    parameters: dict[str, Any] = {name.upper(): None for name in PARAMETERS}
    parameters.update(params)
    parameters.update(
        DB_URL=url,
        OPERATOR=text_or_none(operator),
        COMMIT=bool(commit),
        OUTPUT_DIR=str(out),
        NOW=text_or_none(now),
    )
    with contextlib.ExitStack() as stack:
        for name, value in folder_environment().items():  # --x3-folder etc.
            stack.enter_context(kernel_env(name, value))
        stack.enter_context(kernel_env("FORCEDSYNC_DB_URL", secret_url))
        run_notebook(source, target, parameters, timeout, kernel_name=kernel_name)
    summary = _read_summary(summary_file, target)
    log = out / summary["log"] if summary.get("log") else None
    return JobOutput(target, summary_file, summary, log)
