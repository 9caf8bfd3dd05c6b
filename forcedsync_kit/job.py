"""Headless scheduled runs: the logic behind the job notebook and ``forcedsync job``.

The job notebook (``notebooks/forced_sync_job.ipynb``) holds every SPEC §3 parameter
in its papermill ``parameters`` cell and calls two functions of this module:
``notebook_params`` collects the criteria from the notebook's namespace (refusing
unknown upper-case names, as papermill only warns about them) and ``run_job`` previews
or forces, then writes ``summary.json`` and, with FLGTRCDET, the detailed log into the
output directory. ``execute_job`` runs that notebook with papermill for the CLI.

Nothing here prints; failures are ``ForcedSyncError``s carrying one-line messages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from . import db, marking, runlog
from .criteria import OBJECT_TYPES, PARAMETERS, Criteria, read_params_file
from .errors import CriteriaError, ForcedSyncError
from .results import ForceResult, PreviewResult, RecordRow

logger = logging.getLogger(__name__)

#: The job notebook of a source checkout (the package is installed editable).
JOB_NOTEBOOK = (
    Path(__file__).resolve().parent.parent / "notebooks" / "forced_sync_job.ipynb"
)
#: The job's own parameters besides the criteria (papermill names).
JOB_PARAMETERS: tuple[str, ...] = ("DB_URL", "OPERATOR", "COMMIT", "OUTPUT_DIR", "NOW")
#: File names written into the output directory.
SUMMARY_FILE = "summary.json"
NOTEBOOK_FILE = "job.ipynb"
PREVIEW_LOG_FILE = "preview.log"
#: Records a preview log lists at most (one preview page); a commit logs them all.
PREVIEW_LOG_LIMIT = marking.MAX_PAGE_SIZE
#: Records kept on a ``JobResult`` for display.
SHOWN_RECORDS = 50

_CRITERIA_NAMES = frozenset(p.upper() for p in PARAMETERS)


class JobError(ForcedSyncError):
    """A job failed: its criteria were refused or its notebook raised.

    Attributes:
        notebook: the executed notebook (the error is visible in it), when written.
        error_type: the name of the exception raised inside the notebook.
    """

    def __init__(
        self, message: str, notebook: Path | None = None, error_type: str = ""
    ) -> None:
        super().__init__(message)
        self.notebook = notebook
        self.error_type = error_type


@dataclass(frozen=True, slots=True, repr=False)
class JobResult:
    """What one job did: a preview (nothing committed) or a committed run.

    Attributes:
        summary: the content of ``summary.json``.
        result: the library's preview or force result.
        records: the first records of the selection (preview) or of the run.
        files: the files written into the output directory.
    """

    summary: Mapping[str, Any]
    result: PreviewResult | ForceResult
    records: tuple[RecordRow, ...] = ()
    files: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def run_id(self) -> str | None:
        """The committed run's id; None for a preview."""
        value = self.summary.get("run_id")
        return str(value) if value else None

    @property
    def committed(self) -> bool:
        """True when the job forced records (COMMIT), False for a preview."""
        return bool(self.summary.get("commit"))

    def lines(self) -> list[str]:
        """The summary as plain text lines (counts table, warnings, files)."""
        s = self.summary
        if self.committed:
            head = f"Run {s['run_id']}: {s['written']} record(s) marked R."
        else:
            head = (
                f"Preview only, nothing committed: {s['to_write']} record(s) "
                f"would be marked R."
            )
        lines = [
            head,
            f"User {s['user']} (operator {s['operator']}, company {s['company']}, "
            f"rep {s['rep'] or '-'}), clock {s['now']}",
            f"{'type':<5}{'insert':>9}{'supersede':>11}{'already':>9}{'skip':>7}",
        ]
        for t in OBJECT_TYPES:
            c = s["counts"].get(str(t), {})
            lines.append(
                f"{t!s:<5}{c.get('insert', 0):>9}{c.get('supersede', 0):>11}"
                f"{c.get('already', 0):>9}{c.get('skip', 0):>7}"
            )
        lines += [f"Warning: {w}" for w in s["warnings"]]
        lines += [f"File: {p}" for p in self.files]
        return lines

    def record_lines(self) -> list[str]:
        """The first records, tab-separated: type, key, outcome, reasons."""
        return [
            f"{r.object_type}\t{r.record_key}\t{r.outcome}\t"
            f"{' | '.join(r.reasons) or '-'}"
            for r in self.records
        ]

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"JobResult(status={s.get('status')!r}, run_id={self.run_id!r}, "
            f"to_write={s.get('to_write')}, written={s.get('written')})"
        )

    def _repr_markdown_(self) -> str:
        body = self.lines()
        text = f"**{body[0]}**\n\n```\n" + "\n".join(body[1:]) + "\n```\n"
        if self.records:
            selected = int(self.summary.get("selected", 0))
            text += f"\nFirst {len(self.records)} of {selected} record(s):\n\n"
            text += "| type | key | outcome | out of phase | reasons |\n"
            text += "|---|---|---|---|---|\n"
            for r in self.records:
                reasons = " / ".join(r.reasons).replace("|", "\\|")
                text += (
                    f"| {r.object_type} | {r.record_key} | {r.outcome} | "
                    f"{'yes' if r.out_of_phase else ''} | {reasons} |\n"
                )
        return text


# --- parameters --------------------------------------------------------------------


def _unknown(name: str) -> CriteriaError:
    upper = name.upper()
    if upper in _CRITERIA_NAMES or upper in JOB_PARAMETERS:
        hint = f"write it in upper case, {upper}."
    else:
        hint = "use one of the screen's field codes such as SELTSK or TSKDATDEB."
    return CriteriaError(
        name,
        None,
        f"Unknown parameter {name!r}: {hint}",
        allowed=", ".join(sorted(_CRITERIA_NAMES | set(JOB_PARAMETERS))),
    )


def notebook_params(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The criteria of the job notebook, read from its global namespace.

    Upper-case names are the parameters (papermill injects every ``-p`` name as a
    variable, and only warns about names the notebook does not declare), so an
    upper-case name that is neither a criterion nor a job parameter is refused here,
    as is a criterion written in lower case.

    Args:
        namespace: the notebook's ``globals()``.

    Returns:
        SPEC parameter name -> value, for every criterion the namespace holds.

    Raises:
        CriteriaError: an unknown parameter name.
    """
    out: dict[str, Any] = {}
    for name, value in namespace.items():
        if name in _CRITERIA_NAMES:
            out[name] = value
        elif name in JOB_PARAMETERS or name.startswith("_"):
            continue
        elif name.isupper() or name.upper() in _CRITERIA_NAMES | set(JOB_PARAMETERS):
            raise _unknown(name)
    return out


def job_parameters(
    params_file: str | Path | None, pairs: Sequence[str] = ()
) -> dict[str, Any]:
    """The criteria of ``forcedsync job``: a parameters file, then NAME=VALUE pairs.

    Names are upper-cased; values are kept as written (strings from pairs, YAML types
    from the file, dates as ISO text) and validated by the notebook, so that a bad
    value fails inside the executed notebook, where it stays visible.

    Raises:
        CriteriaError: the file cannot be read, a pair is not NAME=VALUE, a name is
            unknown or is one of the job's own options (DB_URL, COMMIT...).
    """
    values: dict[str, Any] = {}
    if params_file:
        for key, value in read_params_file(params_file).items():
            values[str(key).strip().upper()] = value
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CriteriaError(
                "-p", pair, f"-p {pair!r} is not NAME=VALUE (e.g. -p SELTSK=1)."
            )
        values[name.strip().upper()] = value
    for name, value in list(values.items()):
        if name in JOB_PARAMETERS:
            option = {"DB_URL": "--db", "OUTPUT_DIR": "--output"}.get(
                name, f"--{name.lower()}"
            )
            raise CriteriaError(
                name,
                value,
                f"{name} is an option of 'forcedsync job', not a criterion: use "
                f"{option}.",
            )
        if name not in _CRITERIA_NAMES:
            raise _unknown(name)
        if isinstance(value, dt.date):
            values[name] = value.isoformat()
    return values


def _flag(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in {"1", "2", "true", "yes", "y", "on"}:
        return True
    if text in {"0", "false", "no", "n", "off", ""}:
        return False
    raise CriteriaError(
        name, value, f"{name}={value!r} is not a yes/no value: use 1/0 or true/false."
    )


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# --- the job -----------------------------------------------------------------------


def _summary(
    res: PreviewResult | ForceResult, *, commit: bool, url: str, log: str | None
) -> dict[str, Any]:
    ctx = res.context
    out: dict[str, Any] = {
        "status": "DONE" if commit else "PREVIEW",
        "commit": commit,
        "run_id": res.run_id if isinstance(res, ForceResult) else None,
        "operator": ctx.operator,
        "user": ctx.user,
        "company": ctx.company,
        "rep": ctx.rep,
        "now": res.now.isoformat(),
        "counts": {k: dict(v) for k, v in res.counts.items()},
        "selected": sum(sum(c.values()) for c in res.counts.values()),
        "to_write": res.written if isinstance(res, ForceResult) else res.to_write,
        "written": res.written if isinstance(res, ForceResult) else 0,
        "warnings": list(res.warnings),
        "skipped_types": list(res.skipped_types),
        "criteria": res.criteria.to_params(),
        "database": url,
        "log": log,
        "error": None,
    }
    if isinstance(res, PreviewResult):
        out["out_of_phase"] = dict(res.out_of_phase)
    else:
        out["started"] = res.started.isoformat()
        out["ended"] = res.ended.isoformat()
    out.update(_environment())
    return out


def _environment() -> dict[str, str]:
    from . import __version__  # local: the package imports this module lazily

    return {"python": sys.executable, "forcedsync_version": __version__}


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)


def _preview_log(res: PreviewResult, path: Path) -> None:
    ctx = res.context
    lines = [
        "Forced synchronization preview (nothing committed)",
        f"Operator: {ctx.operator}   User: {ctx.user}   Company: {ctx.company}",
        f"Clock: {res.now.isoformat()}",
        f"Criteria: {res.criteria.summary()}",
        "Counts:  type  insert  supersede  already  skip  out-of-phase",
    ]
    for t in OBJECT_TYPES:
        c = res.counts.get(str(t), {})
        lines.append(
            f"         {t}  {c.get('insert', 0):>6}  {c.get('supersede', 0):>9}"
            f"  {c.get('already', 0):>7}  {c.get('skip', 0):>4}"
            f"  {res.out_of_phase.get(str(t), 0):>12}"
        )
    lines.append(f"Records to write (R): {res.to_write}")
    lines += [f"Warning: {w}" for w in res.warnings]
    lines.append("Records (type, key, outcome, out-of-phase reasons):")
    for r in res.records:
        shown = " | ".join(r.reasons) or "-"
        lines.append(f"{r.object_type}\t{r.record_key}\t{r.outcome}\t{shown}")
    if res.total > len(res.records):
        lines.append(
            f"... {res.total - len(res.records)} more record(s) not listed: a "
            f"committed run's log lists them all."
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_job(
    params: Mapping[str, Any],
    *,
    db_url: str | None = None,
    operator: str | None = None,
    commit: object = False,
    output_dir: str | Path | None = None,
    now: dt.datetime | str | None = None,
) -> JobResult:
    """Preview or force with the given criteria and write the job's output files.

    Args:
        params: SPEC parameter name -> value; ``None`` means "not set" (the
            criterion's default), so a notebook's untouched parameters change nothing.
        db_url: database URL or DuckDB path; None: what ``connect(None)`` picks
            (FORCEDSYNC_DB_URL, FORCEDSYNC_DB, ./forcedsync.duckdb).
        operator: the connected user; None: ``resolve_operator()``.
        commit: force (True) or only preview (False, the default); papermill's
            ``1``/``"true"`` are accepted.
        output_dir: where ``summary.json`` (always) and, with FLGTRCDET, the log
            (``run-<id>.log``, or ``preview.log`` for a preview) are written; None:
            nothing is written to disk. A failed job writes a ``summary.json`` with
            status FAILED and the error.
        now: the run's clock (UTC ISO text or datetime); None: the current time.

    Returns:
        The summary, the library result, the first records and the files written.

    Raises:
        ForcedSyncError: the criteria or the run were refused (nothing written to the
            database), or the database failed; the message says which.
    """
    out = Path(str(output_dir)).expanduser() if _text(output_dir) else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    res: PreviewResult | ForceResult | None = None
    try:
        do_commit = _flag("COMMIT", commit)
        criteria = Criteria.from_params(
            {k: v for k, v in params.items() if v is not None}
        )
        engine = db.connect(_text(db_url))
        url = db.masked(engine.url)
        who = _text(operator)
        clock = now if isinstance(now, dt.datetime) else _text(now)
        files: list[Path] = []
        log: Path | None = None
        if do_commit:
            res = marking.force(engine, criteria, operator=who, now=clock)
            records, _ = runlog.run_records(engine, res.run_id, page_size=SHOWN_RECORDS)
            if criteria.flgtrcdet and out is not None:
                log = out / f"run-{res.run_id}.log"
                runlog.write_log(engine, res.run_id, log, details=True)
        else:
            size = PREVIEW_LOG_LIMIT if criteria.flgtrcdet else SHOWN_RECORDS
            res = marking.preview(
                engine, criteria, operator=who, now=clock, page_size=size
            )
            records = list(res.records[:SHOWN_RECORDS])
            if criteria.flgtrcdet and out is not None:
                log = out / PREVIEW_LOG_FILE
                _preview_log(res, log)
        summary = _summary(
            res, commit=do_commit, url=url, log=log.name if log else None
        )
        if out is not None:
            _write_json(out / SUMMARY_FILE, summary)
            files.append(out / SUMMARY_FILE)
        if log is not None:
            files.append(log)
    except Exception as exc:
        if out is not None:
            _write_json(out / SUMMARY_FILE, _failed(exc, commit, res))
        raise
    return JobResult(summary, res, tuple(records), tuple(files))


def _failed(
    exc: Exception, commit: object, res: PreviewResult | ForceResult | None
) -> dict[str, Any]:
    """The summary of a failed job; a run committed before the failure is named."""
    message = (
        str(exc)
        if isinstance(exc, ForcedSyncError)
        else (f"{type(exc).__name__}: {exc}")
    )
    try:
        flag = _flag("COMMIT", commit)
    except CriteriaError:
        flag = False
    forced = res if isinstance(res, ForceResult) else None
    return {
        "status": "FAILED",
        "commit": flag,
        "run_id": forced.run_id if forced else None,
        "written": forced.written if forced else 0,
        "error": message,
        "error_type": type(exc).__name__,
        **_environment(),
    }


# --- papermill ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobOutput:
    """The files ``execute_job`` left in its output directory, and the summary."""

    notebook: Path
    summary_file: Path
    summary: Mapping[str, Any]
    log: Path | None


def _message(ename: str, evalue: str) -> str:
    text = (evalue or "").strip()
    if _error_class(ename) is not None:
        return text.splitlines()[0] if text else ename
    first = text.splitlines()[0] if text else ""
    return f"{ename}: {first}" if first else ename


def _error_class(ename: str) -> type[ForcedSyncError] | None:
    from . import errors

    cls = getattr(errors, ename, None) or (JobError if ename == "JobError" else None)
    if isinstance(cls, type) and issubclass(cls, ForcedSyncError):
        return cls
    return None


def _skip_iri_grammar() -> None:
    """Spare about 1.5 s of CPU per job in importing papermill.

    papermill -> nbformat -> jsonschema imports ``rfc3987_syntax`` when it is installed
    (jupyter-events pulls it in), which compiles a Lark grammar at import for the 'iri'
    string formats; notebook validation never checks those, and jsonschema skips them
    when the module is missing. Nothing changes once jsonschema is loaded.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _has_password(url: str) -> bool:
    try:
        return bool(make_url(url).password)
    except Exception:  # not a URL: the kernel will say so
        return False


@contextlib.contextmanager
def _kernel_env(name: str, value: str | None) -> Iterator[None]:
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
) -> JobOutput:
    """Run the job notebook with papermill, keeping the executed one as ``job.ipynb``.

    The notebook runs in a kernel of this Python environment (papermill resolves the
    notebook's ``python3`` kernelspec; the ``python`` of that spec is this
    interpreter). This process never opens the database, so it holds no DuckDB lock.

    Criteria not in ``params`` are passed as None (their library default), so the
    notebook's own defaults (a nightly preview of tasks, calls and appointments) only
    apply to direct papermill runs.

    Args:
        params: criteria as from ``job_parameters``.
        output_dir: directory for ``job.ipynb``, ``summary.json`` and the log; its
            ``summary.json`` is replaced.
        db_url: database URL or DuckDB path (a relative path is taken from the
            current directory); None: the kernel's FORCEDSYNC_DB_URL... A URL
            with a password reaches the kernel through FORCEDSYNC_DB_URL, so that
            the executed notebook never shows it.
        operator: the connected user; None: the kernel resolves it.
        commit: force (True) or preview only.
        now: the run's clock (ISO text).
        notebook: another job notebook (default ``JOB_NOTEBOOK``).
        kernel_name: a kernel other than the notebook's ``python3``.

    Returns:
        The paths written and the summary read back.

    Raises:
        JobError: the notebook raised (the message is the library's, e.g. a
            refusal) or could not be run; ``notebook`` is set when it was written.
    """
    _skip_iri_grammar()
    import papermill as pm  # local: the kernel side never needs papermill

    source = Path(notebook) if notebook else JOB_NOTEBOOK
    if not source.is_file():
        raise JobError(
            f"The job notebook {str(source)!r} is missing: 'forcedsync job' runs from "
            f"a source checkout installed with 'pip install -e .'."
        )
    out = Path(output_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    summary_file = out / SUMMARY_FILE
    summary_file.unlink(missing_ok=True)
    target = out / NOTEBOOK_FILE
    url = _text(db_url)
    if url is not None and "://" not in url:
        url = str(Path(url).expanduser().resolve())
    secret_url = url if url is not None and _has_password(url) else None
    if secret_url is not None:
        url = None  # the kernel reads it from FORCEDSYNC_DB_URL, see below
    # Every criterion is passed, None when not given: the job means exactly what
    # 'forcedsync force' means with the same criteria, not the notebook's defaults.
    parameters: dict[str, Any] = {name.upper(): None for name in PARAMETERS}
    parameters.update(params)
    parameters.update(
        DB_URL=url,
        OPERATOR=_text(operator),
        COMMIT=bool(commit),
        OUTPUT_DIR=str(out),
        NOW=_text(now),
    )
    try:
        with _kernel_env("FORCEDSYNC_DB_URL", secret_url):
            pm.execute_notebook(
                str(source),
                str(target),
                parameters=parameters,
                kernel_name=kernel_name,
                progress_bar=False,
                log_output=False,
                # The kernel's own log (ipykernel's warning about unencrypted TCP,
                # the "KeyboardInterrupt caught" of the shutdown after a failed cell)
                # would go to this process's stderr, which carries only the error.
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
    except pm.PapermillExecutionError as exc:
        raise JobError(_message(exc.ename, exc.evalue), target, exc.ename) from None
    except Exception as exc:  # kernel missing or dead, unreadable notebook...
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise JobError(
            f"The job notebook could not be run: {first}",
            target if target.exists() else None,
            type(exc).__name__,
        ) from None
    try:
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise JobError(
            f"The job notebook ran but wrote no readable {SUMMARY_FILE}: {exc}.",
            target,
        ) from None
    log = out / summary["log"] if summary.get("log") else None
    return JobOutput(target, summary_file, summary, log)


__all__ = [
    "JOB_NOTEBOOK",
    "JOB_PARAMETERS",
    "JobError",
    "JobOutput",
    "JobResult",
    "execute_job",
    "job_parameters",
    "notebook_params",
    "run_job",
]
